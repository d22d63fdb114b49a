"""One exception hierarchy for everything callwarden raises on purpose.

Messages are written for the person who ran the command: they name the file, row or field
and say what to do about it.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "CallwardenError",
    "CaseError",
    "ConfigError",
    "Conflict",
    "EdgeError",
    "Forbidden",
    "InputFileError",
    "InternalError",
    "MappingError",
    "NotFound",
    "NumberFormatError",
    "RateLimited",
    "Unauthorized",
    "Unprocessable",
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


class EdgeError(CallwardenError):
    """The SIP edge (Kamailio, SIPp) is missing or would not start; the message says what to
    install or which log to read."""

    exit_code = 2  # as a server that cannot be reached (docs/cli.md's exit codes)


class CaseError(CallwardenError):
    """A case action that cannot be done as asked; ``status`` is the HTTP status the API answers.

    >>> e = Unprocessable("items", "missing owner_id_copy")
    >>> e.status, str(e)
    (422, 'items: missing owner_id_copy')
    """

    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class Unauthorized(CaseError):
    """No valid token or one-time code."""

    status = 401


class Forbidden(CaseError):
    """The role may not do this, or not to this number."""

    status = 403


class NotFound(CaseError):
    """No such case or number (for customers: indistinguishable from no access)."""

    status = 404
    exit_code = 2  # on the command line: the id or number given names nothing


class Conflict(CaseError):
    """The action is not allowed in the case's current state, or someone acted first."""

    status = 409


class Unprocessable(CaseError):
    """A field of the action is missing or wrong."""

    status = 422
    exit_code = 2  # on the command line: an option's value is wrong

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field)


class RateLimited(CaseError):
    """Too many requests; try again later."""

    status = 429
