"""What a caller said: call transcripts joined to their calls, and the content reason they give.

A transcript (``transcripts``: ``call_id``, ``text``, from the operator's speech-to-text) is
joined to its call by ``call_id``. Where an alert is raised at an event of a number whose
answered calls up to then were transcribed and read as a scam by the content classifier
(:func:`~callwarden.detect.sms_content.classify_texts`, the SMS texts' one definition), the
alert carries a ``content`` reason beside the detectors': the category, in zh-CN and English,
the words that decided and the call. It is evidence, not a trigger: it adds nothing to the
score (weight 0), so the thresholds decide as before; a mark follows its category
(``reputation/book.py``).

Transcripts that cannot be used are counted, never fatal (:attr:`CallContent.rejects`, in the
quarantine's format): an unknown ``call_id`` (no such call), an empty text, a call that was
not answered, a second transcript of the same call. Texts are classified when first asked
for (the numbers that alert), each distinct text once.

>>> import datetime as dt
>>> t = dt.datetime(2026, 7, 8, 10, tzinfo=dt.UTC)
>>> calls = pl.DataFrame({"call_id": ["c1", "c2"], "caller": ["+8613800000001"] * 2,
...     "start_time": [t, t + dt.timedelta(minutes=5)], "duration_s": [180, 0]})
>>> police = "我是市公安局民警，你的账户涉嫌洗钱，把资金转到安全账户配合调查"
>>> said = pl.DataFrame({"call_id": ["c1", "c2", "c9", "c1"],
...     "text": [police, "喂", "你好", "再说一遍"]})
>>> content = CallContent.of_records(said, calls)
>>> content.counts
{'read': 4, 'joined': 1, 'unknown_call_id': 1, 'empty_text': 0, 'unanswered': 1, 'duplicate': 1}
>>> reason = content.reason("+8613800000001", int(t.timestamp() * 1e6))
>>> reason.code, reason.evidence["call_id"], reason.evidence["label"]
('content', 'c1', 'impersonate_police_gov')
>>> content.reason("+8613800000001", int(t.timestamp() * 1e6) - 1) is None  # before the call
True
"""

from __future__ import annotations

import bisect
import json
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from callwarden.detect.reasons import Reason
from callwarden.detect.sms_content import CONTENT_SCAM, classify_texts
from callwarden.records.quarantine import REJECT_COLUMNS
from callwarden.records.quarantine import Reason as Rejected

if TYPE_CHECKING:
    from callwarden.content.model import ContentModel

__all__ = ["REJECT_REASONS", "CallContent"]

#: why a transcript was not joined (the quarantine's ``reason`` of its row)
REJECT_REASONS: Final = {
    "unknown_call_id": "unknown_call_id",
    "empty_text": Rejected.MISSING_VALUE.value,
    "unanswered": "unanswered_call",
    "duplicate": Rejected.DUPLICATE_KEY.value,
}
_MESSAGES: Final = {
    "unknown_call_id": "call_id {id!r} is no call in the calls read: the transcript is not used",
    "empty_text": "the transcript of call {id!r} has no text",
    "unanswered": "call {id!r} was not answered (duration 0): a transcript of it is not used",
    "duplicate": "call {id!r} has a transcript already (the first one is used)",
}
#: in live scoring, how long a call is remembered for a transcript that arrives after it
KEEP_CALLS_S: Final = 6 * 3600


class CallContent:
    """Transcribed answered calls by caller, and the content reason they give at a time.

    Batch: :meth:`of_records`. Live: :meth:`live`, then :meth:`add_calls` with each batch's
    calls and :meth:`add_transcripts` as transcripts arrive, in either order.
    """

    def __init__(self, model: ContentModel | None = None) -> None:
        self._model = model
        #: caller -> (start µs, call_id, text) of its transcribed answered calls, by time
        self._calls: dict[str, list[tuple[int, str, str]]] = {}
        self._found: dict[str, tuple[float, str, float, list[str]]] = {}
        self._joined: set[str] = set()
        #: live only: transcripts waiting for their call; the answered calls of the last
        #: hours (frames of call_id, caller, us, one per batch), for transcripts that come late
        self._live = False
        self._pending: dict[str, str] = {}
        self._recent: list[pl.DataFrame] = []
        self.counts: dict[str, int] = dict.fromkeys(
            ("read", "joined", "unknown_call_id", "empty_text", "unanswered", "duplicate"), 0
        )
        self._rejects: list[dict[str, Any]] = []

    def __bool__(self) -> bool:
        return bool(self._calls)

    @classmethod
    def of_records(
        cls,
        transcripts: pl.DataFrame | None,
        calls: pl.DataFrame,
        model: ContentModel | None = None,
    ) -> CallContent:
        """Transcripts (``call_id``, ``text``) joined to canonical calls (``call_id``,
        ``caller``, ``start_time``, ``duration_s``)."""
        made = cls(model)
        if transcripts is None or transcripts.height == 0:
            return made
        said = transcripts.select(
            pl.col("call_id").cast(pl.String), pl.col("text").cast(pl.String)
        ).with_row_index("row", offset=1)
        known = calls.select(
            pl.col("call_id").cast(pl.String),
            caller=pl.col("caller").cast(pl.String),
            us=pl.col("start_time").cast(pl.Datetime("us", "UTC")).dt.epoch("us"),
            answered=pl.col("duration_s").fill_null(0) > 0,
        ).join(said.select("call_id").unique(), on="call_id", how="semi")
        known = known.unique("call_id", keep="first", maintain_order=True)
        joined = said.join(known, on="call_id", how="left", maintain_order="left")
        for row, call_id, text, caller, us, answered in joined.iter_rows():
            if caller is None:
                made._reject(row, "unknown_call_id", call_id, text)
            else:
                made._add(row, call_id, text, caller, us, answered)
        return made

    @classmethod
    def live(cls, model: ContentModel | None = None, *, expect: bool = False) -> CallContent:
        """An empty one for live scoring (see :meth:`add_calls`); ``expect``: transcripts will
        come, so the answered calls are remembered from the first batch on (else from the
        first transcript on)."""
        made = cls(model)
        made._live = expect
        return made

    def _reject(self, row: int, why: str, call_id: str | None, text: str | None) -> None:
        self.counts["read"] += 1
        self.counts[why] += 1
        self._rejects.append(
            {
                "row": row,
                "reason": REJECT_REASONS[why],
                "field": "text" if why == "empty_text" else "call_id",
                "message": _MESSAGES[why].format(id=call_id),
                "raw": {"call_id": call_id, "text": text},
            }
        )

    def _add(
        self, row: int, call_id: str, text: str | None, caller: str, us: int, answered: bool
    ) -> None:
        if text is None or not text.strip():
            self._reject(row, "empty_text", call_id, text)
        elif not answered:
            self._reject(row, "unanswered", call_id, text)
        elif call_id in self._joined:
            self._reject(row, "duplicate", call_id, text)
        else:
            self.counts["read"] += 1
            self.counts["joined"] += 1
            self._joined.add(call_id)
            bisect.insort(self._calls.setdefault(caller, []), (us, call_id, text))

    @property
    def rejects(self) -> pl.DataFrame:
        """The transcripts not used, one row each (``records/quarantine.py``'s columns)."""
        raw = pl.Struct({"call_id": pl.String(), "text": pl.String()})
        schema = pl.Schema([("row", pl.Int64()), ("reason", pl.String()), ("field", pl.String()),
                            ("message", pl.String()), ("raw", raw)])  # fmt: skip
        return pl.DataFrame(self._rejects, schema=schema).select(REJECT_COLUMNS)

    def add_transcripts(self, transcripts: pl.DataFrame) -> None:
        """Live: transcripts as they arrive; one whose call is not seen yet waits for it (the
        answered calls of the last :data:`KEEP_CALLS_S` seconds are remembered for the late
        ones, from the first transcript on: a stream without transcripts keeps nothing)."""
        self._live = True
        said = transcripts.select(pl.col("call_id").cast(pl.String), pl.col("text"))
        seen: dict[str, tuple[str, int]] = {}
        if self._recent:
            recent = pl.concat(self._recent).join(said.select("call_id"), on="call_id")
            seen = {c: (who, us) for c, who, us in recent.iter_rows()}
        for call_id, text in said.iter_rows():
            row = self.counts["read"] + 1
            if call_id in seen:
                self._add(row, call_id, text, *seen[call_id], True)
            else:
                self._pending[call_id] = text

    def add_calls(self, batch: pl.DataFrame) -> None:
        """Live: the calls of a record batch (``records/batch.py``: ``kind`` 0, ``id``,
        ``actor``, ``time``, ``duration_s``), in record order."""
        if not self._live:
            return
        calls = batch.filter(pl.col("kind") == 0).select(
            call_id=pl.col("id").cast(pl.String),
            caller=pl.col("actor").cast(pl.String),
            us=pl.col("time").cast(pl.Datetime("us", "UTC")).dt.epoch("us"),
            answered=pl.col("duration_s").fill_null(0) > 0,
        )
        if calls.height == 0:
            return
        if self._pending:
            waited = calls.filter(pl.col("call_id").is_in(list(self._pending)))
            for call_id, caller, us, answered in waited.iter_rows():
                text = self._pending.pop(call_id)
                self._add(self.counts["read"] + 1, call_id, text, caller, us, answered)
        self._recent.append(calls.filter("answered").drop("answered"))
        oldest = int(calls["us"].to_numpy().max()) - KEEP_CALLS_S * 10**6
        while self._recent and (
            self._recent[0].height == 0 or int(self._recent[0]["us"].to_numpy().max()) < oldest
        ):
            self._recent.pop(0)

    @property
    def waiting(self) -> int:
        """Live: transcripts whose call has not been seen (unknown so far)."""
        return len(self._pending)

    def reason(self, caller: str, time_us: int) -> Reason | None:
        """The content reason of an event of ``caller`` at ``time_us``: its strongest scam
        transcript among its answered calls that started by then; None when there is none."""
        from callwarden.content.service import content_reason  # noqa: PLC0415

        calls = self._calls.get(caller)
        if not calls:
            return None
        upto = calls[: bisect.bisect_right(calls, (time_us, "\uffff", ""))]
        new = sorted({text for _, _, text in upto if text not in self._found})
        if new:
            self._found.update(zip(new, classify_texts(new, self._model), strict=True))
        best: tuple[float, str, str] | None = None
        for _, call_id, text in upto:  # (the strongest; the earliest call of equal risk)
            if best is None or self._found[text][0] > best[0]:
                best = (self._found[text][0], call_id, text)
        if best is None or best[0] < CONTENT_SCAM:
            return None
        _, label, score, evidence = self._found[best[2]]
        made = content_reason(label, score, evidence, 0.0)
        if made is None:
            return None
        text_zh = str(made["text_zh"]).replace("短信/通话内容", "已接通话的内容", 1)
        text_en = "an answered call's " + str(made["text_en"])
        proof = json.loads(str(made["evidence"])) | {"call_id": best[1], "source": "transcript"}
        return Reason(str(made["code"]), 0.0, text_zh, text_en, proof)
