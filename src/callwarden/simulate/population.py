"""The city's people and lines: numbers, owners, places, devices, social circles, roles.

Everything is a numpy array indexed by subscriber, built once per seed; behaviours read it to
generate each day's traffic. Numbers are held as int64 E.164 digits (``8613812345678``) and
become strings only when written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import numpy as np
import phonenumbers
import polars as pl

from callwarden.numbers import presented_number, try_normalise
from callwarden.simulate.config import SimulationConfig
from callwarden.simulate.groups import CityArrays, place_groups

__all__ = ["ACTORS", "LABEL_OF", "Population", "build_population", "luhn_complete"]

#: actor types in code order; the label each one carries in labels.parquet is LABEL_OF
ACTORS: tuple[str, ...] = (
    "normal",
    "courier",
    "ride_hailing",
    "sales_agent",
    "service_line",
    "sms_service_port",
    "relay_call",
    "robocall",
    "robocall_rotation",
    "simbox",
    "sms_spam",
    "wangiri",
    "spoofed_caller_id",
    "cloud_trunk",
    "call_round",
    "reminder_line",
    "sales_team",
    "notice_line",
    "reminder_desk",
    "school_round",
)
A = {name: code for code, name in enumerate(ACTORS)}
LABEL_OF: dict[str, str] = {
    "normal": "normal",
    "courier": "legit_heavy",
    "ride_hailing": "legit_heavy",
    "sales_agent": "legit_heavy",
    "service_line": "legit_heavy",
    "sms_service_port": "legit_heavy",
    "relay_call": "relay_call",
    "robocall": "robocall",
    "robocall_rotation": "robocall_rotation",
    "simbox": "simbox",
    "sms_spam": "sms_spam",
    "wangiri": "wangiri",
    "spoofed_caller_id": "spoofed_caller_id",
    "cloud_trunk": "cloud_trunk",
    "call_round": "legit_heavy",
    "reminder_line": "legit_heavy",
    "sales_team": "legit_heavy",
    "notice_line": "legit_heavy",
    "reminder_desk": "legit_heavy",
    "school_round": "legit_heavy",
}
REALNAME = ("verified", "incomplete", "mismatch", "corporate_unassigned", "none")

# China Mobile prefixes for the city's own subscribers; other carriers for outside numbers.
_OWN_PREFIXES = np.array(
    [134, 135, 136, 137, 138, 139, 147, 150, 151, 152, 157, 158, 159, 172, 178, 182, 183, 184,
     187, 188, 195, 197, 198],
    dtype=np.int64,
)  # fmt: skip
_OTHER_PREFIXES = np.array(
    [130, 131, 132, 155, 156, 166, 175, 176, 185, 186, 133, 153, 173, 177, 180, 181, 189,
     190, 191, 193, 199],
    dtype=np.int64,
)  # fmt: skip
_VIRTUAL_PREFIXES = np.array([170, 171, 162, 165, 167], dtype=np.int64)
# Area codes (without trunk 0) of the cities beside the simulated one, for outside landlines.
_AREA_CODES = np.array([28, 10, 21, 20, 23, 29, 27, 25, 755, 571, 851, 871], dtype=np.int64)
# Foreign regions wangiri numbers come from (one-ring campaigns favour these codes).
WANGIRI_REGIONS = ("TN", "MR", "BY", "BO", "LK", "GN", "SL", "ML", "LV", "MV")
# Regions whose codes spoofed caller IDs borrow (with a number no one there can have).
SPOOFED_REGIONS = ("LV", "MV", "PG", "SO", "TN", "BY", "LK", "MR")
_TACS = np.array([35332011, 86891204, 35875310, 86769104, 35391110, 86460004], dtype=np.int64)
_AGE_BANDS = ((14, 17, 4.0), (18, 24, 10.0), (25, 39, 28.0), (40, 54, 27.0), (55, 64, 15.0),
              (65, 74, 10.0), (75, 90, 6.0))  # fmt: skip


def luhn_complete(body: np.ndarray) -> np.ndarray:
    """Append the Luhn check digit to 14-digit IMEI bodies.

    >>> int(luhn_complete(np.array([49015420323751]))[0])
    490154203237518
    """
    digits = np.stack([(body // 10**k) % 10 for k in range(14)], axis=1)  # k=0 is rightmost
    doubled = digits[:, 0::2] * 2
    total = (doubled // 10 + doubled % 10).sum(axis=1) + digits[:, 1::2].sum(axis=1)
    check = (10 - total % 10) % 10
    return body * 10 + check


def _unique_suffixes(n: int, salt: int, width: int = 8) -> np.ndarray:
    # An affine bijection on [0, 10**width): distinct inputs give distinct, scattered suffixes.
    mod = 10**width
    a = 48_271 if salt % 2 == 0 else 69_621
    return (np.arange(n, dtype=np.int64) * a + 12_345_679 * (salt + 1)) % mod


@dataclass
class Population:
    """All subscribers of the simulated operator, plus the outside numbers they talk to."""

    config: SimulationConfig
    number: np.ndarray  # int64 E.164 digits
    actor: np.ndarray  # uint8 code into ACTORS
    group: np.ndarray  # int32: SIM box / campaign id, -1 when none
    birth_year: np.ndarray  # int16, -1 = unknown (enterprise lines)
    enterprise: np.ndarray  # bool
    activated_on: np.ndarray  # datetime64[D]
    realname: np.ndarray  # uint8 code into REALNAME
    region: np.ndarray  # uint8 code into config.regions
    whitelisted: np.ndarray  # bool
    home_cell: np.ndarray  # int32
    work_cell: np.ndarray  # int32
    imei: np.ndarray  # int64
    persons: np.ndarray  # indices of people with a social life, in community order
    circle_pos: np.ndarray  # int64 per subscriber: position in `persons`, -1 for lines
    external: np.ndarray  # int64 numbers of other networks (mobiles, landlines, services)
    wangiri: np.ndarray  # int64 foreign numbers of wangiri callers
    n_cells: int
    #: int64 caller IDs of spoofed-ID wangiri: a real country code, an impossible number
    spoofed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: int64 mobile numbers presented by cloud-trunk campaigns, and each one's campaign
    cloud: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    cloud_group: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))

    @property
    def size(self) -> int:
        return int(self.number.shape[0])

    def of(self, actor: str) -> np.ndarray:
        """Indices of the subscribers playing one actor type."""
        return np.flatnonzero(self.actor == A[actor])

    @cached_property
    def _by_number(self) -> np.ndarray:
        return np.argsort(self.number)

    def index_of(self, numbers: np.ndarray) -> np.ndarray:
        """Subscriber index of each number, -1 for numbers outside the network."""
        order = self._by_number
        pos = np.minimum(np.searchsorted(self.number, numbers, sorter=order), order.shape[0] - 1)
        idx = order[pos]
        return np.where(self.number[idx] == numbers, idx, -1)

    def age(self, day: date) -> np.ndarray:
        return np.where(self.birth_year > 0, day.year - self.birth_year, -1)


def _mobiles(n: int, prefixes: np.ndarray, salt: int) -> np.ndarray:
    idx = np.arange(n, dtype=np.int64)
    prefix = prefixes[(idx * 7 + salt) % prefixes.shape[0]]
    return 86 * 10**11 + prefix * 10**8 + _unique_suffixes(n, salt)


_CN = phonenumbers.PhoneMetadata.metadata_for_region("CN")
assert _CN is not None and _CN.fixed_line is not None and _CN.general_desc is not None  # noqa: S101
_FIXED = f"^(?:{_CN.fixed_line.national_number_pattern})$"
_GENERAL = f"^(?:{_CN.general_desc.national_number_pattern})$"


def _landlines(n: int, area_codes: np.ndarray, salt: int) -> np.ndarray:
    """``n`` distinct landline numbers that phonenumbers accepts (some local ranges, such as
    Beijing's 800x, are not in service, so candidates outside the plan are skipped)."""
    tries = int(n * 1.3) + 64
    idx = np.arange(tries, dtype=np.int64)
    area = area_codes[(idx * 5 + salt) % area_codes.shape[0]]
    local = 60_000_000 + _unique_suffixes(tries, salt) % 30_000_000  # 8-digit 6xxxxxxx-8xxxxxxx
    area_width = np.where(area >= 100, 1000, 100)
    national = area * 10**8 + local
    text = pl.Series(national).cast(pl.String)
    valid = (text.str.contains(_FIXED) & text.str.contains(_GENERAL)).to_numpy()
    chosen = ((86 * area_width + area) * 10**8 + local)[valid]
    if chosen.shape[0] < n:
        raise ValueError(f"could not draw {n} valid landline numbers")
    return chosen[:n]


def _foreign(n: int, rng: np.random.Generator) -> np.ndarray:
    out = np.empty(n, dtype=np.int64)
    templates = []
    for region in WANGIRI_REGIONS:
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        if example is not None:
            templates.append((example.country_code, example.national_number))
    filled = 0
    while filled < n:  # keep only numbers the validator accepts, like real CDRs would show
        cc, national = templates[int(rng.integers(len(templates)))]
        candidate = int(f"{cc}{(national or 0) // 10_000}{int(rng.integers(10_000)):04d}")
        if try_normalise(f"+{candidate}")[0] is not None and candidate not in out[:filled]:
            out[filled] = candidate
            filled += 1
    return out


def _spoofed(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` distinct caller IDs with a real country code and a number nobody there can have:
    a mobile number of the region with one digit too many (``+371573613369``)."""
    templates = []
    for region in SPOOFED_REGIONS:
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        if example is not None:
            templates.append((example.country_code, str(example.national_number)))
    out: list[int] = []
    while len(out) < n:
        cc, national = templates[int(rng.integers(len(templates)))]
        body = national[:3] + "".join(str(d) for d in rng.integers(0, 10, size=len(national) - 2))
        candidate = int(f"{cc}{body}")
        stored, flag, _ = presented_number(f"+{candidate}")
        if stored == f"+{candidate}" and flag is not None and candidate not in out:
            out.append(candidate)
    return np.array(out, dtype=np.int64)


def _cloud_numbers(
    sizes: np.ndarray, taken: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Other carriers' mobile numbers for each cloud campaign (none the city already knows),
    and the campaign of each."""
    total = int(sizes.sum())
    numbers = np.zeros(0, dtype=np.int64)
    while numbers.shape[0] < total:
        k = total - numbers.shape[0] + 16
        prefix = _OTHER_PREFIXES[rng.integers(0, _OTHER_PREFIXES.shape[0], size=k)]
        drawn = 86 * 10**11 + prefix * 10**8 + rng.integers(0, 10**8, size=k)
        drawn = drawn[~np.isin(drawn, taken) & ~np.isin(drawn, numbers)]
        numbers = np.concatenate([numbers, np.unique(drawn)])[:total]
    group = np.repeat(np.arange(sizes.shape[0], dtype=np.int32), sizes)
    return numbers, group


def _honest_look_alikes(
    config: SimulationConfig,
    actor: np.ndarray,
    age: np.ndarray,
    birth_year: np.ndarray,
    enterprise: np.ndarray,
    number: np.ndarray,
    free: np.ndarray,
    n_persons: int,
) -> None:
    """Call rounds and reminder lines, drawn from people still free, in place: a stream of
    their own, so the rest of the city is what the same seed gave without them (and an
    ordinary city, which has none, is unchanged)."""
    rounds, lines = (
        config.call_round.count(config.subscribers),
        config.reminder_line.count(config.subscribers),
    )
    if rounds + lines == 0:
        return
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, 0x10CA1]))
    p_age = age[:n_persons]
    person_idx = np.arange(n_persons)

    def pick(k: int, mask: np.ndarray) -> np.ndarray:
        pool = person_idx[free & mask & (actor[:n_persons] == A["normal"])]
        chosen = np.sort(rng.choice(pool, size=min(k, pool.shape[0]), replace=False))
        free[chosen] = False
        return chosen

    retired = round(rounds * config.call_round.retired_share)
    actor[pick(retired, (p_age >= 60) & (p_age <= 72))] = A["call_round"]
    actor[pick(rounds - retired, (p_age >= 25) & (p_age <= 55))] = A["call_round"]
    desk = pick(lines, np.ones(n_persons, dtype=bool))
    actor[desk] = A["reminder_line"]
    birth_year[desk] = -1
    enterprise[desk] = True
    number[desk] = _landlines(desk.shape[0], _AREA_CODES[:1], salt=29)


def build_population(config: SimulationConfig) -> Population:
    """Lay out the city for ``config.seed``: same seed, same people, same numbers."""
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, 0xC17]))
    n = config.subscribers
    counts = {
        "courier": config.courier.count(n),
        "ride_hailing": config.ride_hailing.count(n),
        "sales_agent": config.sales_agent.count(n),
        "service_line": config.service_line.count(n),
        "sms_service_port": config.sms_service_port.count(n),
        "relay_call": config.relay_call.count(n),
        "robocall": config.robocall.count(n),
        "sms_spam": config.sms_spam.count(n),
    }
    campaigns = config.rotation.count(n)
    campaign_sizes = rng.integers(*config.rotation.numbers, endpoint=True, size=campaigns)
    boxes = config.simbox.count(n)
    box_sizes = rng.integers(*config.simbox.sims, endpoint=True, size=boxes)
    n_lines = (
        counts["service_line"]
        + counts["sms_service_port"]
        + counts["robocall"]
        + int(campaign_sizes.sum())
        + int(box_sizes.sum())
    )
    n_persons = n - n_lines
    if n_persons < n // 2:
        raise ValueError(
            f"{n} subscribers are too few for the configured actors ({n_lines} machine lines)"
        )

    actor = np.zeros(n, dtype=np.uint8)
    group = np.full(n, -1, dtype=np.int32)
    # Machine lines take the top of the index range, block by block.
    cursor = n_persons
    line_blocks: list[tuple[str, int]] = [
        ("service_line", counts["service_line"]),
        ("sms_service_port", counts["sms_service_port"]),
        ("robocall", counts["robocall"]),
    ]
    for name, k in line_blocks:
        actor[cursor : cursor + k] = A[name]
        cursor += k
    for gid, k in enumerate(campaign_sizes):
        actor[cursor : cursor + k] = A["robocall_rotation"]
        group[cursor : cursor + k] = gid
        cursor += int(k)
    for gid, k in enumerate(box_sizes):
        actor[cursor : cursor + k] = A["simbox"]
        group[cursor : cursor + k] = gid
        cursor += int(k)

    # Owners' ages: people get a birth year, lines owned by companies do not.
    bands = np.array([w for *_, w in _AGE_BANDS])
    band = rng.choice(len(_AGE_BANDS), size=n, p=bands / bands.sum())
    lo = np.array([b[0] for b in _AGE_BANDS])[band]
    hi = np.array([b[1] for b in _AGE_BANDS])[band]
    age = rng.integers(lo, hi, endpoint=True)
    birth_year = (config.start_date.year - age).astype(np.int16)

    # Person roles, drawn with the ages that fit them.
    person_idx = np.arange(n_persons)
    free = np.ones(n_persons, dtype=bool)

    def pick(k: int, mask: np.ndarray) -> np.ndarray:
        pool = person_idx[free & mask]
        chosen = rng.choice(pool, size=min(k, pool.shape[0]), replace=False)
        free[chosen] = False
        return np.sort(chosen)

    p_age = age[:n_persons]
    relay = counts["relay_call"]
    minors = round(relay * config.relay_call.minor_share)
    actor[pick(relay - minors, p_age >= 65)] = A["relay_call"]
    actor[pick(minors, p_age <= 17)] = A["relay_call"]
    working = (p_age >= 20) & (p_age <= 58)
    for name in ("courier", "ride_hailing", "sales_agent"):
        actor[pick(counts[name], working)] = A[name]
    actor[pick(counts["sms_spam"], (p_age >= 18) & (p_age <= 60))] = A["sms_spam"]

    # Numbers: people and most lines on the operator's mobile ranges.
    number = _mobiles(n, _OWN_PREFIXES, salt=config.seed % 997)
    is_line = np.arange(n) >= n_persons
    service = actor == A["service_line"]
    number[service] = _landlines(int(service.sum()), _AREA_CODES[:1], salt=1)
    ports = actor == A["sms_service_port"]
    number[ports] = 86 * 10**12 + 1065 * 10**8 + _unique_suffixes(int(ports.sum()), 3)
    robo = np.flatnonzero(actor == A["robocall"])
    style = rng.random(robo.shape[0])
    virtual_r = robo[style < config.robocall.virtual_share]
    land_r = robo[
        (style >= config.robocall.virtual_share)
        & (style < config.robocall.virtual_share + config.robocall.landline_share)
    ]
    number[virtual_r] = _mobiles(virtual_r.shape[0], _VIRTUAL_PREFIXES, salt=5)
    number[land_r] = _landlines(land_r.shape[0], _AREA_CODES[:1], salt=7)
    rot = np.flatnonzero(actor == A["robocall_rotation"])
    rot_land = rot[rng.random(rot.shape[0]) < config.rotation.landline_share]
    rot_virt = np.setdiff1d(rot, rot_land)
    number[rot_virt] = _mobiles(rot_virt.shape[0], _VIRTUAL_PREFIXES, salt=11)
    number[rot_land] = _landlines(rot_land.shape[0], _AREA_CODES, salt=13)

    enterprise = np.isin(actor, [A["service_line"], A["sms_service_port"]]) | (
        is_line & (rng.random(n) < 0.4)
    )
    birth_year[enterprise] = -1
    whitelisted = np.isin(actor, [A["service_line"], A["sms_service_port"]])

    # Activation: people hold numbers for years; fraud lines are days to weeks old.
    years = rng.integers(0, 15 * 365, size=n)
    fresh = np.isin(actor, [A["robocall"], A["robocall_rotation"], A["simbox"], A["sms_spam"]])
    years[fresh] = rng.integers(1, 45, size=int(fresh.sum()))
    activated_on = np.datetime64(config.start_date, "D") - years.astype("timedelta64[D]")

    realname = rng.choice(5, size=n, p=[0.955, 0.02, 0.012, 0.003, 0.01]).astype(np.uint8)
    realname[enterprise & (rng.random(n) < 0.3)] = REALNAME.index("corporate_unassigned")
    realname[whitelisted] = 0
    fraud_lines = np.isin(actor, [A["robocall"], A["robocall_rotation"], A["simbox"]])
    realname[fraud_lines] = rng.choice(
        5, size=int(fraud_lines.sum()), p=[0.6, 0.1, 0.2, 0.05, 0.05]
    )

    weights = np.asarray(config.region_weights, dtype=float)
    region = rng.choice(len(config.regions), size=n, p=weights / weights.sum()).astype(np.uint8)
    n_cells = max(len(config.regions) * 2, n // config.subscribers_per_cell)
    # Cells are split between regions in proportion to their weight.
    cell_edges = np.concatenate([[0], np.cumsum(weights / weights.sum()) * n_cells]).astype(int)
    span = np.maximum(cell_edges[1:] - cell_edges[:-1], 1)
    home_cell = (cell_edges[region] + rng.integers(0, 1 << 30, size=n) % span[region]).astype(
        np.int32
    )
    commute = rng.random(n) < 0.6
    work_cell = np.where(
        commute, cell_edges[region] + rng.integers(0, 1 << 30, size=n) % span[region], home_cell
    ).astype(np.int32)
    boxes_idx = np.flatnonzero(actor == A["simbox"])
    for gid in np.unique(group[boxes_idx]):  # a box sits in one place
        members = boxes_idx[group[boxes_idx] == gid]
        home_cell[members] = work_cell[members] = home_cell[members[0]]
        region[members] = region[members[0]]

    # Distinct devices: (model, serial) pairs drawn without repeats, for up to 6M subscribers.
    slot = rng.permutation(n).astype(np.int64)
    serial = _unique_suffixes(int(slot.max()) // _TACS.shape[0] + 1, 23, width=6)
    imei = luhn_complete(_TACS[slot % _TACS.shape[0]] * 10**6 + serial[slot // _TACS.shape[0]])
    for gid in np.unique(group[boxes_idx]):  # SIMs rotate over a few modules of one box
        members = boxes_idx[group[boxes_idx] == gid]
        modules = max(1, members.shape[0] // config.simbox.sims_per_module)
        imei[members] = imei[members[:modules]][np.arange(members.shape[0]) % modules]

    _honest_look_alikes(config, actor, age, birth_year, enterprise, number, free, n_persons)

    # Social circles: people sorted by home cell, cut into communities of circle_size.
    order = np.lexsort((rng.random(n_persons), home_cell[:n_persons]))
    arrays = CityArrays(
        actor, group, number, enterprise, birth_year, realname, activated_on, region,
        home_cell, work_cell, imei, age, free,
    )  # fmt: skip
    persons = place_groups(config, A, arrays, person_idx[order])
    circle_pos = np.full(n, -1, dtype=np.int64)
    circle_pos[persons] = np.arange(persons.shape[0])

    ext_n = max(100, int(n * config.external_pool_per_subscriber))
    n_land = ext_n // 5
    n_service = min(200, ext_n // 20)
    external = np.concatenate(
        [
            _mobiles(ext_n - n_land - n_service, _OTHER_PREFIXES, salt=17),
            _landlines(n_land, _AREA_CODES, salt=19),
            86 * 10**5 + 95500 + np.arange(n_service, dtype=np.int64) % 100,
        ]
    )
    wangiri = _foreign(config.wangiri.count(n), rng)
    # The campaigns added later draw from a stream of their own: the rest of the city stays
    # exactly what the same seed gave before them.
    extra = np.random.default_rng(np.random.SeedSequence([config.seed, 0x5F00F]))
    spoofed = _spoofed(config.spoofed_wangiri.count(n), extra)
    cloud_sizes = extra.integers(
        *config.cloud_trunk.numbers, endpoint=True, size=config.cloud_trunk.count(n)
    )
    cloud, cloud_group = _cloud_numbers(
        cloud_sizes, np.concatenate([number, external, wangiri]), extra
    )

    return Population(
        config=config,
        number=number,
        actor=actor,
        group=group,
        birth_year=birth_year,
        enterprise=enterprise,
        activated_on=activated_on,
        realname=realname,
        region=region,
        whitelisted=whitelisted,
        home_cell=home_cell,
        work_cell=work_cell,
        imei=imei,
        persons=persons,
        circle_pos=circle_pos,
        external=external,
        wangiri=wangiri,
        n_cells=n_cells,
        spoofed=spoofed,
        cloud=cloud,
        cloud_group=cloud_group,
    )
