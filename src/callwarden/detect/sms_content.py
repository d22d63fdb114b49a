"""What an SMS says, at the SMS events detectors score: the content feature and its reason.

An SMS record may carry its text (``content``). Where detection reads records (batch scoring,
the live scorer), each SMS event the detectors look at gets :data:`CONTENT_FEATURE`: the
probability, by the content classifier (:mod:`callwarden.content`), that its text is a scam
of any kind (0 without a text, or for an honest one). ``sms_burst`` reads it: a burst of scam
texts is stronger evidence than the volume alone, and an honest notification's burst scores
as before. An alert raised at such an event carries a :func:`content reason
<callwarden.content.service.content_reason>` too: the category, in zh-CN and English, and the
words that decided.

Only the texts of the events past the detectors' gate are classified (a sender of ten SMS in
an hour is never read), each distinct text once. An event is matched to its record by sender
and send time; where one sender sent several texts in the same microsecond the event gets the
riskiest of them (the same in batch and live, within a batch).

>>> import datetime as dt
>>> t = dt.datetime(2026, 7, 8, 10, tzinfo=dt.UTC)
>>> sms = pl.DataFrame({"sender": ["+8613800000001", "+8613800000002"], "sent_time": [t, t],
...     "content": ["您的账户涉嫌洗钱，请立即将资金转入安全账户配合调查",
...                 "您的快递已到驿站，取件码 1234"]})
>>> content = SmsContent.of_sms(sms)
>>> us = np.full(2, int(t.timestamp() * 1e6))
>>> (content.risk(["+8613800000001", "+8613800000002"], us) > 0.5).tolist()
[True, False]
>>> content.reason("+8613800000001", int(us[0]), 1.0).code
'content'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar, Final

import numpy as np
import polars as pl

from callwarden.detect.reasons import Reason
from callwarden.features.gate import GATE

if TYPE_CHECKING:
    from callwarden.content.model import ContentModel

__all__ = ["CONTENT_FEATURE", "CONTENT_SCAM", "SmsContent", "classify_texts"]

#: the feature: probability that the SMS's text is a scam (any label but ``normal``)
CONTENT_FEATURE: Final = "sms_content_risk"  # (features/spec.py RECORD_FEATURES)
#: risk from which a text counts as a scam text (below it, an SMS burst scores by volume)
CONTENT_SCAM: Final = 0.4
_Found = tuple[float, str, float, list[str]]  # risk, label, score, evidence


class SmsContent:
    """SMS texts by (sender, send time in µs), looked up and classified when first asked for
    (a reader of records: ``detect/record_features.py``)."""

    features: ClassVar[tuple[str, ...]] = (CONTENT_FEATURE,)
    kind: ClassVar[str] = "sms"

    def __init__(self, texts: pl.DataFrame, model: ContentModel | None = None) -> None:
        #: sender, us, content: the SMS with a text
        self._frame = texts
        self._times: tuple[np.ndarray, np.ndarray] | None = None  # rows by send time, times
        self._model = model
        self._found: dict[str, _Found] = {}

    @classmethod
    def of_sms(cls, sms: pl.DataFrame | None, model: ContentModel | None = None) -> SmsContent:
        """Canonical SMS records (``sender``, ``sent_time``, ``content``); none without
        texts."""
        if sms is None or "content" not in sms.columns:
            return cls(_EMPTY, model)
        return cls(_with_text(sms, "sender", "sent_time"), model)

    @classmethod
    def of_batch(cls, batch: pl.DataFrame, model: ContentModel | None = None) -> SmsContent:
        """The SMS of a record batch (``records/batch.py``: ``kind`` 1, ``actor``, ``time``,
        ``content``)."""
        if "content" not in batch.columns:
            return cls(_EMPTY, model)
        return cls(_with_text(batch.filter(pl.col("kind") == 1), "actor", "time"), model)

    def __bool__(self) -> bool:
        return self._frame.height > 0

    def _index(self) -> tuple[np.ndarray, np.ndarray]:
        """The rows with a send time in the order of it (rows of one µs in record order) and
        those times: one sort, when a reason first asks (a table of every (sender, time) with
        its texts cost a Python object per SMS, for the few hundred events that alert)."""
        if self._times is None:
            timed = self._frame.select(pl.int_range(pl.len()).alias("row"), "us").filter(
                pl.col("us").is_not_null()
            )
            times = timed["us"].to_numpy()
            order = np.argsort(times, kind="stable")
            self._times = (timed["row"].to_numpy()[order], times[order])
        return self._times

    def _texts_of(self, sender: str, time_us: int) -> list[str]:
        """The texts ``sender`` sent at ``time_us``, in record order."""
        rows, times = self._index()
        lo = int(np.searchsorted(times, time_us, side="left"))
        hi = int(np.searchsorted(times, time_us, side="right"))
        senders, texts = self._frame["sender"], self._frame["content"]
        return [texts[int(r)] for r in rows[lo:hi] if senders[int(r)] == sender]

    def _classify(self, texts: list[str]) -> None:
        new = sorted({t for t in texts if t not in self._found})
        if new:
            self._found.update(zip(new, classify_texts(new, self._model), strict=True))

    def _best(self, sender: str, time_us: int) -> _Found | None:
        texts = self._texts_of(sender, int(time_us))
        if not texts:
            return None
        self._classify(texts)
        return max((self._found[t] for t in texts), key=lambda f: f[0])

    def risk(self, numbers: Sequence[str], time_us: np.ndarray) -> np.ndarray:
        """:data:`CONTENT_FEATURE` of SMS events: the senders ``numbers`` at ``time_us``
        (one join over the texts; each distinct text classified once)."""
        out = np.zeros(len(time_us))
        if not self or out.shape[0] == 0:
            return out
        wanted = pl.DataFrame(
            {"sender": numbers, "us": np.asarray(time_us, dtype=np.int64)},
            schema={"sender": pl.String, "us": pl.Int64},
        ).with_row_index("event")
        found = wanted.join(self._frame, on=["sender", "us"], how="inner")
        if found.height == 0:
            return out
        texts = found["content"].unique().to_list()
        self._classify(texts)
        risk = pl.DataFrame(
            {"content": texts, "risk": [self._found[t][0] for t in texts]},
            schema={"content": pl.String, "risk": pl.Float64},
        )
        best = found.join(risk, on="content").group_by("event").agg(pl.col("risk").max())
        out[best["event"].to_numpy()] = best["risk"].to_numpy()
        return out

    def fill(
        self,
        values: dict[str, np.ndarray],
        is_kind: np.ndarray,
        time_us: np.ndarray,
        numbers: Callable[[np.ndarray], Sequence[str]],
    ) -> None:
        """Set ``values[CONTENT_FEATURE]`` at every event: 0 for calls, and for SMS below the
        gate (``sms_burst`` scores 0 there whatever they say, so they are not read);
        ``is_kind``: the SMS events; ``numbers(idx)`` gives the numbers of the events
        ``idx``."""
        risk = np.zeros(is_kind.shape[0])
        if self:
            look = np.flatnonzero(is_kind & (values["sms_out_1h"] >= GATE.sms_1h))
            if look.shape[0]:
                risk[look] = self.risk(numbers(look), time_us[look])
        values[CONTENT_FEATURE] = risk

    def reason(self, sender: str, time_us: int, weight: float) -> Reason | None:
        """The content reason of the SMS event (the sender at ``time_us``): None without a
        text or for an honest one."""
        from callwarden.content.service import content_reason  # noqa: PLC0415

        found = self._best(sender, time_us)
        if found is None or found[0] < CONTENT_SCAM:
            return None
        _, label, score, evidence = found
        made = content_reason(label, score, evidence, weight)
        if made is None:
            return None
        return Reason(
            str(made["code"]),
            float(weight),
            str(made["text_zh"]),
            str(made["text_en"]),
            json.loads(str(made["evidence"])),
        )


def classify_texts(texts: Sequence[str], model: ContentModel | None = None) -> list[_Found]:
    """Risk (:data:`CONTENT_FEATURE`), label, score and evidence of each text, by ``model``
    (the shipped one by default): the one definition batch, live and Spark scoring share.

    >>> [round(f[0], 1) > 0.5 for f in classify_texts(["请将资金转入安全账户配合调查", ""])]
    [True, False]
    """
    from callwarden.content.default import default_model  # noqa: PLC0415  # loads the model

    scores = (model or default_model()).score_texts(list(texts))
    risk = np.nan_to_num(scores.risk, nan=0.0)
    return [
        (float(risk[k]), str(scores.label[k]), float(scores.score[k]), scores.evidence[k])
        for k in range(len(texts))
    ]


_EMPTY = pl.DataFrame(schema={"sender": pl.String, "us": pl.Int64, "content": pl.String})


def _with_text(records: pl.DataFrame, sender: str, time: str) -> pl.DataFrame:
    """sender, us (µs since the epoch, UTC, as the feature engines give times), content of the
    records that have a text."""
    return (
        records.lazy()
        .filter(pl.col("content").is_not_null() & (pl.col("content") != ""))
        .select(
            sender=pl.col(sender).cast(pl.String),
            us=pl.col(time).cast(pl.Datetime("us", "UTC")).dt.epoch("us"),
            content=pl.col("content").cast(pl.String),
        )
        .collect()
    )
