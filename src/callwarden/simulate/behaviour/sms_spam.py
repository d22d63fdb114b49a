"""SMS spam senders: scam texts to distinct strangers, each sender one kind of scam (police or
government, loan or credit card, customer service, leader or acquaintance), written afresh
each day from callwarden's own templates (:mod:`callwarden.content.templates`)."""

from __future__ import annotations

import numpy as np

from callwarden.content.templates import FRAUD_LABELS, compose
from callwarden.simulate.behaviour.base import BEHAVIOURS, Day, SmsBatch, Traffic, strangers
from callwarden.simulate.population import Population

__all__ = ["VARIANTS", "sms_spam"]

#: texts of each scam kind written per day; a sender pushes one or two of its kind's
VARIANTS = 3


def sms_spam(pop: Population, day: Day) -> Traffic:
    cfg = pop.config.sms_spam
    rng = day.rng
    who = pop.of("sms_spam")
    if who.shape[0] == 0:
        return Traffic()
    k = rng.integers(cfg.sms_per_day[0], cfg.sms_per_day[1], endpoint=True, size=who.shape[0])
    sender = np.repeat(who, k)
    m = sender.shape[0]
    # Each sender works one kind of scam and pushes one or two of the day's texts of that kind,
    # each with its own names, amounts, links and contacts. The texts come from a stream of
    # their own: the traffic's draws are the same whatever the templates say.
    words = rng.spawn(1)[0]
    texts = [compose(label, words) for label in FRAUD_LABELS for _ in range(VARIANTS)]
    kind = (who * 7) % len(FRAUD_LABELS)
    variant = np.repeat((who + day.index) % VARIANTS, k) + (rng.random(m) < 0.3)
    content = np.repeat(kind, k) * VARIANTS + variant % VARIANTS
    start = rng.uniform(8.0, 12.0, size=who.shape[0]) * 3600.0
    t = np.minimum(np.repeat(start, k) + rng.uniform(0, 9 * 3600.0, size=m), 86_399.0)
    lengths = np.array([len(x) for x in texts], dtype=np.int32)
    sms = SmsBatch(
        sender=pop.number[sender],
        recipient=strangers(pop, rng, m, 0.3),
        t=t,
        length=lengths[content],
        content=content.astype(np.int32),
    )
    onsets = {
        int(pop.number[w]): float(s)
        for w, s in zip(who.tolist(), np.asarray(start).tolist(), strict=True)
    }
    return Traffic(sms=[sms], texts=texts, onsets=onsets)


BEHAVIOURS.register("sms_spam", sms_spam)
