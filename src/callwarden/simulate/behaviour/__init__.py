"""Behaviours of the simulated city, one module per actor type, registered in BEHAVIOURS."""

from __future__ import annotations

from callwarden.simulate.behaviour import (  # noqa: F401  (imported to register)
    cloud_trunk,
    honest_groups,
    legit,
    relay_call,
    robocall,
    rotation,
    simbox,
    sms_spam,
    social,
    spoofed_wangiri,
    wangiri,
)
from callwarden.simulate.behaviour.base import BEHAVIOURS, Behaviour, Day, Traffic

__all__ = ["BEHAVIOURS", "Behaviour", "Day", "Traffic"]
