"""What a caller said: call transcripts joined to their calls, and the content reason they give.

A transcript (``transcripts``: ``call_id``, ``text``, from the operator's speech-to-text) is
joined to its call by ``call_id`` and read by the content classifier (:func:`read_texts`).

- **Evidence of its own.** At each call event the detectors look at (past their gate), the
  number's answered calls that started in the last 24 hours up to then give two record
  features (:meth:`CallContent.fill`): :data:`CALL_RISK`, the highest probability that one of
  their transcripts is a fraud script (the model's fraud labels together), and
  :data:`CALL_SCAMS`, how many of them read as one with :data:`CALL_SCAM` or more. The
  ``call_content`` detector (``detect/rules/call_content.py``) scores them; its reason names
  the category, the words that decided and the call (:meth:`CallContent.explain`). An honest
  line (a courier, a bank's notice) reads far below those bounds and raises nothing.
- **A reason beside any alert.** An alert of a number whose answered calls up to its event
  include one that reads as a scam carries a ``content`` reason (weight 0) with the
  category and the words, whatever raised it; a mark follows its category
  (``reputation/book.py``).

Transcripts that cannot be used are counted, never fatal (:attr:`CallContent.rejects`, in the
quarantine's format): an unknown ``call_id`` (no such call), an empty text, a call that was
not answered, a second transcript of the same call. Texts are classified when first asked
for (the numbers past the gate), each distinct text once.

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
>>> risk, scams = content.evidence("+8613800000001", int(t.timestamp() * 1e6))
>>> risk > CALL_SCAM, scams
(True, 1)
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final

import numpy as np
import polars as pl

from callwarden.detect.reasons import Reason
from callwarden.detect.sms_content import CONTENT_SCAM
from callwarden.features.gate import GATE_FEATURES, passes_gate
from callwarden.records.quarantine import REJECT_COLUMNS
from callwarden.records.quarantine import Reason as Rejected

if TYPE_CHECKING:
    from callwarden.content.model import ContentModel

__all__ = [
    "CALL_RISK", "CALL_SCAM", "CALL_SCAMS", "REJECT_REASONS", "WINDOW_US", "CallContent",
    "read_texts",
]  # fmt: skip

#: the record features of a call event (``features/spec.py`` RECORD_FEATURES): the highest
#: probability that a transcript of the number's recent answered calls is a fraud script, and
#: how many of those calls read as one with :data:`CALL_SCAM` or more
CALL_RISK: Final = "call_content_risk"
CALL_SCAMS: Final = "call_content_calls"
#: the fraud probability from which a transcribed call counts as a scam call
CALL_SCAM: Final = 0.9
#: the answered calls that count at an event: those that started in the last day up to it
WINDOW_US: Final = 24 * 3600 * 10**6
#: risk, label, score, evidence (as ``classify_texts``), and the fraud labels' probability
_Read = tuple[float, str, float, list[str], float]

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

    #: a reader of records (``detect/record_features.py``)
    features: ClassVar[tuple[str, ...]] = (CALL_RISK, CALL_SCAMS)
    kind: ClassVar[str] = "call"

    def __init__(self, model: ContentModel | None = None) -> None:
        self._model = model
        #: caller -> (start µs, call_id, text) of its transcribed answered calls, by time
        self._calls: dict[str, list[tuple[int, str, str]]] = {}
        self._found: dict[str, _Read] = {}
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

    def _read(self, texts: Sequence[str]) -> None:
        new = sorted({t for t in texts if t not in self._found})
        if new:
            self._found.update(zip(new, read_texts(new, self._model), strict=True))

    def _window(self, caller: str, time_us: int) -> list[tuple[int, str, str]]:
        """The caller's transcribed answered calls that started in the last :data:`WINDOW_US`
        up to ``time_us``, read."""
        calls = self._calls.get(caller)
        if not calls:
            return []
        lo = bisect.bisect_left(calls, (time_us - WINDOW_US + 1, "", ""))
        part = calls[lo : bisect.bisect_right(calls, (time_us, "\uffff", ""))]
        self._read([text for _, _, text in part])
        return part

    def evidence(self, caller: str, time_us: int) -> tuple[float, int]:
        """:data:`CALL_RISK` and :data:`CALL_SCAMS` of an event of ``caller`` at ``time_us``."""
        fraud = [self._found[text][4] for _, _, text in self._window(caller, time_us)]
        return max(fraud, default=0.0), sum(f >= CALL_SCAM for f in fraud)

    def fill(
        self,
        values: dict[str, np.ndarray],
        is_kind: np.ndarray,
        time_us: np.ndarray,
        numbers: Callable[[np.ndarray], Sequence[str]],
    ) -> None:
        """Set ``values[CALL_RISK]`` and ``values[CALL_SCAMS]`` at every event: 0 for SMS, for
        numbers without transcripts and below the detectors' gate (no detector may fire there,
        so the transcripts are not read); ``is_kind``: the call events; ``numbers(idx)``
        gives the numbers of the events ``idx``."""
        risk, scams = np.zeros(is_kind.shape[0]), np.zeros(is_kind.shape[0])
        if self._calls:
            look = is_kind
            if all(name in values for name in GATE_FEATURES):
                look = look & passes_gate(dict(values))
            at = np.flatnonzero(look)
            for k, who in zip(at.tolist(), numbers(at), strict=True):
                if who in self._calls:
                    risk[k], scams[k] = self.evidence(who, int(time_us[k]))
        values[CALL_RISK] = risk
        values[CALL_SCAMS] = scams

    def calls_read(self) -> pl.DataFrame:
        """Every joined transcript, read: ``caller``, ``us`` (the call's start), ``fraud``
        (the fraud labels' probability), for an engine that computes the features itself
        (Spark)."""
        rows = [(who, us, text) for who, calls in self._calls.items() for us, _, text in calls]
        self._read([text for _, _, text in rows])
        return pl.DataFrame(
            {
                "caller": [r[0] for r in rows],
                "us": [r[1] for r in rows],
                "fraud": [self._found[r[2]][4] for r in rows],
            },
            schema={"caller": pl.String, "us": pl.Int64, "fraud": pl.Float64},
        )

    def explain(self, found: Reason, caller: str, time_us: int) -> Reason:
        """The ``call_content`` detector's reason at an event, with the category and the
        words of the number's strongest scam call (and that call's id) in place of the bare
        figures; ``found`` as it is when that call reads as no category."""
        from callwarden.content.service import content_reason  # noqa: PLC0415

        part = self._window(caller, time_us)
        if not part:
            return found
        # the strongest; the earliest call of equal probability
        _, call_id, text = max(part, key=lambda c: (self._found[c[2]][4], -c[0]))
        _, label, score, evidence, fraud = self._found[text]
        made = content_reason(label, score, evidence, found.weight)
        if made is None:
            return found
        n = sum(self._found[t][4] >= CALL_SCAM for _, _, t in part)
        zh = f"近 24 小时 {n} 通已接通话" if n > 1 else "已接通话"
        en = f"{n} answered calls in 24 hours: their" if n > 1 else "an answered call's"
        text_zh = str(made["text_zh"]).replace("短信/通话内容", f"{zh}的内容", 1)
        proof = json.loads(str(made["evidence"]))
        return Reason(
            found.code,
            found.weight,
            text_zh,
            f"{en} {made['text_en']}",
            {**found.evidence, **proof, "call_id": call_id, "fraud": round(fraud, 4)},
        )

    def reason(self, caller: str, time_us: int) -> Reason | None:
        """The content reason of an event of ``caller`` at ``time_us``: its strongest scam
        transcript among its answered calls that started by then; None when there is none."""
        from callwarden.content.service import content_reason  # noqa: PLC0415

        calls = self._calls.get(caller)
        if not calls:
            return None
        upto = calls[: bisect.bisect_right(calls, (time_us, "\uffff", ""))]
        self._read([text for _, _, text in upto])
        best: tuple[float, str, str] | None = None
        for _, call_id, text in upto:  # (the strongest; the earliest call of equal risk)
            if best is None or self._found[text][0] > best[0]:
                best = (self._found[text][0], call_id, text)
        if best is None or best[0] < CONTENT_SCAM:
            return None
        _, label, score, evidence, _ = self._found[best[2]]
        made = content_reason(label, score, evidence, 0.0)
        if made is None:
            return None
        text_zh = str(made["text_zh"]).replace("短信/通话内容", "已接通话的内容", 1)
        text_en = "an answered call's " + str(made["text_en"])
        proof = json.loads(str(made["evidence"])) | {"call_id": best[1], "source": "transcript"}
        return Reason(str(made["code"]), 0.0, text_zh, text_en, proof)


def read_texts(texts: Sequence[str], model: ContentModel | None = None) -> list[_Read]:
    """Risk, label, score and evidence of each text (as
    :func:`~callwarden.detect.sms_content.classify_texts`), and the probability of the
    model's fraud labels together (those whose mark category is ``fraud``: the four scam
    classes of the shipped model; 0 for a model without such labels).

    >>> [round(r[4], 1) for r in read_texts(["请将资金转入安全账户配合调查", "喂，我晚上回家吃饭"])]
    [1.0, 0.0]
    """
    from callwarden.content.default import default_model  # noqa: PLC0415  # loads the model
    from callwarden.content.service import category_of_label  # noqa: PLC0415
    from callwarden.reputation.categories import Category  # noqa: PLC0415

    scores = (model or default_model()).score_texts(list(texts))
    wanted = [k for k, c in enumerate(scores.classes) if category_of_label(c) is Category.FRAUD]
    fraud = scores.proba[:, wanted].sum(axis=1) if wanted else np.zeros(len(texts))
    risk = np.nan_to_num(scores.risk, nan=0.0)
    return [
        (float(risk[k]), str(scores.label[k]), float(scores.score[k]), scores.evidence[k],
         float(fraud[k]))
        for k in range(len(texts))
    ]  # fmt: skip
