"""The table of documents uploaded on cases (``case_documents``, migration 0010)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from callwarden.cases.models import Base

__all__ = ["CaseDocument"]


class CaseDocument(Base):
    """One uploaded file on a case."""

    __tablename__ = "case_documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    filename: Mapped[str] = mapped_column(String(128))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    uploaded_at: Mapped[datetime]
    data: Mapped[bytes] = mapped_column(LargeBinary)
