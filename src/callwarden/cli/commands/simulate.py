"""``callwarden simulate``: a city's traffic with known fraud."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from callwarden.cli.progress import console, frame_table, steps
from callwarden.simulate import SimulationConfig, simulate_city
from callwarden.simulate.summary import actor_summary


def simulate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write canonical Parquet into.")],
    subscribers: Annotated[
        int | None, typer.Option("--subscribers", help="Subscribers in the city [default: 10000].")
    ] = None,
    days: Annotated[
        int | None, typer.Option("--days", help="Days to simulate [default: 1].")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Random seed; same seed, same city [default: 0].")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", exists=True, help="TOML file overriding any simulator parameter."),
    ] = None,
) -> None:
    """Simulate a city's calls and SMS with ground-truth fraud labels."""
    cfg = SimulationConfig.load(config, subscribers=subscribers, days=days, seed=seed)
    with steps("simulating") as progress:
        result = simulate_city(cfg, out, progress=progress)
    console.print(
        f"wrote {result.calls:,} calls and {result.sms:,} SMS for {result.subscribers:,} "
        f"subscribers over {result.days} day(s) to {out}"
    )
    console.print(frame_table(actor_summary(out), "by actor type"))
    console.print(f"trunk table (for callwarden ingest --trunks): {out / 'trunks.csv'}")
