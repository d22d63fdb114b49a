"""The hotline's SIP edge: the shipped Kamailio configuration, and SIPp peers to drive it."""

from __future__ import annotations

from callwarden.edge.proxy import CONFIG, SCRIPT, EdgeProxy, EdgeSettings, free_udp_port
from callwarden.edge.sipp import SCENARIOS, CallRun, Peer, place_calls

__all__ = [
    "CONFIG",
    "SCENARIOS",
    "SCRIPT",
    "CallRun",
    "EdgeProxy",
    "EdgeSettings",
    "Peer",
    "free_udp_port",
    "place_calls",
]
