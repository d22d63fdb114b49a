"""SMS spam senders: templated loan, gambling and fake-refund texts to distinct strangers."""

from __future__ import annotations

import numpy as np

from callwarden.simulate.behaviour.base import BEHAVIOURS, Day, SmsBatch, Traffic, strangers
from callwarden.simulate.population import Population

__all__ = ["SPAM_TEXTS", "sms_spam"]

SPAM_TEXTS = [
    "【惠民贷】您有一笔20万元额度待领取, 当天放款, 点击 http://d{}.cn 退订回T",
    "尊敬的客户, 您的快递在运输中丢失, 可申请双倍理赔, 请添加客服QQ {}",
    "【XX娱乐】首充送888元彩金, 百万大奖等你来拿, 注册即送: http://y{}.vip",
    "您的医保卡已被冻结, 请立即联系 {} 处理, 逾期将影响报销",
    "兼职刷单, 日结200-500元, 在家可做, 加微信 wx{} 了解",
    "【ETC】您的ETC卡已失效, 请点击 http://etc{}.top 重新认证",
]


def sms_spam(pop: Population, day: Day) -> Traffic:
    cfg = pop.config.sms_spam
    rng = day.rng
    who = pop.of("sms_spam")
    if who.shape[0] == 0:
        return Traffic()
    k = rng.integers(cfg.sms_per_day[0], cfg.sms_per_day[1], endpoint=True, size=who.shape[0])
    sender = np.repeat(who, k)
    m = sender.shape[0]
    # Each sender pushes one or two templates with its own link or contact.
    texts = [tpl.format(int(rng.integers(1000, 99999))) for tpl in SPAM_TEXTS for _ in range(2)]
    own = (who * 3 + day.index) % len(texts)
    content = (np.repeat(own, k) + (rng.random(m) < 0.3)) % len(texts)
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
