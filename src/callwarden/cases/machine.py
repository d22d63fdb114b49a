"""The work-order state machine: which role may take which action in which state, and whither.

Pure data and one lookup, no database: the service applies it, the API and CLI show it, and the
property tests drive it with random roles and actions.

A suspension case (保护性停机 → 复机) runs::

    awaiting_request ─request─▶ awaiting_verification ─verify─▶ under_review
    under_review ─review:ask─▶ awaiting_customer ─provide─▶ under_review
    under_review ─review:approve─▶ approved (or awaiting_second_approval when the risk is high)
    awaiting_second_approval ─review:approve (a supervisor, not the first)─▶ approved
    approved ─restore─▶ closed
    under_review / awaiting_* ─reject─▶ rejected ─appeal─▶ under_review

A review case (an alert at review level, no suspension) starts in ``under_review`` and ends with
``review:clear`` (closed) or ``review:restrict`` / ``review:suspend`` (it becomes a suspension
case awaiting the customer).

An interception case (a number the operator does not serve, blocked at the gateway and reported
to the carrier that owns it) starts in ``under_review`` with the block in place::

    under_review ─review:approve─▶ intercepting (confirmed: the block stays, the report stands)
    under_review ─review:clear─▶ closed (lifted)
    intercepting ─review:clear (a supervisor)─▶ closed (lifted later: every decision reversible)

A real-name case (实名登记停机, :mod:`callwarden.realname`) starts suspended in
``awaiting_registration``::

    awaiting_registration ─register─▶ closed (restored at once, the customer told)
    awaiting_registration ─review:approve─▶ awaiting_second_approval (emergency restore, 紧急复机)
    awaiting_second_approval ─review:approve (a supervisor, not the first)─▶ approved
    approved ─restore─▶ closed
    awaiting_registration ─terminate─▶ closed (销户, the balance refunded)

An appeal case (the owner of a marked number disputes its marks, or asks for the
verified-business label, :mod:`callwarden.cases.appeal`) starts in ``under_review``; taking a
mark off or granting the label always needs two people::

    under_review ─review:ask─▶ awaiting_customer ─provide─▶ under_review
    under_review ─review:approve─▶ awaiting_second_approval
    awaiting_second_approval ─review:approve (a supervisor, not the first)─▶ closed (upheld)
    under_review / awaiting_* ─reject─▶ rejected ─appeal─▶ under_review

``comment``, ``escalate`` and ``complain`` never change the state;
``survey`` records satisfaction once the case has ended.

>>> rule = lookup("suspension", "approved", "restore", None)
>>> rule.to_state, sorted(str(r) for r in rule.roles)
('closed', ['technician'])
>>> lookup("suspension", "approved", "restore", None).allows("analyst")
False
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, get_args

__all__ = [
    "ACTIONS",
    "CASE_KINDS",
    "QUEUE_OF",
    "RULES",
    "STATES",
    "STEP_TEXT",
    "VERDICTS",
    "Action",
    "Role",
    "Rule",
    "Verdict",
    "lookup",
    "step_text",
]


class Role(StrEnum):
    """Who acts. Least privilege: each role holds only the actions its job needs."""

    customer = "customer"  # the subscriber, on their own number only, after a one-time code
    agent = "agent"  # customer service: hotline, business hall, video desk
    analyst = "analyst"  # security: reviews the evidence, approves or rejects
    technician = "technician"  # performs the technical restore
    supervisor = "supervisor"  # second approver, handles escalations and breaches
    system = "system"  # detection intake, SLA sweeper, remote face verification

    @property
    def with_article(self) -> str:
        """The role as a sentence names it.

        >>> Role.agent.with_article, Role.supervisor.with_article
        ('an agent', 'a supervisor')
        """
        return f"{'an' if self.value[0] in 'aeiou' else 'a'} {self.value}"


CASE_KINDS = ("suspension", "review", "interception", "realname", "appeal")
STATES = (
    "awaiting_request",
    "awaiting_registration",
    "awaiting_verification",
    "under_review",
    "awaiting_customer",
    "awaiting_second_approval",
    "approved",
    "intercepting",
    "rejected",
    "closed",
)
#: every action on a case, written once: the API's schema, the handlers and the rules use it
Action = Literal[
    "request",
    "verify",
    "review",
    "provide",
    "restore",
    "reject",
    "appeal",
    "comment",
    "escalate",
    "complain",
    "survey",
    "register",
    "terminate",
]
ACTIONS: tuple[Action, ...] = get_args(Action)
Verdict = Literal["approve", "ask", "clear", "restrict", "suspend"]
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)
OPEN_STATES = tuple(s for s in STATES if s not in ("rejected", "closed"))

#: whose move it is in each state (the queue a case sits in); escalated cases go to supervisors
QUEUE_OF: dict[str, str | None] = {
    "awaiting_request": "customer",
    "awaiting_registration": "customer",
    "awaiting_verification": "agent",
    "under_review": "analyst",
    "awaiting_customer": "customer",
    "awaiting_second_approval": "analyst",
    "approved": "technician",
    "intercepting": None,  # nobody's move: the block runs until it ends or is lifted
    "rejected": None,
    "closed": None,
}

#: what the customer reads about the current step: (zh, en)
STEP_TEXT: dict[str, tuple[str, str]] = {
    "awaiting_request": (
        "号码已被保护性停机, 您可以申请复机",
        "The number is suspended for your protection; you can ask for it back",
    ),
    "awaiting_registration": (
        "号码因未完成实名登记已停机, 完成登记后即时恢复",
        "The number is suspended until its real-name registration; it is restored as soon as "
        "you register",
    ),
    "awaiting_verification": (
        "已受理复机申请, 请按清单携带材料完成身份核验",
        "Request received; please verify your identity with the documents listed",
    ),
    "under_review": ("身份已核验, 安全部门正在审核", "Identity verified; security is reviewing"),
    "awaiting_customer": (
        "安全部门需要您补充说明或材料",
        "Security needs an explanation or documents from you",
    ),
    "awaiting_second_approval": (
        "审核通过, 等待第二位审核人确认",
        "Approved; waiting for a second reviewer to confirm",
    ),
    "approved": ("审核通过, 正在为您恢复号码", "Approved; your number is being restored"),
    "intercepting": (
        "该号码的来电已在网关拦截, 并已报送号码所属运营商",
        "Calls from this number are blocked at the gateway and reported to its carrier",
    ),
    "rejected": (
        "复机申请未通过, 您可以提出申诉",
        "The request was not approved; you can appeal",
    ),
    "closed": ("已办结", "Completed"),
}
#: where a kind's steps read differently from a suspension's
KIND_STEP_TEXT: dict[str, dict[str, tuple[str, str]]] = {
    "appeal": {
        "under_review": (
            "申诉已受理, 正在审核您的材料",
            "Appeal received; your evidence is being reviewed",
        ),
        "awaiting_customer": (
            "审核人员需要您补充说明或材料",
            "The reviewers need an explanation or documents from you",
        ),
        "awaiting_second_approval": (
            "初审通过, 等待第二位审核人确认",
            "Approved once; waiting for a second reviewer to confirm",
        ),
        "rejected": (
            "申诉未通过, 有新的材料可再次申诉",
            "The appeal was not upheld; you can appeal again with new evidence",
        ),
        "closed": (
            "申诉成立, 标记已撤销, 1 分钟内停止展示",
            "Appeal upheld; the marks are withdrawn and stop being shown within a minute",
        ),
    },
}


def step_text(kind: str, state: str) -> tuple[str, str]:
    """What the customer reads about a case's current step: (zh, en).

    >>> step_text("appeal", "rejected")[1]
    'The appeal was not upheld; you can appeal again with new evidence'
    """
    return KIND_STEP_TEXT.get(kind, {}).get(state) or STEP_TEXT[state]


_STAFF = frozenset({Role.agent, Role.analyst, Role.technician, Role.supervisor})
_REVIEWERS = frozenset({Role.analyst, Role.supervisor})
_FRONT = frozenset({Role.customer, Role.agent})


@dataclass(frozen=True)
class Rule:
    """One allowed move. ``to_state`` None means the state does not change."""

    action: Action
    verdict: Verdict | None
    kinds: frozenset[str]
    from_states: frozenset[str]
    roles: frozenset[Role]
    to_state: str | None

    def allows(self, role: str) -> bool:
        return role in self.roles


def _rule(
    action: Action,
    from_states: tuple[str, ...],
    roles: frozenset[Role],
    to_state: str | None,
    *,
    verdict: Verdict | None = None,
    kinds: tuple[str, ...] = CASE_KINDS,
) -> Rule:
    return Rule(action, verdict, frozenset(kinds), frozenset(from_states), roles, to_state)


_SUSP = ("suspension",)
_INTC = ("interception",)
_REAL = ("realname",)
_APPL = ("appeal",)
RULES: tuple[Rule, ...] = (
    _rule("request", ("awaiting_request",), _FRONT, "awaiting_verification", kinds=_SUSP),
    _rule(
        "verify",
        ("awaiting_verification",),
        frozenset({Role.agent, Role.system}),
        "under_review",
        kinds=_SUSP,
    ),
    # approve leads to approved or awaiting_second_approval: the service decides by risk
    _rule("review", ("under_review",), _REVIEWERS, "approved", verdict="approve", kinds=_SUSP),
    # the second approval of a high-risk restore is a supervisor's (docs/security.md says why)
    _rule(
        "review",
        ("awaiting_second_approval",),
        frozenset({Role.supervisor}),
        "approved",
        verdict="approve",
        kinds=(*_SUSP, *_REAL),
    ),
    _rule(
        "review",
        ("under_review",),
        _REVIEWERS,
        "awaiting_customer",
        verdict="ask",
        kinds=(*_SUSP, *_APPL),
    ),
    _rule("provide", ("awaiting_customer",), _FRONT, "under_review", kinds=(*_SUSP, *_APPL)),
    _rule("review", ("under_review",), _REVIEWERS, "closed", verdict="clear", kinds=("review",)),
    _rule(
        "review",
        ("under_review",),
        _REVIEWERS,
        "awaiting_request",
        verdict="restrict",
        kinds=("review",),
    ),
    _rule(
        "review",
        ("under_review",),
        _REVIEWERS,
        "awaiting_request",
        verdict="suspend",
        kinds=("review",),
    ),
    _rule(
        "reject",
        ("awaiting_verification", "under_review", "awaiting_customer", "awaiting_second_approval"),
        _REVIEWERS,
        "rejected",
        kinds=(*_SUSP, *_APPL),
    ),
    _rule("appeal", ("rejected",), _FRONT, "under_review", kinds=(*_SUSP, *_APPL)),
    # an appeal: the first approval goes to awaiting_second_approval (the service's four eyes)
    _rule("review", ("under_review",), _REVIEWERS, "closed", verdict="approve", kinds=_APPL),
    _rule(
        "review",
        ("awaiting_second_approval",),
        frozenset({Role.supervisor}),
        "closed",
        verdict="approve",
        kinds=_APPL,
    ),
    _rule("restore", ("approved",), frozenset({Role.technician}), "closed", kinds=(*_SUSP, *_REAL)),
    # real-name: registration restores at once; an emergency restore needs four eyes (the
    # service sends the first approval to awaiting_second_approval); termination is the
    # campaign's last phase
    _rule(
        "register",
        ("awaiting_registration", "awaiting_second_approval", "approved"),
        frozenset({Role.agent, Role.system}),
        "closed",
        kinds=_REAL,
    ),
    _rule(
        "review",
        ("awaiting_registration",),
        frozenset({Role.agent, *_REVIEWERS}),
        "approved",
        verdict="approve",
        kinds=_REAL,
    ),
    _rule("terminate", ("awaiting_registration",), frozenset({Role.system}), "closed", kinds=_REAL),
    _rule("review", ("under_review",), _REVIEWERS, "intercepting", verdict="approve", kinds=_INTC),
    _rule("review", ("under_review",), _REVIEWERS, "closed", verdict="clear", kinds=_INTC),
    _rule(
        "review",
        ("intercepting",),
        frozenset({Role.supervisor}),
        "closed",
        verdict="clear",
        kinds=_INTC,
    ),
    _rule("comment", STATES, _STAFF | {Role.customer}, None),
    _rule("escalate", OPEN_STATES, _STAFF - {Role.technician} | {Role.system}, None),
    _rule("complain", STATES, _FRONT, None, kinds=("suspension", "review", "realname", "appeal")),
    _rule(
        "survey",
        ("rejected", "closed"),
        _FRONT,
        None,
        kinds=("suspension", "review", "realname", "appeal"),
    ),
)


def lookup(kind: str, state: str, action: str, verdict: str | None) -> Rule | None:
    """The rule for this move, or None when the move is not allowed in this state at all."""
    for rule in RULES:
        if (
            rule.action == action
            and rule.verdict == verdict
            and kind in rule.kinds
            and state in rule.from_states
        ):
            return rule
    return None
