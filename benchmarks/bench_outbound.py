"""Outbound compliance at call-centre scale: the pre-dial check over 10M register rows, and
the audit of a 10M-call outbound day, each beside a naive baseline in the same run.

    .venv/bin/python benchmarks/bench_outbound.py [--consents 8000000] [--refusals 2000000]
        [--checks 100000] [--baseline-checks 5000] [--calls 10000000] [--baseline-calls 200000]

**Pre-dial check.** One business; ``--consents`` people on its consent register (some expired
or withdrawn) and ``--refusals`` on its refusal register, as the check holds them in memory
after loading (:class:`callwarden.compliance.table.PersonTable`; the load itself is not
timed). Timed per dial, in one process: validating the request (``DialIn``), the token, the
caller line and callee (normalised, keyed), the registers, calling hours in the callee's zone,
frequency, and queuing the check for the batched evidence log, whose writer thread inserts
into the same SQLite file meanwhile (every 0.5 s). Dials mix consented people (70%), refused
ones, strangers, foreign numbers and out-of-hours times. The baseline is the same service with
each register lookup one indexed SQL query (SQLite file with the same rows) and each check's
evidence row inserted and committed at once.

**Audit.** A 10M-call day of 12,500 seats (800 dials each) over 1,000 lines, callees drawn
from the registers' people and strangers, written as Parquet. Timed: reading the file and
:func:`callwarden.compliance.audit.audit_calls` (normalising, joins with both registers, hours,
frequency, the summaries by rule, seat, line and category). The baseline is a plain Python
loop over the rows (dict lookups, per-row time zone conversion, per-callee lists) timed on
``--baseline-calls`` rows and scaled to the day.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from callwarden.cases.db import open_database
from callwarden.compliance.audit import audit_calls, read_calls
from callwarden.compliance.businesses import add_business
from callwarden.compliance.checker import Checker, DialIn
from callwarden.compliance.feed import Registers
from callwarden.compliance.models import Check
from callwarden.compliance.policy import parse_policy
from callwarden.compliance.rules import consent_state, merge_consent
from callwarden.compliance.table import FOREVER, NEVER, PersonTable, stamp
from callwarden.numbers import try_normalise

DAY = datetime(2026, 12, 2, tzinfo=ZoneInfo("Asia/Shanghai"))
LINES = [f"+86216123{i:04d}" for i in range(1000)]
POLICY = (
    'category = "real_estate"\n'
    f"lines = [{', '.join(repr(x).replace(chr(39), chr(34)) for x in LINES)}]\n"
    '[hours]\nwindows = ["09:00-12:00", "14:00-20:00"]\n[[limits]]\ncalls = 2\ndays = 1\n'
)
_PREFIXES = np.array([130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 158, 159, 186, 188])


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def people(n: int, seed: int) -> np.ndarray:
    """``n`` distinct Chinese mobile numbers as int64 keys (86 + 11 digits)."""
    rng = np.random.default_rng(seed)
    out = np.empty(0, np.int64)
    while len(out) < n:
        more = int((n - len(out)) * 1.05) + 10
        prefix = rng.choice(_PREFIXES, more).astype(np.int64)
        keys = 86 * 10**11 + prefix * 10**8 + rng.integers(0, 10**8, more)
        out = np.unique(np.concatenate([out, keys]))
    return rng.permutation(out)[:n]


def refusals_of(consent_keys: np.ndarray, n: int) -> np.ndarray:
    """``n`` distinct people who refused: half of them on the consent register too."""
    others = people(n, 2)
    keys = np.unique(np.concatenate([consent_keys[: n // 2], others]))
    return keys[np.random.default_rng(3).permutation(len(keys))][:n]


def registers(consent_keys: np.ndarray, refusal_keys: np.ndarray, seed: int = 5) -> tuple[Any, ...]:
    """The merged registers as arrays: consents (g, e, w) and refusals (r)."""
    rng = np.random.default_rng(seed)
    now = stamp(DAY)
    n = len(consent_keys)
    g = (now - rng.integers(86_400, 400 * 86_400, n)).astype(np.uint32)
    e = np.full(n, FOREVER, np.uint32)
    expired = rng.random(n) < 0.05
    e[expired] = (now - rng.integers(86_400, 30 * 86_400, int(expired.sum()))).astype(np.uint32)
    w = np.full(n, NEVER, np.uint32)
    gone = rng.random(n) < 0.05
    w[gone] = (now - rng.integers(3_600, 20 * 86_400, int(gone.sum()))).astype(np.uint32)
    r = (now - rng.integers(3_600, 300 * 86_400, len(refusal_keys))).astype(np.uint32)
    return np.stack([g, e, w], axis=1), r.reshape(-1, 1)


# -- the pre-dial check ---------------------------------------------------------------------


def dials(
    consented: np.ndarray, refused: np.ndarray, n: int, seed: int = 7
) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    out = []
    strangers = people(n, seed + 100)
    for i in range(n):
        u = rng.random()
        if u < 0.70:
            callee = f"+{consented[rng.integers(len(consented))]}"
        elif u < 0.80:
            callee = f"+{refused[rng.integers(len(refused))]}"
        elif u < 0.97:
            callee = str(strangers[i])[2:]  # national form, as a dialler sends it
        else:
            callee = f"+44798{rng.integers(10**7):07d}"
        local = 9 * 3600 + int(rng.integers(0, 11 * 3600)) if rng.random() < 0.9 else 22 * 3600
        at = DAY + timedelta(seconds=local)
        out.append(
            {
                "business": "bench",
                "caller_line": LINES[int(rng.integers(len(LINES)))],
                "callee": callee,
                "time": at.isoformat(),
            }
        )
    return out


class SqlRegister:
    """The baseline's register: every lookup one indexed query of the person's rows."""

    def __init__(self, path: Path, kind: str) -> None:
        self.conn = sqlite3.connect(path, check_same_thread=False)
        self.kind = kind
        self.overlay: dict[int, tuple[int, ...]] = {}

    def lookup(self, key: int) -> tuple[int, ...] | None:
        if self.kind == "consent":
            rows = self.conn.execute(
                "SELECT g, e, w FROM consents WHERE business_id = 1 AND callee_key = ?", (key,)
            ).fetchall()
            merged: tuple[int, ...] | None = None
            for g, e, w in rows:
                merged = merge_consent(merged, g, e, w)
            return merged
        row = self.conn.execute(
            "SELECT min(r) FROM refusals WHERE business_id = 1 AND callee_key = ?", (key,)
        ).fetchone()
        return None if row[0] is None else (int(row[0]),)


def fill_baseline(
    path: Path, consent_keys: np.ndarray, cv: np.ndarray, refusal_keys: np.ndarray, rv: np.ndarray
) -> float:
    start = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE consents (business_id INT, callee_key INT, g INT, e INT, w INT)")
    conn.execute("CREATE TABLE refusals (business_id INT, callee_key INT, r INT)")
    step = 1_000_000
    for i in range(0, len(consent_keys), step):
        conn.executemany(
            "INSERT INTO consents VALUES (1, ?, ?, ?, ?)",
            zip(
                consent_keys[i : i + step].tolist(),
                *(cv[i : i + step, j].tolist() for j in range(3)),
                strict=True,
            ),
        )
    for i in range(0, len(refusal_keys), step):
        conn.executemany(
            "INSERT INTO refusals VALUES (1, ?, ?)",
            zip(refusal_keys[i : i + step].tolist(), rv[i : i + step, 0].tolist(), strict=True),
        )
    conn.execute("CREATE INDEX ix_c ON consents (business_id, callee_key)")
    conn.execute("CREATE INDEX ix_r ON refusals (business_id, callee_key)")
    conn.commit()
    conn.close()
    return time.perf_counter() - start


def run_checks(checker: Checker, token: str, bodies: list[dict[str, Any]]) -> dict[str, float]:
    lat = np.empty(len(bodies), np.int64)
    allowed = 0
    start, cpu = time.perf_counter(), time.process_time()
    for i, body in enumerate(bodies):
        t0 = time.perf_counter_ns()
        answer = checker.check(token, DialIn.model_validate(body))
        lat[i] = time.perf_counter_ns() - t0
        allowed += answer["allowed"]
    wall = time.perf_counter() - start
    return {
        "cpu_us": (time.process_time() - cpu) / len(bodies) * 1e6,
        "per_s": len(bodies) / wall,
        "p50_ms": float(np.percentile(lat, 50)) / 1e6,
        "p99_ms": float(np.percentile(lat, 99)) / 1e6,
        "allowed_share": allowed / len(bodies),
    }


class ImmediateLog:
    """The baseline's evidence log: each check inserted and committed before answering."""

    def __init__(self, db: Any) -> None:
        self.db = db

    def append(self, row: dict[str, Any]) -> None:
        with self.db.sessions.begin() as s:
            s.add(Check(**row))

    def close(self) -> None:
        pass


def bench_check(args: argparse.Namespace, tmp: Path) -> None:
    t = time.perf_counter()
    consent_keys = people(args.consents, 1)
    refusal_keys = refusals_of(consent_keys, args.refusals)
    cv, rv = registers(consent_keys, refusal_keys)
    print(
        f"drew {len(consent_keys):,} consents and {len(refusal_keys):,} refusals "
        f"in {time.perf_counter() - t:.1f} s"
    )
    before = rss_mb()
    regs = Registers(
        consents={1: PersonTable.from_arrays(consent_keys, cv)},
        refusals={1: PersonTable.from_arrays(refusal_keys, rv)},
    )
    print(
        f"registers in memory: {len(regs):,} people, "
        f"{(regs.consents[1].nbytes + regs.refusals[1].nbytes) / 2**20:.0f} MiB of arrays "
        f"(process {before:.0f} -> {rss_mb():.0f} MiB)"
    )
    db = open_database(f"sqlite:///{tmp / 'cases.db'}")
    with db.sessions.begin() as s:
        token = add_business(s, "bench", POLICY, datetime.now(UTC))
    consented = consent_keys[: args.consents // 2]  # valid, expired or withdrawn mixed
    bodies = dials(consented, refusal_keys, args.checks)
    checker = Checker(db, registers=regs).start(background=False)
    run_checks(checker, token, bodies[:2000])  # warm up (caches, first inserts)
    fast = run_checks(checker, token, bodies)
    checker.close()
    print(
        f"in-memory check: {fast['per_s']:,.0f}/s, p50 {fast['p50_ms']:.3f} ms, "
        f"p99 {fast['p99_ms']:.3f} ms ({fast['allowed_share']:.0%} allowed), "
        f"CPU {fast['cpu_us']:.0f} us a check (log writer included), "
        f"{checker.log.written:,} checks logged"
    )

    base_path = tmp / "baseline.db"
    took = fill_baseline(base_path, consent_keys, cv, refusal_keys, rv)
    print(f"baseline tables filled and indexed in {took:.1f} s")
    slow_regs = Registers(
        consents={1: SqlRegister(base_path, "consent")},  # type: ignore[dict-item]
        refusals={1: SqlRegister(base_path, "refusal")},  # type: ignore[dict-item]
    )
    baseline = Checker(db, registers=slow_regs).start(background=False)
    baseline.log.close()
    baseline.log = ImmediateLog(db)  # type: ignore[assignment]
    slow = run_checks(baseline, token, bodies[: args.baseline_checks])
    print(
        f"baseline (a query per lookup, a commit per check): {slow['per_s']:,.0f}/s, "
        f"p50 {slow['p50_ms']:.3f} ms, p99 {slow['p99_ms']:.3f} ms"
    )
    same = [
        checker_answer == baseline_answer
        for checker_answer, baseline_answer in zip(
            _answers(regs, db, token, bodies[:500]),
            _answers(slow_regs, db, token, bodies[:500]),
            strict=True,
        )
    ]
    print(f"same answers on the first 500 dials: {all(same)}")


def _answers(regs: Registers, db: Any, token: str, bodies: list[dict[str, Any]]) -> list[Any]:
    checker = Checker(db, registers=regs).start(background=False)
    checker.log.close()
    checker.log = ImmediateLog(db)  # type: ignore[assignment]
    checker.log.append = lambda row: None  # type: ignore[method-assign]
    return [checker.check(token, DialIn.model_validate(b))["reasons"] for b in bodies]


# -- the audit ------------------------------------------------------------------------------


def outbound_day(path: Path, consent_keys: np.ndarray, n: int, seed: int = 11) -> None:
    rng = np.random.default_rng(seed)
    strangers = people(max(n // 20, 1), seed + 1)
    pool = np.concatenate([consent_keys, strangers])
    callee = pool[rng.integers(0, len(pool), n)]
    # most dials inside the calling hours, some early, late or at lunch
    seconds = np.where(
        rng.random(n) < 0.9,
        rng.integers(14 * 3600, 20 * 3600, n),
        rng.integers(7 * 3600, 22 * 3600, n),
    )
    start = pl.Series(seconds, dtype=pl.Int64) * 1_000_000 + int(DAY.timestamp()) * 1_000_000
    frame = pl.DataFrame(
        {
            "call_id": np.arange(n),
            "seat": np.arange(n) // 800,
            "caller_line": np.array(LINES)[rng.integers(0, len(LINES), n)],
            "callee": callee,
            "start_time": start,
        }
    ).select(
        pl.format("c{}", "call_id").alias("call_id"),
        pl.format("S{}", "seat").alias("seat"),
        "caller_line",
        pl.format("+{}", "callee").alias("callee"),
        pl.col("start_time").cast(pl.Datetime("us", "UTC")),
    )
    frame.write_parquet(path)


def naive_audit(
    calls: pl.DataFrame,
    consents: dict[int, tuple[int, int, int]],
    refusals: dict[int, int],
    lines: frozenset[str],
) -> int:
    """Row by row: what a first script would do."""
    zone = ZoneInfo("Asia/Shanghai")
    seen: dict[int, list[int]] = defaultdict(list)
    bad = 0
    for _call_id, _seat, line, callee, at in calls.iter_rows():
        e164, _ = try_normalise(callee)
        if e164 is None:
            continue
        key = int(e164[1:])
        t = stamp(at)
        g, e, w = consents.get(key, (NEVER, FOREVER, NEVER))
        state = consent_state(g, e, w, t)
        r = refusals.get(key, NEVER)
        local = at.astimezone(zone)
        minutes = local.hour * 60 + local.minute
        inside = 540 <= minutes < 720 or 840 <= minutes < 1200
        recent = [d for d in seen[key] if d > t - 86_400]
        seen[key] = [*recent, t]
        refused = r != NEVER and r <= t and not (state == "valid" and g > r)
        if state != "valid" or refused or not inside or len(recent) >= 2 or line not in lines:
            bad += 1
    return bad


def bench_audit(args: argparse.Namespace, tmp: Path) -> None:
    consent_keys = people(args.consents, 1)
    refusal_keys = refusals_of(consent_keys, args.refusals)
    cv, rv = registers(consent_keys, refusal_keys)
    consents = pl.DataFrame({"key": consent_keys, "g": cv[:, 0], "e": cv[:, 1], "w": cv[:, 2]})
    refusals = pl.DataFrame({"key": refusal_keys, "r": rv[:, 0]})
    path = tmp / "calls.parquet"
    t = time.perf_counter()
    outbound_day(path, consent_keys, args.calls)
    print(
        f"wrote a {args.calls:,}-call day in {time.perf_counter() - t:.1f} s "
        f"({path.stat().st_size / 2**20:.0f} MiB Parquet)"
    )
    policy = parse_policy(POLICY)
    t, cpu = time.perf_counter(), time.process_time()
    calls = read_calls(path)
    result = audit_calls("bench", calls, policy, consents, refusals)
    took = time.perf_counter() - t
    print(
        f"audit: {result.calls:,} calls in {took:.1f} s (CPU {time.process_time() - cpu:.1f} s, "
        f"load {os.getloadavg()[0]:.1f}) "
        f"({result.calls / took:,.0f} calls/s); {result.violations.height:,} broke a rule; "
        f"{len(result.by_seat):,} seats and {len(result.by_line):,} lines named"
    )
    for row in result.by_rule:
        print(f"  {row['code']:<22} {row['count']:>10,}")
    sample = calls.head(args.baseline_calls).sort("start_time", "call_id")
    c_map = dict(zip(consent_keys.tolist(), map(tuple, cv.tolist()), strict=True))
    r_map = dict(zip(refusal_keys.tolist(), rv[:, 0].tolist(), strict=True))
    t = time.perf_counter()
    naive_bad = naive_audit(sample, c_map, r_map, policy.line_set)  # type: ignore[arg-type]
    slow = time.perf_counter() - t
    print(
        f"naive row-by-row audit: {len(sample):,} calls in {slow:.1f} s "
        f"({len(sample) / slow:,.0f} calls/s; {args.calls / (len(sample) / slow):,.0f} s "
        f"for the day), {naive_bad:,} broke a rule"
    )
    small = audit_calls("bench", sample, policy, consents, refusals)
    print(f"the audit on the same {len(sample):,} calls: {small.violations.height:,} broke a rule")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--consents", type=int, default=8_000_000)
    parser.add_argument("--refusals", type=int, default=2_000_000)
    parser.add_argument("--checks", type=int, default=100_000)
    parser.add_argument("--baseline-checks", type=int, default=5_000)
    parser.add_argument("--calls", type=int, default=10_000_000)
    parser.add_argument("--baseline-calls", type=int, default=200_000)
    parser.add_argument("--only", choices=["check", "audit"], default=None)
    args = parser.parse_args()
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}; {args.consents:,} consents + {args.refusals:,} refusals"
    )
    with tempfile.TemporaryDirectory() as folder:
        if args.only in (None, "check"):
            bench_check(args, Path(folder))
        if args.only in (None, "audit"):
            bench_audit(args, Path(folder))


if __name__ == "__main__":
    main()
