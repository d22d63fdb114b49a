"""The simulated city: deterministic per seed, and every actor shows its defining behaviour."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest

from callwarden.network import is_valid_number
from callwarden.numbers import NumberKind, classify, presented_series, try_normalise
from callwarden.records.trunks import load_trunks
from callwarden.simulate import SimulationConfig, simulate_city
from callwarden.simulate.config import CloudTrunkConfig, SpoofedWangiriConfig

SUBSCRIBERS = 6000


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for record in ("calls", "sms", "subscribers", "labels"):
        frame = pl.read_parquet(sorted((root / record).rglob("*.parquet")), hive_partitioning=False)
        h.update(frame.write_csv().encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("city")
    # the cloud-trunk campaign is off by default; this city has one
    cloud = CloudTrunkConfig(per_million=5, minimum=1)
    simulate_city(
        SimulationConfig(subscribers=SUBSCRIBERS, days=2, seed=11, cloud_trunk=cloud), out
    )
    return out


@pytest.fixture(scope="module")
def calls(city: Path) -> pl.DataFrame:
    return pl.read_parquet(sorted((city / "calls").rglob("*.parquet")), hive_partitioning=False)


@pytest.fixture(scope="module")
def labels(city: Path) -> pl.DataFrame:
    return pl.read_parquet(city / "labels")


@pytest.fixture(scope="module")
def subscribers(city: Path) -> pl.DataFrame:
    return pl.read_parquet(city / "subscribers")


def _of(labels: pl.DataFrame, actor: str) -> list[str]:
    return labels.filter(pl.col("actor") == actor)["msisdn"].to_list()


def test_same_seed_same_files_other_seed_other_city(tmp_path: Path) -> None:
    cfg = SimulationConfig(subscribers=800, seed=3)
    simulate_city(cfg, tmp_path / "a")
    simulate_city(cfg, tmp_path / "b")
    simulate_city(cfg.model_copy(update={"seed": 4}), tmp_path / "c")
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_partitioned_by_local_day(city: Path, calls: pl.DataFrame) -> None:
    days = sorted(p.name for p in (city / "calls").iterdir())
    assert days == ["day=2026-07-08", "day=2026-07-09"]
    local = calls["start_time"].dt.convert_time_zone("Asia/Shanghai").dt.date().unique().sort()
    assert [d.isoformat() for d in local] == ["2026-07-08", "2026-07-09"]


def test_every_number_is_valid_e164_but_the_spoofed_ones(
    calls: pl.DataFrame, subscribers: pl.DataFrame, labels: pl.DataFrame
) -> None:
    spoofed = set(_of(labels, "spoofed_caller_id"))
    numbers = pl.concat([calls["caller"], calls["callee"], subscribers["msisdn"]]).unique()
    bad = {n for n in numbers.to_list() if try_normalise(n)[0] != n}
    assert bad == spoofed
    assert calls["call_id"].is_unique().all()
    # what ingest would say of each number, the simulator says too
    _, caller_flag, _ = presented_series(calls["caller"])
    _, callee_flag, _ = presented_series(calls["callee"])
    assert calls["callee_flag"].equals(callee_flag, check_names=False)
    own = caller_flag.is_not_null()
    assert calls["caller_flag"].filter(own).equals(caller_flag.filter(own), check_names=False)
    assert set(calls.filter(own)["caller"].unique()) == spoofed


def test_drawn_landlines_are_all_in_the_numbering_plan() -> None:
    from callwarden.simulate.population import _AREA_CODES, _landlines  # noqa: PLC0415

    numbers = _landlines(20_000, _AREA_CODES, salt=19)
    assert len(set(numbers.tolist())) == numbers.shape[0]
    bad = [n for n in numbers.tolist() if try_normalise(f"+{n}")[0] != f"+{n}"]
    assert bad == []


def test_every_actor_type_is_present(labels: pl.DataFrame) -> None:
    actors = set(labels["actor"].unique())
    assert {
        "normal", "courier", "ride_hailing", "sales_agent", "service_line", "sms_service_port",
        "relay_call", "robocall", "robocall_rotation", "simbox", "sms_spam", "wangiri",
        "spoofed_caller_id", "cloud_trunk",
    } <= actors  # fmt: skip
    fraud = labels.filter(~pl.col("label").is_in(["normal", "legit_heavy"]))
    assert fraud["behaviour_start"].null_count() == 0
    assert labels.filter(pl.col("label") == "normal")["behaviour_start"].null_count() == (
        labels.filter(pl.col("label") == "normal").height
    )


def test_normal_circles_are_reciprocal(calls: pl.DataFrame, labels: pl.DataFrame) -> None:
    normal = set(_of(labels, "normal"))
    pairs = calls.filter(pl.col("caller").is_in(normal) & pl.col("callee").is_in(normal))
    edges = pairs.select("caller", "callee").unique()
    back = edges.join(
        edges.rename({"caller": "callee", "callee": "caller"}), on=["caller", "callee"]
    )
    assert back.height / edges.height > 0.3
    per_person = calls.filter(pl.col("caller").is_in(normal)).group_by("caller").len()
    assert 3 < per_person["len"].mean() < 15  # type: ignore[operator]


def test_relay_calls_come_every_two_minutes_to_strangers(
    calls: pl.DataFrame, labels: pl.DataFrame, subscribers: pl.DataFrame
) -> None:
    relays = labels.filter(pl.col("actor") == "relay_call")
    owners = subscribers.join(relays, on="msisdn")
    ages = 2026 - owners["owner_birth_year"]
    assert ((ages >= 65) | (ages <= 17)).all()
    burst = calls.join(
        relays.select("msisdn", "behaviour_start"), left_on="caller", right_on="msisdn"
    )
    burst = burst.filter(
        (pl.col("start_time") >= pl.col("behaviour_start"))
        & (pl.col("start_time") < pl.col("behaviour_start") + pl.duration(minutes=30))
    ).sort("caller", "start_time")
    gaps = burst.with_columns(gap=pl.col("start_time").diff().over("caller").dt.total_seconds())
    median_gap = gaps.group_by("caller").agg(pl.col("gap").median())["gap"]
    # most relays dial every ~120 s; the slower ones every 150-300 s
    assert (median_gap.is_between(90, 320)).all()
    assert ((median_gap - 120).abs() < 25).mean() > 0.5  # type: ignore[operator]
    distinct = burst.group_by("caller").agg(share=pl.col("callee").n_unique() / pl.len())
    assert (distinct["share"] > 0.9).all()


def test_robocalls_are_many_short_and_mostly_unanswered(
    calls: pl.DataFrame, labels: pl.DataFrame
) -> None:
    robo = calls.filter(pl.col("caller").is_in(_of(labels, "robocall")))
    per_day = robo.group_by("caller", pl.col("start_time").dt.date()).len()
    assert per_day["len"].min() >= 100  # type: ignore[operator]
    assert (robo["duration_s"] == 0).mean() > 0.7  # type: ignore[operator]
    assert robo.filter(pl.col("duration_s") > 0)["duration_s"].max() < 30  # type: ignore[operator]
    # sequential dialers: consecutive callee numbers
    steps = robo.sort("caller", "start_time").with_columns(
        step=pl.col("callee").str.slice(1).cast(pl.Int64).diff().over("caller")
    )
    assert (steps["step"] == 1).sum() > 100


def test_rotation_campaigns_stay_under_per_number_limits(
    calls: pl.DataFrame, labels: pl.DataFrame
) -> None:
    members = labels.filter(pl.col("actor") == "robocall_rotation")
    camp = calls.join(members.select("msisdn", "group_id"), left_on="caller", right_on="msisdn")
    per_number = camp.group_by("caller", pl.col("start_time").dt.date()).len()
    assert per_number["len"].max() <= 25  # type: ignore[operator]
    sizes = members.group_by("group_id").len()
    assert sizes["len"].min() >= 20  # type: ignore[operator]
    kinds = {classify(n) for n in members["msisdn"]}
    assert kinds <= {NumberKind.VIRTUAL_MOBILE, NumberKind.LANDLINE}
    hours = camp["start_time"].dt.convert_time_zone("Asia/Shanghai").dt.hour()
    assert hours.is_between(9, 17).all()
    # one shared list: most targets are dialled by more than one of the campaign's numbers
    shared = camp.group_by("group_id", "callee").agg(lines=pl.col("caller").n_unique())
    assert (shared["lines"] > 1).mean() > 0.3  # type: ignore[operator]


def test_wangiri_rings_once_from_abroad(calls: pl.DataFrame, labels: pl.DataFrame) -> None:
    sources = _of(labels, "wangiri")
    rings = calls.filter(pl.col("caller").is_in(sources))
    assert all(classify(n) is NumberKind.INTERNATIONAL for n in sources)
    assert (rings["duration_s"] == 0).all()
    assert rings["ring_s"].max() <= 3  # type: ignore[operator]
    assert rings["callee"].n_unique() > 0.9 * rings.height


def test_simboxes_share_a_cell_and_devices_and_never_receive(
    calls: pl.DataFrame, labels: pl.DataFrame
) -> None:
    box = labels.filter(pl.col("actor") == "simbox")
    sims = box["msisdn"].to_list()
    assert calls.filter(pl.col("callee").is_in(sims)).height == 0
    out = calls.join(box.select("msisdn", "group_id"), left_on="caller", right_on="msisdn")
    per_box = out.group_by("group_id").agg(
        cells=pl.col("caller_cell").n_unique(),
        imeis=pl.col("caller_imei").n_unique(),
        sims=pl.col("caller").n_unique(),
    )
    assert (per_box["cells"] == 1).all()
    assert (per_box["imeis"] < per_box["sims"]).all()


def test_heavy_honest_callers_get_callbacks(calls: pl.DataFrame, labels: pl.DataFrame) -> None:
    for actor in ("courier", "ride_hailing", "sales_agent"):
        numbers = _of(labels, actor)
        out = calls.filter(pl.col("caller").is_in(numbers))
        back = calls.filter(pl.col("callee").is_in(numbers))
        assert out.height / len(numbers) > 15, actor
        assert back.height > 0.1 * out.height, actor
        assert (out["duration_s"] > 0).mean() > 0.6, actor  # type: ignore[operator]


def test_service_lines_are_allow_listed_enterprises(
    labels: pl.DataFrame, subscribers: pl.DataFrame
) -> None:
    lines = subscribers.join(
        labels.filter(pl.col("actor").is_in(["service_line", "sms_service_port"])), on="msisdn"
    )
    assert lines["whitelisted"].all()
    assert (lines["owner_type"] == "enterprise").all()
    assert subscribers.filter(pl.col("whitelisted")).height == lines.height


def test_sms_spam_sends_templates_to_strangers(city: Path, labels: pl.DataFrame) -> None:
    sms = pl.read_parquet(sorted((city / "sms").rglob("*.parquet")), hive_partitioning=False)
    spam = sms.filter(pl.col("sender").is_in(_of(labels, "sms_spam")))
    per_day = spam.group_by("sender", pl.col("sent_time").dt.date()).len()
    assert per_day["len"].min() >= 100  # type: ignore[operator]
    # spammers are people too: a few personal texts (content not kept) among the spam
    assert spam["content"].null_count() < 0.05 * spam.height
    texts = spam.drop_nulls("content")
    assert (texts["length"] == texts["content"].str.len_chars()).all()
    assert spam["recipient"].n_unique() > 0.8 * spam.height
    normal = sms.filter(pl.col("sender").is_in(_of(labels, "normal")))
    assert normal["content"].null_count() == normal.height


def test_spoofed_wangiri_rings_once_from_numbers_nobody_can_own(
    calls: pl.DataFrame, labels: pl.DataFrame
) -> None:
    spoofed = labels.filter(pl.col("label") == "spoofed_caller_id")
    assert spoofed.height >= 1
    assert spoofed["group_id"].str.starts_with("spoofed_caller_id-").all()
    for number in spoofed["msisdn"]:
        assert not is_valid_number(number)
        assert not number.startswith("+86")
    burst = calls.filter(pl.col("caller").is_in(spoofed["msisdn"].implode()))
    per_day = burst.group_by("caller", pl.col("start_time").dt.date()).len()
    assert per_day["len"].min() >= 30  # type: ignore[operator]
    assert (burst["duration_s"] == 0).all()
    assert (burst["ring_s"] <= 3).all()  # type: ignore[operator]
    assert set(burst["trunk"]) == {"GW-INTL-01"}
    assert set(burst["caller_flag"]) <= {"impossible", "malformed", "unallocated"}


def test_cloud_trunk_campaign_rotates_mobile_numbers_on_a_cloud_trunk(
    city: Path, calls: pl.DataFrame, labels: pl.DataFrame
) -> None:
    members = labels.filter(pl.col("label") == "cloud_trunk")
    assert members.height >= 20
    assert members["group_id"].str.starts_with("cloud_trunk-").all()
    assert members["behaviour_start"].null_count() == 0
    assert all(classify(n) is NumberKind.MOBILE for n in members["msisdn"])
    placed = calls.filter(pl.col("caller").is_in(members["msisdn"].implode()))
    assert set(placed["trunk"]) == {"CLOUD-VOIP-01"}
    assert set(placed["caller_flag"]) == {"cloud_trunk_mobile"}
    # each number is a handful of calls: rotation keeps them under per-number limits
    per_number = placed.group_by("caller", pl.col("start_time").dt.date()).len()["len"]
    assert per_number.max() <= 15  # type: ignore[operator]
    trunks = load_trunks(city / "trunks.csv")
    assert trunks.kinds["CLOUD-VOIP-01"] == "cloud"
    assert set(calls["trunk"].unique()) <= set(trunks.kinds)


def test_honest_calls_come_in_on_their_networks_trunks(
    calls: pl.DataFrame, subscribers: pl.DataFrame, labels: pl.DataFrame
) -> None:
    own = subscribers["msisdn"].implode()
    people = calls.filter(pl.col("caller").is_in(_of(labels, "normal")))
    assert set(people["trunk"]) == {"MSC-SC-01"}
    outside = calls.filter(~pl.col("caller").is_in(own) & pl.col("caller").str.starts_with("+86"))
    outside = outside.filter(~pl.col("caller").is_in(labels["msisdn"].implode()))
    assert set(outside["trunk"]) <= {"IC-CU-01", "IC-CT-01", "IC-CBN-01", "IC-FIX-01"}
    assert outside["caller_flag"].null_count() == outside.height
    wangiri = calls.filter(pl.col("caller").is_in(_of(labels, "wangiri")))
    assert set(wangiri["trunk"]) == {"GW-INTL-01"}


def test_new_campaigns_leave_the_rest_of_the_city_as_it_was(tmp_path: Path) -> None:
    """The same seed gives the other actors the same calls with or without the campaigns."""
    base = SimulationConfig(subscribers=800, seed=3, cloud_trunk=CloudTrunkConfig(minimum=1))
    quiet = base.model_copy(
        update={
            "spoofed_wangiri": SpoofedWangiriConfig(per_million=0, minimum=0),
            "cloud_trunk": CloudTrunkConfig(per_million=0, minimum=0),
        }
    )
    simulate_city(base, tmp_path / "with")
    simulate_city(quiet, tmp_path / "without")
    columns = ["caller", "callee", "start_time", "duration_s", "ring_s", "caller_cell"]

    def others(root: Path) -> pl.DataFrame:
        labels = pl.read_parquet(root / "labels")
        new = labels.filter(pl.col("label").is_in(["spoofed_caller_id", "cloud_trunk"]))
        calls = pl.read_parquet(root / "calls", hive_partitioning=False)
        gone = new["msisdn"].implode()
        kept = calls.filter(~pl.col("caller").is_in(gone) & ~pl.col("callee").is_in(gone))
        return kept.select(columns).sort(columns)

    assert others(tmp_path / "with").equals(others(tmp_path / "without"))
