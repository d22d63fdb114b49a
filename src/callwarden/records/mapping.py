"""Column mappings: how an operator's export becomes a canonical record.

A mapping is a small TOML file. Shipped ones (``calls``, ``sms``, ``subscribers``, ``labels``
for files already in canonical form, ``sichuan-calls`` and ``sichuan-sms`` for the Sichuan
competition's raw exports) are named; any other is given by path::

    description = "Acme switch CDR export"   # optional, shown by `callwarden mappings`
    record = "calls"               # calls, sms, subscribers, labels or transcripts
    numbers = "e164"               # or "opaque": hashed identifiers, kept as they are
    timezone = "Asia/Shanghai"     # zone of times written without an offset (default: settings)
    time_format = ""               # strptime-style; empty accepts ISO-8601, 'Y-m-d H:M:S', epoch s
    default_region = "CN"          # region of numbers without a country code (default: settings)
    delimiter = ","                # CSV only; default: ',' (tab for .tsv), sniffed from the header
    encoding = "utf-8"             # CSV and JSON Lines; e.g. "gb18030" for GBK exports
    format = "csv"                 # csv, parquet or jsonl; default: from the file name

    [columns]                      # canonical name = source column, or a list joined with "/"
    caller = "calling_number"
    caller_cell = ["city", "county"]

    [defaults]                     # constant values for canonical columns the source lacks
    ring_s = 0

    [direction]                    # one row per subscriber leg (calls and sms only)
    column = "calltype_id"
    subscriber = "phone_no_m"
    other = "opposite_no_m"
    outgoing = ["1", "3"]          # the subscriber is the caller / sender
    incoming = ["2"]               # the subscriber is the callee / recipient

A key column (``call_id``, ``sms_id``) that is not mapped is derived from the row. Every problem
is a :class:`~callwarden.errors.MappingError` naming the file and the field.

>>> m = load_mapping("sichuan-calls")
>>> m.record, m.numbers, m.direction.outgoing
('calls', 'opaque', ('1', '3'))
>>> m.required_source_columns()
['start_datetime', 'call_dur', 'calltype_id', 'phone_no_m', 'opposite_no_m']
"""

from __future__ import annotations

import codecs
import zoneinfo
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from callwarden.config import load_toml
from callwarden.errors import ConfigError, MappingError
from callwarden.records.fields import INGESTIBLE_KINDS, ParseOptions, parse_field
from callwarden.records.schema import RECORDS, RecordSpec

__all__ = ["Direction", "Mapping", "list_mappings", "load_mapping"]

#: (from party, to party) of records whose rows may be legs seen from one subscriber
PARTIES: dict[str, tuple[str, str]] = {
    "calls": ("caller", "callee"),
    "sms": ("sender", "recipient"),
}
#: columns that describe the subscriber's own side (device, cell): on an incoming leg they
#: describe the callee, so they cannot stay in the caller's columns
SUBSCRIBER_SIDE: dict[str, tuple[str, ...]] = {"calls": ("caller_cell", "caller_imei"), "sms": ()}
_LOADER_FIELDS = ("name", "origin", "source_text")


def _as_text(value: Any) -> Any:
    # TOML lets people write outgoing = [1, 3]; the codes are compared as text.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Direction(BaseModel):
    """Rows are legs seen from one subscriber: a code column says which party is which."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    column: str
    subscriber: str
    other: str
    outgoing: tuple[str, ...]
    incoming: tuple[str, ...] = ()

    @field_validator("outgoing", "incoming", mode="before")
    @classmethod
    def _codes_as_text(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return tuple(_as_text(v) for v in value)
        return value


class Mapping(BaseModel):
    """A parsed, checked column mapping (see the module docstring for the file format)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: the mapping's name (file stem), where it was read from and its text; set by the loader
    name: str = ""
    origin: str = "<mapping>"
    source_text: str = ""
    description: str = ""
    record: str
    numbers: Literal["e164", "opaque"] = "e164"
    timezone: str | None = None
    time_format: str = ""
    default_region: str | None = None
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    encoding: str = "utf-8"
    format: Literal["csv", "parquet", "jsonl"] | None = None
    columns: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    defaults: dict[str, str] = Field(default_factory=dict)
    direction: Direction | None = None

    @field_validator("columns", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (v,) if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("defaults", mode="before")
    @classmethod
    def _defaults_as_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: ("true" if v else "false") if isinstance(v, bool) else _as_text(v)
                for k, v in value.items()
            }
        return value

    @model_validator(mode="after")
    def _check(self) -> Mapping:
        _check_mapping(self)
        return self

    @property
    def spec(self) -> RecordSpec:
        """The canonical record this mapping produces."""
        return RECORDS[self.record]

    def parse_options(self, timezone: str, region: str) -> ParseOptions:
        """Parsing options, with the mapping's zone and region overriding the given defaults."""
        return ParseOptions(
            timezone=self.timezone or timezone,
            region=self.default_region or region,
            time_format=self.time_format,
            opaque_numbers=self.numbers == "opaque",
        )

    def source_columns(self) -> list[str]:
        """Every source column the mapping reads, each once, in mapping order."""
        names: list[str] = [c for sources in self.columns.values() for c in sources]
        if self.direction is not None:
            d = self.direction
            names += [d.column, d.subscriber, d.other]
        return list(dict.fromkeys(names))

    def required_source_columns(self) -> list[str]:
        """Source columns a file must have: those feeding required canonical columns."""
        spec = self.spec
        names = [c for canon, srcs in self.columns.items() if canon in spec.required for c in srcs]
        if self.direction is not None:
            d = self.direction
            names += [d.column, d.subscriber, d.other]
        return list(dict.fromkeys(names))


def _fail(mapping: Mapping, field: str, problem: str) -> MappingError:
    return MappingError(f"{mapping.origin}: {field}: {problem}")


def _check_mapping(m: Mapping) -> None:
    """Check what the field types cannot: names against the record, coverage, zone, defaults."""
    if m.record not in RECORDS:
        raise _fail(m, "record", f"unknown record {m.record!r} (one of {', '.join(_ingestible())})")
    if m.record not in _ingestible():
        raise _fail(m, "record", f"{m.record} are produced by callwarden, not ingested")
    _check_names(m)
    _check_coverage(m)
    _check_options(m)
    _check_defaults(m)


def _check_names(m: Mapping) -> None:
    spec = m.spec
    known = ", ".join(spec.columns)
    for table in ("columns", "defaults"):
        for name in getattr(m, table):
            if name not in spec.kinds:
                raise _fail(m, f"{table}.{name}", f"not a column of {m.record} (columns: {known})")
    for name, sources in m.columns.items():
        if not sources or any(not s for s in sources):
            raise _fail(m, f"columns.{name}", "give a source column name or a list of them")
        if name in m.defaults:
            raise _fail(m, f"defaults.{name}", "is also in [columns]: give one or the other")
    if spec.key is not None and spec.key in m.defaults:
        raise _fail(m, f"defaults.{spec.key}", "a key cannot be a constant")


def _check_coverage(m: Mapping) -> None:
    """Every required canonical column must come from somewhere."""
    spec = m.spec
    covered = set(m.columns) | set(m.defaults)
    if m.direction is not None:
        if m.record not in PARTIES:
            raise _fail(m, "direction", f"only calls and sms have a direction, not {m.record}")
        for party in PARTIES[m.record]:
            if party in covered:
                raise _fail(m, f"columns.{party}", "comes from [direction]: remove it here")
        overlap = set(m.direction.outgoing) & set(m.direction.incoming)
        if overlap:
            raise _fail(m, "direction", f"codes {sorted(overlap)} are both outgoing and incoming")
        covered |= set(PARTIES[m.record])
    if spec.key is not None and spec.key_from:
        covered.add(spec.key)  # derived from the row when not mapped
    missing = [c for c in spec.required if c not in covered]
    if missing:
        raise _fail(
            m, "columns", f"required column(s) {', '.join(missing)} of {m.record} not mapped"
        )


def _check_options(m: Mapping) -> None:
    if m.timezone is not None:
        try:
            zoneinfo.ZoneInfo(m.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise _fail(m, "timezone", f"unknown time zone {m.timezone!r}") from None
    if m.time_format and "%" not in m.time_format:
        raise _fail(m, "time_format", f"{m.time_format!r} has no % directives (e.g. %Y-%m-%d)")
    try:
        codecs.lookup(m.encoding)
    except LookupError:
        raise _fail(m, "encoding", f"unknown encoding {m.encoding!r}") from None


def _check_defaults(m: Mapping) -> None:
    """A constant that fails validation would quarantine every row: refuse it up front."""
    spec = m.spec
    options = m.parse_options("UTC", "CN")
    for name, value in m.defaults.items():
        parsed = parse_field(
            name,
            spec.kinds[name],
            pl.Series([value], dtype=pl.String),
            options,
            required=name in spec.required,
            choices=spec.choices.get(name, ()),
            max_chars=spec.max_chars(name),
        )
        if parsed.code[0] is not None:
            raise _fail(m, f"defaults.{name}", str(parsed.message[0]))


def _ingestible() -> list[str]:
    return [n for n, s in RECORDS.items() if set(s.kinds.values()) <= INGESTIBLE_KINDS]


def _shipped() -> dict[str, Any]:
    folder = resources.files("callwarden.records") / "mappings"
    return {p.name.removesuffix(".toml"): p for p in folder.iterdir() if p.name.endswith(".toml")}


def list_mappings() -> dict[str, str]:
    """The shipped mappings, name to one-line description.

    >>> sorted(list_mappings())[:3]
    ['calls', 'labels', 'sichuan-calls']
    """
    return {name: load_mapping(name).description for name in sorted(_shipped())}


def load_mapping(spec: str | Path) -> Mapping:
    """Load a mapping from a ``.toml`` path or by the name of a shipped one.

    >>> load_mapping("calls").columns["caller"]
    ('caller',)
    >>> load_mapping("nope")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    callwarden.errors.MappingError: no mapping file or shipped mapping named 'nope' (shipped: ...)
    """
    path = Path(spec)
    shipped = _shipped()
    if isinstance(spec, str) and spec in shipped and not path.is_file():
        with resources.as_file(shipped[spec]) as file:
            return _from_file(file, name=spec, origin=f"{spec} (shipped mapping)")
    if path.suffix == ".toml" or path.exists():
        return _from_file(path, name=path.stem, origin=str(path))
    raise MappingError(
        f"no mapping file or shipped mapping named {str(spec)!r} "
        f"(shipped: {', '.join(sorted(shipped))})"
    )


def _from_file(path: Path, *, name: str, origin: str) -> Mapping:
    try:
        data = load_toml(path)
    except ConfigError as exc:
        raise MappingError(str(exc).replace(str(path), origin, 1)) from None
    for reserved in _LOADER_FIELDS:
        if reserved in data:
            raise MappingError(f"{origin}: {reserved}: unknown key (set by callwarden)")
    text = path.read_text(encoding="utf-8")
    try:
        return Mapping.model_validate({**data, "name": name, "origin": origin, "source_text": text})
    except ValidationError as exc:
        raise MappingError(_explain(origin, exc)) from None


def _explain(origin: str, exc: ValidationError) -> str:
    """Pydantic's errors in the mapping's words: unknown keys name what is allowed."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            where = Direction if loc.startswith("direction.") else Mapping
            allowed = [f for f in where.model_fields if f not in _LOADER_FIELDS]
            lines.append(f"{origin}: {loc}: unknown key (allowed: {', '.join(allowed)})")
        elif err["type"] == "missing":
            lines.append(f"{origin}: {loc}: missing")
        else:
            lines.append(f"{origin}: {loc or '(top level)'}: {err['msg']}")
    return "\n".join(lines)
