"""Spoofing by trunk: a +86 number from an international gateway, a mobile number from a cloud
platform (网络云呼)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from callwarden.errors import ConfigError
from callwarden.records import ingest, load_mapping, read_canonical
from callwarden.records.trunks import load_trunks

TRUNKS = """trunk,kind,owner
MSC-CD-01,mobile_core,own
IC-CU-01,interconnect,China Unicom
GW-INTL-01,international,gateway Guangzhou
CLOUD-7,cloud,Acme Cloud Call
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def calls_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["caller", "callee", "start_time", "duration_s", "trunk"])
        for i, (caller, trunk) in enumerate(rows):
            w.writerow([caller, "13912345678", f"2026-07-08 18:{i:02d}:00", 0, trunk])
    return path


ROWS = [
    ("13812345678", "MSC-CD-01", None),  # own subscriber on the mobile core
    ("13012345678", "IC-CU-01", None),  # another carrier's mobile on interconnect
    ("13812345678", "GW-INTL-01", "trunk_mismatch"),  # a local mobile from abroad
    ("010-62345678", "GW-INTL-01", "trunk_mismatch"),  # a local landline from abroad
    ("95588", "GW-INTL-01", "trunk_mismatch"),  # a bank's line from abroad
    ("+447911123456", "GW-INTL-01", None),  # a foreign number from abroad: as it should be
    ("+371573613369", "GW-INTL-01", "impossible"),  # the number's own problem comes first
    ("13812345678", "CLOUD-7", "cloud_trunk_mobile"),
    ("17012345678", "CLOUD-7", "cloud_trunk_mobile"),  # a virtual operator's mobile too
    ("02886123456", "CLOUD-7", None),  # a landline from a call-centre platform is usual
    ("13812345678", "UNLISTED-9", None),  # a trunk the table does not know: not judged
    ("13812345678", "", None),
]


def test_trunk_flags(tmp_path: Path) -> None:
    source = calls_csv(tmp_path / "calls.csv", [(c, t) for c, t, _ in ROWS])
    table = load_trunks(write(tmp_path / "trunks.csv", TRUNKS))
    assert table.owners["CLOUD-7"] == "Acme Cloud Call"
    report = ingest(source, load_mapping("calls"), tmp_path / "out", trunks=table)
    data = read_canonical(tmp_path / "out", "calls").collect().sort("start_time")
    assert data["caller_flag"].to_list() == [flag for _, _, flag in ROWS]
    assert data["trunk"].to_list()[:2] == ["MSC-CD-01", "IC-CU-01"]
    assert report.flagged == 6
    assert report.flags["caller_flag"] == {
        "cloud_trunk_mobile": 2,
        "impossible": 1,
        "trunk_mismatch": 3,
    }
    assert any("UNLISTED-9 (1)" in w for w in report.warnings)


def test_without_a_trunk_table_the_trunk_is_kept_and_not_judged(tmp_path: Path) -> None:
    source = calls_csv(tmp_path / "calls.csv", [(c, t) for c, t, _ in ROWS])
    report = ingest(source, load_mapping("calls"), tmp_path / "out")
    data = read_canonical(tmp_path / "out", "calls").collect()
    assert data["trunk"].null_count() == 1
    assert report.flags == {"caller_flag": {"impossible": 1}}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("name,kind\nA,cloud\n", "needs columns trunk and kind"),
        ("trunk,kind\nA,satellite\n", "row 2: kind 'satellite' of trunk 'A' is not one of"),
        ("trunk,kind\n,cloud\n", "row 2: trunk is empty"),
        ("trunk,kind\nA,cloud\nA,fixed\n", "row 3: trunk 'A' is listed as cloud already"),
    ],
)
def test_a_wrong_trunk_table_names_the_file_and_row(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = write(tmp_path / "trunks.csv", text)
    with pytest.raises(ConfigError, match=problem) as caught:
        load_trunks(path)
    assert str(path) in str(caught.value)


def test_a_trunk_table_is_for_calls(tmp_path: Path) -> None:
    table = load_trunks(write(tmp_path / "trunks.csv", TRUNKS))
    sms = write(
        tmp_path / "sms.csv", "sender,recipient,sent_time,length\n95588,13812345678,2026-07-08,70\n"
    )
    with pytest.raises(ConfigError, match="applies to calls"):
        ingest(sms, load_mapping("sms"), tmp_path / "out", trunks=table)


def test_cli_ingest_with_trunks_prints_the_flagged_rows(tmp_path: Path) -> None:
    source = calls_csv(tmp_path / "calls.csv", [(c, t) for c, t, _ in ROWS])
    trunks = write(tmp_path / "trunks.csv", TRUNKS)
    done = subprocess.run(
        [sys.executable, "-m", "callwarden", "ingest", str(source), "--out",
         str(tmp_path / "out"), "--trunks", str(trunks)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "flagged" in done.stdout and "trunk_mismatch" in done.stdout
    assert "cloud_trunk_mobile" in done.stdout
