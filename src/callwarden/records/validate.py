"""Validate one chunk of source rows into canonical rows and rejected rows, vectorised.

For each chunk: the mapping builds the canonical columns from the source columns (renames,
columns joined with ``/``, constants, and the direction rule that turns subscriber legs into
caller and callee), every column is parsed by its kind (:mod:`callwarden.records.fields`), a
missing key is derived from the row (:mod:`callwarden.records.keys`) and later occurrences of a
key already seen anywhere earlier in the source are rejected as duplicates. A bad row gets one
reason: the first problem in column order (the direction first, duplicates last).

>>> from callwarden.records.mapping import load_mapping
>>> from callwarden.records.readers import ROW
>>> frame = pl.DataFrame({"caller": ["13812345678", "x"], "callee": ["10086", "10086"],
...     "start_time": ["2026-07-08 18:00:00"] * 2, "duration_s": ["30", "5"], ROW: [2, 3]})
>>> result = ChunkValidator(load_mapping("calls")).validate(RawChunk("c.csv", 0, frame,
...     empty_rejects()))
>>> result.accepted["caller"].to_list(), result.rejects["message"].to_list()
(['+8613812345678'], ["caller: 'x' is not a phone number"])
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
import pyarrow as pa

from callwarden.config import Settings
from callwarden.errors import ConfigError, InternalError
from callwarden.records.fields import Parsed, parse_field
from callwarden.records.keys import SeenKeys, derive_keys
from callwarden.records.mapping import PARTIES, SUBSCRIBER_SIDE, Mapping
from callwarden.records.quarantine import Reason, empty_rejects
from callwarden.records.readers import ROW, RawChunk
from callwarden.records.trunks import TrunkTable

__all__ = ["ChunkResult", "ChunkValidator", "canonical_polars_schema"]

# Positions of rows for duplicate messages pack the file's index among a folder's files above
# the row number: 2**40 rows per file, 2**23 files.
_FILE_SHIFT = 40


def canonical_polars_schema(schema: pa.Schema) -> pl.Schema:
    """The polars dtypes of a canonical Arrow schema (what :class:`ChunkResult` frames hold).

    >>> from callwarden.records.schema import RECORDS
    >>> canonical_polars_schema(RECORDS["calls"].schema)["start_time"]
    Datetime(time_unit='us', time_zone='UTC')
    """
    frame = pl.from_arrow(schema.empty_table())
    assert isinstance(frame, pl.DataFrame)  # noqa: S101 (a table always converts to a frame)
    return frame.schema


@dataclass(frozen=True)
class ChunkResult:
    """Canonical rows (canonical columns and dtypes) and rejected rows of one chunk."""

    accepted: pl.DataFrame
    rejects: pl.DataFrame


class ChunkValidator:
    """Validates the chunks of one source in order; remembers keys across chunks.

    ``settings`` supply the zone and region the mapping does not set; ``trunks`` (calls only)
    flag callers their trunk could not honestly present (:mod:`callwarden.records.trunks`).
    """

    def __init__(
        self, mapping: Mapping, settings: Settings | None = None, trunks: TrunkTable | None = None
    ) -> None:
        settings = settings or Settings()
        if trunks is not None and "trunk" not in mapping.spec.columns:
            raise ConfigError(f"a trunk table applies to calls, not to {mapping.spec.name}")
        self.trunks = trunks
        #: calls on trunks the table does not list, by trunk name
        self.unknown_trunks: Counter[str] = Counter()
        self.mapping = mapping
        self.spec = mapping.spec
        self.options = mapping.parse_options(settings.timezone, settings.default_region)
        self.schema = canonical_polars_schema(self.spec.schema)
        self.seen = SeenKeys() if self.spec.key is not None else None
        self._files: dict[int, str] = {}

    def validate(self, chunk: RawChunk) -> ChunkResult:
        """Split one chunk into canonical rows and rejected rows (rows of ``chunk.rejects``,
        rejected while reading, are not included: the caller quarantines those as they are)."""
        self._files[chunk.file_index] = chunk.file
        frame = chunk.frame
        if frame.height == 0:
            return ChunkResult(self.schema.to_frame(), empty_rejects())
        columns, errors = self._canonical_columns(frame)
        parsed: dict[str, Parsed] = {}
        for name in self.spec.columns:
            parsed[name] = parse_field(
                name,
                self.spec.kinds[name],
                columns[name],
                self.options,
                required=name in self.spec.required,
                choices=self.spec.choices.get(name, ()),
                max_chars=self.spec.max_chars(name),
                keep_suspect=name in self.spec.flags,
            )
            errors.append((name, parsed[name].code, parsed[name].message))
        extra = self._trunk_flags(parsed)
        values = pl.DataFrame([self._flagged(name, parsed, extra) for name in self.spec.columns])
        code, field, message = _first_error(errors)
        values, code, field, message = self._keys(chunk, values, code, field, message)
        bad = code.is_not_null()
        accepted = values.filter(~bad).cast(self.schema)
        source_columns = [c for c in frame.columns if c != ROW]
        # Only the rejected rows pay for turning their source values back into text.
        bad_source = frame.filter(bad)
        rejects = pl.DataFrame(
            {
                "row": bad_source[ROW],
                "reason": code.filter(bad),
                "field": field.filter(bad),
                "message": message.filter(bad),
            }
        ).with_columns(raw=pl.struct([bad_source[c].cast(pl.String) for c in source_columns]))
        if accepted.height + rejects.height != frame.height:
            raise InternalError(
                f"{chunk.file}: {frame.height} rows became {accepted.height} accepted and "
                f"{rejects.height} rejected"
            )
        return ChunkResult(accepted, rejects)

    def _flagged(
        self, name: str, parsed: dict[str, Parsed], extra: dict[str, pl.Series]
    ) -> pl.Series:
        """A column's values; a flag column gets the reason its number is suspect (the
        number's own, then its trunk's), else what the source said (an upstream system's own
        flag), else null."""
        numbers = [n for n, f in self.spec.flags.items() if f == name]
        if not numbers:
            return parsed[name].values
        found = [f for f in (parsed[numbers[0]].flag, extra.get(name)) if f is not None]
        if not found:
            return parsed[name].values
        return pl.select(pl.coalesce([*found, parsed[name].values])).to_series().alias(name)

    def _trunk_flags(self, parsed: dict[str, Parsed]) -> dict[str, pl.Series]:
        """Flag column -> the trunk flags of the calling party (empty without a trunk table)."""
        if self.trunks is None:
            return {}
        caller, trunk = parsed["caller"].values, parsed["trunk"].values
        self.unknown_trunks.update(dict(self.trunks.unknown(trunk).value_counts().iter_rows()))
        return {"caller_flag": self.trunks.flags(caller, trunk)}

    def _canonical_columns(
        self, frame: pl.DataFrame
    ) -> tuple[dict[str, pl.Series], list[tuple[str, pl.Series, pl.Series]]]:
        """The canonical columns as raw values, and the errors of the direction rule."""
        n = frame.height
        m = self.mapping
        columns: dict[str, pl.Series] = {}
        for name in self.spec.columns:
            sources = [s for s in m.columns.get(name, ()) if s in frame.columns]
            if len(sources) == 1:
                columns[name] = frame[sources[0]]
            elif sources:
                columns[name] = frame.select(_joined(sources)).to_series()
            elif name in m.defaults:
                columns[name] = pl.repeat(m.defaults[name], n, dtype=pl.String, eager=True)
            else:
                columns[name] = pl.repeat(None, n, dtype=pl.String, eager=True)
        errors: list[tuple[str, pl.Series, pl.Series]] = []
        d = m.direction
        if d is not None:
            code = frame[d.column].cast(pl.String).str.strip_chars()
            out, inc = code.is_in(d.outgoing), code.is_in(d.incoming)
            sub, other = frame[d.subscriber], frame[d.other]
            first, second = PARTIES[self.spec.name]
            columns[first] = _pick(out, sub, inc, other)
            columns[second] = _pick(out, other, inc, sub)
            for side in SUBSCRIBER_SIDE[self.spec.name]:
                columns[side] = _pick(~inc, columns[side], inc, None)
            listed = f"outgoing {', '.join(d.outgoing)}; incoming {', '.join(d.incoming) or '-'}"
            unknown = ~(out | inc).fill_null(False)
            text = code.fill_null("")
            errors.append(
                (
                    d.column,
                    pl.select(
                        pl.when(unknown).then(pl.lit(Reason.UNKNOWN_DIRECTION.value))
                    ).to_series(),
                    pl.select(
                        pl.when(unknown).then(
                            f"{d.column} '" + text + f"' is not a direction code ({listed})"
                        )
                    ).to_series(),
                )
            )
        return columns, errors

    def _keys(
        self,
        chunk: RawChunk,
        values: pl.DataFrame,
        code: pl.Series,
        field: pl.Series,
        message: pl.Series,
    ) -> tuple[pl.DataFrame, pl.Series, pl.Series, pl.Series]:
        """Derive missing keys of good rows, then reject repeated keys as duplicates."""
        key = self.spec.key
        if key is None or self.seen is None:
            return values, code, field, message
        good = code.is_null()
        # A key column that is not mapped, or left blank on a row, is derived from the row.
        missing = good & values[key].is_null()
        todo = missing.arg_true()
        if todo.len() and self.spec.key_from:
            derived = derive_keys(values.filter(missing), self.spec.key_from)
            values = values.with_columns(values[key].scatter(todo, derived))
        at = good.arg_true()
        rows = chunk.frame[ROW].gather(at)
        positions = rows + (chunk.file_index << _FILE_SHIFT)
        first = self.seen.check(values[key].gather(at), positions)
        dup = first.is_not_null()
        if not dup.any():
            return values, code, field, message
        where = at.filter(dup)
        texts = [
            f"duplicate {key} {k} (first at {self._where(int(p), chunk.file_index)})"
            for k, p in zip(values[key].gather(where), first.filter(dup), strict=True)
        ]
        code = code.scatter(where, Reason.DUPLICATE_KEY.value)
        field = field.scatter(where, key)
        message = message.scatter(where, pl.Series(texts, dtype=pl.String))
        return values, code, field, message

    def _where(self, position: int, current_file: int) -> str:
        index, row = position >> _FILE_SHIFT, position & ((1 << _FILE_SHIFT) - 1)
        if index == current_file:
            return f"row {row}"
        return f"row {row} of {self._files.get(index, '?')}"


def _joined(sources: Sequence[str]) -> pl.Expr:
    """Several source columns as one, joined with '/' (blank parts skipped; all blank: null)."""
    parts = [pl.col(s).cast(pl.String).str.strip_chars() for s in sources]
    parts = [pl.when(p == "").then(None).otherwise(p) for p in parts]
    joined = pl.concat_str(parts, separator="/", ignore_nulls=True)
    return pl.when(joined == "").then(None).otherwise(joined)


def _pick(if_a: pl.Series, a: pl.Series | None, if_b: pl.Series, b: pl.Series | None) -> pl.Series:
    """``a`` where ``if_a``, ``b`` where ``if_b``, null elsewhere (nulls in the masks: false)."""
    lit_a = pl.lit(a) if a is not None else pl.lit(None, pl.String)
    lit_b = pl.lit(b) if b is not None else pl.lit(None, pl.String)
    return pl.select(
        pl.when(pl.lit(if_a).fill_null(False))
        .then(lit_a)
        .when(pl.lit(if_b).fill_null(False))
        .then(lit_b)
        .otherwise(None)
    ).to_series()


def _first_error(
    errors: list[tuple[str, pl.Series, pl.Series]],
) -> tuple[pl.Series, pl.Series, pl.Series]:
    """Reason code, field and message of each row's first error (all null for a good row)."""
    frame = pl.DataFrame(
        {f"c{i}": c for i, (_, c, _) in enumerate(errors)}
        | {f"m{i}": m for i, (_, _, m) in enumerate(errors)}
    )
    out = frame.select(
        code=pl.coalesce([f"c{i}" for i in range(len(errors))]),
        field=pl.coalesce(
            [
                pl.when(pl.col(f"c{i}").is_not_null()).then(pl.lit(name))
                for i, (name, _, _) in enumerate(errors)
            ]
        ),
        message=pl.coalesce([f"m{i}" for i in range(len(errors))]),
    )
    return out["code"], out["field"], out["message"]
