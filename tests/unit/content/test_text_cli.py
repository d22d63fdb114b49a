"""``callwarden text train|classify`` on the shipped corpus: every input format, bad input
named by file and row, empty texts scored 0, explanations present."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest
import typer

from callwarden.cli.app import app
from callwarden.cli.exits import run
from callwarden.content import ContentModel, default_model, load_corpus
from callwarden.content.corpus import CORPUS
from callwarden.content.default import rebuild

POLICE = "我是公安局民警,你的银行卡涉嫌洗钱,请把资金转入安全账户配合调查,不要告诉家人"
LOAN = "無抵押貸款,當天放款,不看征信,加微信諮詢"  # traditional characters
NORMAL = "【顺丰速运】您的快递已到小区快递柜,取件码 35821"


def cli(*argv: str) -> int:
    return run(typer.main.get_command(app), list(argv))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model") / "content"
    assert cli("text", "train", str(CORPUS), "--out", str(out)) == 0
    return out


def _classified(model_dir: Path, texts_file: Path, tmp_path: Path) -> list[dict[str, str]]:
    out = tmp_path / "predictions.csv"
    assert cli("text", "classify", str(model_dir), str(texts_file), "--out", str(out)) == 0
    with out.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_the_corpus_round_trip_labels_its_own_texts(model_dir: Path, tmp_path: Path) -> None:
    rows = _classified(model_dir, CORPUS, tmp_path)
    labels, _ = load_corpus()
    assert [r["label_pred"] for r in rows] == labels
    assert "id" not in rows[0]


@pytest.mark.parametrize("kind", ["tsv", "csv", "parquet"])
def test_every_input_format_keeps_order_and_ids(kind: str, model_dir: Path, tmp_path: Path) -> None:
    frame = pl.DataFrame({"id": ["m3", "m1", "m2", "m9"], "text": [POLICE, "", LOAN, NORMAL]})
    path = tmp_path / f"texts.{kind}"
    if kind == "parquet":
        frame.write_parquet(path)
    else:
        frame.write_csv(
            path,
            separator="\t" if kind == "tsv" else ",",
            quote_style="never" if kind == "tsv" else "necessary",
        )
    rows = _classified(model_dir, path, tmp_path)
    assert [r["id"] for r in rows] == ["m3", "m1", "m2", "m9"]
    assert [r["label_pred"] for r in rows] == [
        "impersonate_police_gov", "", "loan_credit_card", "normal",
    ]  # fmt: skip
    assert float(rows[1]["score"]) == 0.0 and rows[1]["evidence"] == ""  # the empty text
    assert all(0.5 < float(r["score"]) <= 1.0 for r in (rows[0], rows[2], rows[3]))


def test_explanations_name_the_deciding_terms(model_dir: Path) -> None:
    scores = ContentModel.load(model_dir).score_texts([POLICE, LOAN])
    police, loan = scores.evidence
    assert 1 <= len(police) <= 3 and 1 <= len(loan) <= 3
    assert any(
        t in "".join(police).replace(" ", "")
        for t in ("民警", "公安", "安全账户", "洗钱", "资金", "配合", "涉嫌")
    )
    assert any(t in "".join(loan).replace(" ", "") for t in ("贷款", "放款", "征信", "抵押"))
    assert scores.risk[0] > 0.5  # anything but "normal" is a risk


def test_a_label_set_of_two_works(tmp_path: Path) -> None:
    labels, texts = load_corpus()
    binary = ["normal" if label == "normal" else "fraud" for label in labels]
    model = ContentModel.train(binary, texts)
    model.save(tmp_path / "m")
    scores = ContentModel.load(tmp_path / "m").score_texts([POLICE, NORMAL])
    assert scores.label.tolist() == ["fraud", "normal"]
    assert scores.proba.sum(axis=1) == pytest.approx([1.0, 1.0])


def test_the_shipped_default_model_is_the_corpus_trained_now(tmp_path: Path) -> None:
    fresh = rebuild(tmp_path / "fresh")
    _, texts = load_corpus()
    shipped = default_model().score_texts([*texts[:40], POLICE, LOAN])
    now = fresh.score_texts([*texts[:40], POLICE, LOAN])
    assert shipped.label.tolist() == now.label.tolist()
    assert shipped.score == pytest.approx(now.score, abs=1e-6), (
        "rebuild: callwarden text train src/callwarden/content/data/corpus.tsv "
        "--out src/callwarden/content/data/default_model"
    )


def test_parallel_scoring_equals_one_process(model_dir: Path) -> None:
    model = ContentModel.load(model_dir)
    _, texts = load_corpus()
    many = (texts * 50)[:10_010]
    one, two = model.score_texts(many), model.score_texts(many, workers=2)
    assert one.label.tolist() == two.label.tolist() and one.evidence == two.evidence


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("empty.tsv", b"", "it is empty"),
        ("header.csv", b"id,text\n", "no rows"),
        ("nocol.tsv", "id\tbody\n1\t你好\n".encode(), "no 'text' column (columns: id, body)"),
        (
            "latin.tsv",
            "text\n你好\n".encode() + "caf\xe9\n".encode("latin-1"),
            "row 3 is not UTF-8",
        ),
        ("gbk.csv", b"text\n" + "转账".encode("gbk"), "row 2 is not UTF-8"),
        ("short.tsv", "id\ttext\n1\t你好\n2\n".encode(), "row 3 has 1 tab-separated fields"),
        ("bad.parquet", b"PAR1 not really", "not a readable Parquet file"),
    ],
)
def test_a_bad_input_file_is_exit_3_naming_file_and_row(
    name: str,
    content: bytes,
    problem: str,
    model_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    code = cli("text", "classify", str(model_dir), str(path), "--out", str(tmp_path / "o.csv"))
    err = " ".join(capsys.readouterr().err.split())
    assert code == 3
    assert str(path) in err and problem in err


def test_training_needs_labels_and_two_classes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = tmp_path / "one.tsv"
    one.write_text("label\ttext\nnormal\t你好\nnormal\t再见\nnormal\t好的\n", encoding="utf-8")
    unlabelled = tmp_path / "unlabelled.tsv"
    unlabelled.write_text("label\ttext\nnormal\t你好\n\t转账\n", encoding="utf-8")
    assert cli("text", "train", str(one), "--out", str(tmp_path / "m")) == 3
    assert cli("text", "train", str(unlabelled), "--out", str(tmp_path / "m")) == 3
    err = " ".join(capsys.readouterr().err.split())
    assert "at least two labels" in err and "row 3 has no label" in err


def test_a_folder_without_a_model_is_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = tmp_path / "t.tsv"
    texts.write_text("text\n你好\n", encoding="utf-8")
    code = cli("text", "classify", str(tmp_path), str(texts), "--out", str(tmp_path / "o.csv"))
    assert code == 3
    assert "not a content model folder" in capsys.readouterr().err
