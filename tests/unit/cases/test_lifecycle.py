"""The case lifecycle under random actions by random roles (a hypothesis state machine).

Whatever anyone tries, in any order, at any time: no move the state machine forbids is
accepted, each accepted action appends exactly one audit event (and a refused one none), the
audit chain always verifies, and SLA clocks never run backwards.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import hypothesis.strategies as st
from hypothesis import HealthCheck, event, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import func, select

from callwarden.cases.access import Actor
from callwarden.cases.audit import verify
from callwarden.cases.db import open_database
from callwarden.cases.machine import ACTIONS, RULES, VERDICTS, Role, lookup
from callwarden.cases.models import Case, CaseEvent
from callwarden.cases.schemas import CHANNELS, ActionIn, AlertIn, RequesterIn
from callwarden.cases.service import CaseService
from callwarden.errors import CaseError

ITEM_CODES = [
    "owner_document",
    "owner_id_copy",
    "proxy_document",
    "owner_authorisation",
    "guardian_present",
    "business_licence",
    "authorisation_letter",
    "user_document",
]
STAFF = [
    Actor("agent-1", Role.agent),
    Actor("analyst-1", Role.analyst),
    Actor("analyst-2", Role.analyst),
    Actor("super-1", Role.supervisor),
    Actor("tech-1", Role.technician),
    Actor("callwarden", Role.system),
]

actions = st.builds(
    ActionIn,
    action=st.sampled_from(ACTIONS),
    verdict=st.none() | st.sampled_from(VERDICTS),
    reason=st.none() | st.sampled_from(["看过证据", "please bring the callee list"]),
    channel=st.none() | st.sampled_from(CHANNELS),
    requester=st.none()
    | st.builds(
        RequesterIn,
        relationship=st.sampled_from(["owner", "family", "colleague", "other"]),
        document=st.sampled_from(["id_card", "student_card", "passport"]),
        minor=st.booleans(),
        forgotten_password=st.booleans(),
    ),
    items=st.lists(st.sampled_from(ITEM_CODES), max_size=4, unique=True) | st.just(ITEM_CODES),
    rating=st.none() | st.integers(1, 5),
)


class CaseLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = datetime(2026, 7, 8, 2, 0, tzinfo=UTC)
        self.service = CaseService(open_database("sqlite://"), clock=lambda: self.now)
        self.numbers: list[str] = []
        self.last_clock: dict[int, tuple[str, int]] = {}

    def _case(self, case_id: int) -> tuple[str, str, int, int, bool, str | None]:
        with self.service.db.sessions() as s:
            c = s.get(Case, case_id)
            assert c is not None
            events = s.scalar(
                select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)
            )
            return c.kind, c.state, c.version, int(events or 0), c.high_risk, c.first_approver

    @precondition(lambda self: len(self.numbers) < 3)  # few cases, each travelling far
    @rule(
        decision=st.sampled_from(["review", "restrict", "suspend"]),
        score=st.floats(0.6, 1.0),
        birth=st.none() | st.integers(1930, 2015),
        owner_type=st.sampled_from(["individual", "enterprise"]),
    )
    def alert(self, decision: str, score: float, birth: int | None, owner_type: str) -> None:
        msisdn = f"+86138{len(self.numbers):08d}"
        self.numbers.append(msisdn)
        (res,) = self.service.intake(
            [
                AlertIn(
                    msisdn=msisdn,
                    flagged_at=self.now,
                    score=score,
                    decision=decision,  # type: ignore[arg-type]
                    reasons=[],
                    subscriber={"owner_birth_year": birth, "owner_type": owner_type},  # type: ignore[arg-type]
                )
            ]
        )
        assert res.opened and res.case_id == len(self.numbers)

    def _guided(self, data: st.DataObject, case_id: int) -> tuple[Actor, ActionIn]:
        """A move the state machine allows now, by a role that may make it, fields filled in."""
        with self.service.db.sessions() as s:
            c = s.get(Case, case_id)
            assert c is not None
            kind, state, checklist = c.kind, c.state, c.checklist
        moves = [r for r in RULES if kind in r.kinds and state in r.from_states]
        move = data.draw(st.sampled_from(moves))
        role = data.draw(st.sampled_from(sorted(move.roles)))
        actor = (
            Actor("customer", Role.customer, self.numbers[case_id - 1])
            if role is Role.customer
            else data.draw(st.sampled_from([a for a in STAFF if a.role is role]))
        )
        fields: dict[str, object] = {"action": move.action, "verdict": move.verdict}
        fields["reason"] = "说明" if move.action != "restore" else None
        fields["rating"] = data.draw(st.integers(1, 5))
        if move.action == "request":
            fields["channel"] = "self_service" if role is Role.customer else "hotline"
        if move.action == "verify" and checklist:
            channels = checklist["channels"]
            if role is Role.system and "remote_face" in channels:
                fields["channel"] = "remote_face"
            else:  # the face-verification system cannot do this one: an agent does
                actor, fields["channel"] = STAFF[0], channels[0]
            fields["items"] = [i["code"] for i in checklist["items"] if i["required"]]
        return actor, ActionIn.model_validate(fields)

    @precondition(lambda self: self.numbers)
    @rule(
        data=st.data(),
        action=actions,
        as_customer=st.booleans(),
        own_number=st.booleans(),
        guided=st.integers(0, 9),
    )
    def act(
        self,
        data: st.DataObject,
        action: ActionIn,
        as_customer: bool,
        own_number: bool,
        guided: int,
    ) -> None:
        case_id = data.draw(st.integers(1, len(self.numbers)))
        if guided < 8:  # mostly plausible moves, so cases travel the whole way
            actor, action = self._guided(data, case_id)
        elif as_customer:
            owner = self.numbers[case_id - 1] if own_number else "+8613999999999"
            actor = Actor("customer", Role.customer, owner)
        else:
            actor = data.draw(st.sampled_from(STAFF))
        kind, state, version, events, high_risk, first = self._case(case_id)
        try:
            result = self.service.act(case_id, actor, action)
        except CaseError:
            after = self._case(case_id)
            assert after[1:4] == (state, version, events), "a refused action changed the case"
            return
        found = lookup(kind, state, action.action, action.verdict)
        assert found is not None, f"accepted {action.action} in {kind}/{state}"
        assert found.allows(actor.role), f"{actor.role} was allowed to {action.action}"
        if actor.role is Role.customer:
            assert actor.msisdn == self.numbers[case_id - 1]
        expected = found.to_state or state
        if action.action == "review" and action.verdict == "approve" and high_risk:
            expected = "awaiting_second_approval" if state == "under_review" else "approved"
            if state == "awaiting_second_approval":
                assert actor.name != first, "one person approved a high-risk restore twice"
        assert result.state == expected
        event(f"accepted {action.action} -> {result.state}")
        assert self._case(case_id)[3] == events + 1, "not exactly one audit event"

    @rule(minutes=st.integers(0, 4 * 24 * 60))
    def tick(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @precondition(lambda self: self.numbers)
    @rule()
    def sweep(self) -> None:
        escalated = self.service.sweep()
        with self.service.db.sessions() as s:
            for case_id in escalated:
                c = s.get(Case, case_id)
                assert c is not None and c.breached and c.queue == "supervisor"

    @invariant()
    def clocks_and_chain_hold(self) -> None:
        with self.service.db.sessions() as s:
            for c in s.scalars(select(Case)):
                used = self.service.sla.used(c, self.now)
                assert c.sla_used_s >= 0 and used >= 0
                step, before = self.last_clock.get(c.id, (c.state, 0))
                if step == c.state and c.sla_running_since is not None:
                    assert used >= before, "a running SLA clock went backwards"
                self.last_clock[c.id] = (c.state, used)
                assert (c.due_at is None) == (c.sla_running_since is None)
            report = verify(s)
            assert report.ok, report.broken

    def teardown(self) -> None:
        self.service.db.engine.dispose()


TestCaseLifecycle = CaseLifecycle.TestCase
TestCaseLifecycle.settings = settings(
    max_examples=60,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
