"""``callwarden simulate``: a city's traffic with known fraud."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from callwarden.cli.progress import console, frame_table, steps
from callwarden.simulate import SimulationConfig, simulate_city
from callwarden.simulate.scenarios import VARIANTS, write_scenario
from callwarden.simulate.summary import actor_summary


def simulate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write canonical Parquet into.")],
    subscribers: Annotated[
        int | None,
        typer.Option(
            "--subscribers", help="Subscribers in the city.", show_default="10000, or --config's"
        ),
    ] = None,
    days: Annotated[
        int | None,
        typer.Option("--days", help="Days to simulate.", show_default="1, or --config's"),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed", help="Random seed; same seed, same city.", show_default="0, or --config's"
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            exists=True,
            help="TOML file overriding any simulator parameter (docs/simulator.md).",
            show_default="built-in parameters",
        ),
    ] = None,
    variant: Annotated[
        str | None,
        typer.Option(
            "--variant",
            help="An adversarial variant that disguises one cue of a fraud type "
            f"(e.g. --variant relay_slow); one of: {', '.join(VARIANTS)}.",
            show_default="none: the ordinary city",
        ),
    ] = None,
) -> None:
    """Simulate a city's calls and SMS with ground-truth fraud labels: relay calls (中转呼叫),
    robocalls and caller-ID rotation, wangiri (响一声), SIM boxes (猫池), SMS spam, spoofed
    caller IDs (改号), among honest subscribers and heavy legitimate callers.

    Example:

        callwarden simulate --out city --subscribers 20000 --seed 7
    """
    cfg = SimulationConfig.load(config, subscribers=subscribers, days=days, seed=seed)
    if variant is not None and variant not in VARIANTS:
        raise typer.BadParameter(
            f"unknown variant {variant!r}; one of: {', '.join(VARIANTS)}", param_hint="--variant"
        )
    if variant is not None:
        cfg = VARIANTS[variant].apply(cfg)
    with steps("simulating") as progress:
        result = simulate_city(cfg, out, progress=progress)
    console.print(
        f"wrote {result.calls:,} calls and {result.sms:,} SMS for {result.subscribers:,} "
        f"subscribers over {result.days} day(s) to {out}"
    )
    console.print(frame_table(actor_summary(out), "by actor type"))
    console.print(f"trunk table (for callwarden ingest --trunks): {out / 'trunks.csv'}")
    if variant is not None:
        console.print(f"variant {variant}: {write_scenario(out, VARIANTS[variant])}")
