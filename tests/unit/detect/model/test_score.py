"""Saving, loading and scoring: identical scores after a round trip, reasons, clear errors."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from callwarden.detect.model import (
    MODEL_FILES,
    FeatureTable,
    ModelError,
    TrainedModel,
    load_model,
    score_table,
    training_data_sha256,
    write_scores_csv,
)
from callwarden.errors import ConfigError, InputFileError

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def saved(model: TrainedModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return model.save(tmp_path_factory.mktemp("model") / "v1")


def test_model_directory_holds_the_five_files_and_no_pickle(saved: Path) -> None:
    assert sorted(p.name for p in saved.iterdir()) == sorted(MODEL_FILES)
    calibration = json.loads((saved / "calibration.json").read_text(encoding="utf-8"))
    assert calibration["method"] == "isotonic"
    assert len(calibration["x"]) == len(calibration["y"]) >= 2
    features = json.loads((saved / "features.json").read_text(encoding="utf-8"))
    names = [f["name"] for f in features["features"]]
    assert names == ["out_calls", "uniq_callees", "answered_share", "noise"]
    assert features["features"][0]["label_zh"] == "主叫次数"
    assert features["features"][0]["stats"]["normal_median"] is not None
    metrics = json.loads((saved / "metrics.json").read_text(encoding="utf-8"))
    assert len(metrics["cv"]["folds"]) == 3
    assert (saved / "model.txt").read_text(encoding="utf-8").startswith("tree")


def test_training_hash_file_matches_the_table(saved: Path, table: FeatureTable) -> None:
    recorded = (saved / "training_data.sha256").read_text(encoding="utf-8").split()[0]
    assert recorded == training_data_sha256(table)
    assert load_model(saved).training_sha256 == recorded


def test_save_load_score_gives_identical_scores(
    model: TrainedModel, saved: Path, table: FeatureTable
) -> None:
    loaded = load_model(saved)
    before, after = score_table(model, table), score_table(loaded, table)
    assert before.equals(after)
    assert loaded.threshold == model.threshold
    assert loaded.feature_labels == model.feature_labels
    assert loaded.id_column == "msisdn"


def test_scores_are_probabilities_and_label_pred_follows_the_threshold(
    model: TrainedModel, table: FeatureTable
) -> None:
    scores = score_table(model, table)
    assert scores.columns == ["id", "score", "label_pred", "reasons"]
    assert scores["id"].to_list() == table.ids
    s = scores["score"].to_numpy()
    assert ((s >= 0) & (s <= 1)).all()
    assert (scores["label_pred"].to_numpy() == (s >= model.threshold)).all()
    assert table.y is not None
    flagged = scores["label_pred"].to_numpy() == 1
    assert table.y[flagged].mean() > 0.8  # the flagged numbers are mostly the fraud ones


def test_reasons_in_both_languages_with_weights_summing_to_at_most_one(
    model: TrainedModel, table: FeatureTable
) -> None:
    scores = score_table(model, table, top_reasons=3)
    rows = scores["reasons"].to_list()
    assert all(len(r) <= 3 for r in rows)
    flagged = [r for r, pred in zip(rows, scores["label_pred"], strict=True) if pred]
    assert flagged and all(flagged)  # every flagged number says why
    for reasons in rows:
        assert sum(r["weight"] for r in reasons) <= 1 + 1e-9
        weights = [r["weight"] for r in reasons]
        assert weights == sorted(weights, reverse=True)
        for r in reasons:
            assert r["code"].startswith("model:")
            assert HAN.search(r["text_zh"]) and "提高风险" in r["text_zh"]
            assert not HAN.search(r["text_en"]) and r["text_en"].endswith("raises risk")
            evidence = json.loads(r["evidence"])
            assert {"feature", "value", "contribution", "training_median"} <= set(evidence)
            assert evidence["contribution"] > 0
            assert r["code"] == f"model:{evidence['feature']}"


def test_reasons_use_feature_labels_and_compare_with_normal_numbers(
    model: TrainedModel, table: FeatureTable
) -> None:
    scores = score_table(model, table)
    texts = [r for row in scores["reasons"].to_list() for r in row]
    by_feature = {json.loads(r["evidence"])["feature"]: r for r in texts}
    out_calls = by_feature["out_calls"]
    assert out_calls["text_zh"].startswith("主叫次数 = ")
    assert out_calls["text_en"].startswith("outbound calls = ")
    assert "正常号码" in out_calls["text_zh"]
    assert "typical numbers" in out_calls["text_en"]
    noise = by_feature.get("noise")
    if noise is not None:  # unlabelled features are named by their column
        assert noise["text_zh"].startswith("特征 noise = ")


def test_no_reasons_when_not_asked(model: TrainedModel, table: FeatureTable) -> None:
    scores = score_table(model, table, top_reasons=0)
    assert scores["reasons"].list.len().sum() == 0


def test_missing_features_at_scoring_are_named(model: TrainedModel, table: FeatureTable) -> None:
    partial = FeatureTable.from_frame(
        pl.DataFrame({"msisdn": table.ids, "noise": table.X["noise"]}),
        id_column="msisdn",
        label_column=None,
        source="today.csv",
    )
    with pytest.raises(InputFileError) as err:
        score_table(model, partial)
    message = str(err.value)
    assert message.startswith("today.csv: missing 3 feature column(s) the model needs")
    assert "out_calls, uniq_callees, answered_share" in message


def test_extra_and_reordered_columns_are_ignored(model: TrainedModel, table: FeatureTable) -> None:
    frame = table.X.with_columns(pl.lit(7.0).alias("extra")).select(
        ["extra", *reversed(table.feature_names)]
    )
    shuffled = FeatureTable.from_frame(
        frame.with_columns(pl.Series("msisdn", table.ids)), id_column="msisdn", label_column=None
    )
    assert score_table(model, shuffled)["score"].equals(score_table(model, table)["score"])


def test_unknown_or_incomplete_model_directory(saved: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"nowhere: no model directory here"):
        load_model(Path("nowhere"))
    broken = tmp_path / "broken"
    shutil.copytree(saved, broken)
    (broken / "calibration.json").unlink()
    with pytest.raises(ConfigError) as err:
        load_model(broken)
    assert str(broken) in str(err.value)
    assert "missing calibration.json" in str(err.value)


def test_corrupt_model_files_are_named(saved: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(saved, broken)
    (broken / "metrics.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match=r"metrics\.json: cannot be read as JSON"):
        load_model(broken)
    shutil.copy(saved / "metrics.json", broken / "metrics.json")
    features = json.loads((broken / "features.json").read_text(encoding="utf-8"))
    features["features"].pop()
    (broken / "features.json").write_text(json.dumps(features), encoding="utf-8")
    with pytest.raises(ModelError, match=r"model\.txt has 4 features but features\.json lists 3"):
        load_model(broken)


def test_scores_csv_has_exactly_id_score_label_pred(
    model: TrainedModel, table: FeatureTable, tmp_path: Path
) -> None:
    scores = score_table(model, table)
    path = write_scores_csv(scores, tmp_path / "out" / "scores.csv")
    back = pl.read_csv(path, schema_overrides={"id": pl.String})
    assert back.columns == ["id", "score", "label_pred"]
    assert back["id"].to_list() == table.ids
    np.testing.assert_allclose(back["score"].to_numpy(), scores["score"].to_numpy())
    with_reasons = write_scores_csv(scores, tmp_path / "r.csv", with_reasons=True)
    back = pl.read_csv(with_reasons, schema_overrides={"id": pl.String})
    assert back.columns == ["id", "score", "label_pred", "reasons"]
    first = json.loads(back["reasons"][int(np.argmax(scores["score"].to_numpy()))])
    assert first and set(first[0]) == {"code", "weight", "text_zh", "text_en", "evidence"}
