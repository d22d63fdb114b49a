"""Record features: what the records say, filled in at the events the detectors score.

No feature engine computes these (``features/spec.py`` RECORD_FEATURES): they are read from
the records themselves, only at the few events that need them. Each reader of a kind of
record is a :class:`RecordFeatures`: it names the features it sets and the kind of event it
reads them at, and fills them in (:meth:`RecordFeatures.fill`). :data:`FILLERS` lists them, in
the order batch scoring, the live scorer and Spark apply them:

- ``detect/sms_content.py`` (:class:`~callwarden.detect.sms_content.SmsContent`): what an SMS
  says;
- ``detect/call_content.py`` (:class:`~callwarden.detect.call_content.CallContent`): what the
  number's answered calls said;
- ``detect/callee_areas.py`` (:class:`~callwarden.detect.callee_areas.CalleeAreas`): where the
  callees of the number's own calls live.

Batch scoring and the live scorer fill them with :func:`fill_records`; Spark computes each
on its executors (``features/engines/spark/records.py`` walks :data:`FILLERS` too).

>>> [name for filler in FILLERS for name in filler.features][:3]
['sms_content_risk', 'call_content_risk', 'call_content_calls']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import ClassVar, Final, Protocol

import numpy as np

from callwarden.detect.call_content import CallContent
from callwarden.detect.callee_areas import CalleeAreas
from callwarden.detect.sms_content import SmsContent

__all__ = ["FILLERS", "RecordFeatures", "fill_records"]


class RecordFeatures(Protocol):
    """Reads one kind of record and sets its features at the events scored."""

    #: the features it sets (``features/spec.py`` RECORD_FEATURES), in order
    features: ClassVar[tuple[str, ...]]
    #: the events it reads them at, ``call`` or ``sms`` (it sets them to their empty value at
    #: the others)
    kind: ClassVar[str]

    def fill(
        self,
        values: dict[str, np.ndarray],
        is_kind: np.ndarray,
        time_us: np.ndarray,
        numbers: Callable[[np.ndarray], Sequence[str]],
    ) -> None:
        """Set :attr:`features` in ``values`` at every event: ``is_kind`` tells the events
        of :attr:`kind`, ``time_us`` their times (µs since the epoch, UTC), ``numbers(idx)``
        the numbers of the events ``idx``."""


#: every reader of records, in the order they fill (the live scorer and Spark as batch)
FILLERS: Final[tuple[type[RecordFeatures], ...]] = (SmsContent, CallContent, CalleeAreas)


def fill_records(
    fillers: Iterable[RecordFeatures | None],
    values: dict[str, np.ndarray],
    is_sms: np.ndarray,
    time_us: np.ndarray,
    numbers: Callable[[np.ndarray], Sequence[str]],
    *,
    missing_only: bool = False,
) -> None:
    """Every filler's features at the events (``is_sms``: the SMS events; the others are
    calls); None stands for a reader not given. ``missing_only``: leave alone the features an
    engine computed already (Spark's frame has them)."""
    for filler in fillers:
        if filler is None:
            continue
        if missing_only and all(name in values for name in filler.features):
            continue
        filler.fill(values, is_sms if filler.kind == "sms" else ~is_sms, time_us, numbers)
