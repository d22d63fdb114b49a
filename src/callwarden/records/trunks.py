"""Trunks: which kind of network a call came in from, and the spoofing that betrays.

A switch records the ingress trunk or gateway of each call (the calls' ``trunk`` column). A
trunk table, a CSV with columns ``trunk`` and ``kind`` (and optionally ``owner``), says what
each trunk is; with it, ingest flags the caller numbers that trunk could not honestly present:

- ``trunk_mismatch``: a domestic ``+86`` number arriving on an ``international`` trunk, the
  classic spoofed call from abroad (a fraud call centre overseas showing a local number);
- ``cloud_trunk_mobile``: a mobile number presented by a ``cloud`` (VoIP) trunk, 网络云呼: a
  mobile number belongs on the mobile core, so a cloud platform showing one is faking it.

Kinds: ``mobile_core`` (the operator's own mobile network), ``fixed`` (its fixed network),
``interconnect`` (other domestic carriers), ``international`` (international gateways) and
``cloud`` (cloud call centres, VoIP platforms).

>>> table = TrunkTable({"GW-INTL-01": "international", "CLOUD-7": "cloud"})
>>> callers = pl.Series(["+8613812345678", "+447911123456", "+8613812345678", "+862886123456"])
>>> trunks = pl.Series(["GW-INTL-01", "GW-INTL-01", "CLOUD-7", "CLOUD-7"])
>>> table.flags(callers, trunks).to_list()
['trunk_mismatch', None, 'cloud_trunk_mobile', None]
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from callwarden.errors import ConfigError
from callwarden.numbers import CN_MOBILE_PATTERN
from callwarden.records.schema import ID_CHARS, TRUNK_KINDS

__all__ = ["CLOUD_TRUNK_MOBILE", "TRUNK_MISMATCH", "TrunkTable", "load_trunks"]

TRUNK_MISMATCH = "trunk_mismatch"
CLOUD_TRUNK_MOBILE = "cloud_trunk_mobile"


@dataclass(frozen=True)
class TrunkTable:
    """Trunk name -> kind (one of :data:`~callwarden.records.schema.TRUNK_KINDS`), and owner."""

    kinds: dict[str, str]
    owners: dict[str, str] = field(default_factory=dict)

    def kind_of(self, trunks: pl.Series) -> pl.Series:
        """Each call's trunk kind; null for a null trunk or one the table does not list."""
        return trunks.replace_strict(self.kinds, default=None, return_dtype=pl.String)

    def flags(self, callers: pl.Series, trunks: pl.Series) -> pl.Series:
        """Each call's trunk flag (see the module doc); null where there is none."""
        kind = self.kind_of(trunks)
        out = pl.repeat(None, len(callers), dtype=pl.String, eager=True)
        # Only calls on the two telling kinds of trunk are looked at (most calls are not).
        rows = kind.is_in(["international", "cloud"]).fill_null(False).arg_true()
        if rows.len() == 0:
            return out
        caller, on = callers.gather(rows), kind.gather(rows)
        found = pl.select(
            pl.when((on == "international") & caller.str.starts_with("+86"))
            .then(pl.lit(TRUNK_MISMATCH))
            .when((on == "cloud") & caller.str.contains(CN_MOBILE_PATTERN))
            .then(pl.lit(CLOUD_TRUNK_MOBILE))
            .otherwise(pl.lit(None, pl.String))
        ).to_series()
        return out.scatter(rows, found)

    def unknown(self, trunks: pl.Series) -> pl.Series:
        """The trunk names (not null) that the table does not list."""
        return trunks.filter(trunks.is_not_null() & ~trunks.is_in(list(self.kinds)))


def load_trunks(path: Path) -> TrunkTable:
    """Read a trunk table: a CSV with columns ``trunk`` and ``kind``, optionally ``owner``.

    Every problem is a :class:`ConfigError` naming the file and the row.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in reader.fieldnames or []]
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"{path}: cannot read the trunk table ({exc})") from None
    missing = [c for c in ("trunk", "kind") if c not in header]
    if missing:
        raise ConfigError(
            f"{path}: needs columns trunk and kind (and optionally owner); missing "
            f"{', '.join(missing)}, found {', '.join(header) or 'none'}"
        )
    kinds: dict[str, str] = {}
    owners: dict[str, str] = {}
    for line, row in enumerate(rows, start=2):
        values = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        name, kind = values.get("trunk", ""), values.get("kind", "").lower()
        where = f"{path}: row {line}"
        if not name:
            raise ConfigError(f"{where}: trunk is empty")
        if len(name) > ID_CHARS:
            raise ConfigError(f"{where}: trunk is {len(name)} characters (at most {ID_CHARS})")
        if kind not in TRUNK_KINDS:
            raise ConfigError(
                f"{where}: kind {kind!r} of trunk {name!r} is not one of {', '.join(TRUNK_KINDS)}"
            )
        if kinds.get(name, kind) != kind:
            raise ConfigError(f"{where}: trunk {name!r} is listed as {kinds[name]} already")
        kinds[name] = kind
        if values.get("owner"):
            owners[name] = values["owner"]
    return TrunkTable(kinds, owners)
