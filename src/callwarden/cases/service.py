"""The case service: alerts in, suspensions and work orders out, every action checked and audited.

One entry point per verb, used alike by the REST API, the CLI, the demo and the stream:

- :meth:`CaseService.intake` turns alerts into suspensions, cases and SMS notices (idempotent:
  an alert received twice changes nothing);
- :meth:`CaseService.act` applies one action of one actor to one case: the state machine says
  whether it is allowed, the SLA clock moves, exactly one audit event is appended;
- :meth:`CaseService.sweep` finds SLA breaches and escalates them to supervisors.

Concurrent actions on one case are serialised by a row lock (PostgreSQL) and guarded by the
case's version column everywhere: a loser is retried on fresh data, so no update is lost and a
number is never restored twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from callwarden.cases import access, interception
from callwarden.cases.access import Actor
from callwarden.cases.actions import HANDLERS
from callwarden.cases.audit import event_fields, event_hash
from callwarden.cases.checklist import Checklist, Owner, Requester, derive_checklist
from callwarden.cases.config import CaseConfig
from callwarden.cases.db import CLOCK, Database
from callwarden.cases.groups import stored_group
from callwarden.cases.machine import QUEUE_OF, Role, lookup
from callwarden.cases.models import (
    Alert,
    Case,
    CaseEvent,
    NoticeRow,
    NumberStatus,
    SubscriberProfile,
    Suspension,
)
from callwarden.cases.notices import render, suspension_text
from callwarden.cases.schemas import ActionIn, AlertIn, RequesterIn
from callwarden.cases.sla import SlaClock
from callwarden.detect.alerts_io import alert_id
from callwarden.errors import CaseError, Conflict, Forbidden, NotFound, Unauthorized, Unprocessable
from callwarden.network import Network, ServedNumbers, network_of
from callwarden.numbers import mask
from callwarden.records.schema import INTERCEPT
from callwarden.reputation import book as marks

__all__ = ["SYSTEM", "ActionResult", "CaseService", "IntakeResult", "alert_id"]

T = TypeVar("T")
SYSTEM = Actor("callwarden", Role.system)
_RETRIES = 8
_STATUS_OF_LEVEL = {"restrict": "restricted", "suspend": "suspended"}
_LEVEL_RANK = {"active": 0, "intercepted": 0, "restricted": 1, "suspended": 2, "terminated": 3}


@dataclass(frozen=True)
class IntakeResult:
    alert_id: str
    msisdn: str
    decision: str
    case_id: int | None
    opened: bool
    duplicate: bool
    #: who serves the number (callwarden.network.Network); suspensions only for "own"
    network: str = Network.OWN.value
    #: the number is blocked at the gateway and reported (it is not the operator's)
    intercepted: bool = False
    #: why the alert could not be taken in (nothing was written for it); None when it was
    error: str | None = None


@dataclass(frozen=True)
class ActionResult:
    case_id: int
    state: str
    version: int
    event_seq: int


class CaseService:
    """All case work on one database, with one configuration and one clock."""

    def __init__(
        self,
        db: Database,
        config: CaseConfig | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.db = db
        self.config = config or CaseConfig()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.sla = SlaClock(self.config)
        self.served = ServedNumbers(prefixes=self.config.served_prefixes)

    # ---------------------------------------------------------------- plumbing

    def now(self) -> datetime:
        return self.clock().astimezone(UTC)

    def retrying(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in a transaction; on a lost race, run it again on fresh data."""
        for _ in range(_RETRIES):
            try:
                with self.db.sessions.begin() as s:
                    s.info[CLOCK] = self.now
                    return work(s)
            except (StaleDataError, IntegrityError):
                continue
            except OperationalError as exc:  # SQLite "database is locked", PG serialization
                if "locked" in str(exc) or "could not serialize" in str(exc):
                    continue
                raise
        raise Conflict("the case changed while you acted; reload it and try again")

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
    ) -> CaseEvent:
        ev = CaseEvent(
            case_id=case.id,
            seq=case.audit_seq + 1,
            at=now,
            actor=actor.name,
            role=actor.role.value,
            action=action,
            verdict=verdict,
            from_state=from_state,
            to_state=case.state,
            reason=reason,
            payload=payload or {},
            prev_hash=case.audit_head,
            hash="",
        )
        ev.hash = event_hash(case.audit_head, event_fields(ev))
        case.audit_seq = ev.seq
        case.audit_head = ev.hash
        case.updated_at = now
        s.add(ev)
        return ev

    def notice(
        self, s: Session, case: Case | None, msisdn: str, kind: str, text: str, lang: str = ""
    ) -> None:
        s.add(
            NoticeRow(
                case_id=case.id if case else None,
                msisdn=msisdn,
                kind=kind,
                language=lang or self.language(s, msisdn),
                text=text,
                status="queued",
                created_at=self.now(),
            )
        )

    def language(self, s: Session, msisdn: str) -> str:
        profile = s.get(SubscriberProfile, msisdn)
        return profile.language if profile else self.config.language

    def checklist_for(self, s: Session, case: Case, requester: RequesterIn) -> Checklist:
        p = s.get(SubscriberProfile, case.msisdn)
        return derive_checklist(
            Owner(p.owner_birth_year, p.owner_type) if p else Owner(),
            Requester(**requester.model_dump()),
            high_risk=case.high_risk,
            year=self.now().astimezone(self.sla.calendar.zone).year,
        )

    def local_time(self, at: datetime | None, language: str) -> str:
        if at is None:
            return "-"
        local = at.astimezone(self.sla.calendar.zone)
        return local.strftime("%m月%d日 %H:%M" if language == "zh" else "%d %b %H:%M")

    # ---------------------------------------------------------------- intake

    def intake(self, alerts: Iterable[AlertIn], actor: Actor = SYSTEM) -> list[IntakeResult]:
        """Record alerts; open suspensions, cases and notices for those that call for them."""
        if actor.role not in (Role.system, Role.analyst, Role.supervisor):
            raise Forbidden(f"{actor.role.with_article} may not submit alerts")
        return [self._intake_or_report(a, actor) for a in alerts]

    def _intake_or_report(self, alert: AlertIn, actor: Actor) -> IntakeResult:
        """One alert; a refusal for this alert alone is reported in its result, not raised."""
        try:
            return self.retrying(partial(self._intake_one, alert=alert, actor=actor))
        except (CaseError, DataError) as exc:
            reason = str(exc) if isinstance(exc, CaseError) else "the database refused a value"
            aid = alert_id(alert.msisdn, alert.flagged_at, alert.decision)
            return IntakeResult(aid, alert.msisdn, alert.decision, None, False, False, error=reason)

    def _intake_one(self, s: Session, *, alert: AlertIn, actor: Actor) -> IntakeResult:
        now = self.now()
        aid = alert_id(alert.msisdn, alert.flagged_at, alert.decision)
        if (seen := s.get(Alert, aid)) is not None:
            return IntakeResult(aid, alert.msisdn, alert.decision, seen.case_id, False, True)
        if alert.subscriber is not None:
            s.merge(SubscriberProfile(msisdn=alert.msisdn, **alert.subscriber.model_dump()))
        network = self.network(s, alert.msisdn)
        decision = alert.decision
        if decision == "suspend" and actor.role is Role.system and self._cap_reached(s, now):
            decision = "review"  # over the day's cap: a person decides, as the policy does
        reasons = alert.reason_records()
        row = Alert(
            alert_id=aid,
            msisdn=alert.msisdn,
            flagged_at=alert.flagged_at,
            score=alert.score,
            decision=alert.decision,
            reasons=reasons,
            received_at=now,
            campaign_group=stored_group(reasons),
        )
        s.add(row)
        marks.on_alert(s, row, now)
        if decision == INTERCEPT:
            # blocking a presented number at the gateway never touches a subscriber's own
            # service (its calls start in the mobile core), so it is safe for own numbers
            # too: the scorer intercepts an own number whose ID others present (改号)
            return self._intercepted(s, alert, row, actor, now, network)
        if network is not Network.OWN:
            if decision in ("watch", "review"):
                # nobody to review here: the number is not the operator's; recorded as evidence
                return IntakeResult(
                    aid, alert.msisdn, alert.decision, None, False, False, network.value
                )
            return self._intercepted(s, alert, row, actor, now, network)
        if decision == "watch":
            return IntakeResult(aid, alert.msisdn, alert.decision, None, False, False)
        status = self.standing(s, alert, now)
        case = (
            s.get(Case, status.open_case_id, with_for_update=True) if status.open_case_id else None
        )
        opened = case is None
        if case is None:
            kind = "suspension" if decision in _STATUS_OF_LEVEL else "review"
            case = self.open_case(s, alert, aid, actor, now, kind)
            status.open_case_id = case.id
        else:
            case.risk_score = max(case.risk_score, alert.score)
            case.high_risk = case.high_risk or alert.score >= self.config.high_risk_score
            self.event(
                s,
                case,
                actor,
                "alert",
                case.state,
                now,
                payload={"alert_id": aid, "score": alert.score, "decision": alert.decision},
            )
        if decision in _STATUS_OF_LEVEL:
            self.suspend(s, case, status, decision, alert.score, reasons, actor, aid, now)
        row.case_id = case.id
        return IntakeResult(aid, alert.msisdn, alert.decision, case.id, opened, False)

    def _cap_reached(self, s: Session, now: datetime) -> bool:
        """Whether today's automatic suspensions (all processes together) reached the cap.

        Every scorer process keeps the policy's cap for itself; N stream partitions would
        allow N times the cap. Counted here in the one database, serialised, it holds for all.
        """
        cap = self.config.daily_suspension_cap
        if cap is None:
            return False
        access.serialise(s, "daily-suspension-cap")
        local = now.astimezone(self.sla.calendar.zone)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        used = s.scalar(
            select(func.count())
            .select_from(Suspension)
            .where(
                Suspension.level == "suspend",
                Suspension.decided_by.startswith(f"{Role.system.value}:"),
                Suspension.started_at >= midnight.astimezone(UTC),
            )
        )
        return (used or 0) >= cap

    def standing(self, s: Session, alert: AlertIn, now: datetime) -> NumberStatus:
        """The number's status row, locked (created when new), its risk raised to the alert's."""
        status = s.get(NumberStatus, alert.msisdn, with_for_update=True)
        if status is None:
            status = NumberStatus(
                msisdn=alert.msisdn, status="active", risk_score=0.0, updated_at=now
            )
            s.add(status)
        status.risk_score = max(status.risk_score, alert.score)
        status.updated_at = now
        return status

    def network(self, s: Session, msisdn: str) -> Network:
        """Who serves the number: the operator when it has a profile here or is in its ranges."""
        if s.get(SubscriberProfile, msisdn) is not None:
            return Network.OWN
        return network_of(msisdn, self.served)

    def _intercepted(
        self, s: Session, alert: AlertIn, row: Alert, actor: Actor, now: datetime, network: Network
    ) -> IntakeResult:
        case_id, opened = interception.intercept(self, s, alert, row, actor, now, network)
        return IntakeResult(
            row.alert_id, alert.msisdn, alert.decision, case_id, opened, False, network.value, True
        )

    def open_case(
        self, s: Session, alert: AlertIn, aid: str, actor: Actor, now: datetime, kind: str
    ) -> Case:
        payload = {"alert_id": aid, "score": alert.score, "decision": alert.decision}
        return self.new_case(s, alert.msisdn, kind, alert.score, actor, now, payload)

    def new_case(
        self,
        s: Session,
        msisdn: str,
        kind: str,
        score: float,
        actor: Actor,
        now: datetime,
        payload: dict[str, Any],
    ) -> Case:
        """A case of ``kind``: its first state, SLA clock running, and its ``open`` event."""
        state = "awaiting_request" if kind == "suspension" else "under_review"
        case = Case(
            kind=kind,
            msisdn=msisdn,
            state=state,
            queue=QUEUE_OF[state],
            risk_score=score,
            high_risk=score >= self.config.high_risk_score,
            escalated=False,
            complaints=0,
            opened_at=now,
            updated_at=now,
            sla_used_s=0,
            breached=False,
            audit_seq=0,
            audit_head="",
        )
        self.sla.enter(case, None, state, now)
        s.add(case)
        s.flush()
        self.event(s, case, actor, "open", None, now, payload=payload)
        return case

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
    ) -> dict[str, Any]:
        """Put (or raise) the protective measure and turn the case into a way back.

        With ``audit`` (alert intake) the change is its own audit event; inside a person's
        action the action's one event carries the returned payload instead.
        """
        new_status = _STATUS_OF_LEVEL[level]
        if _LEVEL_RANK[new_status] <= _LEVEL_RANK[status.status]:
            return {}
        susp = s.get(Suspension, case.suspension_id) if case.suspension_id else None
        if susp is None or susp.lifted_at is not None:
            susp = Suspension(
                msisdn=case.msisdn,
                level=level,
                score=score,
                reasons=reasons,
                decided_by=f"{actor.role.value}:{actor.name}",
                alert_id=aid,
                started_at=now,
            )
            s.add(susp)
            s.flush()
            case.suspension_id = susp.id
        else:
            susp.level = level
            susp.score = max(susp.score, score)
        status.status = new_status
        payload = {"level": level, "suspension_id": susp.id, "score": score}
        if audit:
            before = case.state
            if case.kind == "review":
                case.kind = "suspension"
                case.state = "awaiting_request"
                case.queue = QUEUE_OF["awaiting_request"]
                self.sla.enter(case, before, "awaiting_request", now)
            self.event(s, case, actor, "suspend", before, now, payload=payload)
        language = self.language(s, case.msisdn)
        checklist = self.checklist_for(s, case, RequesterIn())
        text = suspension_text(
            level=level,
            masked=mask(case.msisdn),
            reasons=susp.reasons,
            checklist=checklist.summary(language),
            hotline=self.config.hotline,
            url=self.config.self_service_url,
            language=language,
        )
        self.notice(
            s, case, case.msisdn, f"{level}ed" if level == "restrict" else "suspended", text
        )
        return payload

    # ---------------------------------------------------------------- actions

    def act(self, case_id: int, actor: Actor, action: ActionIn) -> ActionResult:
        """Apply one action; exactly one audit event on success, nothing at all on failure."""
        return self.retrying(lambda s: self._act(s, case_id, actor, action))

    def _act(self, s: Session, case_id: int, actor: Actor, action: ActionIn) -> ActionResult:
        now = self.now()
        case = s.get(Case, case_id, with_for_update=True)
        if case is None or (actor.role is Role.customer and case.msisdn != actor.msisdn):
            raise NotFound(f"no case {case_id}")
        if action.expected_version is not None and action.expected_version != case.version:
            raise Conflict(
                f"case {case_id} is at version {case.version}, not {action.expected_version}: "
                "someone acted first; reload it"
            )
        rule = lookup(case.kind, case.state, action.action, action.verdict)
        if rule is None:
            if action.action == "review" and action.verdict is None:
                raise Unprocessable("verdict", "review needs a verdict")
            what = action.action + (f":{action.verdict}" if action.verdict else "")
            raise Conflict(f"cannot {what} a {case.kind} case that is {case.state}", "action")
        if not rule.allows(actor.role):
            if case.state == "awaiting_second_approval" and action.action == "review":
                raise Forbidden(
                    "four eyes: the second approval (of a high-risk restore, of an appeal) is a "
                    "supervisor's, and not the first approver's"
                )
            raise Forbidden(
                f"{actor.role.with_article} may not {action.action} in state {case.state}"
            )
        before = case.state
        to_state = rule.to_state or case.state
        payload = HANDLERS[action.action](self, s, case, actor, action, now)
        marks.on_case(s, case, action.action, now)  # confirmed: strengthened; restored: withdrawn
        # four eyes guard giving a risky number back, and taking a mark off (an appeal)
        restore = case.high_risk and case.kind in ("suspension", "realname")
        if (
            action.action == "review"
            and action.verdict == "approve"
            and (restore or case.kind == "appeal")
        ):
            to_state = self._four_eyes(case, actor, to_state)
        if to_state != before:
            self.sla.enter(case, before, to_state, now)
            case.state = to_state
            case.queue = QUEUE_OF[to_state]
        if action.action in ("escalate", "complain", "appeal"):
            case.escalated = True
            if case.queue is not None:
                case.queue = "supervisor"
        ev = self.event(
            s,
            case,
            actor,
            action.action,
            before,
            now,
            verdict=action.verdict,
            reason=action.reason,
            payload=payload,
        )
        s.flush()
        return ActionResult(case.id, case.state, case.version, ev.seq)

    def _four_eyes(self, case: Case, actor: Actor, done: str) -> str:
        if case.state != "awaiting_second_approval":  # the first approval
            case.first_approver = actor.name
            return "awaiting_second_approval"
        if actor.name == case.first_approver:
            raise Conflict(
                "four eyes: a second person, not the first approver, must approve", "actor"
            )
        return done

    # ---------------------------------------------------------------- SLA

    def sweep(self) -> list[int]:
        """Escalate every case whose running SLA clock has passed its deadline; their ids."""

        def work(s: Session) -> list[int]:
            now = self.now()
            due = s.scalars(
                select(Case)
                .where(Case.due_at < now, Case.breached.is_(False))
                .order_by(Case.due_at)
                .with_for_update()
            ).all()
            interception.expire(self, s, now, SYSTEM)
            for case in due:
                case.breached = True
                case.escalated = True
                case.queue = "supervisor"
                self.event(
                    s,
                    case,
                    SYSTEM,
                    "breach",
                    case.state,
                    now,
                    payload={"due_at": case.due_at.isoformat() if case.due_at else None},
                )
            return [c.id for c in due]

        return self.retrying(work)

    def mark_sent(self, notice_id: int) -> None:
        """The SMS gateway delivered this notice."""
        with self.db.sessions.begin() as s:
            row = s.get(NoticeRow, notice_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no notice {notice_id}")
            if row.status != "sent":
                row.status = "sent"
                row.sent_at = self.now()

    # ---------------------------------------------------------------- access

    def latest_case(self, actor: Actor) -> int:
        """The id of the newest case on a customer's own number (404 when there is none)."""
        with self.db.reads() as s:
            latest = s.scalar(
                select(Case.id).where(Case.msisdn == actor.msisdn).order_by(Case.id.desc()).limit(1)
            )
        if latest is None:
            raise NotFound("there is no case on your number")
        return latest

    def add_user(self, username: str, role: str) -> str:
        """A staff user and its token (shown once); a name taken meanwhile is a conflict."""
        try:
            with self.db.sessions.begin() as s:
                return access.add_user(s, username, role, self.now())
        except IntegrityError:  # the same name added in parallel: the unique index says no
            raise Conflict(f"user {username!r} already exists", "username") from None

    def authenticate(self, token: str | None) -> Actor:
        with self.db.sessions() as s:
            return access.authenticate(s, token, self.now())

    def staff(self, username: str) -> Actor | None:
        """The active staff user of that name; None for anyone else."""
        found = self.staff_key(username)
        return found[0] if found else None

    def staff_key(self, username: str) -> tuple[Actor, str] | None:
        """See :func:`access.staff_key` (the console's signed sessions)."""
        with self.db.reads() as s:
            return access.staff_key(s, username)

    def request_code(self, msisdn: str) -> None:
        """Send a one-time code to the number if it is known; answer the same either way."""
        with self.db.sessions.begin() as s:
            code = access.request_code(s, msisdn, self.now(), self.config)
            if code is not None:
                language = self.language(s, msisdn)
                text = render("otp", language, code=code, minutes=self.config.otp_ttl_minutes)
                self.notice(s, None, msisdn, "otp", text)

    def open_session(self, msisdn: str, code: str) -> tuple[str, datetime]:
        """A session token for the number, when the code is right.

        Two transactions: the first counts the try (committed whatever the code), the second
        compares and burns the code. See :func:`access.take_attempt` and :func:`access.redeem`.
        """
        now = self.now()
        with self.db.sessions.begin() as s:
            otp_id = access.take_attempt(s, msisdn, now, self.config)
        if otp_id is None:
            raise Unauthorized(access.BAD_CODE)
        with self.db.sessions.begin() as s:
            return access.redeem(s, otp_id, msisdn, code, now, self.config)
