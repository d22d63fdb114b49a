"""The policy's promise, call by call: lists, marks, the IVR challenge, hours and routes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from callwarden.errors import ConfigError
from callwarden.reputation.categories import Category
from callwarden.screen.callers import caller_of
from callwarden.screen.decide import decide
from callwarden.screen.policy import parse_policy

POLICY = """
name = "acme"
allow = ["13800000001"]
block = ["13900000002"]
block_prefixes = ["+86170"]
default_queue = "agents"
foreign_caller = "challenge"

[[bands]]
categories = ["verified_business"]
min_score = 0.5
action = "allow"

[[bands]]
categories = ["fraud"]
min_score = 0.5
action = "block"

[[bands]]
categories = ["marketing", "real_estate", "loans_finance", "fraud"]
min_score = 0.2
action = "challenge"

[challenge]
code = "8"
retries = 3

[[routes]]
queue = "south"
regions = ["广东", "Guangxi"]

[[routes]]
queue = "night"
hours = "18:00-09:00"

[hours]
open = "08:00-20:00"
days = ["mon", "tue", "wed", "thu", "fri"]
closed_on = ["2026-10-01"]
auto_reply_queue = "closed"
"""
P = parse_policy(POLICY, "acme.toml")
# a Wednesday, 10:00 in Shanghai
AT = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
FRAUD = [(Category.FRAUD, 0.9)]
MARKETING = [(Category.MARKETING, 0.4)]


def test_key_customers_are_never_blocked_whatever_their_marks() -> None:
    d = decide(P, caller_of("13800000001"), FRAUD, AT)
    assert d.action == "allow" and d.queue == "agents"
    assert [r.code for r in d.reasons] == ["allow_list"]


def test_block_list_prefixes_and_strong_fraud_marks_block() -> None:
    assert decide(P, caller_of("13900000002"), [], AT).action == "block"
    assert decide(P, caller_of("17012345678"), [], AT).action == "block"
    d = decide(P, caller_of("13812345678"), FRAUD, AT)
    assert (d.action, d.queue, d.category) == ("block", None, "fraud")
    assert "诈骗" in d.reasons[0].text_zh and "fraud" in d.reasons[0].text_en


def test_the_first_matching_band_decides() -> None:
    both = [(Category.VERIFIED_BUSINESS, 0.8), (Category.FRAUD, 0.9)]
    assert decide(P, caller_of("13812345678"), both, AT).action == "allow"
    weak_fraud = [(Category.FRAUD, 0.3)]
    assert decide(P, caller_of("13812345678"), weak_fraud, AT).action == "challenge"


def test_the_challenge_lets_the_right_code_on_and_blocks_after_the_retry_limit() -> None:
    caller = caller_of("13812345678")
    first = decide(P, caller, MARKETING, AT)
    assert (first.action, first.queue) == ("challenge", "ivr")
    passed = decide(P, caller, MARKETING, AT, ivr_input="8")
    assert passed.action == "allow" and "challenge_passed" in [r.code for r in passed.reasons]
    again = decide(P, caller, MARKETING, AT, ivr_input="1", failures=0)
    assert (again.action, again.wrong_code) == ("challenge", True)
    assert "2" in again.reasons[-1].text_en
    last = decide(P, caller, MARKETING, AT, ivr_input="1", failures=2)
    assert (last.action, last.reasons[-1].code) == ("block", "challenge_failed")


def test_spoofed_withheld_and_foreign_callers_never_crash_the_path() -> None:
    for raw in ("+999123456", "+8612345678901", "anonymous", "", "\x00\ud800", "9" * 300, "+0"):
        d = decide(P, caller_of(raw), [], AT)
        assert d.action == "challenge" and d.reasons[0].code.startswith("odd_caller")
    foreign = decide(P, caller_of("+14155550123"), [], AT)
    assert foreign.action == "challenge" and foreign.reasons[0].code == "foreign_caller"


def test_routing_by_region_time_and_the_out_of_hours_auto_reply() -> None:
    south = decide(P, caller_of("15920012345"), [], AT)  # Shenzhen, Guangdong
    assert (south.action, south.queue) == ("route", "south")
    assert "广东" in south.reasons[-1].text_zh
    evening = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)  # 19:00 in Shanghai
    assert decide(P, caller_of("13812345678"), [], evening).queue == "night"
    night = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)  # 22:00: closed
    closed = decide(P, caller_of("13812345678"), [], night)
    assert (closed.action, closed.queue) == ("route", "closed")
    assert decide(P, caller_of("13812345678"), [], datetime(2026, 10, 1, 2, tzinfo=UTC)).queue == (
        "closed"
    )
    saturday = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    assert decide(P, caller_of("13812345678"), [], saturday).queue == "closed"
    # a blocked caller stays blocked out of hours
    assert decide(P, caller_of("13812345678"), FRAUD, night).action == "block"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('[[bands]]\ncategories = ["fraud"]\naction = "challenge"', "bands.0"),
        ('[[bands]]\ncategories = ["fraud"]\nmin_score = 2\naction = "block"', "bands.0.min_score"),
        ('allow = ["12"]', "allow.0"),
        ('[[routes]]\nqueue = "a b"', "routes.0.queue"),
        ('[hours]\nopen = "9-18"', "hours.open"),
        ('timezone = "Mars/Olympus"', "timezone"),
        ('[challenge]\ncode = "abc"', "challenge.code"),
        ("colour = 1", "colour"),
        ('allow = ["13800000001"]\nblock = ["+8613800000001"]', "both the allow and block"),
    ],
)
def test_a_wrong_policy_names_its_field(text: str, field: str) -> None:
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")) as err:
        parse_policy(text, "p.toml")
    assert str(err.value).startswith("p.toml")


def test_a_policy_that_is_not_toml_says_so() -> None:
    with pytest.raises(ConfigError, match=r"p\.toml: not valid TOML"):
        parse_policy("allow = [", "p.toml")
