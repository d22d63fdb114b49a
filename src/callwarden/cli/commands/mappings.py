"""``callwarden mappings``: the column mappings shipped with callwarden."""

from __future__ import annotations

from typing import Annotated

import typer

from callwarden.cli.progress import console
from callwarden.records.mapping import list_mappings, load_mapping


def mappings(
    name: Annotated[
        str | None,
        typer.Argument(help="Show one mapping's file, to copy and adapt.", show_default="list all"),
    ] = None,
) -> None:
    """List the shipped column mappings, or print one to copy and adapt.

    Example:

        callwarden mappings sichuan-calls > my-operator.toml
    """
    if name is None:
        for shipped in list_mappings():
            spec = load_mapping(shipped)
            console.print(f"{shipped:16} record={spec.record}")
        return
    console.print(load_mapping(name).source_text, highlight=False, markup=False)
