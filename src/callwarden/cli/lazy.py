"""Commands loaded when they run: ``callwarden --help`` and one small command import only what
they use, not every command module with its libraries (SQLAlchemy, scikit-learn, SciPy, ...).

The root group keeps its commands in a :class:`LazyCommands` mapping: every name is there from
the start, and a command's module is imported the first time the command itself is asked for.
The root's own help lists each command by the summary written beside its name, so listing
imports nothing. Typer builds each loaded command exactly as ``app.command()`` and
``app.add_typer()`` did (the same options, help and panels).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass

import typer
from typer import _click as click  # Typer's own copy of Click, which its commands are made of
from typer.core import TyperCommand, TyperGroup

__all__ = ["LazyCommand", "LazyCommands", "LazyGroup"]


@dataclass(frozen=True)
class LazyCommand:
    """A command (a function) or a command group (a ``typer.Typer``) not imported yet."""

    name: str
    #: the module under ``callwarden.cli.commands`` that holds it
    module: str
    #: the function or Typer app in that module
    attribute: str
    #: the first paragraph of its help, as its docstring has it (what the root's help lists)
    summary: str

    def load(self) -> click.Command:
        """Import the module and build the click command as the root app would have."""
        target = getattr(
            importlib.import_module(f"callwarden.cli.commands.{self.module}"), self.attribute
        )
        holder = typer.Typer()
        holder.callback()(_nothing)  # a callback: Typer then always builds a group around it
        if isinstance(target, typer.Typer):
            holder.add_typer(target, name=self.name)
        else:
            holder.command(self.name)(target)
        group = typer.main.get_command(holder)
        return group.commands[self.name]  # type: ignore[attr-defined]


def _nothing() -> None:
    """The holder's callback (never run)."""


def _as_is(command: click.Command) -> None:
    """Leave a loaded command as Typer built it."""


class LazyCommands(MutableMapping[str, click.Command]):
    """A group's commands by name; a lazy one is loaded (and finished) when first looked up.

    While :attr:`listing` is set, a lazy command not loaded yet is answered with a stand-in that
    carries only its name and summary: enough for a help listing.
    """

    def __init__(self, lazy: tuple[LazyCommand, ...]) -> None:
        self._lazy = {c.name: c for c in lazy}
        self._loaded: dict[str, click.Command] = {}
        #: what is done to each command once loaded (the root's look of help, say)
        self.finish: Callable[[click.Command], None] = _as_is
        self.listing = False

    def __getitem__(self, name: str) -> click.Command:
        if name in self._loaded:
            return self._loaded[name]
        lazy = self._lazy[name]  # KeyError: no such command
        if self.listing:
            return TyperCommand(name, help=lazy.summary)
        command = lazy.load()
        self.finish(command)
        self._loaded[name] = command
        return command

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        self._loaded.pop(name, None)
        self._lazy.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        yield from self._lazy
        yield from (name for name in self._loaded if name not in self._lazy)

    def __len__(self) -> int:
        return len(self._lazy.keys() | self._loaded.keys())

    def __contains__(self, name: object) -> bool:
        return name in self._lazy or name in self._loaded


class LazyGroup(TyperGroup):
    """A Typer group whose commands are a :class:`LazyCommands` (set with :meth:`use`)."""

    def use(self, commands: LazyCommands) -> None:
        commands.update(self.commands)  # whatever Typer registered directly stays
        self.commands = commands

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        commands = self.commands
        if not isinstance(commands, LazyCommands):
            super().format_help(ctx, formatter)
            return
        commands.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            commands.listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self.commands.get(cmd_name)
