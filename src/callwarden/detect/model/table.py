"""Feature tables: one row per phone number, numeric features, an id and (for training) a label.

The learned scorer reads any such table: a CSV or Parquet file (or a folder of them) such as a
published per-number data set, or a polars DataFrame built by callwarden's own feature engine.
Both paths go through :meth:`FeatureTable.from_frame`, so they are checked the same way.

>>> import polars as pl
>>> frame = pl.DataFrame({"msisdn": ["a", "b"], "out_calls_1h": [42, 3], "fraud": [1, 0]})
>>> table = FeatureTable.from_frame(frame, id_column="msisdn", label_column="fraud")
>>> table.ids, table.feature_names, table.y.tolist()
(['a', 'b'], ['out_calls_1h'], [1, 0])
>>> table.X.dtypes
[Float64]
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

from callwarden.errors import InputFileError

__all__ = ["FeatureTable", "NonNumeric", "load_feature_table", "training_data_sha256"]

#: What to do with a feature column that is not numeric: stop with an error, or drop it
#: (with a warning; the dropped names are recorded in the model's metrics.json).
NonNumeric = Literal["error", "drop"]

_TRUE = {"1", "true", "1.0"}
_FALSE = {"0", "false", "0.0"}
_MAX_LISTED = 30


@dataclass
class FeatureTable:
    """Numeric per-number features, ready for the learned scorer.

    ``X`` holds the features only (every column Float64, nulls allowed: LightGBM treats them
    as missing), in the order of ``feature_names``; ``ids`` the numbers, row for row; ``y`` the
    0/1 labels, or ``None`` for a table that is only scored. ``source`` names where the table
    came from, for error messages; ``dropped_columns`` lists non-numeric columns left out;
    ``id_column`` and ``label_column`` are the names the ids and labels had in the source.
    """

    ids: list[str]
    X: pl.DataFrame
    y: np.ndarray | None
    feature_names: list[str]
    source: str = "<table>"
    dropped_columns: list[str] = field(default_factory=list)
    id_column: str = "id"
    label_column: str | None = None

    def __post_init__(self) -> None:
        if self.X.columns != self.feature_names:
            raise ValueError("FeatureTable.X columns must equal feature_names, in order")
        if self.X.height != len(self.ids):
            raise ValueError("FeatureTable.X must have one row per id")
        if self.y is not None and self.y.shape != (len(self.ids),):
            raise ValueError("FeatureTable.y must have one label per id")

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_frame(
        cls,
        frame: pl.DataFrame,
        *,
        id_column: str,
        label_column: str | None,
        features: Sequence[str] | None = None,
        non_numeric: NonNumeric = "error",
        source: str = "<table>",
    ) -> FeatureTable:
        """Check and convert a DataFrame: id + label + numeric features.

        ``features`` picks (and orders) the feature columns; by default every column other
        than the id and the label is a feature. Problems raise
        :class:`~callwarden.errors.InputFileError` naming ``source`` and the column.

        >>> frame = pl.DataFrame({"id": ["a"], "n": [1]})
        >>> FeatureTable.from_frame(frame, id_column="id", label_column="label", source="x.csv")
        Traceback (most recent call last):
        ...
        callwarden.errors.InputFileError: x.csv: no label column 'label'; columns found: id, n
        """
        columns = frame.columns
        if id_column not in columns:
            raise InputFileError(source, f"no id column {id_column!r}; {_found(columns)}")
        if label_column is not None and label_column not in columns:
            raise InputFileError(source, f"no label column {label_column!r}; {_found(columns)}")
        if frame.height == 0:
            raise InputFileError(source, "the table has no rows")
        if features is None:
            features = [c for c in columns if c not in (id_column, label_column)]
        else:
            missing = [c for c in features if c not in columns]
            if missing:
                raise InputFileError(
                    source,
                    f"missing feature column(s) {_names(missing)}; {_found(columns)}",
                )
        ids = _ids(frame[id_column], source)
        y = None if label_column is None else _labels(frame[label_column], source)
        keep, dropped = _numeric_features(frame, list(features), non_numeric, source)
        if not keep:
            raise InputFileError(source, f"no numeric feature columns; {_found(columns)}")
        X = frame.select(pl.col(c).cast(pl.Float64) for c in keep)
        return cls(
            ids=ids,
            X=X,
            y=y,
            feature_names=keep,
            source=source,
            dropped_columns=dropped,
            id_column=id_column,
            label_column=label_column,
        )


def load_feature_table(
    path: Path,
    *,
    id_column: str,
    label_column: str | None,
    features: Sequence[str] | None = None,
    non_numeric: NonNumeric = "error",
) -> FeatureTable:
    """Read a CSV or Parquet file, or a folder of them, as a :class:`FeatureTable`.

    A folder is read as every ``*.parquet`` file under it, or else every ``*.csv`` file,
    in name order. Ids are read as text (leading zeros kept). ``label_column=None`` reads a
    table to score; ``features`` restricts the features to those (a model's, at scoring).

    >>> path = Path("../shared/datasets/sichuan/train.csv")
    >>> table = load_feature_table(  # doctest: +SKIP
    ...     path, id_column="phone_no_m", label_column="label"
    ... )
    >>> len(table), len(table.feature_names), int(table.y.sum())  # doctest: +SKIP
    (4884, 55, 1587)
    """
    path = Path(path)
    frame = _read(path, id_column)
    return FeatureTable.from_frame(
        frame,
        id_column=id_column,
        label_column=label_column,
        features=features,
        non_numeric=non_numeric,
        source=str(path),
    )


def training_data_sha256(table: FeatureTable) -> str:
    """A SHA-256 of the table's ids, features (names and values) and labels, in row order.

    Independent of how the table was stored (CSV or Parquet, integer or float columns): the
    values are hashed as little-endian float64 with NaN and -0.0 made canonical.

    >>> frame = pl.DataFrame({"id": ["a", "b"], "n": [1, 2], "y": [0, 1]})
    >>> t1 = FeatureTable.from_frame(frame, id_column="id", label_column="y")
    >>> t2 = FeatureTable.from_frame(frame.with_columns(pl.col("n") * 1.0), id_column="id",
    ...                              label_column="y")
    >>> training_data_sha256(t1) == training_data_sha256(t2)
    True
    """
    digest = hashlib.sha256(b"callwarden-feature-table/1\n")
    digest.update(json.dumps(table.feature_names, ensure_ascii=False).encode() + b"\n")
    digest.update(json.dumps(table.ids, ensure_ascii=False).encode() + b"\n")
    values = table.X.to_numpy().astype("<f8", copy=True) + 0.0  # + 0.0 turns -0.0 into 0.0
    values[np.isnan(values)] = np.nan
    digest.update(np.ascontiguousarray(values).tobytes())
    if table.y is None:
        digest.update(b"\nno-labels")
    else:
        digest.update(b"\n" + np.asarray(table.y, dtype="<i1").tobytes())
    return digest.hexdigest()


def _read(path: Path, id_column: str) -> pl.DataFrame:
    if not path.exists():
        raise InputFileError(path, "no such file or folder")
    if path.is_dir():
        files = sorted(path.rglob("*.parquet")) or sorted(path.rglob("*.csv"))
        if not files:
            raise InputFileError(path, "the folder holds no .parquet or .csv files")
        frames = [_read_file(f, id_column) for f in files]
        try:
            return pl.concat(frames, how="diagonal_relaxed")
        except pl.exceptions.PolarsError as exc:
            raise InputFileError(path, f"its files do not fit together: {exc}") from None
    return _read_file(path, id_column)


def _read_file(path: Path, id_column: str) -> pl.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix in {".parquet", ".pq"}:
            frame = pl.read_parquet(path)
            if id_column in frame.columns:
                frame = frame.with_columns(pl.col(id_column).cast(pl.String))
            return frame
        if suffix in {".csv", ".tsv"}:
            return pl.read_csv(
                path,
                separator="\t" if suffix == ".tsv" else ",",
                infer_schema_length=None,  # a whole-file scan: a late decimal never breaks it
                schema_overrides={id_column: pl.String},
                null_values=["", "NA", "null"],
            )
    except pl.exceptions.NoDataError:
        raise InputFileError(path, "the file is empty") from None
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputFileError(path, f"cannot be read: {exc}") from None
    raise InputFileError(path, f"unknown format {suffix or '(none)'!r}; expected .csv or .parquet")


def _ids(column: pl.Series, source: str) -> list[str]:
    ids = column.cast(pl.String)
    nulls = ids.null_count()
    if nulls:
        raise InputFileError(source, f"id column {column.name!r} has {nulls} empty value(s)")
    duplicated = ids.filter(ids.is_duplicated()).unique(maintain_order=True)
    if duplicated.len():
        raise InputFileError(
            source,
            f"id column {column.name!r} repeats {duplicated.len()} id(s), e.g. "
            f"{duplicated[0]!r}; a feature table has one row per number",
        )
    return ids.to_list()


def _labels(column: pl.Series, source: str) -> np.ndarray:
    name = column.name
    nulls = column.null_count()
    if nulls:
        raise InputFileError(source, f"label column {name!r} has {nulls} empty value(s)")
    if column.dtype == pl.Boolean:
        return column.cast(pl.Int8).to_numpy().astype(np.int8)
    text = column.cast(pl.String).str.strip_chars().str.to_lowercase()
    bad = text.filter(~text.is_in(_TRUE | _FALSE)).unique(maintain_order=True)
    if bad.len():
        shown = ", ".join(repr(v) for v in bad.head(5).to_list())
        raise InputFileError(
            source,
            f"label column {name!r} must hold 0/1 or true/false; found {shown}"
            + (f" and {bad.len() - 5} more" if bad.len() > 5 else ""),
        )
    return text.is_in(_TRUE).cast(pl.Int8).to_numpy().astype(np.int8)


def _numeric_features(
    frame: pl.DataFrame, features: list[str], non_numeric: NonNumeric, source: str
) -> tuple[list[str], list[str]]:
    keep: list[str] = []
    dropped: list[str] = []
    for name in features:
        column = frame[name]
        dtype = column.dtype
        # An all-empty CSV column is read as text; it carries no values, so it is numeric-safe.
        if (
            dtype.is_numeric()
            or dtype in (pl.Boolean, pl.Null)
            or column.null_count() == len(column)
        ):
            keep.append(name)
            continue
        if non_numeric == "drop":
            dropped.append(name)
            continue
        example = column.drop_nulls()[0]
        raise InputFileError(
            source,
            f"feature column {name!r} is not numeric ({dtype}, e.g. {example!r}); encode it as "
            "numbers, remove it, or load the table with non_numeric='drop'",
        )
    if dropped:
        warnings.warn(
            f"{source}: dropped non-numeric feature column(s) {_names(dropped)}",
            UserWarning,
            stacklevel=3,
        )
    return keep, dropped


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:_MAX_LISTED])
    return shown + (f" and {len(names) - _MAX_LISTED} more" if len(names) > _MAX_LISTED else "")


def _found(columns: Sequence[str]) -> str:
    shown = ", ".join(columns[:_MAX_LISTED])
    more = f" and {len(columns) - _MAX_LISTED} more" if len(columns) > _MAX_LISTED else ""
    return f"columns found: {shown}{more}"
