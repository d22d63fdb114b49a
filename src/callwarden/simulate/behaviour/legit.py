"""Hard negatives: honest heavy callers a careless detector would cut off.

Couriers and drivers call dozens of strangers a day, sales agents work a client book, and
allow-listed service lines and SMS ports send hundreds of calls and texts. What sets them apart
from fraud is subtle: customers call back, calls connect, clients repeat, the line is registered.
"""

from __future__ import annotations

import numpy as np

from callwarden.content.templates import compose
from callwarden.simulate.behaviour.base import (
    BEHAVIOURS,
    CallBatch,
    Day,
    SmsBatch,
    Traffic,
    answered_durations,
    own_calls,
    ring_times,
    spread_counts,
    strangers,
    window_seconds,
)
from callwarden.simulate.config import CourierConfig, RideHailingConfig
from callwarden.simulate.population import Population

__all__ = [
    "call_rounds",
    "couriers",
    "reminder_lines",
    "ride_hailing",
    "sales_agents",
    "service_lines",
    "sms_service_ports",
]

_SERVICE_TEXTS = [
    "【工商银行】您尾号{}的储蓄卡于今日支出人民币{}元, 余额请查询手机银行。",
    "【顺丰速运】您的快件已到达驿站, 取件码{}, 请凭码取件。",
    "【中国移动】您本月话费账单已生成, 详情请登录APP查询。",
    "【美团】您的验证码是{}, 5分钟内有效, 请勿泄露给他人。",
]


def _with_callbacks(pop: Population, day: Day, batch: CallBatch, share: float) -> list[CallBatch]:
    """Some callees ring the caller back later: honest work is two-way."""
    rng = day.rng
    back = rng.random(len(batch)) < share
    if not back.any():
        return [batch]
    t = np.minimum(batch.t[back] + rng.exponential(1800.0, size=int(back.sum())), 86_399.0)
    duration = answered_durations(rng, int(back.sum()), 0.9, 45.0, 0.6)
    reply = CallBatch(
        caller=batch.callee[back],
        callee=batch.caller[back],
        t=t,
        duration=duration,
        ring=rng.integers(2, 12, size=int(back.sum())).astype(np.int32),
        cell=np.full(int(back.sum()), -1, dtype=np.int32),
        imei=np.full(int(back.sum()), -1, dtype=np.int64),
    )
    # Callers inside the network have a cell and a device.
    return [batch, reply.from_home(pop)]


def _workers(
    pop: Population, day: Day, actor: str, bounds: tuple[int, int], hours: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    who = pop.of(actor)
    k = spread_counts(day.rng, who.shape[0], bounds)
    caller = np.repeat(who, k)
    return caller, window_seconds(day.rng, caller.shape[0], *hours)


def _on_the_road(
    pop: Population,
    day: Day,
    actor: str,
    cfg: CourierConfig | RideHailingConfig,
    hours: tuple[float, float],
    outside_share: float,
    talk: tuple[float, float, float],
) -> Traffic:
    """Short answered calls to strangers from cell to cell, and customers calling back."""
    caller, t = _workers(pop, day, actor, cfg.calls_per_day, hours)
    n = caller.shape[0]
    batch = own_calls(
        pop,
        day,
        caller,
        callee=strangers(pop, day.rng, n, outside_share),
        t=t,
        duration=answered_durations(day.rng, n, *talk),
        moving=True,
    )
    return Traffic(calls=_with_callbacks(pop, day, batch, cfg.callback_share))


def couriers(pop: Population, day: Day) -> Traffic:
    return _on_the_road(
        pop, day, "courier", pop.config.courier, (8.5, 19.5), 0.35, (0.85, 30.0, 0.6)
    )


def ride_hailing(pop: Population, day: Day) -> Traffic:
    return _on_the_road(
        pop, day, "ride_hailing", pop.config.ride_hailing, (7.0, 23.0), 0.4, (0.8, 35.0, 0.5)
    )


def sales_agents(pop: Population, day: Day) -> Traffic:
    """Each agent owns a client book (fixed per seed) and calls clients again and again."""
    cfg = pop.config.sales_agent
    rng = day.rng
    caller, t = _workers(pop, day, "sales_agent", cfg.calls_per_day, (9.0, 18.0))
    n = caller.shape[0]
    book = cfg.clients[0] + (caller * 2654435761) % (cfg.clients[1] - cfg.clients[0])
    client = rng.integers(0, 1 << 30, size=n) % book
    # the client book: a deterministic slice of the city for this agent
    pool = pop.persons.shape[0]
    callee = pop.number[pop.persons[(caller * 7919 + client * 104729) % pool]]
    batch = own_calls(
        pop, day, caller, callee=callee, t=t, duration=answered_durations(rng, n, 0.65, 120.0, 0.8)
    )
    return Traffic(calls=_with_callbacks(pop, day, batch, cfg.callback_share))


def service_lines(pop: Population, day: Day) -> Traffic:
    """Registered dispatch lines: hundreds of calls, steady pace, answered and meaningful."""
    cfg = pop.config.service_line
    caller, t = _workers(pop, day, "service_line", cfg.calls_per_day, (9.0, 20.0))
    n = caller.shape[0]
    batch = own_calls(
        pop,
        day,
        caller,
        callee=strangers(pop, day.rng, n, 0.3),
        t=t,
        duration=answered_durations(day.rng, n, 0.7, 60.0, 0.7),
    )
    return Traffic(calls=_with_callbacks(pop, day, batch, cfg.callback_share))


def _one_after_another(
    k: np.ndarray, start: np.ndarray, talk: np.ndarray, dial: np.ndarray
) -> np.ndarray:
    """Start times of calls made one after another: each when the last ended and the next
    number was dialled (``k`` calls per caller from ``start``; ``talk``, ``dial`` per call)."""
    first = np.cumsum(np.concatenate([[0], k[:-1]])).astype(np.int64)
    step = talk + dial
    step = np.concatenate([[0.0], step[:-1]])
    step[first] = 0.0
    offset = np.cumsum(step)
    offset -= np.repeat(offset[first], k)
    return np.minimum(np.repeat(start, k) + offset, 86_399.0)


def call_rounds(pop: Population, day: Day) -> Traffic:
    """A teacher or a volunteer works through a list of people who know them in one sitting:
    the same list every day (the class, the block), most answer and talk a minute or two,
    those who missed the call ring back."""
    cfg = pop.config.call_round
    rng = day.rng
    who = pop.of("call_round")
    if who.shape[0] == 0:
        return Traffic()
    k = np.asarray(rng.integers(cfg.calls[0], cfg.calls[1], endpoint=True, size=who.shape[0]))
    caller = np.repeat(who, k)
    n = caller.shape[0]
    # the list: people near the caller in the city (the class's parents, the block's
    # residents), each called once in the round
    pos = np.concatenate([np.arange(m) for m in k.tolist()]).astype(np.int64)
    pool = pop.persons.shape[0]
    base = (who.astype(np.int64) * 7919) % pool
    callee = pop.number[pop.persons[(np.repeat(base, k) + pos * 13) % pool]]
    duration = answered_durations(rng, n, cfg.answer_rate, cfg.median_talk_s, 0.6)
    dial = rng.uniform(10.0, 60.0, size=n)  # find the next name, dial, ring
    ring = ring_times(rng, duration)
    start = np.where(rng.random(who.shape[0]) < 0.5, 18.5, 9.5) * 3600.0
    start += rng.uniform(0, 5400.0, size=who.shape[0])
    t = _one_after_another(k, start, duration + ring, dial)
    batch = own_calls(pop, day, caller, callee=callee, t=t, duration=duration, ring=ring)
    missed = batch.duration == 0
    back = CallBatch(
        caller=batch.callee[missed],
        callee=batch.caller[missed],
        t=np.minimum(batch.t[missed] + rng.exponential(1200.0, size=int(missed.sum())), 86_399.0),
        duration=answered_durations(rng, int(missed.sum()), 0.95, 60.0, 0.6),
        ring=rng.integers(2, 12, size=int(missed.sum())).astype(np.int32),
        cell=np.full(int(missed.sum()), -1, dtype=np.int32),
        imei=np.full(int(missed.sum()), -1, dtype=np.int64),
    )
    keep = rng.random(len(back)) < cfg.callback_share
    return Traffic(calls=[batch, back.from_home(pop).take(keep)])


def reminder_lines(pop: Population, day: Day) -> Traffic:
    """A company landline working through the day's list (appointments, card statements)
    from nine in the morning at a clerk's steady pace; short answered calls."""
    cfg = pop.config.reminder_line
    rng = day.rng
    who = pop.of("reminder_line")
    if who.shape[0] == 0:
        return Traffic()
    k = spread_counts(rng, who.shape[0], cfg.calls_per_day)
    caller = np.repeat(who, k)
    n = caller.shape[0]
    duration = answered_durations(rng, n, cfg.answer_rate, cfg.median_talk_s, 0.4)
    ring = ring_times(rng, duration)
    mean_gap = np.repeat(rng.uniform(*cfg.gap_s, size=who.shape[0]), k)
    # the next call when the last has ended, then a pause that varies as a clerk's does
    dial = np.maximum(5.0, mean_gap - duration - ring + rng.normal(0.0, 15.0, size=n))
    t = _one_after_another(k, np.full(who.shape[0], 9.0 * 3600.0), duration + ring, dial)
    batch = own_calls(
        pop, day, caller, callee=strangers(pop, rng, n, 0.3), t=t, duration=duration, ring=ring
    )
    return Traffic(calls=_with_callbacks(pop, day, batch, cfg.callback_share))


def sms_service_ports(pop: Population, day: Day) -> Traffic:
    """Bank and app notifications from 106 ports, around the clock."""
    cfg = pop.config.sms_service_port
    rng = day.rng
    who = pop.of("sms_service_port")
    k = spread_counts(rng, who.shape[0], cfg.sms_per_day)
    sender = np.repeat(who, k)
    m = sender.shape[0]
    texts = [
        tpl.format(*(str(rng.integers(1000, 9999)) for _ in range(tpl.count("{}"))))
        for tpl in _SERVICE_TEXTS
    ]
    # and as many honest notifications of the day from callwarden's templates (a stream of
    # their own: the traffic's draws do not depend on them)
    words = rng.spawn(1)[0]
    texts += [compose("normal", words) for _ in _SERVICE_TEXTS]
    content = rng.integers(0, len(texts), size=m).astype(np.int32)
    lengths = np.array([len(x) for x in texts], dtype=np.int32)
    sms = SmsBatch(
        sender=pop.number[sender],
        recipient=pop.number[pop.persons[rng.integers(0, pop.persons.shape[0], size=m)]],
        t=window_seconds(rng, m, 6.0, 23.5),
        length=lengths[content],
        content=content,
    )
    return Traffic(sms=[sms], texts=texts)


for _name, _fn in (
    ("courier", couriers),
    ("ride_hailing", ride_hailing),
    ("sales_agent", sales_agents),
    ("service_line", service_lines),
    ("sms_service_port", sms_service_ports),
    ("call_round", call_rounds),
    ("reminder_line", reminder_lines),
):
    BEHAVIOURS.register(_name, _fn)
