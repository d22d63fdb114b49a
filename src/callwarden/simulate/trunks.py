"""The simulated operator's ingress trunks, and which one each call comes in on.

Own subscribers' calls come in on the mobile core (or, for the operator's own fixed lines, the
fixed network's), other domestic carriers' on the interconnect with that carrier, foreign
numbers on the international gateway. A campaign may set a trunk of its own: the cloud-trunk
campaign's calls all arrive on a cloud platform's trunk. The table is written beside the
records as ``trunks.csv``, the form ``callwarden ingest --trunks`` reads.

>>> [name for name, kind, _ in TRUNKS if kind == "international"]
['GW-INTL-01']
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from callwarden.network import CARRIER_PREFIXES

__all__ = ["CLOUD", "INTERNATIONAL", "TRUNKS", "trunk_names", "write_trunks"]

#: (trunk, kind, owner) in code order
TRUNKS: tuple[tuple[str, str, str], ...] = (
    ("MSC-SC-01", "mobile_core", "own mobile core"),
    ("IMS-SC-01", "fixed", "own fixed network"),
    ("IC-CU-01", "interconnect", "China Unicom"),
    ("IC-CT-01", "interconnect", "China Telecom"),
    ("IC-CM-01", "interconnect", "China Mobile (other provinces)"),
    ("IC-CBN-01", "interconnect", "China Broadnet"),
    ("IC-FIX-01", "interconnect", "fixed-line carriers"),
    ("GW-INTL-01", "international", "international gateway"),
    ("CLOUD-VOIP-01", "cloud", "cloud call-centre platform"),
)
_CODE = {name: code for code, (name, _, _) in enumerate(TRUNKS)}
INTERNATIONAL = _CODE["GW-INTL-01"]
CLOUD = _CODE["CLOUD-VOIP-01"]
_BY_CARRIER = {
    "China Unicom": "IC-CU-01",
    "China Telecom": "IC-CT-01",
    "China Mobile": "IC-CM-01",
    "China Broadnet": "IC-CBN-01",
}
# National prefix (3 or 4 digits) -> interconnect trunk of the carrier that owns it.
_PREFIX_TRUNK = {p: _BY_CARRIER[c] for p, c in CARRIER_PREFIXES.items()}


def trunk_names(
    caller: np.ndarray, codes: np.ndarray, own: Callable[[np.ndarray], np.ndarray]
) -> pl.Series:
    """Each call's trunk: the code a behaviour set (``codes >= 0``), else the usual trunk of
    the caller's network. ``caller`` holds int64 E.164 digits; ``own`` says which of some
    numbers are the operator's subscribers. Worked out once per distinct caller."""
    distinct, inverse = np.unique(caller, return_inverse=True)
    text = pl.Series(distinct, dtype=pl.Int64).cast(pl.String)
    national = text.str.slice(2)
    mobile = text.str.contains(r"^861[0-9]{10}$")
    carrier = (
        national.str.slice(0, 4)
        .replace_strict(_PREFIX_TRUNK, default=None)
        .fill_null(national.str.slice(0, 3).replace_strict(_PREFIX_TRUNK, default=None))
    )
    is_own = pl.Series(own(distinct))
    usual = pl.select(
        pl.when(pl.lit(is_own) & mobile)
        .then(pl.lit("MSC-SC-01"))
        .when(pl.lit(is_own))
        .then(pl.lit("IMS-SC-01"))
        .when(~text.str.starts_with("86"))
        .then(pl.lit("GW-INTL-01"))
        .when(mobile & carrier.is_not_null())
        .then(carrier)
        .otherwise(pl.lit("IC-FIX-01"))
    ).to_series()
    names = usual.gather(pl.Series(inverse.ravel()))
    set_rows = np.flatnonzero(codes >= 0)
    if set_rows.shape[0] == 0:
        return names
    chosen = np.array([name for name, _, _ in TRUNKS])[codes[set_rows]]
    return names.scatter(set_rows, pl.Series(chosen, dtype=pl.String))


def write_trunks(path: Path) -> None:
    """Write the trunk table as CSV (``trunk,kind,owner``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["trunk", "kind", "owner"])
        writer.writerows(TRUNKS)
