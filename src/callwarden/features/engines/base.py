"""The feature engines' contract: one typed input, two verbs, and a registry that finds engines.

- **Batch**, :meth:`Engine.features`: the features of these records, in event time. Every
  acting event (an outgoing call, a sent SMS) gets the acting number's features of
  ``features/spec.py``, each from the records at or before it in record order.
- **Live**, :meth:`Engine.live`: a :class:`LiveFeatures` state; :meth:`LiveFeatures.update`
  takes the next record batch (``records/batch.py``) and gives the features at each record.
  Fed the same records in batches of any size, it gives what the batch verb gives.

Callers (``detect/``, ``stream/``, the CLI) name an engine and go through these verbs only;
each engine is a package (``engines/compiled/``, ``engines/spark/``) that only
:func:`load_engine` imports, so a missing extra becomes the exact install hint.

>>> names()
['compiled', 'spark']
>>> load_engine("compiled").name
'compiled'
>>> load_engine("duckdb")
Traceback (most recent call last):
...
callwarden.errors.ConfigError: unknown feature engine 'duckdb'; known: compiled, spark
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import polars as pl

from callwarden.config import DEFAULT_TIMEZONE
from callwarden.errors import CallwardenError, ConfigError
from callwarden.features.spec import FEATURES

__all__ = [
    "BATCH_STEPS",
    "DEFAULT_TIMEZONE",
    "Engine",
    "EngineMissingError",
    "EventFeatures",
    "LiveBatch",
    "LiveFeatures",
    "Traffic",
    "feature_frame",
    "load_engine",
    "names",
]

#: what :meth:`Engine.features` reports to its ``progress`` callback, in order
BATCH_STEPS = ("cross-number signals", "triage", "features")


@dataclass(frozen=True)
class Traffic:
    """Everything features are computed from: the records and what they are read against.

    ``known`` are known fraud numbers (the shared-victim and known-contact signals);
    ``timezone`` is the operator's zone (night calls, local days).
    """

    calls: pl.DataFrame
    sms: pl.DataFrame | None = None
    subscribers: pl.DataFrame | None = None
    known: pl.Series | None = None
    timezone: str = DEFAULT_TIMEZONE

    @staticmethod
    def context(
        subscribers: pl.DataFrame | None = None,
        known: pl.Series | None = None,
        timezone: str = DEFAULT_TIMEZONE,
    ) -> Traffic:
        """What a live state reads records against, without records (they come in batches)."""
        return Traffic(pl.DataFrame(), None, subscribers, known, timezone)


@dataclass
class EventFeatures:
    """Every feature at acting events, as aligned arrays (what scoring reads).

    ``num`` are int64 codes of the acting numbers (``decode`` gives the numbers back); rows
    are grouped by number, and ``seq`` puts them in record order: each row's position among
    the records the engine read (all of them, unless triage left some out).
    ``evaluated`` counts the acting events looked at before the gate, if any.
    """

    num: np.ndarray
    decode: Callable[[np.ndarray], pl.Series]
    is_sms: np.ndarray  # bool
    seq: np.ndarray  # int64
    time_us: np.ndarray  # int64 µs since the epoch (UTC): the record's own timestamp
    values: dict[str, np.ndarray]  # every feature of FEATURES
    evaluated: int = -1

    def __post_init__(self) -> None:
        if self.evaluated < 0:
            self.evaluated = self.height

    @property
    def height(self) -> int:
        return int(self.num.shape[0])

    def numbers(self, idx: np.ndarray) -> list[str]:
        """The numbers of the events ``idx``."""
        return list(self.decode(self.num[idx]).to_list())


@dataclass
class LiveBatch:
    """The features at each record of a batch, in the batch's order."""

    msisdn: pl.Series
    kind: np.ndarray  # "call" / "sms"
    time_us: np.ndarray
    values: dict[str, np.ndarray]


class LiveFeatures(ABC):
    """Per-number state, updated with record batches in record order."""

    @abstractmethod
    def update(self, batch: pl.DataFrame) -> LiveBatch:
        """Take the next record batch (continuing from the last); the acting number's
        features at each of its records."""

    @abstractmethod
    def state_bytes(self) -> int:
        """Memory the state holds."""


class Engine(ABC):
    """A feature engine: the batch verb, and the live one where the engine has it."""

    name: ClassVar[str]

    @classmethod  # noqa: B027  (most engines need nothing: no check to override)
    def check(cls) -> None:
        """Raise :class:`EngineMissingError`, saying what to install, when something the
        engine runs on is missing (asked each time the registry hands the engine out)."""

    @abstractmethod
    def features(
        self,
        traffic: Traffic,
        *,
        gated: bool = False,
        triage: bool = True,
        progress: Callable[[str], None] | None = None,
    ) -> tuple[int, Iterator[EventFeatures]]:
        """The features of these records, in event time: ``(parts, parts' iterator)``, each
        part the events of a set of whole numbers.

        ``gated``: only the events past the detectors' gate (``features/gate.py``); then
        ``triage`` lets the engine skip numbers that cannot reach it (same rows, less work).
        ``progress`` hears each of :data:`BATCH_STEPS` as it starts.
        """

    def live(self, traffic: Traffic) -> LiveFeatures:
        """A live state over ``traffic``'s subscribers and known numbers (its records unused)."""
        raise ConfigError(f"the {self.name} feature engine has no live path; use 'compiled'")

    def warm_up(self) -> None:  # noqa: B027  (an engine without a live path has nothing to load)
        """Load what the live path runs on now, before a first record would wait for it."""


def feature_frame(engine: Engine, traffic: Traffic) -> pl.DataFrame:
    """Every acting event's features as one frame in record order: ``msisdn``, ``kind``
    (``call`` / ``sms``), ``time`` (UTC), ``seq`` (the record's position in record order:
    every record is one acting event) and every feature (what the equality suites compare).
    """
    _, parts = engine.features(traffic)
    frames = [
        pl.DataFrame(
            {
                "msisdn": p.decode(p.num).cast(pl.String),
                "kind": np.where(p.is_sms, "sms", "call"),
                "time": pl.Series(p.time_us, dtype=pl.Int64).cast(pl.Datetime("us", "UTC")),
                "seq": p.seq,
                **{name: pl.Series(name, p.values[name], pl.Float64) for name in FEATURES},
            }
        )
        for p in parts
    ]
    if not frames:
        schema: dict[str, pl.DataType] = {
            "msisdn": pl.String(),
            "kind": pl.String(),
            "time": pl.Datetime("us", "UTC"),
            "seq": pl.Int64(),
        }
        return pl.DataFrame(schema={**schema, **{name: pl.Float64() for name in FEATURES}})
    return pl.concat(frames).sort("seq")


class EngineMissingError(CallwardenError):
    """An engine's extra (or what it runs on) is not installed; the message says what to do."""


#: engine name -> (module, class, install hint for when its module cannot be imported)
_ENGINES: dict[str, tuple[str, str, str]] = {
    "compiled": ("callwarden.features.engines.compiled", "CompiledEngine", ""),
    "spark": (
        "callwarden.features.engines.spark",
        "SparkEngine",
        "pip install 'callwarden[spark]'",
    ),
}


def names() -> list[str]:
    """The registered engines."""
    return sorted(_ENGINES)


def load_engine(name: str) -> type[Engine]:
    """The engine class called ``name``, imported now (not before it is asked for)."""
    if name not in _ENGINES:
        raise ConfigError(f"unknown feature engine {name!r}; known: {', '.join(names())}")
    module, cls, hint = _ENGINES[name]
    try:
        found: type[Engine] = getattr(importlib.import_module(module), cls)
    except ImportError as exc:
        if not hint:
            raise
        raise EngineMissingError(
            f"the {name} feature engine needs {exc.name or 'its extra'}: `{hint}`"
        ) from None
    found.check()
    return found
