"""The detectors' gate: below it every built-in detector scores 0, so no engine need look.

Every built-in detector scores 0 unless at least one of these holds at the event (the
conformance suite checks each detector against exactly this condition):

- ``out_calls_1h >= 6``;
- ``out_calls_1h >= 4`` and the owner is over 59 or under 19, or the number is foreign;
- ``out_calls_1h >= 3`` and the number is one nobody can own (``is_invalid_number``: an honest
  caller never presents one, so a few calls are enough to look at);
- ``spoofed_calls_1h >= 3``: calls presenting the number through a trunk that could not carry
  it (``caller_flag`` trunk_mismatch or cloud_trunk_mobile), 改号 / 网络云呼;
- ``sms_out_1h >= 11``;
- ``new_sim_days < 120`` and ``out_calls_24h >= 6``;
- ``imsis_per_imei >= 3``;
- ``shared_victims_24h >= 3`` or ``known_contacts_24h >= 3`` (only with a known-fraud list).

Engines use it twice: to find cheaply the numbers for which one of them *can* hold (triage,
each engine's own), and to compute every feature only at the events where it does.
The learned scorer can flag any number, so scoring with a model does not triage.

>>> f = {k: np.zeros(1) for k in GATE_FEATURES}
>>> f["out_calls_1h"][0] = 6
>>> passes_gate(f).tolist()
[True]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["GATE", "GATE_FEATURES", "Gate", "passes_gate"]


@dataclass(frozen=True)
class Gate:
    """The thresholds above; detectors must not fire below them."""

    busy_calls_1h: int = 6
    unusual_calls_1h: int = 4
    unusual_age_over: int = 59
    unusual_age_under: int = 19
    invalid_calls_1h: int = 3
    spoofed_calls_1h: int = 3
    sms_1h: int = 11
    new_sim_days: int = 120
    new_sim_calls_24h: int = 6
    sims_per_device: int = 3
    known_signals_24h: int = 3


GATE = Gate()
#: the features :func:`passes_gate` reads (batch scoring computes these first, at every event)
GATE_FEATURES = (
    "out_calls_1h",
    "out_calls_24h",
    "sms_out_1h",
    "imsis_per_imei",
    "shared_victims_24h",
    "known_contacts_24h",
    "owner_age",
    "new_sim_days",
    "is_international",
    "is_invalid_number",
    "spoofed_calls_1h",
)


def passes_gate(f: dict[str, np.ndarray], gate: Gate = GATE) -> np.ndarray:
    """The gate at each event (feature arrays): where it fails, every built-in detector
    scores 0 (the detector conformance suite holds them to it), so scoring can skip it."""
    age, days = f["owner_age"], f["new_sim_days"]
    with np.errstate(invalid="ignore"):
        unusual = (
            (f["is_international"] > 0)
            | (age > gate.unusual_age_over)
            | (age < gate.unusual_age_under)
        )
        fresh = (days < gate.new_sim_days) & (f["out_calls_24h"] >= gate.new_sim_calls_24h)
    return (
        (f["out_calls_1h"] >= gate.busy_calls_1h)
        | (unusual & (f["out_calls_1h"] >= gate.unusual_calls_1h))
        | ((f["is_invalid_number"] > 0) & (f["out_calls_1h"] >= gate.invalid_calls_1h))
        | (f["spoofed_calls_1h"] >= gate.spoofed_calls_1h)
        | (f["sms_out_1h"] >= gate.sms_1h)
        | fresh
        | (f["imsis_per_imei"] >= gate.sims_per_device)
        | (f["shared_victims_24h"] >= gate.known_signals_24h)
        | (f["known_contacts_24h"] >= gate.known_signals_24h)
    )
