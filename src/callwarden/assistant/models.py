"""Tables of the assistant: knowledge-base articles, conversations and their messages
(migration 0011)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from callwarden.cases.models import Base

__all__ = ["Article", "Conversation", "Message"]


class Article(Base):
    """One question and its answer, in both languages; ``{why}``, ``{bring}``, ``{where}``,
    ``{expected}``, ``{step}`` and ``{hotline}`` in an answer are filled from the customer's
    case."""

    __tablename__ = "assistant_articles"
    id: Mapped[int] = mapped_column(primary_key=True)
    question_zh: Mapped[str] = mapped_column(Text)
    question_en: Mapped[str] = mapped_column(Text)
    answer_zh: Mapped[str] = mapped_column(Text)
    answer_en: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class Conversation(Base):
    """A customer's chat: with the assistant (``bot``), waiting for a person (``waiting``), with
    an agent (``agent``), or ended (``closed``)."""

    __tablename__ = "assistant_conversations"
    id: Mapped[int] = mapped_column(primary_key=True)
    msisdn: Mapped[str] = mapped_column(String(20), index=True)
    case_id: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(8), index=True)
    opened_at: Mapped[datetime]
    handed_off_at: Mapped[datetime | None]
    agent: Mapped[str | None] = mapped_column(String(64))


class Message(Base):
    """One line of a conversation, by the customer, the assistant or an agent."""

    __tablename__ = "assistant_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("assistant_conversations.id"), index=True
    )
    at: Mapped[datetime]
    sender: Mapped[str] = mapped_column(String(8))  # customer | bot | agent | system
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    article_id: Mapped[int | None] = mapped_column(Integer)
