"""A realistic city's call and SMS traffic with known fraud, for demos, tests and benchmarks."""

from __future__ import annotations

from callwarden.simulate.city import SimulationResult, simulate_city
from callwarden.simulate.config import SimulationConfig

__all__ = ["SimulationConfig", "SimulationResult", "simulate_city"]
