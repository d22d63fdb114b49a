"""Real-name registration campaigns (实名登记): classify, remind, suspend, restore, report.

Seed 002: an operator brings every subscriber to real-name registration in four phases
(催告补登期 reminders, 实施停机期 scheduled suspension, 停机补登期 registration while suspended,
销户实名登记期 termination with a refund of the balance), with daily and weekly reports and an
early warning on complaints. Suspensions are cases of kind ``realname`` on the case machinery
(:mod:`callwarden.cases.realname_case`). See docs/campaigns.md.
"""

from __future__ import annotations

from callwarden.realname.kinds import KINDS, classify

__all__ = ["KINDS", "classify"]
