"""The records a command reads, found in a city or export folder, or refused when a part that
changes the results is missing.

A folder laid out by ``callwarden simulate`` or ``callwarden ingest`` holds ``calls/``, ``sms/``,
``subscribers/`` and, for a simulated city, ``labels/``. Given such a folder, a command takes
every part it can use; a part it was given explicitly wins. Scoring without subscribers gives
other results (no owner ages, no corporate SIMs, no allow list, and the operator's own numbers
are not known), so it needs an explicit ``--no-subscribers``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from callwarden.errors import ConfigError

#: options ``score`` and ``stream`` share, written once
NoSubscribersOption = Annotated[
    bool,
    typer.Option(
        "--no-subscribers",
        help="Score without subscribers, knowingly: owner ages, corporate SIMs, the allow "
        "list and the operator's own numbers are then unknown (a warning says so).",
    ),
]
ServedOption = Annotated[
    Path | None,
    typer.Option(
        "--served",
        exists=True,
        help="Prefixes the operator serves: a CSV with a prefix column (+86138 or 138). "
        "Numbers it does not serve get intercept instead of restrict or suspend. With "
        "--subscribers a number in either is served; with neither, China Mobile's ranges.",
        show_default="the subscribers' numbers",
    ),
]

__all__ = ["WITHOUT_SUBSCRIBERS", "Parts", "find_parts", "part_of", "warn_without_subscribers"]

#: what scoring loses without the subscriber table (said once, on stderr, with --no-subscribers)
WITHOUT_SUBSCRIBERS = (
    "scoring without subscribers: owner ages (the elderly owner of a relay-call SIM), "
    "corporate SIMs, real-name status and the allow list are unknown, and the operator's own "
    "numbers are only those of --served (else China Mobile's ranges): a number outside them "
    "gets intercept instead of restrict or suspend"
)

_err = Console(stderr=True)


def part_of(folder: str | Path | None, record: str) -> Path | None:
    """``folder/record`` when ``folder`` is a city or export folder that holds that part.

    >>> part_of("no-such-city", "calls") is None
    True
    """
    if folder is None or "://" in str(folder):
        return None
    candidate = Path(folder) / record
    return candidate if candidate.is_dir() or candidate.is_file() else None


@dataclass(frozen=True)
class Parts:
    """The records to read: each a path as given or as found (``None``: not read)."""

    calls: str
    sms: str | None
    subscribers: str | None
    #: the parts taken from the folder, for the line that says what is read
    found: tuple[str, ...] = ()

    def say(self) -> None:
        """One line on stderr naming the parts found in the folder (when any were)."""
        if self.found:
            _err.print(f"reading {', '.join(self.found)}", highlight=False, soft_wrap=True)


def find_parts(
    calls: str, sms: str | None, subscribers: str | None, *, no_subscribers: bool
) -> Parts:
    """The calls, SMS and subscribers to score, from what was given and the folder's parts.

    Raises :class:`ConfigError` when no subscribers were given or found and
    ``no_subscribers`` is not set, naming the folder that would do.
    """
    found: list[str] = []
    if (inner := part_of(calls, "calls")) is not None:
        city = Path(calls)
        calls = str(inner)
        found.append(calls)
        if sms is None and (p := part_of(city, "sms")) is not None:
            sms = str(p)
            found.append(sms)
        if subscribers is None and not no_subscribers and (p := part_of(city, "subscribers")):
            subscribers = str(p)
            found.append(subscribers)
    if subscribers is not None and no_subscribers:
        raise ConfigError("--subscribers and --no-subscribers: give one of them")
    if subscribers is None and not no_subscribers:
        raise ConfigError(_no_subscribers(calls))
    return Parts(calls, sms, subscribers, tuple(found))


def _no_subscribers(calls: str) -> str:
    hint = ""
    if "://" not in calls:
        here = Path(calls)
        for folder in (here, here.parent):
            if (p := part_of(folder, "subscribers")) is not None:
                hint = f" ({p} is there)"
                break
    return (
        f"no subscribers for {calls}: give --subscribers PATH{hint}, or --no-subscribers to "
        "score without them (owner ages, corporate SIMs, the allow list and the operator's "
        "own numbers are then unknown)"
    )


def warn_without_subscribers() -> None:
    """Say once, on stderr, what scoring without subscribers loses."""
    _err.print(f"[yellow]warning:[/] {WITHOUT_SUBSCRIBERS}", highlight=False, soft_wrap=True)
