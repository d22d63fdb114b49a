"""The n-gram look-up finds exactly the vocabulary's keys; models of the first format (no
opening block) still load and score as they did."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from callwarden.content import ContentModel, ContentSettings, load_corpus
from callwarden.content.ngrams import _Table


def test_the_hash_table_finds_exactly_the_keys_binary_search_finds() -> None:
    rng = np.random.default_rng(0)
    # clustered keys (many share high bits) and many slots shared, over several levels
    keys = np.unique(
        np.concatenate([rng.integers(0, 2**63, 20_000), np.arange(5_000) * 2**40]).astype(np.uint64)
    )
    table = _Table.of(keys)
    assert len(table.levels) >= 2
    needles = np.concatenate([keys[::3], rng.integers(0, 2**63, 50_000).astype(np.uint64)])
    column, found = table.find(needles)
    at = np.searchsorted(keys, needles)
    expected = (at < len(keys)) & (keys[np.minimum(at, len(keys) - 1)] == needles)
    assert (found == expected).all()
    assert (column[found] == at[found]).all()
    assert found[: len(keys[::3])].all()
    empty = _Table.of(np.zeros(0, dtype=np.uint64))
    assert not empty.find(needles[:10])[1].any()


def test_a_first_format_model_still_loads_and_scores_the_same(tmp_path: Path) -> None:
    labels, texts = load_corpus()
    model = ContentModel.train(labels, texts, ContentSettings(opening_chars=0))
    model.save(tmp_path / "m")
    meta_path = tmp_path / "m" / "model.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["format"] = "callwarden-content/1"
    del meta["opening"]
    del meta["settings"]["opening_chars"], meta["settings"]["opening_weight"]
    meta_path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    old = ContentModel.load(tmp_path / "m")
    assert old.opening is None and old.settings.opening_chars == 0
    sample = texts[::7]
    assert old.score_texts(sample).label.tolist() == model.score_texts(sample).label.tolist()


def test_the_opening_block_is_saved_and_loaded(tmp_path: Path) -> None:
    labels, texts = load_corpus()
    model = ContentModel.train(labels, texts)
    assert model.opening is not None
    model.save(tmp_path / "m")
    loaded = ContentModel.load(tmp_path / "m")
    assert loaded.opening is not None
    assert len(loaded.terms) == len(model.terms) > len(model.vocabulary.terms)
    np.testing.assert_allclose(
        loaded.score_texts(texts).proba, model.score_texts(texts).proba, atol=1e-6
    )


def test_the_raw_text_block_is_saved_and_loaded_and_earlier_models_load(tmp_path: Path) -> None:
    labels, texts = load_corpus()
    model = ContentModel.train(labels, texts, ContentSettings(raw_weight=0.5))
    assert model.raw is not None and model.raw.terms
    model.save(tmp_path / "m")
    loaded = ContentModel.load(tmp_path / "m")
    assert loaded.raw is not None and loaded.settings.raw_weight == 0.5
    sample = [*texts[::5], "ＶＩＰ客服：您的订单退款 ５００元", ""]
    np.testing.assert_allclose(
        loaded.score_texts(sample).proba, model.score_texts(sample).proba, atol=1e-6
    )
    assert loaded.score_texts(sample).label[-1] == ""
    # a model written before the raw block (no such key, no such setting) loads without one
    plain = ContentModel.train(labels, texts)
    plain.save(tmp_path / "p")
    meta_path = tmp_path / "p" / "model.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    del meta["raw"], meta["settings"]["raw_weight"]
    meta_path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    old = ContentModel.load(tmp_path / "p")
    assert old.raw is None and old.settings.raw_weight == 0.0
    assert old.score_texts(sample).label.tolist() == plain.score_texts(sample).label.tolist()
