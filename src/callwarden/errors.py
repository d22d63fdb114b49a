"""One exception hierarchy for everything callwarden raises on purpose.

Messages are written for the person who ran the command: they name the file, row or field
and say what to do about it.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "CallwardenError",
    "ConfigError",
    "InputFileError",
    "InternalError",
    "MappingError",
    "NumberFormatError",
]


class CallwardenError(Exception):
    """Base class: the CLI turns these into one red line and a non-zero exit code."""

    exit_code = 1


class ConfigError(CallwardenError):
    """A configuration file or option is wrong."""

    exit_code = 2


class MappingError(ConfigError):
    """A column-mapping file is wrong (unknown field, missing section, bad value)."""


class InputFileError(CallwardenError):
    """A whole input file cannot be read: wrong format, wrong columns, empty.

    >>> str(InputFileError("calls.csv", "it is empty"))
    'calls.csv: it is empty'
    """

    exit_code = 3

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class NumberFormatError(CallwardenError, ValueError):
    """A phone number that cannot be normalised to E.164."""


class InternalError(CallwardenError):
    """An invariant of callwarden itself failed: a bug, never the user's input. Please report it."""

    exit_code = 70  # EX_SOFTWARE from sysexits.h
