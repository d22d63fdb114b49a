"""What each subscriber's real-name registration holds (the optional subscriber columns).

Drawn from a random stream of its own, so the rest of the city stays what the same seed gave
before: a verified owner has a document, an address and a channel; ``incomplete`` lacks one or
two of them; ``mismatch`` has a document but another person uses the line; a corporate SIM is
registered to its company (and usually an agent) with no named user; ``none`` has nothing.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from callwarden.records.schema import ID_TYPES, REGISTRATION_CHANNELS
from callwarden.simulate.population import REALNAME, Population

__all__ = ["registration_columns"]


def registration_columns(pop: Population) -> dict[str, pl.Series]:
    """The registration columns of every subscriber, in population order."""
    n = pop.size
    rng = np.random.default_rng(np.random.SeedSequence([pop.config.seed, 0x4EA1]))
    status = pop.realname
    verified, incomplete, mismatch, corporate, none = (
        status == REALNAME.index(s) for s in REALNAME
    )
    personal = rng.choice(5, size=n, p=[0.95, 0.02, 0.015, 0.01, 0.005])
    id_type = np.where(pop.enterprise | corporate, ID_TYPES.index("business_licence"), personal)
    has_type = ~none
    has_ref = ~none
    has_address = ~none
    # incomplete: at least one of type, document, address missing
    gap = rng.integers(0, 3, size=n)
    has_type &= ~(incomplete & (gap == 0))
    has_ref &= ~(incomplete & (gap == 1))
    has_address &= ~(incomplete & ((gap == 2) | (rng.random(n) < 0.3)))
    serial = rng.permutation(n)
    ref = pl.Series([f"DOC{i:09d}" for i in serial])
    user_ref = pl.Series([f"USR{i:09d}" for i in serial])
    agent_ref = pl.Series([f"AGT{i:09d}" for i in serial])
    registered = verified | mismatch
    offset = rng.integers(0, 30, size=n).astype("timedelta64[D]")
    registered_on = np.maximum(pop.activated_on, np.datetime64(date(2013, 9, 1))) + offset
    channel = rng.choice(len(REGISTRATION_CHANNELS), size=n, p=[0.55, 0.3, 0.1, 0.05])
    balance = np.round(rng.lognormal(8.0, 1.0, size=n)).astype(np.int64)
    balance[rng.random(n) < 0.08] = 0
    enterprise_user = pop.enterprise & verified
    return {
        "id_type": pl.Series(np.array(ID_TYPES)[id_type]).set(
            pl.Series(~has_type),
            None,
        ),
        "id_ref": ref.set(pl.Series(~has_ref), None),
        "address_on_file": pl.Series(has_address).set(pl.Series(none), None),
        "user_differs": pl.Series(mismatch),
        "user_id_ref": user_ref.set(pl.Series(~(mismatch | enterprise_user)), None),
        "agent_id_ref": agent_ref.set(
            pl.Series(~((pop.enterprise | corporate) & ~none & (rng.random(n) < 0.7))),
            None,
        ),
        "registered_on": pl.Series(registered_on)
        .cast(pl.Date)
        .set(
            pl.Series(~registered),
            None,
        ),
        "registration_channel": pl.Series(np.array(REGISTRATION_CHANNELS)[channel]).set(
            pl.Series(~registered),
            None,
        ),
        "balance_fen": pl.Series(np.minimum(balance, 2**31 - 1)).cast(pl.Int32),
    }
