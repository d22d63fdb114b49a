"""Honest groups at work: several lines of one organisation working one list together.

Written from how these organisations call, not from what a detector reads:

* a **sales team** works one shared list of clients who agreed to be called; each day the list
  is handed out afresh among the agents, an agent rings a client at most a few times and a
  colleague often makes the next try; office hours with a lunch break; clients who answer talk
  a couple of minutes, some ring back, and the same clients come round again on later days;
* a bank's or a utility's **notification lines** dial the day's customers (strangers) from
  09:00 at a machine's steady pace: short recorded notices, a customer who missed one tried
  again an hour or two later from whichever line is free, almost nobody rings back;
* a hospital's **appointment desk**: clerks ring tomorrow's patients one after another from
  14:00, a patient who missed the call is tried once more from another desk line, and some
  ring back to move the appointment;
* a school's **class teachers** ring the parents of their own class on the same evening, one
  family after another: when a parent does not answer they try the child's other parent, a
  family with children in two classes hears from two teachers, those who missed a call ring
  back.

A line never has two calls at once: each call starts when it is due or when the line's last
call is over, whichever is later. Layout (numbers, places, members) is in ``simulate/groups.py``.
"""

from __future__ import annotations

import numpy as np

from callwarden.simulate.behaviour.base import (
    BEHAVIOURS,
    NULL,
    CallBatch,
    Day,
    Traffic,
    answered_durations,
    own_calls,
    ring_times,
    spread_counts,
    strangers,
)
from callwarden.simulate.population import Population

__all__ = ["notice_lines", "reminder_desks", "sales_teams", "school_rounds"]

_WORK_S = 7 * 3600.0  # 09:00-12:00 and 13:30-17:30


def _office_clock(w: np.ndarray) -> np.ndarray:
    """Seconds into the office's working time, as seconds since midnight."""
    return np.where(w < 3 * 3600.0, 9 * 3600.0 + w, 13.5 * 3600.0 + (w - 3 * 3600.0))


def _tries(
    rng: np.random.Generator, m: int, most: int, answer_rate: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For ``m`` people rung up to ``most`` times until one call is answered: each row's person
    and try number (0 first), and whether that try was answered."""
    hit = rng.random((m, most)) < answer_rate
    reached = np.asarray(hit.any(axis=1))
    tries = np.where(reached, hit.argmax(axis=1) + 1, most)
    who = np.repeat(np.arange(m), tries)
    starts = np.cumsum(tries) - tries
    attempt = np.arange(who.shape[0]) - np.repeat(starts, tries)
    answered = reached[who] & (attempt == tries[who] - 1)
    return who, attempt, answered


def _since_first(who: np.ndarray, attempt: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Seconds from a person's first try to each row's (``step``: the wait before a row, 0 on
    first tries; a person's rows are together, in try order)."""
    total = np.cumsum(step)
    return total - (total - step)[attempt == 0][who]


def _back_to_back(line: np.ndarray, due: np.ndarray, busy: np.ndarray) -> np.ndarray:
    """Start times where a line's calls never overlap: each call at ``due`` or when the line's
    previous call (``busy`` seconds: ringing, talk, dialling the next) is over."""
    order = np.lexsort((due, line))
    lo, t, b = line[order], due[order], busy[order]
    first = np.r_[True, lo[1:] != lo[:-1]]
    seg = np.cumsum(first) - 1
    before = np.cumsum(np.r_[0.0, b[:-1]])
    before -= before[first][seg]
    # t'_i = before_i + max over the line's earlier j of (t_j - before_j); `far` keeps lines apart
    far = 1e8 * seg
    start = np.maximum.accumulate(t - before + far) - far + before
    out = np.empty_like(due)
    out[order] = start
    return out


def _rung_back(
    pop: Population, rng: np.random.Generator, batch: CallBatch, share: float, mean_s: float
) -> CallBatch:
    """Some of ``batch``'s callees ring the caller back ``mean_s`` seconds later on average;
    those in the network from their home cell and own phone."""
    back = rng.random(len(batch)) < share
    k = int(back.sum())
    reply = CallBatch(
        caller=batch.callee[back],
        callee=batch.caller[back],
        t=np.minimum(batch.t[back] + 60.0 + rng.exponential(mean_s, size=k), 86_399.0),
        duration=answered_durations(rng, k, 0.9, 60.0, 0.6),
        ring=rng.integers(2, 12, size=k).astype(np.int32),
        cell=np.full(k, NULL, dtype=np.int32),
        imei=np.full(k, NULL, dtype=np.int64),
    )
    return reply.from_home(pop)


def _groups(pop: Population, actor: str) -> list[np.ndarray]:
    members = pop.of(actor)
    return [members[pop.group[members] == g] for g in np.unique(pop.group[members])]


def team_list(pop: Population, team: int, agents: int) -> np.ndarray:
    """The clients on a sales team's list: the same every day of a seed (people of the city
    and, a fifth of them, of other networks), distinct."""
    cfg = pop.config.sales_team
    rng = np.random.default_rng(np.random.SeedSequence([pop.config.seed, 0x5A1E5, team]))
    size = int(rng.integers(*cfg.list_per_agent, endpoint=True, size=agents).sum())
    inside = min(size - size // 5, pop.persons.shape[0])
    outside = min(size // 5, pop.external.shape[0])
    return np.concatenate(
        [
            pop.number[pop.persons[rng.choice(pop.persons.shape[0], size=inside, replace=False)]],
            pop.external[rng.choice(pop.external.shape[0], size=outside, replace=False)],
        ]
    )


def sales_teams(pop: Population, day: Day) -> Traffic:
    cfg = pop.config.sales_team
    rng = day.rng
    calls: list[CallBatch] = []
    for agents in _groups(pop, "sales_team"):
        a = agents.shape[0]
        clients = team_list(pop, int(pop.group[agents[0]]), a)
        per_agent = spread_counts(rng, a, cfg.clients_per_day)
        m = min(int(per_agent.sum()), clients.shape[0])
        today = clients[rng.choice(clients.shape[0], size=m, replace=False)]
        owner = np.repeat(np.arange(a), per_agent)[:m]
        who, attempt, answered = _tries(rng, m, cfg.attempts, cfg.answer_rate)
        n = who.shape[0]
        colleague = (owner[who] + rng.integers(1, max(a, 2), size=n)) % a
        agent = np.where(
            (attempt > 0) & (rng.random(n) < cfg.colleague_share), colleague, owner[who]
        )
        # the first try somewhere in the day, each further one half an hour to two hours on
        step = np.where(attempt > 0, rng.uniform(1800.0, 7200.0, size=n), 0.0)
        w = rng.uniform(0.0, 0.8 * _WORK_S, size=m)[who] + _since_first(who, attempt, step)
        due = _office_clock(np.minimum(w, _WORK_S))
        duration = np.where(
            answered, answered_durations(rng, n, 1.0, cfg.median_talk_s, 0.8), 0
        ).astype(np.int32)
        ring = ring_times(rng, duration)
        t = _back_to_back(agent, due, duration + ring + rng.uniform(20.0, 90.0, size=n))
        batch = own_calls(
            pop, day, agents[agent], callee=today[who], t=t, duration=duration, ring=ring
        )
        batch = batch.take((w < _WORK_S) & (t < 18.5 * 3600.0))
        calls += [batch, _rung_back(pop, rng, batch, cfg.callback_share, 2400.0)]
    return Traffic(calls=calls)


def _company_lists(
    pop: Population,
    day: Day,
    lines: np.ndarray,
    per_line: np.ndarray,
    *,
    most: int,
    answer_rate: float,
    talk_s: float,
    gap_s: np.ndarray,
    start_h: float,
    end_h: float,
    again_after: tuple[float, float],
    retry_share: float = 1.0,
) -> CallBatch:
    """A company's lines on its exchange working through the day's people (strangers): each
    line its share from ``start_h`` at its own pace (``gap_s`` a line), a person who did not
    answer tried again ``again_after`` seconds later from any of the lines (``retry_share``
    of them); no cell, no handset. Calls due after ``end_h`` are left for another day."""
    rng = day.rng
    a = lines.shape[0]
    m = int(per_line.sum())
    people = strangers(pop, rng, m, 0.3)
    who, attempt, answered = _tries(rng, m, most, answer_rate)
    n = who.shape[0]
    first_line = np.repeat(np.arange(a), per_line)
    queue = np.arange(m) - np.repeat(np.cumsum(per_line) - per_line, per_line)
    line = np.where(attempt == 0, first_line[who], rng.integers(0, a, size=n))
    step = np.where(attempt > 0, rng.uniform(*again_after, size=n), 0.0)
    due = start_h * 3600.0 + queue[who] * gap_s[first_line[who]] + _since_first(who, attempt, step)
    duration = np.where(answered, answered_durations(rng, n, 1.0, talk_s, 0.4), 0)
    ring = ring_times(rng, duration)
    t = _back_to_back(line, due, duration + ring + rng.uniform(3.0, 15.0, size=n))
    batch = CallBatch(
        caller=pop.number[lines[line]],
        callee=people[who],
        t=t,
        duration=duration.astype(np.int32),
        ring=ring,
        cell=np.full(n, NULL, dtype=np.int32),
        imei=np.full(n, NULL, dtype=np.int64),
    )
    return batch.take((t < end_h * 3600.0) & ((attempt == 0) | (rng.random(n) < retry_share)))


def notice_lines(pop: Population, day: Day) -> Traffic:
    cfg = pop.config.notice_line
    rng = day.rng
    calls: list[CallBatch] = []
    for lines in _groups(pop, "notice_line"):
        batch = _company_lists(
            pop, day, lines, spread_counts(rng, lines.shape[0], cfg.customers_per_line),
            most=cfg.attempts, answer_rate=cfg.answer_rate, talk_s=cfg.median_talk_s,
            gap_s=np.asarray(rng.uniform(*cfg.gap_s, size=lines.shape[0])), start_h=9.0, end_h=20.0,
            again_after=(3600.0, 7200.0),
        )  # fmt: skip
        calls += [batch, _rung_back(pop, rng, batch, cfg.callback_share, 3600.0)]
    return Traffic(calls=calls)


def reminder_desks(pop: Population, day: Day) -> Traffic:
    cfg = pop.config.reminder_desk
    rng = day.rng
    calls: list[CallBatch] = []
    for lines in _groups(pop, "reminder_desk"):
        # a patient is tried twice at most, and only some of those missed are tried again
        batch = _company_lists(
            pop, day, lines, spread_counts(rng, lines.shape[0], cfg.patients_per_line),
            most=2, answer_rate=cfg.answer_rate, talk_s=cfg.median_talk_s,
            gap_s=np.asarray(rng.uniform(*cfg.gap_s, size=lines.shape[0])), start_h=cfg.start_hour,
            end_h=18.0, again_after=(1800.0, 5400.0), retry_share=cfg.retry_share,
        )  # fmt: skip
        missed = batch.take(batch.duration == 0)
        calls += [batch, _rung_back(pop, rng, missed, cfg.callback_share, 1800.0)]
    return Traffic(calls=calls)


def school_families(pop: Population, school: int, teachers: np.ndarray) -> np.ndarray:
    """Each teacher's class as rows of (teacher, first parent, second parent), subscriber
    indices: the families live around the school (next to each other in community order,
    around the teachers), the same every day of a seed; a few children have a brother or a
    sister in another class (the same parents)."""
    cfg = pop.config.school_round
    rng = np.random.default_rng(np.random.SeedSequence([pop.config.seed, 0x5C001, school]))
    sizes = rng.integers(*cfg.pupils, endpoint=True, size=teachers.shape[0])
    children = int(sizes.sum())
    n = pop.persons.shape[0]
    anchor = int(np.median(pop.circle_pos[teachers]))
    family = np.arange(children)
    sibling = rng.random(children) < cfg.sibling_share
    family[sibling] = rng.integers(0, children, size=int(sibling.sum()))
    first = (anchor - children + 2 * family) % n
    return np.stack(
        [np.repeat(teachers, sizes), pop.persons[first], pop.persons[(first + 1) % n]], axis=1
    )


def school_rounds(pop: Population, day: Day) -> Traffic:
    cfg = pop.config.school_round
    rng = day.rng
    calls: list[CallBatch] = []
    for teachers in _groups(pop, "school_round"):
        rows = school_families(pop, int(pop.group[teachers[0]]), teachers)
        who, attempt, answered = _tries(rng, rows.shape[0], 2, cfg.answer_rate)
        n = who.shape[0]
        teacher = rows[who, 0]
        parent = np.where(attempt == 0, rows[who, 1], rows[who, 2])
        evening = cfg.start_hour * 3600.0 + rng.uniform(0.0, cfg.start_spread_h * 3600.0)
        # each sits down to it in turn
        start = evening + np.asarray(rng.uniform(0.0, 600.0, size=teachers.shape[0]))
        slot = np.searchsorted(teachers, teacher)
        duration = np.where(
            answered, answered_durations(rng, n, 1.0, cfg.median_talk_s, 0.6), 0
        ).astype(np.int32)
        ring = ring_times(rng, duration)
        # in class order: the due times only order the calls, the line's pace sets them
        due = start[slot] + np.arange(n) * 1e-3
        t = _back_to_back(slot, due, duration + ring + rng.uniform(10.0, 60.0, size=n))
        batch = own_calls(
            pop, day, teacher, callee=pop.number[parent], t=t, duration=duration, ring=ring
        )
        batch = batch.take(parent != teacher)
        missed = batch.take(batch.duration == 0)
        calls += [batch, _rung_back(pop, rng, missed, cfg.callback_share, 1200.0)]
    return Traffic(calls=calls)


for _name, _fn in (
    ("sales_team", sales_teams),
    ("notice_line", notice_lines),
    ("reminder_desk", reminder_desks),
    ("school_round", school_rounds),
):
    BEHAVIOURS.register(_name, _fn)
