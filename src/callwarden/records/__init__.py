"""Canonical records: schemas, readers with column mappings, validation and quarantine."""

from __future__ import annotations

from callwarden.records.schema import RECORDS, FieldKind, RecordSpec

__all__ = ["RECORDS", "FieldKind", "RecordSpec"]
