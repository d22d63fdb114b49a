"""Registrations and complaints files row by row, and the campaign file's checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from callwarden.errors import ConfigError, InputFileError
from callwarden.realname.campaign import Campaign
from callwarden.realname.feeds import read_complaints, read_registrations

PHASES = {
    "reminder": ["2026-09-01", "2026-09-30"],
    "suspension": ["2026-10-01", "2026-10-10"],
    "registration": ["2026-10-11", "2026-11-30"],
    "termination": ["2026-12-01", "2026-12-15"],
}


def test_registrations_bad_rows_set_aside_and_counts_add_up(tmp_path: Path) -> None:
    f = tmp_path / "regs.csv"
    f.write_text(
        "msisdn,registered_at,channel\n"
        "13812345678,2026-10-02T09:30:00+08:00,business_hall\n"
        "+447911123456,2026-10-02T01:30:00Z,online\n"
        "12,2026-10-02T01:30:00Z,online\n"
        "13812345679,yesterday,online\n"
        "13812345670,2026-10-02T01:30:00Z,by pigeon\n",
        encoding="utf-8",
    )
    feed = read_registrations(f)
    assert feed.read == 5 and feed.rows.height == 2
    assert feed.rows["msisdn"].to_list() == ["+8613812345678", "+447911123456"]
    assert feed.rows["registered_at"][0].hour == 1  # 09:30 in Shanghai is 01:30 UTC
    assert [r["line"] for r in feed.rejected] == [3, 4, 5]
    assert "channel" in feed.rejected[2]["reason"]


def test_complaints_checked_and_duplicates_kept_once(tmp_path: Path) -> None:
    f = tmp_path / "c.csv"
    f.write_text(
        "complaint_id,msisdn,at,topic,channel,resolved,satisfaction\n"
        "a1,13812345678,2026-10-02T01:00:00Z,suspension,hotline,true,5\n"
        "a1,13812345678,2026-10-02T01:00:00Z,suspension,hotline,true,5\n"
        "a2,13812345678,2026-10-02T01:00:00Z,weather,hotline,true,\n"
        "a3,13812345678,2026-10-02T01:00:00Z,refund,hotline,maybe,\n"
        "a4,13812345678,2026-10-02T01:00:00Z,refund,hotline,no,9\n"
        "a5,13812345678,2026-10-02T01:00:00Z,refund,12321,no,\n",
        encoding="utf-8",
    )
    feed = read_complaints(f)
    assert feed.read == 6 and feed.rows["complaint_id"].to_list() == ["a1", "a5"]
    reasons = [r["reason"].split(":")[0] for r in feed.rejected]
    assert sorted(reasons) == ["complaint_id", "resolved", "satisfaction", "topic"]
    assert feed.rows["satisfaction"].to_list() == [5, None]


def test_a_file_without_the_columns_is_an_error_naming_it(tmp_path: Path) -> None:
    f = tmp_path / "regs.csv"
    f.write_text("number,when\n1,2\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"regs.csv: missing column\(s\) msisdn"):
        read_registrations(f)
    with pytest.raises(InputFileError, match="no such file"):
        read_complaints(tmp_path / "nothing.csv")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"suspension": {"batches": 11}}, "11 batches do not fit"),
        ({"kinds": {"prepaid": {}}}, "unknown kind"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"name": "a b"}, "name"),
        ({"language": "fr"}, "language"),
    ],
)
def test_campaign_file_mistakes_name_the_field(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Campaign.model_validate({"name": "t", "phases": PHASES} | change)
    f = tmp_path / "c.toml"
    f.write_text(
        'name = "t"\n[phases]\nreminder = ["2026-09-01", "2026-08-01"]\n'
        'suspension = ["2026-10-01", "2026-10-10"]\nregistration = ["2026-10-11", "2026-11-30"]\n'
        'termination = ["2026-12-01", "2026-12-15"]\n'
    )
    with pytest.raises(ConfigError, match="reminder: ends"):
        Campaign.load(f)


def test_the_schedule() -> None:
    c = Campaign.model_validate({"name": "t", "phases": PHASES, "suspension": {"batches": 4}})
    assert c.batch_of("+8613800001237") == 1237 % 4
    assert c.phase_on(c.phases.registration[0]) == "registration"
    assert c.phase_on(c.phases.termination[1]) == "termination"
    assert c.phase_on(c.phases.termination[1] + (c.phases.termination[1] - c.first_day)) is None
    assert c.is_reminder_day(c.phases.reminder[0]) and not c.is_reminder_day(c.phases.suspension[0])
    # a custom text wins over the built-in one; the other language keeps its own
    custom = Campaign.model_validate(
        {"name": "t", "phases": PHASES, "kinds": {"corporate": {"bring_zh": "公函"}}}
    )
    assert custom.bring("corporate", "zh") == "公函"
    assert "business licence" in custom.bring("corporate", "en")
    assert custom.kinds["never_registered"].ivr_tag == "RN_NONE"  # the others keep defaults
