"""The canonical records every component reads and writes (DESIGN.md section 4).

Each record kind is described once here: its Arrow schema and the facts that ingest needs
(which columns are required, which hold phone numbers, which is the key, which is the event
time). Readers, writers, the simulator and detection all take their columns from here.

>>> RECORDS["calls"].schema.field("start_time").type
TimestampType(timestamp[us, tz=UTC])
>>> RECORDS["calls"].required
('caller', 'callee', 'start_time', 'duration_s')
>>> RECORDS["calls"].flags
{'caller': 'caller_flag', 'callee': 'callee_flag'}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import pyarrow as pa

__all__ = [
    "ALERTS",
    "ALERT_DECISIONS",
    "CALLS",
    "DECISIONS",
    "ID_TYPES",
    "INTERCEPT",
    "LABELS",
    "LABEL_VALUES",
    "NUMBER_FLAGS",
    "REALNAME_STATUSES",
    "REASON",
    "RECORDS",
    "REGISTRATION_CHANNELS",
    "SMS",
    "SUBSCRIBERS",
    "TRANSCRIPTS",
    "TRUNK_KINDS",
    "FieldKind",
    "RecordSpec",
]

UTC_US = pa.timestamp("us", tz="UTC")

# Field length limits, in characters of the value as written (after trimming blanks). A value
# over its column's limit is quarantined as ``field_too_long``: a megabyte "IMEI" is broken input,
# and it would otherwise be stored, joined on and shown to people. The limits are generous for
# real data: hashed identifiers are the longest real values (the Sichuan export hashes numbers
# and IMEIs to 128 hex characters, SHA-512), so identifiers get twice that.
#: identifiers: phone numbers (also hashed ones), record ids, IMEIs, cell ids
ID_CHARS = 256
#: times, dates, integers, years, booleans and enumerations: their longest valid spelling
#: (``2026-07-08T18:00:00.123456789+08:00``, 35 characters) with room to spare
DEFAULT_MAX_CHARS = 128
#: SMS text: the most a concatenated SMS can carry, 255 parts of 153 GSM characters
SMS_CONTENT_CHARS = 39_015
#: call transcript text: an hour of speech (about 15,000 characters) several times over
TRANSCRIPT_CHARS = 100_000


class FieldKind(StrEnum):
    """How ingest parses and checks a column's raw text."""

    STRING = "string"
    NUMBER = "number"  # phone number, normalised to E.164
    TIMESTAMP = "timestamp"
    DATE = "date"
    INT = "int"  # non-negative integer
    YEAR = "year"
    BOOL = "bool"
    ENUM = "enum"
    FLOAT = "float"
    JSON = "json"


@dataclass(frozen=True)
class RecordSpec:
    """One canonical record kind: schema plus what ingest must know about it."""

    name: str
    schema: pa.Schema
    kinds: dict[str, FieldKind]
    required: tuple[str, ...]
    key: str | None = None
    #: columns the key is derived from (hashed) when the input has no key column
    key_from: tuple[str, ...] = ()
    time: str | None = None
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: field length limits in characters; other columns have :data:`DEFAULT_MAX_CHARS`
    limits: dict[str, int] = field(default_factory=dict)
    #: number columns whose suspect values are kept rather than quarantined (a call that
    #: happened is evidence, whatever number it shows), each with the column that holds the
    #: reason (one of :data:`NUMBER_FLAGS`), or None where the record has no such column
    flags: dict[str, str | None] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return list(self.schema.names)

    def max_chars(self, column: str) -> int:
        """The longest value ``column`` may hold, in characters.

        >>> CALLS.max_chars("caller_imei"), CALLS.max_chars("duration_s")
        (256, 128)
        """
        return self.limits.get(column, DEFAULT_MAX_CHARS)

    @property
    def number_columns(self) -> list[str]:
        return [c for c, k in self.kinds.items() if k is FieldKind.NUMBER]


REASON = pa.struct(
    [
        ("code", pa.string()),
        ("weight", pa.float64()),
        ("text_zh", pa.string()),
        ("text_en", pa.string()),
        ("evidence", pa.string()),  # JSON object: the figures the texts quote
    ]
)

#: graduated decisions about the operator's own subscribers, lowest first
DECISIONS: tuple[str, ...] = ("watch", "review", "restrict", "suspend")
#: the decision about a number the operator does not serve (see callwarden.network): block the
#: presented number at the gateway for a while and report it to the carrier that owns it
INTERCEPT = "intercept"
ALERT_DECISIONS: tuple[str, ...] = (*DECISIONS, INTERCEPT)
REALNAME_STATUSES: tuple[str, ...] = (
    "verified",
    "incomplete",
    "mismatch",
    "corporate_unassigned",
    "none",
)
#: identity documents a real-name registration rests on (实名登记证件)
ID_TYPES: tuple[str, ...] = (
    "resident_id",  # 居民身份证
    "passport",
    "hk_macao_permit",  # 港澳居民来往内地通行证 / 居住证
    "taiwan_permit",
    "foreign_permanent_id",  # 外国人永久居留身份证
    "business_licence",  # 营业执照 (a company's line)
    "org_code",  # 组织机构代码证 / 事业单位法人证书
)
#: where a registration was done: own business hall, an authorised partner outlet (社会渠道),
#: online (operator's app or web hall), or a video call with an agent
REGISTRATION_CHANNELS: tuple[str, ...] = ("business_hall", "partner_outlet", "online", "video")
LABEL_VALUES: tuple[str, ...] = (
    "normal",
    "legit_heavy",
    "relay_call",
    "robocall",
    "robocall_rotation",
    "wangiri",
    "simbox",
    "sms_spam",
    "spoofed_caller_id",  # calls presenting numbers nobody can own (虚假主叫, 改号)
    "cloud_trunk",  # calls presenting mobile numbers through a cloud trunk (网络云呼)
)
#: why a kept number is suspect (the ``*_flag`` columns); null for a plain number. The first
#: three are the number's own (callwarden.numbers.NumberFlag), the others its trunk's
#: (callwarden.records.trunks), and a number with several gets the first of this order.
NUMBER_FLAGS: tuple[str, ...] = (
    "malformed",
    "impossible",
    "unallocated",
    "trunk_mismatch",  # a +86 number arriving on an international trunk
    "cloud_trunk_mobile",  # a mobile number presented by a cloud (VoIP) trunk
)
#: kinds of ingress trunk in a trunk table (``callwarden ingest --trunks``)
TRUNK_KINDS: tuple[str, ...] = ("mobile_core", "fixed", "interconnect", "international", "cloud")

CALLS = RecordSpec(
    name="calls",
    schema=pa.schema(
        [
            pa.field("call_id", pa.string(), nullable=False),
            pa.field("caller", pa.string(), nullable=False),
            pa.field("callee", pa.string(), nullable=False),
            pa.field("start_time", UTC_US, nullable=False),
            pa.field("duration_s", pa.int32(), nullable=False),
            pa.field("ring_s", pa.int32()),
            pa.field("caller_cell", pa.string()),
            pa.field("caller_imei", pa.string()),
            pa.field("caller_flag", pa.string()),
            pa.field("callee_flag", pa.string()),
            pa.field("trunk", pa.string()),
        ]
    ),
    kinds={
        "call_id": FieldKind.STRING,
        "caller": FieldKind.NUMBER,
        "callee": FieldKind.NUMBER,
        "start_time": FieldKind.TIMESTAMP,
        "duration_s": FieldKind.INT,
        "ring_s": FieldKind.INT,
        "caller_cell": FieldKind.STRING,
        "caller_imei": FieldKind.STRING,
        "caller_flag": FieldKind.STRING,
        "callee_flag": FieldKind.STRING,
        "trunk": FieldKind.STRING,
    },
    required=("caller", "callee", "start_time", "duration_s"),
    key="call_id",
    key_from=("caller", "callee", "start_time", "duration_s"),
    time="start_time",
    # A cell id may be a name joined from several columns ("成都/武侯区") or a hashed one.
    limits=dict.fromkeys(
        ("call_id", "caller", "callee", "caller_cell", "caller_imei", "trunk"), ID_CHARS
    ),
    flags={"caller": "caller_flag", "callee": "callee_flag"},
)

SMS = RecordSpec(
    name="sms",
    schema=pa.schema(
        [
            pa.field("sms_id", pa.string(), nullable=False),
            pa.field("sender", pa.string(), nullable=False),
            pa.field("recipient", pa.string(), nullable=False),
            pa.field("sent_time", UTC_US, nullable=False),
            pa.field("length", pa.int32(), nullable=False),
            pa.field("content", pa.string()),
            pa.field("sender_flag", pa.string()),
            pa.field("recipient_flag", pa.string()),
        ]
    ),
    kinds={
        "sms_id": FieldKind.STRING,
        "sender": FieldKind.NUMBER,
        "recipient": FieldKind.NUMBER,
        "sent_time": FieldKind.TIMESTAMP,
        "length": FieldKind.INT,
        "content": FieldKind.STRING,
        "sender_flag": FieldKind.STRING,
        "recipient_flag": FieldKind.STRING,
    },
    required=("sender", "recipient", "sent_time", "length"),
    key="sms_id",
    key_from=("sender", "recipient", "sent_time", "length", "content"),
    time="sent_time",
    limits={
        **dict.fromkeys(("sms_id", "sender", "recipient"), ID_CHARS),
        "content": SMS_CONTENT_CHARS,
    },
    flags={"sender": "sender_flag", "recipient": "recipient_flag"},
)

SUBSCRIBERS = RecordSpec(
    name="subscribers",
    schema=pa.schema(
        [
            pa.field("msisdn", pa.string(), nullable=False),
            pa.field("owner_birth_year", pa.int16()),
            pa.field("owner_type", pa.string(), nullable=False),
            pa.field("activated_on", pa.date32(), nullable=False),
            pa.field("realname_status", pa.string(), nullable=False),
            pa.field("region", pa.string(), nullable=False),
            pa.field("whitelisted", pa.bool_(), nullable=False),
            # Extension, all optional (realname campaigns, docs/campaigns.md): what the
            # registration holds. Documents are references to the operator's records, never
            # the document numbers themselves.
            pa.field("id_type", pa.string()),
            pa.field("id_ref", pa.string()),
            pa.field("address_on_file", pa.bool_()),
            pa.field("user_differs", pa.bool_()),
            pa.field("user_id_ref", pa.string()),
            pa.field("agent_id_ref", pa.string()),
            pa.field("registered_on", pa.date32()),
            pa.field("registration_channel", pa.string()),
            pa.field("balance_fen", pa.int32()),
        ]
    ),
    kinds={
        "msisdn": FieldKind.NUMBER,
        "owner_birth_year": FieldKind.YEAR,
        "owner_type": FieldKind.ENUM,
        "activated_on": FieldKind.DATE,
        "realname_status": FieldKind.ENUM,
        "region": FieldKind.STRING,
        "whitelisted": FieldKind.BOOL,
        "id_type": FieldKind.ENUM,
        "id_ref": FieldKind.STRING,
        "address_on_file": FieldKind.BOOL,
        "user_differs": FieldKind.BOOL,
        "user_id_ref": FieldKind.STRING,
        "agent_id_ref": FieldKind.STRING,
        "registered_on": FieldKind.DATE,
        "registration_channel": FieldKind.ENUM,
        "balance_fen": FieldKind.INT,
    },
    required=("msisdn", "owner_type", "activated_on", "realname_status", "region", "whitelisted"),
    key="msisdn",
    choices={
        "owner_type": ("individual", "enterprise"),
        "realname_status": REALNAME_STATUSES,
        "id_type": ID_TYPES,
        "registration_channel": REGISTRATION_CHANNELS,
    },
    # A region is a code or a place name ("新疆维吾尔自治区伊犁哈萨克自治州"): short either way.
    limits=dict.fromkeys(("msisdn", "id_ref", "user_id_ref", "agent_id_ref"), ID_CHARS),
)

LABELS = RecordSpec(
    name="labels",
    schema=pa.schema(
        [
            pa.field("msisdn", pa.string(), nullable=False),
            pa.field("label", pa.string(), nullable=False),
            pa.field("behaviour_start", UTC_US),
            # Extension: the finer actor type behind the label (courier, sales_agent, ...).
            pa.field("actor", pa.string()),
            # Extension: the group an actor works in (one SIM box, one rotation campaign).
            pa.field("group_id", pa.string()),
        ]
    ),
    kinds={
        "msisdn": FieldKind.NUMBER,
        "label": FieldKind.STRING,
        "behaviour_start": FieldKind.TIMESTAMP,
        "actor": FieldKind.STRING,
        "group_id": FieldKind.STRING,
    },
    required=("msisdn", "label"),
    key="msisdn",
    limits={"msisdn": ID_CHARS, "group_id": ID_CHARS},
    # Ground truth names spoofed numbers too: kept as stored in calls, with no flag column.
    flags={"msisdn": None},
)

ALERTS = RecordSpec(
    name="alerts",
    schema=pa.schema(
        [
            pa.field("msisdn", pa.string(), nullable=False),
            pa.field("flagged_at", UTC_US, nullable=False),
            pa.field("score", pa.float64(), nullable=False),
            pa.field("decision", pa.string(), nullable=False),
            pa.field("reasons", pa.list_(REASON), nullable=False),
        ]
    ),
    kinds={
        "msisdn": FieldKind.NUMBER,
        "flagged_at": FieldKind.TIMESTAMP,
        "score": FieldKind.FLOAT,
        "decision": FieldKind.ENUM,
        "reasons": FieldKind.JSON,
    },
    required=("msisdn", "flagged_at", "score", "decision", "reasons"),
    time="flagged_at",
    choices={"decision": ALERT_DECISIONS},
)

TRANSCRIPTS = RecordSpec(
    name="transcripts",
    schema=pa.schema(
        [
            # the call transcribed (calls.call_id), one row per call: the whole text
            pa.field("call_id", pa.string(), nullable=False),
            pa.field("text", pa.string(), nullable=False),
            pa.field("language", pa.string()),  # as the speech-to-text system says: zh-CN
            pa.field("confidence", pa.float64()),  # the system's confidence, 0 to 1
        ]
    ),
    kinds={
        "call_id": FieldKind.STRING,
        "text": FieldKind.STRING,
        "language": FieldKind.STRING,
        "confidence": FieldKind.FLOAT,
    },
    required=("call_id", "text"),
    key="call_id",
    limits={"call_id": ID_CHARS, "text": TRANSCRIPT_CHARS},
)

RECORDS: dict[str, RecordSpec] = {
    spec.name: spec for spec in (CALLS, SMS, SUBSCRIBERS, LABELS, ALERTS, TRANSCRIPTS)
}
