"""Numbers from outside the simulator: spoofed (invalid), foreign, other carriers', virtual
operators' and service numbers are scored, and those the operator does not serve are
intercepted, never restricted or suspended; no number string stops scoring.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from callwarden.cli.app import app
from callwarden.detect.live import replay_alerts
from callwarden.detect.scoring import score_records
from callwarden.errors import ConfigError
from callwarden.features.engines.base import Traffic
from callwarden.network import Network, ServedNumbers, network_of

from .records_by_hand import CALL_SCHEMA, subscriber_table

T0 = dt.datetime(2026, 7, 8, 10, tzinfo=dt.UTC)
SPOOFED_LATVIAN = "+371573613369"  # Latvian numbers have 8 digits: nobody can own this one
SPOOFED_MALDIVES = "+960180379979"
FOREIGN = "+447911123456"
OTHER_CARRIER = "+8613012345678"  # China Unicom
VIRTUAL = "+8617012345678"  # a virtual operator's range (host: China Telecom)
SERVICE = "+8695588"
OWN = "+8613800000001"


def burst(
    caller: str, n: int, *, gap_s: int = 60, duration_s: int = 0, ring_s: int | None = 1,
    start: dt.datetime = T0, tag: str = "",
) -> pl.DataFrame:  # fmt: skip
    """``n`` calls from ``caller``, one every ``gap_s`` seconds, each to a different number."""
    return pl.DataFrame(
        {
            "call_id": [f"{tag or caller}-{k:03d}" for k in range(n)],
            "caller": [caller] * n,
            # (far apart, so that it is not sequential dialling)
            "callee": [f"+86139{k * 104_729 + 1_000_000:08d}" for k in range(n)],
            "start_time": [start + dt.timedelta(seconds=gap_s * k) for k in range(n)],
            "duration_s": [duration_s] * n,
            "ring_s": [ring_s] * n,
            "caller_cell": [None] * n,
            "caller_imei": [None] * n,
        },
        schema=CALL_SCHEMA,
    )


def subscribers(numbers: list[str]) -> pl.DataFrame:
    n = len(numbers)
    return subscriber_table(numbers, ["510100"] * n, [1980] * n, dt.date(2020, 1, 1))


def decisions(alerts: pl.DataFrame, msisdn: str) -> list[str]:
    return alerts.filter(pl.col("msisdn") == msisdn)["decision"].to_list()


def codes(alerts: pl.DataFrame, msisdn: str) -> set[str]:
    rows = alerts.filter(pl.col("msisdn") == msisdn)["reasons"].to_list()
    return {r["code"] for reasons in rows for r in reasons}


@pytest.mark.parametrize("number", [SPOOFED_MALDIVES, SPOOFED_LATVIAN, FOREIGN])
def test_a_foreign_wangiri_number_is_intercepted_not_suspended(number: str) -> None:
    alerts = score_records(Traffic(burst(number, 12))).alerts
    got = decisions(alerts, number)
    assert got[-1] == "intercept", got
    assert not {"restrict", "suspend"} & set(got)
    # a valid foreign number is wangiri; an invalid one is first of all a spoofed caller ID
    assert codes(alerts, number) == ({"wangiri"} if number == FOREIGN else {"spoofed_caller_id"})


@pytest.mark.parametrize("number", [SPOOFED_LATVIAN, "+8614012345678", "+0123456789"])
def test_a_few_calls_presenting_an_invalid_number_are_a_spoofed_caller_id(number: str) -> None:
    # connected calls (not wangiri), to five different people in five minutes
    alerts = score_records(Traffic(burst(number, 5, duration_s=90, ring_s=8))).alerts
    assert decisions(alerts, number)[-1] == "intercept"
    assert "spoofed_caller_id" in codes(alerts, number)
    last = alerts.filter(pl.col("msisdn") == number)["reasons"].to_list()[-1]
    reason = next(r for r in last if r["code"] == "spoofed_caller_id")
    assert "5 different numbers" in reason["text_en"]
    assert "5 个不同号码" in reason["text_zh"]


def test_two_calls_from_an_invalid_number_are_not_enough() -> None:
    alerts = score_records(Traffic(burst(SPOOFED_LATVIAN, 2, duration_s=90, ring_s=8))).alerts
    assert alerts.height == 0


def _robocall(number: str) -> pl.DataFrame:
    # forty short calls a minute apart to forty people: relay / autodialer territory
    return burst(number, 40, duration_s=4, ring_s=6, tag=number)


@pytest.mark.parametrize("number", [OTHER_CARRIER, VIRTUAL, SERVICE])
def test_numbers_of_other_operators_are_intercepted(number: str) -> None:
    alerts = score_records(Traffic(_robocall(number), None, subscribers([OWN]))).alerts
    got = decisions(alerts, number)
    assert got and got[-1] == "intercept", got
    assert not {"restrict", "suspend"} & set(got)


def test_the_operators_own_subscribers_are_still_suspended() -> None:
    # a virtual-operator number in the subscriber table is the operator's own
    calls = pl.concat([_robocall(VIRTUAL), _robocall(OWN)])
    alerts = score_records(Traffic(calls, None, subscribers([OWN, VIRTUAL]))).alerts
    assert decisions(alerts, VIRTUAL)[-1] == "suspend"
    assert decisions(alerts, OWN)[-1] == "suspend"
    # without a subscriber table, China Mobile's ranges are served: not the MVNO's
    alerts = score_records(Traffic(calls)).alerts
    assert decisions(alerts, OWN)[-1] == "suspend"
    assert decisions(alerts, VIRTUAL)[-1] == "intercept"


def test_served_prefixes_add_to_the_subscriber_table() -> None:
    calls = pl.concat([_robocall(OTHER_CARRIER), _robocall(OWN)])
    served = ServedNumbers(prefixes=("+86130",))
    alerts = score_records(Traffic(calls, None, subscribers([OWN])), served=served).alerts
    assert decisions(alerts, OTHER_CARRIER)[-1] == "suspend"
    assert decisions(alerts, OWN)[-1] == "suspend"


def test_interceptions_take_nothing_from_the_daily_suspension_cap() -> None:
    from callwarden.decide.policy import PolicyConfig  # noqa: PLC0415

    late = T0 + dt.timedelta(hours=2)
    calls = pl.concat([burst(FOREIGN, 12), _robocall(OTHER_CARRIER),
                       burst(OWN, 40, duration_s=4, ring_s=6, start=late)])  # fmt: skip
    alerts = score_records(Traffic(calls), PolicyConfig(daily_suspension_cap=1)).alerts
    assert decisions(alerts, OWN)[-1] == "suspend"


def _outside_day() -> pl.DataFrame:
    late = T0 + dt.timedelta(minutes=7)
    return pl.concat(
        [
            burst(SPOOFED_MALDIVES, 12),
            burst(SPOOFED_LATVIAN, 6, duration_s=90, ring_s=8, start=late, tag="lv"),
            burst(FOREIGN, 10, gap_s=45),
            _robocall(OTHER_CARRIER),
            _robocall(VIRTUAL),
            _robocall(SERVICE),
            _robocall(OWN),
        ]
    ).sort("start_time", "call_id")


@pytest.mark.parametrize("batch_size", [1, 7, 10_000])
def test_the_stream_decides_as_batch_for_numbers_from_outside(batch_size: int) -> None:
    calls, subs = _outside_day(), subscribers([OWN, VIRTUAL])
    want = score_records(Traffic(calls, None, subs)).alerts
    got = replay_alerts(Traffic(calls, None, subs), batch_size=batch_size)
    assert set(want["decision"]) >= {"intercept", "suspend"}
    assert got.equals(want)


def test_the_command_reads_served_prefixes(tmp_path: Path) -> None:
    _outside_day().write_parquet(tmp_path / "calls.parquet")
    (tmp_path / "served.csv").write_text("prefix\n138\n+86130\n", encoding="utf-8")
    runner = CliRunner()
    base = ["score", str(tmp_path / "calls.parquet"), "--no-subscribers"]
    plain = runner.invoke(app, [*base, "--out", str(tmp_path / "a.parquet")])
    assert plain.exit_code == 0, plain.output
    alerts = pl.read_parquet(tmp_path / "a.parquet")
    assert decisions(alerts, OTHER_CARRIER)[-1] == "intercept"
    served = runner.invoke(app, [*base, "--out", str(tmp_path / "b.parquet"),
                                 "--served", str(tmp_path / "served.csv")])  # fmt: skip
    assert served.exit_code == 0, served.output
    alerts = pl.read_parquet(tmp_path / "b.parquet")
    assert decisions(alerts, OTHER_CARRIER)[-1] == "suspend"
    assert decisions(alerts, SPOOFED_MALDIVES)[-1] == "intercept"
    (tmp_path / "bad.csv").write_text("prefix\nabc\n", encoding="utf-8")
    bad = runner.invoke(app, [*base, "--out", str(tmp_path / "c.parquet"),
                              "--served", str(tmp_path / "bad.csv")])  # fmt: skip
    assert isinstance(bad.exception, ConfigError)
    assert "bad.csv: row 2" in str(bad.exception)


number_text = st.one_of(
    st.just(""),
    st.text(max_size=30),
    st.text(alphabet="+0123456789", max_size=40),
    st.from_regex(r"\+[0-9]{1,25}", fullmatch=True),
    st.sampled_from([SPOOFED_LATVIAN, FOREIGN, OTHER_CARRIER, VIRTUAL, SERVICE, OWN, "+"]),
    st.text(min_size=200, max_size=400),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(number_text, number_text), min_size=1, max_size=6), st.booleans())
def test_no_number_string_stops_scoring(pairs: list[tuple[str, str]], triage: bool) -> None:
    """Whatever the caller and callee columns hold, scoring ends with alerts, never a crash:
    each pair calls in a burst, so triage lets the odd numbers through to the detectors."""
    frames = [
        burst(caller, 6, start=T0 + dt.timedelta(seconds=k), tag=f"p{k}").with_columns(
            callee=pl.lit(callee)
        )
        for k, (caller, callee) in enumerate(pairs)
    ]
    calls = pl.concat(frames)
    alerts = score_records(Traffic(calls, None, subscribers([OWN])), triage=triage).alerts
    assert set(alerts["decision"]) <= {"watch", "review", "restrict", "suspend", "intercept"}
    assert not ({"restrict", "suspend"} & set(alerts.filter(pl.col("msisdn") != OWN)["decision"]))


def test_a_number_in_a_served_range_that_nobody_can_hold_is_not_a_subscriber() -> None:
    served = ServedNumbers()
    assert served.serves("+8613812345678")
    assert not served.serves("+86138123456789")  # one digit too many: spoofed
    assert network_of("+86138123456789", served) is Network.INVALID
