"""Outbound call-centre compliance: consent and refusal registers, calling hours and frequency
limits per person, the pre-dial check, and the audit of a day's outbound calls."""
