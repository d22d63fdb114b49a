"""The batch decoder reads a fetch exactly as the line-by-line decoder does."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from callwarden.features.incremental import batch_of
from callwarden.stream.codec import decode_batch, decode_lines, encode

T0 = dt.datetime(2026, 7, 8, 10, tzinfo=dt.UTC)


def _call(k: int) -> bytes:
    return encode("call", {
        "call_id": f"c{k}", "caller": "+8613800000001", "callee": f"+86139{k:08d}",
        "start_time": T0 + dt.timedelta(seconds=k), "duration_s": k % 40,
        "ring_s": None if k % 3 else 2, "caller_cell": "C1" if k % 2 else None,
        "caller_imei": "350000000000001",
    })  # fmt: skip


def _sms(k: int) -> bytes:
    return encode("sms", {
        "sms_id": f"s{k}", "sender": "+8613800000002", "recipient": f"+86139{k:08d}",
        "sent_time": T0 + dt.timedelta(seconds=k, microseconds=7), "length": 20,
        "content": "你好" if k % 2 else None,
    })  # fmt: skip


#: ways a line can be wrong, or right in a form the fast path leaves to the line decoder
MUTATIONS = {
    "int as text": ("duration_s", "30"),
    "float": ("duration_s", 30.0),
    "bool": ("duration_s", True),
    "negative": ("duration_s", -1),
    "id as number": ("call_id", 7),
    "no zone": ("start_time", "2026-07-08T10:00:00"),
    "Z zone": ("start_time", "2026-07-08T10:00:00Z"),
    "other offset": ("start_time", "2026-07-08T18:00:00.000000+08:00"),
    "bad month": ("start_time", "2026-13-08T10:00:00.000000+00:00"),
    "national number": ("caller", "13800000001"),
    "missing": ("callee", None),
    "cell as number": ("caller_cell", 5),
    "kind": ("kind", "fax"),
}


SMS_FIELD = {"duration_s": "length", "call_id": "sms_id", "start_time": "sent_time",
             "caller": "sender", "callee": "recipient", "caller_cell": "content"}  # fmt: skip


def _mutated(line: bytes, how: str) -> bytes:
    body = json.loads(line)
    field, value = MUTATIONS[how]
    if body["kind"] == "sms":
        field = SMS_FIELD.get(field, field)
    body[field] = value
    return json.dumps(body).encode()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.booleans(),
            st.integers(0, 10_000),
            st.one_of(st.none(), st.sampled_from(sorted(MUTATIONS)), st.just("not json")),
        ),
        max_size=40,
    )
)
def test_batch_decoding_equals_line_by_line(spec: list[tuple[bool, int, str | None]]) -> None:
    lines = []
    for is_call, k, how in spec:
        line = _call(k) if is_call else _sms(k)
        if how == "not json":
            line = line[:-3]
        elif how is not None:
            line = _mutated(line, how)
        lines.append(line)
    frame, bad = decode_batch(lines)
    records, bad_lines = decode_lines(b"\n".join(lines))
    assert frame.equals(batch_of(records))
    assert bad == bad_lines
