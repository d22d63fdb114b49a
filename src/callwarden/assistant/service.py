"""Conversations with the assistant, hand-offs to agents, and the knowledge base they draw on.

A customer's question is answered from the best-matching article (see :mod:`.retrieval`), its
placeholders filled from the customer's own case (:func:`callwarden.cases.queries.customer_view`:
the same facts the self-service page shows). When no article matches well enough, or the
customer asks for a person (人工, 客服, agent, human...), the conversation is handed off: it
waits in the agents' queue with its whole transcript, and from then on an agent answers.
"""

from __future__ import annotations

import re
from datetime import datetime
from threading import Lock
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callwarden.assistant.models import Article, Conversation, Message
from callwarden.assistant.retrieval import Index
from callwarden.cases import queries
from callwarden.cases.access import Actor
from callwarden.cases.machine import Role
from callwarden.cases.models import Case
from callwarden.cases.notices import channel_names
from callwarden.cases.service import CaseService
from callwarden.errors import Forbidden, NotFound, Unprocessable
from callwarden.numbers import mask

__all__ = [
    "DEFAULT_ARTICLES",
    "Assistant",
    "wants_person",
]

MAX_TEXT = 1000
_EDITORS = (Role.agent, Role.analyst, Role.supervisor)
_PERSON = re.compile(r"人工|真人|客服|转接|human|agent|person|operator|real person", re.IGNORECASE)

#: the articles a new database starts with; operators edit them on the console
DEFAULT_ARTICLES: tuple[tuple[str, str, str, str], ...] = (
    (
        "为什么停机 停机原因 号码为什么被停了",
        "why was my number suspended stopped reason",
        "您的号码因以下原因被保护性停机: {why}。这是为了保护您, 防止号码被他人利用。",
        "Your number was suspended for your protection because: {why}.",
    ),
    (
        "需要带什么材料 带哪些证件 复机材料",
        "what documents to bring papers id needed",
        "请准备以下材料: {bring}。",
        "Please bring: {bring}.",
    ),
    (
        "去哪里办理 在哪里复机 营业厅 可以远程吗 人脸识别",
        "where to go business hall remote video face verification",
        "您可以通过以下渠道核验身份: {where}。",
        "You can verify your identity via: {where}.",
    ),
    (
        "多久能复机 要多长时间 什么时候恢复 进度 时限",
        "how long when will it be restored progress time sla",
        "当前进度: {step}。预计完成时间: {expected}。工作日 9:00-18:00 内处理。",
        "Where it stands: {step}. Expected by: {expected}. Requests are handled on working "
        "days, 9:00-18:00.",
    ),
    (
        "忘记服务密码 密码忘了",
        "forgot service password",
        "忘记服务密码不影响复机: 核验身份时会为您重置密码, 请机主本人携带身份证件办理。",
        "A forgotten service password does not block the restore: it is reset when you verify "
        "your identity; the owner brings their ID.",
    ),
    (
        "什么是保护性停机 为什么要停机保护",
        "what is a protective suspension",
        "保护性停机是在号码出现异常通话时暂停呼出, 防止号码被诈骗分子利用, 也防止您承担法律风险。"
        "核验身份后即可恢复。客服热线 {hotline}。",
        "A protective suspension stops outgoing calls when a number behaves abnormally, so "
        "fraudsters cannot use it and you bear no legal risk. It is lifted once your identity "
        "is verified. Hotline {hotline}.",
    ),
)


def wants_person(text: str) -> bool:
    """Whether the customer asks for a person.

    >>> wants_person("转人工"), wants_person("I want a human"), wants_person("要带什么")
    (True, True, False)
    """
    return _PERSON.search(text) is not None


def _clean(text: str, field: str = "text") -> str:
    text = text.strip()
    if not text:
        raise Unprocessable(field, "write something")
    if len(text) > MAX_TEXT:
        raise Unprocessable(field, f"at most {MAX_TEXT} characters")
    return text


class Assistant:
    """The assistant over one case service (one database)."""

    def __init__(self, service: CaseService) -> None:
        self.service = service
        self._index: tuple[tuple[int, Any], Index] | None = None
        self._lock = Lock()

    # ------------------------------------------------------------ knowledge base

    def ensure_articles(self) -> None:
        """Put the default articles in an empty knowledge base."""
        with self.service.db.sessions.begin() as s:
            if s.scalar(select(func.count()).select_from(Article)):
                return
            now = self.service.now()
            for qz, qe, az, ae in DEFAULT_ARTICLES:
                s.add(
                    Article(
                        question_zh=qz,
                        question_en=qe,
                        answer_zh=az,
                        answer_en=ae,
                        active=True,
                        updated_by="callwarden",
                        updated_at=now,
                    )
                )

    def articles(self, s: Session) -> list[dict[str, Any]]:
        rows = s.scalars(select(Article).order_by(Article.id))
        return [
            {
                "id": a.id,
                "question_zh": a.question_zh,
                "question_en": a.question_en,
                "answer_zh": a.answer_zh,
                "answer_en": a.answer_en,
                "active": a.active,
                "updated_by": a.updated_by,
                "updated_at": a.updated_at.isoformat(),
            }
            for a in rows
        ]

    def save_article(
        self, actor: Actor, article_id: int | None, fields: dict[str, str], active: bool
    ) -> int:
        """Add (``article_id`` None) or change an article; agents, analysts and supervisors."""
        if actor.role not in _EDITORS:
            raise Forbidden(f"{actor.role.with_article} may not edit the knowledge base")
        values = {
            k: _clean(fields.get(k, ""), k)
            for k in ("question_zh", "question_en", "answer_zh", "answer_en")
        }
        with self.service.db.sessions.begin() as s:
            if article_id is None:
                row = Article(
                    **values, active=active, updated_by=actor.name, updated_at=self.service.now()
                )
                s.add(row)
            else:
                found = s.get(Article, article_id)
                if found is None:
                    raise NotFound(f"no article {article_id}")
                row = found
                for k, v in values.items():
                    setattr(row, k, v)
                row.active, row.updated_by, row.updated_at = active, actor.name, self.service.now()
            s.flush()
            return row.id

    def lookup(self, s: Session, question: str) -> tuple[dict[str, Any] | None, float]:
        """The article the assistant would answer ``question`` from, and its score."""
        article_id, score = self._index_of(s).best(question)
        found = next((a for a in self.articles(s) if a["id"] == article_id), None)
        return found, score

    def _index_of(self, s: Session) -> Index:
        stamp = s.execute(
            select(func.count(), func.max(Article.updated_at), func.max(Article.id)).where(
                Article.active.is_(True)
            )
        ).one()
        key = tuple(stamp)
        with self._lock:
            if self._index is not None and self._index[0] == key:
                return self._index[1]
        rows = s.scalars(select(Article).where(Article.active.is_(True)).order_by(Article.id)).all()
        index = Index([(a.id, f"{a.question_zh} {a.question_en}") for a in rows])
        with self._lock:
            self._index = (key, index)  # type: ignore[assignment]
        return index

    # ------------------------------------------------------------ conversations

    def _open(self, s: Session, actor: Actor, language: str) -> Conversation:
        conv = self._current(s, actor)
        if conv is None:
            case = s.scalar(
                select(Case.id).where(Case.msisdn == actor.msisdn).order_by(Case.id.desc()).limit(1)
            )
            conv = Conversation(
                msisdn=actor.msisdn or "",
                case_id=case,
                language=language,
                status="bot",
                opened_at=self.service.now(),
            )
            s.add(conv)
            s.flush()
        return conv

    def _current(self, s: Session, actor: Actor) -> Conversation | None:
        if actor.role is not Role.customer or not actor.msisdn:
            raise Forbidden("the assistant's conversations are the customer's own")
        return s.scalar(
            select(Conversation)
            .where(Conversation.msisdn == actor.msisdn, Conversation.status != "closed")
            .order_by(Conversation.id.desc())
            .limit(1)
        )

    def _say(
        self,
        s: Session,
        conv: Conversation,
        sender: str,
        author: str,
        text: str,
        article: int | None = None,
    ) -> None:
        s.add(
            Message(
                conversation_id=conv.id,
                at=self.service.now(),
                sender=sender,
                author=author,
                text=text,
                article_id=article,
            )
        )

    def _facts(self, s: Session, actor: Actor, language: str) -> dict[str, str]:
        zh = language == "zh"
        view = queries.customer_view(s, actor, self.service.sla, self.service.now(), language)
        case = view["case"] or {}
        sep = "; "
        none = "暂无" if zh else "none yet"
        expected = case.get("expected_completion")
        zone = ZoneInfo(self.service.config.calendar.timezone)
        return {
            "why": sep.join(r["plain"] for r in case.get("reasons") or [])
            or ("您的号码目前没有停机记录" if zh else "your number has no suspension on record"),
            "bring": ("、" if zh else ", ").join(i["text"] for i in case.get("checklist") or [])
            or (
                "申请复机后, 系统会按您的情况列出所需材料"
                if zh
                else "once you ask for the number back, the page lists what your case needs"
            ),
            "where": channel_names(case["channels"], language)
            if case.get("channels")
            else (
                "营业厅, 或申请后按页面提示的渠道"
                if zh
                else "a business hall, or the channels the page lists after your request"
            ),
            "expected": datetime.fromisoformat(expected).astimezone(zone).strftime("%Y-%m-%d %H:%M")
            if expected
            else none,
            "step": case.get("step") or none,
            "hotline": self.service.config.hotline,
        }

    def ask(self, actor: Actor, text: str, language: str) -> None:
        """The customer's question, and the assistant's answer or the hand-off."""
        text = _clean(text)
        with self.service.db.sessions.begin() as s:
            conv = self._open(s, actor, language)
            self._say(s, conv, "customer", "customer", text)
            if conv.status != "bot":  # a person has it, or will: no machine answer in between
                return
            zh = language == "zh"
            if wants_person(text):
                self._hand_off(
                    s,
                    conv,
                    "好的, 正在为您转接人工客服, 请稍候。"
                    if zh
                    else "Of course: passing you to a person; please wait a moment.",
                )
                return
            article_id, _score = self._index_of(s).best(text)
            article = s.get(Article, article_id) if article_id is not None else None
            if article is None:
                self._hand_off(
                    s,
                    conv,
                    "这个问题我暂时无法回答, 已为您转接人工客服, 请稍候。"
                    if zh
                    else "I cannot answer that; a person will take over. Please wait a moment.",
                )
                return
            template = article.answer_zh if zh else article.answer_en
            try:
                answer = template.format(**self._facts(s, actor, language))
            except (KeyError, IndexError, ValueError):  # an operator's typo in a placeholder
                answer = template
            self._say(s, conv, "bot", "assistant", answer, article.id)

    def _hand_off(self, s: Session, conv: Conversation, note: str) -> None:
        conv.status = "waiting"
        conv.handed_off_at = self.service.now()
        self._say(s, conv, "system", "assistant", note)

    def hand_off(self, actor: Actor, language: str) -> None:
        """The customer asks for a person with the button rather than in words."""
        with self.service.db.sessions.begin() as s:
            conv = self._open(s, actor, language)
            if conv.status == "bot":
                self._hand_off(
                    s,
                    conv,
                    "正在为您转接人工客服, 请稍候。"
                    if language == "zh"
                    else "Passing you to a person; please wait a moment.",
                )

    def conversation(self, s: Session, actor: Actor) -> dict[str, Any] | None:
        """The customer's current conversation with its messages."""
        conv = self._current(s, actor)
        return self._view(s, conv, actor) if conv is not None else None

    def _view(self, s: Session, conv: Conversation, actor: Actor) -> dict[str, Any]:
        messages = s.scalars(
            select(Message).where(Message.conversation_id == conv.id).order_by(Message.id)
        )
        full = actor.role in (Role.analyst, Role.supervisor)
        return {
            "id": conv.id,
            "msisdn": conv.msisdn if full else mask(conv.msisdn),
            "case_id": conv.case_id,
            "language": conv.language,
            "status": conv.status,
            "agent": conv.agent,
            "opened_at": conv.opened_at.isoformat(),
            "handed_off_at": conv.handed_off_at.isoformat() if conv.handed_off_at else None,
            "messages": [
                {
                    "at": m.at.isoformat(),
                    "sender": m.sender,
                    "author": m.author
                    if actor.role is not Role.customer or m.sender != "agent"
                    else "agent",
                    "text": m.text,
                }
                for m in messages
            ],
        }

    # ------------------------------------------------------------ agents

    def _staff(self, actor: Actor) -> None:
        if actor.role not in _EDITORS:
            raise Forbidden(f"{actor.role.with_article} does not answer customers")

    def handoffs(self, s: Session, actor: Actor) -> list[dict[str, Any]]:
        """Conversations handed to people and not closed, the longest waiting first."""
        self._staff(actor)
        rows = s.scalars(
            select(Conversation)
            .where(Conversation.status.in_(("waiting", "agent")))
            .order_by(Conversation.handed_off_at, Conversation.id)
            .limit(200)
        ).all()
        return [self._view(s, c, actor) for c in rows]

    def handoff(self, s: Session, actor: Actor, conversation_id: int) -> dict[str, Any]:
        self._staff(actor)
        conv = s.get(Conversation, conversation_id)
        if conv is None:
            raise NotFound(f"no conversation {conversation_id}")
        return self._view(s, conv, actor)

    def reply(self, actor: Actor, conversation_id: int, text: str, *, close: bool = False) -> None:
        """An agent's answer, which the customer sees on their page; ``close`` ends the chat."""
        self._staff(actor)
        text = _clean(text)
        with self.service.db.sessions.begin() as s:
            conv = s.get(Conversation, conversation_id, with_for_update=True)
            if conv is None or conv.status == "closed":
                raise NotFound(f"no open conversation {conversation_id}")
            conv.status = "closed" if close else "agent"
            conv.agent = actor.name
            self._say(s, conv, "agent", actor.name, text)
