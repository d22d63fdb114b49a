"""JSON Lines values: strict JSON, one scalar per column, numbers as the text the file has.

The JSON Lines reader turns each line's values into the text a CSV would hold, so validation
treats both formats alike. What a CSV cannot hold is caught here, per line:

- a list or an object where one value belongs (``nested_value``: which element is the caller?);
- an escaped unpaired surrogate such as ``"\\ud800"``: valid JSON syntax, but not text
  (``bad_text``);
- ``NaN`` and ``Infinity``, which Python writes but JSON does not have, and nesting too deep to
  parse (the line is ``invalid_json``).

Numbers are kept as written (``30``, ``1.50``, a 5,000-digit integer): no precision is lost and no
size limit applies; the field parsers decide what they mean.

>>> values = parse_line('{"caller": 13812345678, "ring_s": null, "cell": {"lac": 1}}')
>>> values["caller"], scalar_problem(values, ["caller", "ring_s", "cell"])[1:]
('13812345678', ('cell', 'cell is a JSON object, not one value'))
>>> parse_line('{"ring_s": NaN}')
Invalid(message='NaN is not JSON: write null for a missing value')
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from callwarden.records.quarantine import Reason

__all__ = ["Invalid", "as_text", "maybe_nested", "maybe_surrogate", "parse_line", "scalar_problem"]

# \ud800 to \udfff: a surrogate, paired (an emoji written escaped) or not
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_KINDS = {"[": "a JSON list", '"': "a JSON string", "t": "true", "f": "false", "n": "null"}


@dataclass(frozen=True)
class Invalid:
    """A line that is not JSON, and why."""

    message: str


class _NotJson(ValueError):
    pass


def _constant(name: str) -> Any:
    raise _NotJson(f"{name} is not JSON: write null for a missing value")


def _first_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A key written twice keeps its first value, as in polars' reader (the fast path): the
    # same line must give the same row whichever path reads it.
    return dict(reversed(pairs))


def parse_line(line: str) -> Any:
    """The JSON value of one line (numbers as their text), or :class:`Invalid`."""
    try:
        return json.loads(
            line,
            parse_int=str,
            parse_float=str,
            parse_constant=_constant,
            object_pairs_hook=_first_wins,
        )
    except json.JSONDecodeError as exc:
        return Invalid(f"{exc.msg} at column {exc.colno}")
    except _NotJson as exc:
        return Invalid(str(exc))
    except RecursionError:
        return Invalid("nested too deeply to read")


def kind_of(line: str) -> str:
    """What a line that parsed but is not an object holds, in words (numbers are text here).

    >>> kind_of(" [1, 2]"), kind_of("42")
    ('a JSON list', 'a JSON number')
    """
    return _KINDS.get(line.lstrip()[:1], "a JSON number")


def scalar_problem(obj: dict[str, Any], names: Sequence[str]) -> tuple[Reason, str, str] | None:
    """Reason, field and message for the first of ``names`` that is not one value, else None."""
    for name in names:
        value = obj.get(name)
        if isinstance(value, list | dict):
            kind = "list" if isinstance(value, list) else "object"
            return Reason.NESTED_VALUE, name, f"{name} is a JSON {kind}, not one value"
        if isinstance(value, str) and not _encodes(value):
            message = f"{name} holds an unpaired surrogate escape (\\ud800 to \\udfff): not text"
            return Reason.BAD_TEXT, name, message
    return None


def _encodes(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def as_text(value: Any) -> str | None:
    """A JSON scalar as the text a CSV would hold (numbers are their text already)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


def maybe_surrogate(data: bytes) -> bool:
    """Whether ``data`` may hold an escaped surrogate (polars reads a lone one as NUL)."""
    # A one-byte search runs at memchr speed and settles the usual chunk, without a backslash.
    return b"\\" in data and _SURROGATE.search(data) is not None


def maybe_nested(frame: pl.DataFrame) -> bool:
    """Whether a value of ``frame``, read by polars as text, may have been a list or an object:
    polars writes those as JSON text, so only the line itself can tell."""
    starts = [
        pl.col(c).str.starts_with("[") | pl.col(c).str.starts_with("{") for c in frame.columns
    ]
    if not starts:
        return False
    return bool(frame.select(pl.any_horizontal(starts).any()).item())
