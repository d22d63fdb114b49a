"""``callwarden samples DIR``: a small operator export to try ``ingest`` on, with its mappings.

The export looks like what a switch or billing system writes: Chinese column names (主叫号码,
被叫号码, 开始时间, 通话时长(秒), ...), national numbers without +86, Beijing wall time without
an offset, and a few rows that are wrong the way real exports are wrong. docs/ingest.md's
tutorial runs on it.
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from callwarden.cli.progress import console

__all__ = ["CALLS_MAPPING", "RELAY_SIM", "SUBSCRIBERS_MAPPING", "samples", "write_samples"]

#: the 78-year-old's SIM that dials a stranger every 2 minutes from 18:00 (seed 000)
RELAY_SIM = "13800001948"
DAY = datetime(2026, 7, 8)
CALL_COLUMNS = [
    "话单编号",
    "主叫号码",
    "被叫号码",
    "开始时间",
    "通话时长(秒)",
    "振铃时长(秒)",
    "主叫小区",
    "主叫IMEI",
]
SUBSCRIBER_COLUMNS = [
    "用户号码",
    "机主出生年份",
    "用户类型",
    "入网日期",
    "实名状态",
    "归属地",
    "白名单",
]

CALLS_MAPPING = """\
# 话单 (voice CDR) export of a switch, as `callwarden samples` writes it: Chinese column names,
# national numbers without +86, Beijing time without an offset.
description = "sample operator voice CDRs (Chinese column names)"
record = "calls"
numbers = "e164"
timezone = "Asia/Shanghai"
default_region = "CN"
encoding = "utf-8"              # a GBK export: "gb18030"

[columns]                       # canonical = the export's column
call_id = "话单编号"
caller = "主叫号码"
callee = "被叫号码"
start_time = "开始时间"
duration_s = "通话时长(秒)"
ring_s = "振铃时长(秒)"
caller_cell = "主叫小区"
caller_imei = "主叫IMEI"
"""

SUBSCRIBERS_MAPPING = """\
# 用户资料 (subscriber profiles), as `callwarden samples` writes them. The values are the
# canonical words (individual / enterprise; verified, incomplete, mismatch,
# corporate_unassigned, none; true / false).
description = "sample operator subscriber profiles (Chinese column names)"
record = "subscribers"
numbers = "e164"
default_region = "CN"

[columns]
msisdn = "用户号码"
owner_birth_year = "机主出生年份"
owner_type = "用户类型"
activated_on = "入网日期"
realname_status = "实名状态"
region = "归属地"
whitelisted = "白名单"
"""


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S")


def write_samples(folder: Path, *, subscribers: int = 40, seed: int = 20) -> list[Path]:
    """Write calls.csv, subscribers.csv and their mappings into ``folder``; the paths written.

    A day of ordinary calls among ``subscribers`` numbers, the relay-call SIM of seed 000, and
    four rows ingest quarantines or flags: a time that is not a time, an empty caller, the
    same call twice, and a spoofed foreign caller ID (kept with a flag).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     [p.name for p in write_samples(Path(tmp))]
    ['calls.csv', 'calls.toml', 'subscribers.csv', 'subscribers.toml']
    """
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    numbers = [f"1390000{i:04d}" for i in range(subscribers)]
    people = [RELAY_SIM, *numbers]
    subs = [
        [RELAY_SIM, "1948", "individual", "2015-03-01", "verified", "成都", "false"],
        *(
            [
                n,
                str(rng.randint(1950, 2004)),
                "individual",
                f"20{rng.randint(10, 25):02d}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                "verified",
                rng.choice(["成都", "绵阳", "德阳"]),
                "false",
            ]
            for n in numbers
        ),
    ]
    calls: list[list[str]] = []

    def call(caller: str, callee: str, at: datetime, duration: int) -> None:
        imei = f"86{caller[-11:]:0>13}" if caller.isdigit() else ""  # one device per SIM
        calls.append(
            [
                f"CDR{len(calls) + 1:06d}",
                caller,
                callee,
                _when(at),
                str(duration),
                str(rng.randint(3, 20)),
                f"SC-CD-{rng.randint(100, 999)}",
                imei,
            ]
        )

    for n in numbers:  # ordinary days: a few calls to people they know, mostly answered
        for _ in range(rng.randint(2, 8)):
            at = DAY + timedelta(hours=rng.uniform(8, 22))
            duration = rng.choice([0, *[rng.randint(20, 600)] * 4])
            call(n, rng.choice([m for m in people if m != n]), at, duration)
    call(RELAY_SIM, numbers[0], DAY + timedelta(hours=11), 120)  # the owner calls family
    call(RELAY_SIM, numbers[1], DAY + timedelta(hours=13), 95)
    for i in range(30):  # from 18:00 a stranger every 2 minutes: relay calling (中转呼叫)
        stranger = f"137{10_000_000 + 7919 * i:08d}"
        call(RELAY_SIM, stranger, DAY + timedelta(hours=18, minutes=2 * i), rng.choice([0, 45, 52]))
    calls.sort(key=lambda row: row[3])
    calls.append(["CDR900001", numbers[2], numbers[3], "2026-07-08 25:61:00", "30", "5", "", ""])
    calls.append(["CDR900002", "", numbers[3], _when(DAY + timedelta(hours=9)), "30", "5", "", ""])
    calls.append(calls[0][:])  # the switch wrote one call twice
    calls.append(
        [
            "CDR900003",
            "+371573613369",
            numbers[4],
            _when(DAY + timedelta(hours=3)),
            "0",
            "1",
            "",
            "",
        ]
    )
    written = []
    for name, columns, rows, mapping in [
        ("calls", CALL_COLUMNS, calls, CALLS_MAPPING),
        ("subscribers", SUBSCRIBER_COLUMNS, subs, SUBSCRIBERS_MAPPING),
    ]:
        data = folder / f"{name}.csv"
        with data.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            writer.writerows(rows)
        toml = folder / f"{name}.toml"
        toml.write_text(mapping, encoding="utf-8")
        written += [data, toml]
    return written


def samples(
    out: Annotated[
        Path,
        typer.Argument(
            help="Folder to write the sample export into (created when missing).",
            show_default=False,
        ),
    ],
    subscribers: Annotated[
        int, typer.Option("--subscribers", min=2, help="Ordinary subscribers in the export.")
    ] = 40,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; same seed, same files.")] = 20,
) -> None:
    """Write a small operator export to try `ingest` on: 话单 (call records) and 用户资料
    (subscriber profiles) with Chinese column names (主叫号码, 被叫号码, 开始时间, 通话时长(秒),
    ...), and the mapping (TOML) of each. Among ordinary calls: a 78-year-old's SIM used for
    relay calling (中转呼叫), and rows that are wrong the way real exports are. docs/ingest.md
    walks through it.

    Example:

        callwarden samples sample && callwarden ingest sample/calls.csv --mapping
        sample/calls.toml --out data
    """
    for path in write_samples(out, subscribers=subscribers, seed=seed):
        console.print(f"wrote {path}", highlight=False)
    console.print(
        f"next: callwarden ingest {out / 'calls.csv'} --mapping {out / 'calls.toml'} --out data",
        highlight=False,
    )
