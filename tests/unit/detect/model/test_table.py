"""Loading feature tables: CSV, Parquet, folders, and clear errors for bad input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from callwarden.detect.model import FeatureTable, load_feature_table, training_data_sha256
from callwarden.errors import InputFileError

Frame = Callable[..., pl.DataFrame]


def _csv(tmp_path: Path, frame: pl.DataFrame, name: str = "features.csv") -> Path:
    path = tmp_path / name
    frame.write_csv(path)
    return path


def test_csv_loads_ids_features_and_labels(tmp_path: Path, make_frame: Frame) -> None:
    frame = make_frame(rows=50)
    table = load_feature_table(_csv(tmp_path, frame), id_column="msisdn", label_column="is_fraud")
    assert table.ids == frame["msisdn"].to_list()
    assert table.feature_names == ["out_calls", "uniq_callees", "answered_share", "noise"]
    assert all(dtype == pl.Float64 for dtype in table.X.dtypes)
    assert table.y is not None
    assert table.y.tolist() == frame["is_fraud"].to_list()
    assert table.X["answered_share"].null_count() == frame["answered_share"].null_count()


def test_ids_keep_leading_zeros(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,calls,label\n00123,4,1\n00456,1,0\n", encoding="utf-8")
    table = load_feature_table(path, id_column="id", label_column="label")
    assert table.ids == ["00123", "00456"]


def test_parquet_file_and_folder_read_like_csv(tmp_path: Path, make_frame: Frame) -> None:
    frame = make_frame(rows=60)
    from_csv = load_feature_table(
        _csv(tmp_path, frame), id_column="msisdn", label_column="is_fraud"
    )
    folder = tmp_path / "parts"
    folder.mkdir()
    frame.head(30).write_parquet(folder / "part-0.parquet")
    frame.tail(30).write_parquet(folder / "part-1.parquet")
    from_folder = load_feature_table(folder, id_column="msisdn", label_column="is_fraud")
    frame.write_parquet(tmp_path / "all.parquet")
    from_file = load_feature_table(
        tmp_path / "all.parquet", id_column="msisdn", label_column="is_fraud"
    )
    # Same data, any storage: same hash.
    hashes = {training_data_sha256(t) for t in (from_csv, from_folder, from_file)}
    assert len(hashes) == 1


def test_hash_changes_with_a_label_a_value_or_an_id(make_frame: Frame) -> None:
    frame = make_frame(rows=40)

    def sha(f: pl.DataFrame) -> str:
        return training_data_sha256(
            FeatureTable.from_frame(f, id_column="msisdn", label_column="is_fraud")
        )

    base = sha(frame)
    flipped = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(1 - pl.col("is_fraud"))
        .otherwise(pl.col("is_fraud"))
        .alias("is_fraud")
    )
    assert sha(flipped) != base
    assert sha(frame.with_columns(pl.col("noise") + 1e-9)) != base
    assert sha(frame.with_columns(pl.col("msisdn").str.replace("138", "139"))) != base
    assert sha(frame) == base


def test_missing_label_column_names_file_column_and_columns_found(
    tmp_path: Path, make_frame: Frame
) -> None:
    path = _csv(tmp_path, make_frame(rows=10))
    with pytest.raises(InputFileError) as err:
        load_feature_table(path, id_column="msisdn", label_column="label")
    message = str(err.value)
    assert str(path) in message
    assert "'label'" in message
    assert "columns found: msisdn, out_calls" in message


def test_missing_id_column_is_clear(tmp_path: Path, make_frame: Frame) -> None:
    path = _csv(tmp_path, make_frame(rows=10))
    with pytest.raises(InputFileError, match=r"no id column 'phone_no_m'; columns found"):
        load_feature_table(path, id_column="phone_no_m", label_column="is_fraud")


@pytest.mark.parametrize(
    ("labels", "shown"),
    [(["1", "0", "2"], "'2'"), (["fraud", "normal", "1"], "'fraud', 'normal'")],
)
def test_non_binary_labels_are_refused(tmp_path: Path, labels: list[str], shown: str) -> None:
    path = tmp_path / "t.csv"
    rows = "".join(f"n{i},{i},{label}\n" for i, label in enumerate(labels))
    path.write_text("id,calls,label\n" + rows, encoding="utf-8")
    with pytest.raises(InputFileError, match="must hold 0/1 or true/false") as err:
        load_feature_table(path, id_column="id", label_column="label")
    assert shown in str(err.value)


def test_true_false_labels_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,calls,label\na,1,true\nb,2,FALSE\nc,3,1\n", encoding="utf-8")
    table = load_feature_table(path, id_column="id", label_column="label")
    assert table.y is not None
    assert table.y.tolist() == [1, 0, 1]


def test_empty_label_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,calls,label\na,1,1\nb,2,\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"label column 'label' has 1 empty value"):
        load_feature_table(path, id_column="id", label_column="label")


def test_empty_file_and_header_only_file_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputFileError, match="empty"):
        load_feature_table(empty, id_column="id", label_column="label")
    header = tmp_path / "header.csv"
    header.write_text("id,calls,label\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="no rows"):
        load_feature_table(header, id_column="id", label_column="label")


def test_missing_path_unknown_format_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        load_feature_table(tmp_path / "nope.csv", id_column="id", label_column=None)
    odd = tmp_path / "features.xlsx"
    odd.write_bytes(b"PK")
    with pytest.raises(InputFileError, match=r"unknown format '\.xlsx'"):
        load_feature_table(odd, id_column="id", label_column=None)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputFileError, match=r"no \.parquet or \.csv files"):
        load_feature_table(tmp_path / "empty", id_column="id", label_column=None)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,calls,label\na,1,1\na,2,0\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"repeats 1 id\(s\), e.g. 'a'"):
        load_feature_table(path, id_column="id", label_column="label")


def test_text_feature_is_an_error_naming_the_column(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,calls,city,label\na,1,Chengdu,1\nb,2,Mianyang,0\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"feature column 'city' is not numeric") as err:
        load_feature_table(path, id_column="id", label_column="label")
    assert "'Chengdu'" in str(err.value)


def test_text_feature_can_be_dropped_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,calls,city,label\na,1,Chengdu,1\nb,2,Mianyang,0\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="dropped non-numeric feature column"):
        table = load_feature_table(path, id_column="id", label_column="label", non_numeric="drop")
    assert table.feature_names == ["calls"]
    assert table.dropped_columns == ["city"]


def test_scoring_table_without_labels_and_with_a_feature_subset(
    tmp_path: Path, make_frame: Frame
) -> None:
    path = _csv(tmp_path, make_frame(rows=10).with_columns(pl.lit("x").alias("note")))
    table = load_feature_table(
        path, id_column="msisdn", label_column=None, features=["noise", "out_calls"]
    )
    assert table.y is None
    assert table.feature_names == ["noise", "out_calls"]
    with pytest.raises(InputFileError, match=r"missing feature column\(s\) 'calls_24h'"):
        load_feature_table(path, id_column="msisdn", label_column=None, features=["calls_24h"])


def test_boolean_and_integer_features_become_float(tmp_path: Path) -> None:
    frame = pl.DataFrame({"id": ["a", "b"], "flag": [True, False], "n": [1, 2], "y": [1, 0]})
    table = FeatureTable.from_frame(frame, id_column="id", label_column="y")
    assert table.X.to_numpy().tolist() == [[1.0, 1.0], [0.0, 2.0]]
    assert np.asarray(table.y).dtype == np.int8
