"""What an action handler may ask of the case service: the narrow context handlers work in.

The service applies an action by calling its handler (:mod:`callwarden.cases.actions`,
:mod:`callwarden.cases.appeal`, :mod:`callwarden.cases.realname_case`,
:mod:`callwarden.cases.interception`); a handler needs the clock, the configuration, notices and
a few case-building verbs back. Typing the handlers against this protocol rather than
:class:`~callwarden.cases.service.CaseService` keeps the import graph one way: the service
imports the handlers, never the reverse.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session

from callwarden.cases.access import Actor
from callwarden.cases.checklist import Checklist
from callwarden.cases.config import CaseConfig
from callwarden.cases.models import Case, CaseEvent, NumberStatus
from callwarden.cases.schemas import AlertIn, RequesterIn
from callwarden.cases.sla import SlaClock

__all__ = ["CaseContext"]

T = TypeVar("T")


class CaseContext(Protocol):
    """The part of the case service a handler sees (CaseService is one)."""

    config: CaseConfig
    sla: SlaClock

    def now(self) -> datetime: ...

    def retrying(self, work: Callable[[Session], T]) -> T: ...

    def event(
        self,
        s: Session,
        case: Case,
        actor: Actor,
        action: str,
        from_state: str | None,
        now: datetime,
        *,
        verdict: str | None = None,
        reason: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> CaseEvent: ...

    def notice(
        self, s: Session, case: Case | None, msisdn: str, kind: str, text: str, lang: str = ""
    ) -> None: ...

    def language(self, s: Session, msisdn: str) -> str: ...

    def checklist_for(self, s: Session, case: Case, requester: RequesterIn) -> Checklist: ...

    def local_time(self, at: datetime | None, language: str) -> str: ...

    def standing(self, s: Session, alert: AlertIn, now: datetime) -> NumberStatus: ...

    def open_case(
        self, s: Session, alert: AlertIn, aid: str, actor: Actor, now: datetime, kind: str
    ) -> Case: ...

    def new_case(
        self,
        s: Session,
        msisdn: str,
        kind: str,
        score: float,
        actor: Actor,
        now: datetime,
        payload: dict[str, Any],
    ) -> Case: ...

    def suspend(
        self,
        s: Session,
        case: Case,
        status: NumberStatus,
        level: str,
        score: float,
        reasons: list[dict[str, Any]],
        actor: Actor,
        aid: str | None,
        now: datetime,
        *,
        audit: bool = True,
    ) -> dict[str, Any]: ...
