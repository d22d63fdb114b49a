"""Canonical records: schemas, readers with column mappings, validation and quarantine."""

from __future__ import annotations

from callwarden.records.ingest import IngestReport, ingest, read_canonical
from callwarden.records.mapping import Mapping, list_mappings, load_mapping
from callwarden.records.quarantine import Reason, read_quarantine
from callwarden.records.schema import RECORDS, FieldKind, RecordSpec

__all__ = [
    "RECORDS",
    "FieldKind",
    "IngestReport",
    "Mapping",
    "Reason",
    "RecordSpec",
    "ingest",
    "list_mappings",
    "load_mapping",
    "read_canonical",
    "read_quarantine",
]
