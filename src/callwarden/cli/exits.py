"""The exit-code contract every ``callwarden`` command keeps, and the one line it prints.

A failure never ends in a traceback: it is one line on stderr and one of these codes. Set
``CALLWARDEN_DEBUG=1`` to see the traceback of an unexpected error instead.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from callwarden.errors import CallwardenError, CaseError

__all__ = ["CODES", "DEBUG_ENV", "INPUT", "INTERNAL", "USAGE", "one_line", "run", "validation"]

USAGE = 2
INPUT = 3
INTERNAL = 70  # EX_SOFTWARE from sysexits.h, as InternalError
DEBUG_ENV = "CALLWARDEN_DEBUG"

#: what each exit code means, as docs/cli.md states it
CODES = {
    0: "success",
    1: "a case action was refused (the role may not take it, or the case's state does not "
    "allow it)",
    USAGE: "bad options or values: an unknown option, a value out of range or not among those "
    "allowed, a settings file whose content is wrong, a `--db` that is not a case database, a "
    "server that cannot be reached",
    INPUT: "an input file (records, alerts, a model, settings) that is missing or cannot be "
    "read: wrong format, wrong columns, empty",
    4: "rows were quarantined under `--strict`",
    5: "`cases verify-audit` found a broken audit chain",
    INTERNAL: "an internal error (a bug: please report it)",
    130: "interrupted (Ctrl-C)",
}

_err = Console(stderr=True)


def one_line(text: str) -> str:
    """A message folded onto one line, whatever line breaks the library put in it.

    >>> one_line("1 validation error\\n  action\\n    Input should be 'a'")
    "1 validation error action Input should be 'a'"
    """
    return " ".join(text.split())


def _option(field: str, argv: Sequence[str]) -> str:
    """``--field`` when the command line has that option, else the field's own name."""
    flag = "--" + field.replace("_", "-")
    return flag if any(a == flag or a.startswith(flag + "=") for a in argv) else field


def validation(exc: ValidationError, argv: Sequence[str] = ()) -> str:
    """Pydantic's report as one line: each field (as its option, when given), the value given
    and what it should be.

    >>> from typing import Literal
    >>> from pydantic import BaseModel
    >>> class Act(BaseModel):
    ...     action: Literal["verify", "review"]
    >>> try:
    ...     Act(action="verfy")
    ... except ValidationError as exc:
    ...     validation(exc)
    "action 'verfy': input should be 'verify' or 'review'"
    """
    parts = []
    for error in exc.errors(include_url=False):
        field = ".".join(str(p) for p in error["loc"]) or exc.title
        given = error.get("input")
        shown = f" {given!r}" if isinstance(given, str | int | float) else ""
        message = error["msg"][:1].lower() + error["msg"][1:]
        parts.append(f"{_option(field, argv)}{shown}: {message}")
    return "; ".join(parts)


def _message(exc: CallwardenError, argv: Sequence[str]) -> str:
    text = str(exc)
    if isinstance(exc, CaseError) and exc.field and text.startswith(f"{exc.field}:"):
        text = _option(exc.field, argv) + text.removeprefix(exc.field)
    return text


def _is_path(param: Any) -> bool:
    # typer checks a path parameter's file (exists, readable) while it parses the command line
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    return isinstance(annotation, type) and issubclass(annotation, Path)


def _usage(exc: typer.TyperException) -> tuple[str, int]:
    message = exc.format_message()
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    # a path given that does not exist or cannot be read (a path not given is a usage error)
    given = isinstance(exc, typer.BadParameter) and type(exc).__name__ != "MissingParameter"
    code = INPUT if given and _is_path(getattr(exc, "param", None)) else exc.exit_code
    return message, code


@contextmanager
def _quiet_libraries(debug: bool) -> Iterator[None]:
    """The NATS client logs every failed connection attempt with its traceback; the command
    says what failed in its own line, so those logs go nowhere (unless debugging)."""
    logger = logging.getLogger("nats")
    saved = logger.propagate
    handler = logging.NullHandler()
    if not debug:
        logger.addHandler(handler)
        logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = saved


def run(command: Any, argv: Sequence[str] | None = None) -> int:
    """Run a Click command the way ``callwarden`` does; return its exit code.

    Every failure is one red line on stderr: ``error: <what, naming the file, option or
    field>``.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = os.environ.get(DEBUG_ENV, "") not in ("", "0")
    with _quiet_libraries(debug):
        try:
            result = command.main(args=args, prog_name="callwarden", standalone_mode=False)
        except typer.TyperException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # Typer has printed the help
                return exc.exit_code
            message, code = _usage(exc)
        except CallwardenError as exc:
            message, code = _message(exc, args), exc.exit_code
        except ValidationError as exc:
            message, code = validation(exc, args), USAGE
        except typer.Abort:
            message, code = "aborted", 1
        except Exception as exc:
            if debug:
                raise
            message = (
                f"internal error ({type(exc).__name__}: {exc}); please report it with the "
                f"command that was run, or rerun with {DEBUG_ENV}=1 for the traceback"
            )
            code = INTERNAL
        else:
            # without standalone mode Click returns the code of an explicit exit
            return result if isinstance(result, int) else 0
    _err.print(f"[bold red]error:[/] {escape(one_line(message))}", highlight=False, soft_wrap=True)
    return code
