"""Built-in detectors, one module each; importing this package registers them all."""

from __future__ import annotations

from callwarden.detect.rules import (  # noqa: F401  (imported to register)
    autodialer,
    call_content,
    known_fraud_contact,
    profile_mismatch,
    relay_call,
    rotation,
    sequential_dialing,
    simbox,
    sms_burst,
    spoofed_caller_id,
    spoofed_presentation,
    wangiri,
)
