"""Features of events as plain arrays: what the detectors and the policy read, in batch, in
the stream and on Spark's driver, without building a frame."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pyarrow as pa

from callwarden.features.engines.base import EventFeatures
from callwarden.features.formulas import fixed_offset_ms

__all__ = ["FeatureArrays"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class FeatureArrays:
    """Features of events as plain arrays (what the stream scores, without building a frame).

    ``values`` holds every float feature; ``kind`` is ``call`` / ``sms`` per event; ``time``
    is a Datetime series, or µs since the epoch (UTC); ``msisdn`` the numbers, or a function
    giving the numbers of some rows. Rows are in record order, unless ``seq`` gives each row's
    position in it (batch scoring keeps each number's events together).
    """

    msisdn: pl.Series | list[str] | Callable[[np.ndarray], list[str]]
    kind: np.ndarray
    time: pl.Series | np.ndarray
    values: dict[str, np.ndarray]
    seq: np.ndarray | None = None

    @property
    def height(self) -> int:
        return int(self.kind.shape[0])

    @staticmethod
    def of(features: pl.DataFrame) -> FeatureArrays:
        floats = [c for c in features.columns if features[c].dtype.is_float()]
        return FeatureArrays(
            features["msisdn"],
            features["kind"].to_numpy(),
            features["time"],
            {c: features[c].to_numpy() for c in floats},
        )

    @staticmethod
    def of_events(features: EventFeatures) -> FeatureArrays:
        """The feature engine's events, left in event order (``seq`` orders them)."""
        return FeatureArrays(
            features.numbers,
            np.where(features.is_sms, "sms", "call"),
            features.time_us,
            features.values,
            seq=features.seq,
        )

    def take(self, idx: np.ndarray) -> FeatureArrays:
        msisdn = self.msisdn
        return FeatureArrays(
            (lambda rows: msisdn(idx[rows])) if callable(msisdn) else self.numbers(idx),
            self.kind[idx],
            self.time.gather(idx) if isinstance(self.time, pl.Series) else self.time[idx],
            {k: v[idx] for k, v in self.values.items()},
            seq=None if self.seq is None else self.seq[idx],
        )

    def numbers(self, idx: np.ndarray) -> list[str]:
        if callable(self.msisdn):
            return self.msisdn(idx)
        if isinstance(self.msisdn, pl.Series):
            # through Arrow: a polars gather costs more than a stream batch's few numbers
            return self.msisdn.to_arrow().take(pa.array(idx)).to_pylist()
        return [self.msisdn[i] for i in idx]

    def times_us(self, idx: np.ndarray | None = None) -> np.ndarray:
        """Event times in µs since the epoch (UTC), of every event or of ``idx``."""
        if isinstance(self.time, pl.Series):
            at = self.time if idx is None else self.time.gather(idx)
            return at.cast(pl.Datetime("us", "UTC")).dt.epoch("us").to_numpy().astype(np.int64)
        return np.asarray(self.time if idx is None else self.time[idx], dtype=np.int64)

    def utc_times(self, idx: np.ndarray) -> list[datetime]:
        """Event times (UTC) of the events ``idx``."""
        if isinstance(self.time, pl.Series):
            return list(self.time.gather(idx).to_list())
        return [_EPOCH + timedelta(microseconds=int(u)) for u in self.time[idx]]

    def local_days(self, idx: np.ndarray, zone: str) -> list[str]:
        """Local dates (``YYYY-MM-DD``) of the events ``idx``."""
        if isinstance(self.time, pl.Series):
            at = self.time.gather(idx)
            return list(at.dt.convert_time_zone(zone).dt.date().cast(pl.String).to_list())
        us = self.time[idx]
        off = fixed_offset_ms(ZoneInfo(zone), int(us.min()) // 1000, int(us.max()) // 1000)
        if off is None:
            return [t.astimezone(ZoneInfo(zone)).date().isoformat() for t in self.utc_times(idx)]
        local = (us // 1000 + off).astype("datetime64[ms]").astype("datetime64[D]")
        return list(local.astype(str).tolist())
