"""Documents a case needs (an ID card copy, a student card, a business licence), uploaded by the
customer on the self-service page or by an agent at the counter.

Files are kept in the case database (``case_documents``), a few hundred KB each at most, so a
backup of the database is a backup of the evidence. Each upload is checked by its first bytes,
not by the name or the type the browser claims: PDF, JPEG, PNG and WebP only. A customer reaches
only the documents of cases on their own number; everyone else's answer is "no such document".

>>> sniff(b"%PDF-1.7 ..."), sniff(b"\\x89PNG\\r\\n\\x1a\\n..."), sniff(b"MZ\\x90")
('application/pdf', 'image/png', None)
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callwarden.cases.access import Actor
from callwarden.cases.machine import Role
from callwarden.cases.models import Case
from callwarden.documents.models import CaseDocument
from callwarden.errors import NotFound, Unprocessable

__all__ = [
    "MAX_BYTES",
    "MAX_PER_CASE",
    "CaseDocument",
    "add_document",
    "document",
    "documents_of",
    "sniff",
]

#: the largest file taken (a phone photo scaled down, a scanned page)
MAX_BYTES = 800_000
#: files on one case; more is a sign of abuse rather than of evidence
MAX_PER_CASE = 20
_KINDS = ("id_card", "student_card", "business_licence", "police_report", "other")
_SAFE_NAME = re.compile(r"[^\w.\- ()\u4e00-\u9fff]+")


def sniff(data: bytes) -> str | None:
    """The content type the first bytes show, among those taken; None for anything else."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _case_for(s: Session, actor: Actor, case_id: int) -> Case:
    case = s.get(Case, case_id)
    if case is None or (actor.role is Role.customer and case.msisdn != actor.msisdn):
        raise NotFound(f"no case {case_id}")
    return case


def add_document(
    s: Session,
    actor: Actor,
    case_id: int,
    *,
    kind: str,
    filename: str,
    data: bytes,
    now: datetime,
) -> dict[str, Any]:
    """Keep one file on a case; refuse what is empty, too large, or not a document type."""
    case = _case_for(s, actor, case_id)
    if actor.role is Role.technician:
        raise NotFound(f"no case {case_id}")
    if kind not in _KINDS:
        raise Unprocessable("kind", f"one of {', '.join(_KINDS)}")
    if not data:
        raise Unprocessable("file", "the file is empty")
    if len(data) > MAX_BYTES:
        raise Unprocessable("file", f"the file is larger than {MAX_BYTES // 1000} KB")
    content_type = sniff(data)
    if content_type is None:
        raise Unprocessable("file", "only PDF, JPEG, PNG or WebP files are taken")
    if case.closed_at is not None:
        raise Unprocessable("file", "the case is closed")
    count = len(s.scalars(select(CaseDocument.id).where(CaseDocument.case_id == case.id)).all())
    if count >= MAX_PER_CASE:
        raise Unprocessable("file", f"a case holds {MAX_PER_CASE} files at most")
    name = _SAFE_NAME.sub("_", filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1])[:128] or "file"
    row = CaseDocument(
        case_id=case.id,
        kind=kind,
        filename=name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor.name,
        role=actor.role.value,
        uploaded_at=now,
        data=data,
    )
    s.add(row)
    s.flush()
    return _view(row)


def _view(row: CaseDocument) -> dict[str, Any]:
    return {
        "id": row.id,
        "case_id": row.case_id,
        "kind": row.kind,
        "filename": row.filename,
        "content_type": row.content_type,
        "size": row.size,
        "sha256": row.sha256,
        "uploaded_by": row.uploaded_by,
        "role": row.role,
        "uploaded_at": row.uploaded_at.isoformat(),
    }


def documents_of(s: Session, actor: Actor, case_id: int) -> list[dict[str, Any]]:
    """The files on a case, oldest first (without their bytes)."""
    case = _case_for(s, actor, case_id)
    rows = s.scalars(
        select(CaseDocument).where(CaseDocument.case_id == case.id).order_by(CaseDocument.id)
    )
    return [_view(r) for r in rows]


def document(s: Session, actor: Actor, document_id: int) -> tuple[dict[str, Any], bytes]:
    """One file and its bytes, when the actor may see its case."""
    row = s.get(CaseDocument, document_id)
    if row is None or actor.role is Role.technician:
        raise NotFound(f"no document {document_id}")
    try:
        _case_for(s, actor, row.case_id)
    except NotFound:
        raise NotFound(f"no document {document_id}") from None
    return _view(row), row.data
