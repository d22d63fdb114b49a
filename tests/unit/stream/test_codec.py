"""The batch decoder reads a fetch exactly as the line-by-line decoder does."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from callwarden.records.batch import batch_of
from callwarden.stream.codec import (
    decode,
    decode_arrow,
    decode_batch,
    decode_lines,
    encode,
    encode_arrow,
)

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


#: ways a row of a record batch can break a field's rule, and the reason it is given
ROW_MUTATIONS = {
    "national number": ("actor", "13800000001", "not an E.164 number: '13800000001'"),
    "bad callee": ("other", "+0123", "not an E.164 number: '+0123'"),
    "no id": ("id", None, "missing"),
    "negative": ("duration_s", -3, "not a whole number >= 0: -3"),
}
ROW_FIELD = {("call", "actor"): "caller", ("call", "other"): "callee", ("call", "id"): "call_id",
             ("call", "duration_s"): "duration_s", ("sms", "actor"): "sender",
             ("sms", "other"): "recipient", ("sms", "id"): "sms_id"}  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.booleans(),
            st.integers(0, 10_000),
            st.one_of(st.none(), st.sampled_from(sorted(ROW_MUTATIONS))),
        ),
        max_size=30,
    )
)
def test_arrow_batches_decode_to_the_same_records(
    spec: list[tuple[bool, int, str | None]],
) -> None:
    records = [decode(_call(k) if is_call else _sms(k)) for is_call, k, _ in spec]
    batch = batch_of(records)
    expected_bad = []
    for i, (is_call, _, how) in enumerate(spec):
        if how is None or (how == "negative" and not is_call):
            continue  # (an SMS's duration is not a field of its own)
        column, value, reason = ROW_MUTATIONS[how]
        batch = batch.with_columns(
            pl.when(pl.int_range(pl.len()) == i).then(pl.lit(value)).otherwise(pl.col(column))
            .cast(batch[column].dtype).alias(column)
        )  # fmt: skip
        expected_bad.append((i, f"{ROW_FIELD['call' if is_call else 'sms', column]}: {reason}"))
    frame, bad = decode_arrow(encode_arrow(batch))
    good = [i for i in range(len(spec)) if i not in {j for j, _ in expected_bad}]
    assert frame.equals(batch_of([records[i] for i in good]))
    assert [reason for _, reason in bad] == [reason for _, reason in expected_bad]
    for (i, _), (body, _) in zip(expected_bad, bad, strict=True):
        assert json.loads(body)["kind"] == records[i][0]  # the record itself, as JSON


def test_an_arrow_message_without_a_column_or_of_the_wrong_type_is_bad_as_a_whole() -> None:
    batch = batch_of([decode(_call(1)), decode(_sms(2))])
    frame, bad = decode_arrow(encode_arrow(batch).replace(b"imei", b"imsi"))
    assert frame.height == 0 and bad[0][1] == "column imei: missing"
    body = _arrow(batch.with_columns(pl.col("time").dt.replace_time_zone(None)))
    assert decode_arrow(body)[1][0][1].endswith("has no time zone")
    narrow = _arrow(batch.with_columns(pl.col("duration_s").cast(pl.Int32)))
    assert decode_arrow(narrow)[0].equals(batch)  # a type that casts exactly is accepted


def _arrow(frame: pl.DataFrame) -> bytes:
    sink = pa.BufferOutputStream()
    table = frame.to_arrow()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())
