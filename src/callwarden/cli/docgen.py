"""Write docs/cli.md from the commands themselves, so the reference never drifts.

python -m callwarden.cli.docgen docs/cli.md
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from callwarden.cli.app import command
from callwarden.cli.exits import CODES, DEBUG_ENV


def _param_row(param: Any) -> str:
    if param.param_type_name == "option":
        names = ", ".join(f"`{o}`" for o in param.opts)
        text = _plain(param.help or "")
        if param.required:
            text += " (required)"
        elif param.default not in (None, False) and not param.is_flag:
            text += f" [default: {param.default}]"
    else:
        names = f"`{(param.name or '').upper()}`"
        text = _plain(getattr(param, "help", "") or "")
        if not param.required:
            text += " (optional)"
    return f"| {names} | {text.strip()} |"


def _commands(group: Any, ctx: Any, prefix: str) -> list[str]:
    lines: list[str] = []
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if cmd is None:
            continue
        if hasattr(cmd, "list_commands"):  # a command group, such as `model`
            lines += _commands(cmd, typer.Context(cmd, info_name=name), f"{prefix} {name}")
            continue
        lines += [f"## {prefix} {name}", "", (cmd.help or "").strip(), ""]
        params = [p for p in cmd.params if p.name != "help"]
        if params:
            lines += ["| argument / option | meaning |", "|---|---|"]
            lines += [_param_row(p) for p in params]
            lines.append("")
    return lines


def _plain(text: str) -> str:
    r"""Help text without Rich's markup escapes (``\[spark]`` reads ``[spark]``)."""
    return text.replace("\\[", "[")


def render() -> str:
    """The CLI reference as Markdown."""
    root: Any = command()
    lines = [
        "# Command-line reference",
        "",
        "Generated from the commands by `python -m callwarden.cli.docgen docs/cli.md`; "
        "a test fails when it is out of date.",
        "",
        f"`callwarden`: {root.help or ''}",
        "",
        "## Exit codes",
        "",
        "Every command keeps one contract: a failure is one line on stderr, `error: ...`, "
        "naming the file, option or field, never a traceback (set "
        f"`{DEBUG_ENV}=1` to see the traceback of an internal error), and one of these codes:",
        "",
        "| code | meaning |",
        "|---|---|",
        *(f"| {code} | {meaning} |" for code, meaning in CODES.items()),
        "",
    ]
    ctx = typer.Context(root, info_name="callwarden")
    lines += _commands(root, ctx, "callwarden")
    return "\n".join(lines)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    text = render()
    if target is None:
        sys.stdout.write(text)
    else:
        target.write_text(text, encoding="utf-8")
