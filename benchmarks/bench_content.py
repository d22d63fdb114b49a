"""Content classifier on the shared Chinese fraud-text set, beside the baseline in the same run.

The set (../shared/datasets/fraud-texts/train.tsv, research use only) is read here and never
copied or shipped. Near duplicates (one campaign's text with another name or number: character
4-gram Jaccard >= 0.8 after normalisation) are grouped first, and a group always stays on one
side of a split. The model's settings are chosen by cross-validation inside the training part
(four fifths, stratified, seed 0) only; then the test part (the other fifth) and a
cross-validation of the whole file are scored once, for the chosen settings and for the
baseline (character 1-3-gram TF-IDF + LinearSVC), the test part on plain texts and on the
same texts disguised (full-width forms, traditional characters, separators between
characters, Chinese numerals, other links and numbers: :func:`disguise`).

    .venv/bin/python benchmarks/bench_content.py            # selection, split, disguises, speed
    .venv/bin/python benchmarks/bench_content.py --cv 5     # and 5-fold cross-validation
    .venv/bin/python benchmarks/bench_content.py --cv 5 --no-speed
    .venv/bin/python benchmarks/bench_content.py --speed-only
    .venv/bin/python benchmarks/bench_content.py --ideas    # soft votes, priors, cleaning
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import polars as pl

from callwarden.content.model import ContentModel, ContentSettings
from callwarden.content.normalise import normalise_all
from callwarden.content.texts_io import read_labelled

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "fraud-texts" / "train.tsv"

#: the settings compared on the validation split, cheapest first: a tie goes to the cheaper
CANDIDATES = {
    "char 1-3 + words 1-2 (previous)": ContentSettings(opening_chars=0),
    "char 1-3 + words 1-2 + opening 20": ContentSettings(opening_chars=20),
    "char 1-3 + words 1-2 + opening 40": ContentSettings(opening_chars=40),
    "char 1-4 + words 1-2 + opening 20": ContentSettings(char_ngrams=(1, 4), opening_chars=20),
    "char 1-3 + words 1-2 + opening 40, C 0.5": ContentSettings(opening_chars=40, c=0.5),
    "char 1-3 + words 1-2 + opening 40, C 2": ContentSettings(opening_chars=40, c=2.0),
    "char 1-3 + words 1-2 + opening 40 at 0.75": ContentSettings(
        opening_chars=40, opening_weight=0.75
    ),
    # the text as it came beside the normalised one: source artefacts (full-width or
    # half-width punctuation, spacing, how digits were masked) that normalisation erases
    "char 1-3 + words 1-2 + opening 40 + raw 1-3 at 0.5": ContentSettings(
        opening_chars=40, raw_weight=0.5
    ),
    "char 1-3 + words 1-2 + opening 40 + raw 1-3 at 0.7": ContentSettings(
        opening_chars=40, raw_weight=0.7
    ),
}
#: the settings chosen, which the shipped code defaults to (``--speed-only`` measures these)
DEFAULT = "char 1-3 + words 1-2 + opening 40"

#: the honest transcripts of the scoring run (every fifth transcript, in turn)
HONEST_LINES = (
    "喂，我晚上回家吃饭",
    "您好，我是快递员，您的包裹到了，放在小区门口的快递柜，取件码发您手机上了",
    "您好，这里是银行信用卡中心，提醒您本期账单已出，到期还款日是十八号",
    "您好，您退货的款项已经原路退回您的支付账户，一到三个工作日到账",
    "您好，我是维修师傅，您报修的热水器我下午两点上门，您家里有人吗",
)
_FULL_WIDTH = {c: chr(ord(c) + 0xFEE0) for c in map(chr, range(0x21, 0x7F))}
_NUMERALS = dict(zip("0123456789", "零一二三四五六七八九", strict=True))
_SEPARATORS = [" ", "*", ".", "-", "|", "/", "_", "~", "  "]
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{4,}")


def disguise(text: str, rng: random.Random, to_traditional: Callable[[str], str]) -> str:
    """The tricks scammers use, each applied with probability 1/2 (at least one)."""
    tricks = [rng.random() < 0.5 for _ in range(5)]
    if not any(tricks):
        tricks[rng.randrange(5)] = True
    full, traditional, spaced, numerals, other_numbers = tricks
    if other_numbers:  # another campaign's links and numbers
        text = re.sub(r"(?<=\d)\d", lambda _: str(rng.randrange(10)), text)  # same prefix
        text = re.sub(
            r"(https?://)?[a-z0-9.-]+\.(cn|com|cc|top)",
            "http://k" + str(rng.randrange(99)) + ".cc",
            text,
        )
    if numerals:
        text = re.sub(r"\d{3,}", lambda m: "".join(_NUMERALS[d] for d in m.group()), text)
    if traditional:
        text = to_traditional(text)
    if spaced:  # separators between the characters of up to three runs of Chinese
        sep = rng.choice(_SEPARATORS)
        runs = list(_CJK_RUN.finditer(text))
        for m in sorted(rng.sample(runs, min(3, len(runs))), key=lambda m: -m.start()):
            text = text[: m.start()] + sep.join(m.group()) + text[m.end() :]
    if full:
        text = "".join(_FULL_WIDTH.get(c, c) for c in text)
    return text


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    from sklearn.metrics import f1_score  # noqa: PLC0415

    return float(f1_score(truth, predicted, average="macro"))


def baseline_fit(labels: Sequence[str], texts: Sequence[str]) -> Callable[[list[str]], list[str]]:
    """Character 1-3-gram TF-IDF with a linear SVM, on the raw texts."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415
    from sklearn.pipeline import make_pipeline  # noqa: PLC0415
    from sklearn.svm import LinearSVC  # noqa: PLC0415

    pipe = make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True), LinearSVC()
    ).fit(texts, labels)
    return lambda batch: [str(p) for p in pipe.predict(batch)]


def ours_fit(
    labels: Sequence[str], texts: Sequence[str], settings: ContentSettings
) -> Callable[[list[str]], list[str]]:
    model = ContentModel.train(labels, texts, settings)
    return lambda batch: model.score_texts(batch).label.tolist()


def near_duplicate_groups(texts: Sequence[str], threshold: float = 0.8) -> np.ndarray:
    """A group id per text: texts whose sets of character 4-grams (after normalisation)
    overlap by a Jaccard index of ``threshold`` or more share a group, and so do the texts
    joined through them. A group stays on one side of every split, so that a test text's
    near copy (one campaign's text with another name or number) is never a training text."""
    from scipy.sparse import coo_matrix  # noqa: PLC0415
    from scipy.sparse.csgraph import connected_components  # noqa: PLC0415
    from sklearn.feature_extraction.text import CountVectorizer  # noqa: PLC0415

    grams = CountVectorizer(analyzer="char", ngram_range=(4, 4), binary=True, lowercase=False)
    m = grams.fit_transform(normalise_all(list(texts))).astype(np.float32).tocsr()
    size = np.asarray(m.sum(axis=1)).ravel()
    shared = (m @ m.T).tocoo()
    jaccard = shared.data / np.maximum(size[shared.row] + size[shared.col] - shared.data, 1)
    near = (jaccard >= threshold) & (shared.row != shared.col)
    n = len(texts)
    graph = coo_matrix((np.ones(int(near.sum())), (shared.row[near], shared.col[near])), (n, n))
    return np.asarray(connected_components(graph, directed=False)[1])


def group_folds(
    labels: Sequence[str], groups: np.ndarray, folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified folds that keep each group of near duplicates together."""
    from sklearn.model_selection import StratifiedGroupKFold  # noqa: PLC0415

    splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(labels)), labels, groups))


def split(labels: Sequence[str], groups: np.ndarray, seed: int) -> tuple[list[int], list[int]]:
    """The fixed split: one fifth of the texts held out (stratified, near duplicates kept
    together), chosen once by the seed."""
    fit, held = group_folds(labels, groups, 5, seed)[0]
    return sorted(fit.tolist()), sorted(held.tolist())


def speed(labels: list[str], texts: list[str], chosen: ContentSettings) -> None:
    """Training time on every text; classification throughput in one and two processes."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nspeed ({os.cpu_count()} cores; load average before: {load}):")
    start, cpu = time.perf_counter(), time.process_time()
    model = ContentModel.train(labels, texts, chosen)
    print(
        f"  training on all {len(texts):,} texts: {time.perf_counter() - start:.1f} s wall, "
        f"{time.process_time() - cpu:.1f} s CPU"
    )
    batch = (texts * 3)[:25_000]
    model.score_texts(batch[:100])  # dictionaries loaded
    for workers in (1, 2):
        start, cpu = time.perf_counter(), time.process_time()
        model.score_texts(batch, workers=workers)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        rate = len(batch) / seconds
        print(f"  score_texts on {len(batch):,} texts, {workers} process(es): {rate:,.0f} texts/s")
        if workers == 1:  # the rate of one core of its own, whatever else the machine runs
            print(f"    per CPU second of this process: {len(batch) / cpu:,.0f} texts/s")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        model.save(folder / "model")
        pl.DataFrame({"id": range(len(batch)), "text": batch}).write_parquet(folder / "in.parquet")
        command = [str(Path(sys.executable).parent / "callwarden"), "text", "classify"]
        start, children = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(
            [*command, str(folder / "model"), str(folder / "in.parquet"), "--out",
             str(folder / "out.csv")],
            check=True, capture_output=True,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    print(
        f"  callwarden text classify, {len(batch):,} texts Parquet to CSV, whole command "
        f"(start, model load, read, write): {seconds:.1f} s, {len(batch) / seconds:,.0f} texts/s"
        f" wall, {len(batch) / cpu:,.0f} per CPU second"
    )


def select(
    labels: list[str],
    texts: list[str],
    train_rows: list[int],
    groups: np.ndarray,
    folds: int,
    seed: int,
) -> str:
    """The candidate with the best macro-F1 in cross-validation inside the training part
    (every fold's validation texts are training texts: the test part is not looked at)."""
    train_labels = [labels[i] for i in train_rows]
    splits = group_folds(train_labels, groups[train_rows], folds, seed)
    print(
        f"\nmodel selection: {folds}-fold cross-validation inside the training part "
        f"({len(train_rows):,} texts), macro-F1 mean and wrong labels in all folds:"
    )
    best_name, best_f1 = "", -1.0
    for name, settings in CANDIDATES.items():
        f1s, wrong = [], 0
        for fit, val in splits:
            model = ContentModel.train(
                [labels[train_rows[i]] for i in fit], [texts[train_rows[i]] for i in fit], settings
            )
            truth = [labels[train_rows[i]] for i in val]
            predicted = model.score_texts([texts[train_rows[i]] for i in val]).label.tolist()
            f1s.append(macro_f1(truth, predicted))
            wrong += sum(a != b for a, b in zip(truth, predicted, strict=True))
        f1 = float(np.mean(f1s))
        print(f"  {name:<40} macro-F1 {f1:.4f}, {wrong} wrong", flush=True)
        if f1 > best_f1:
            best_name, best_f1 = name, f1
    print(f"chosen: {best_name}")
    return best_name


#: a fitted idea: the label probabilities of a batch of texts (columns in sorted label order)
Proba = Callable[[list[str]], np.ndarray]
#: fits an idea on labelled texts and their near-duplicate groups
Fit = Callable[[list[str], list[str], np.ndarray], Proba]


def _fit_model(settings: ContentSettings) -> Fit:
    def fit(y: list[str], x: list[str], _groups: np.ndarray) -> Proba:
        model = ContentModel.train(y, x, settings)
        return lambda batch: model.score_texts(batch).proba

    return fit


def _fit_vote(*members: ContentSettings) -> Fit:
    """Soft voting: the mean of the members' calibrated probabilities."""

    def fit(y: list[str], x: list[str], groups: np.ndarray) -> Proba:
        fitted = [_fit_model(s)(y, x, groups) for s in members]
        return lambda batch: np.mean([p(batch) for p in fitted], axis=0)

    return fit


def _out_of_fold(y: list[str], x: list[str], groups: np.ndarray, seed: int) -> np.ndarray:
    """The shipped settings' probabilities for each text, from a model not trained on it
    (3 group folds of the texts given)."""
    proba = np.zeros((len(y), len(set(y))))
    for a, b in group_folds(y, groups, 3, seed):
        model = ContentModel.train([y[i] for i in a], [x[i] for i in a])
        proba[b] = model.score_texts([x[i] for i in b]).proba
    return proba


def _class_offsets(proba: np.ndarray, y: list[str]) -> np.ndarray:
    """Per-label offsets of the log probabilities (a prior per class) that maximise macro-F1
    on out-of-fold probabilities: coordinate search over -1.5..1.5 in steps of 0.1, twice."""
    classes = np.array(sorted(set(y)))
    logp = np.log(np.clip(proba, 1e-9, 1.0))
    offsets = np.zeros(len(classes))
    best = macro_f1(y, classes[logp.argmax(1)].tolist())
    for _ in range(2):
        for k in range(len(classes)):
            for step in np.linspace(-1.5, 1.5, 31):
                trial = offsets.copy()
                trial[k] = step
                f1 = macro_f1(y, classes[(logp + trial).argmax(1)].tolist())
                if f1 > best + 1e-12:
                    best, offsets = f1, trial
    return offsets


def _fit_offsets(seed: int) -> Fit:
    """The shipped model, its labels shifted by per-class priors tuned on out-of-fold
    probabilities of the training texts."""

    def fit(y: list[str], x: list[str], groups: np.ndarray) -> Proba:
        offsets = _class_offsets(_out_of_fold(y, x, groups, seed), y)
        model = ContentModel.train(y, x)

        def proba(batch: list[str]) -> np.ndarray:
            shifted = np.exp(np.log(np.clip(model.score_texts(batch).proba, 1e-9, 1)) + offsets)
            return np.asarray(shifted / shifted.sum(axis=1, keepdims=True))

        return proba

    return fit


def _fit_cleaned(seed: int, below: float) -> Fit:
    """The shipped model trained without the texts whose own label gets an out-of-fold
    probability under ``below`` (labels that disagree with the rest of the set)."""

    def fit(y: list[str], x: list[str], groups: np.ndarray) -> Proba:
        proba = _out_of_fold(y, x, groups, seed)
        classes = sorted(set(y))
        own = proba[np.arange(len(y)), [classes.index(label) for label in y]]
        keep = np.flatnonzero(own >= below)
        print(f"    (cleaning leaves out {len(y) - len(keep)} of {len(y)} texts)", flush=True)
        return _fit_model(ContentSettings())([y[i] for i in keep], [x[i] for i in keep], groups)

    return fit


_SHORT = {
    "normal": "N",
    "impersonate_police_gov": "police",
    "loan_credit_card": "loan",
    "impersonate_customer_service": "service",
    "impersonate_leader_acquaintance": "leader",
}


def ideas(
    labels: list[str],
    texts: list[str],
    train_rows: list[int],
    test_rows: list[int],
    groups: np.ndarray,
    disguised: list[str],
    folds: int,
    seed: int,
) -> None:
    """Ideas beyond one model's settings, in the same protocol: chosen by cross-validation
    inside the training part; the winner and the shipped model then scored once on the
    test part, plain and disguised."""
    ideas_: dict[str, Fit] = {
        "shipped (char 1-3 + words 1-2 + opening 40)": _fit_model(ContentSettings()),
        "soft vote: shipped + char 1-5": _fit_vote(
            ContentSettings(), ContentSettings(char_ngrams=(1, 5))
        ),
        "soft vote: shipped + char 1-5 + no opening": _fit_vote(
            ContentSettings(),
            ContentSettings(char_ngrams=(1, 5)),
            ContentSettings(opening_chars=0),
        ),
        "shipped + per-class priors tuned out of fold": _fit_offsets(seed),
        "shipped trained without out-of-fold p(label) < 0.05": _fit_cleaned(seed, 0.05),
    }
    y = [labels[i] for i in train_rows]
    x = [texts[i] for i in train_rows]
    g = groups[train_rows]
    classes = np.array(sorted(set(y)))
    splits = group_folds(y, g, folds, seed)
    print(
        f"\nideas: {folds}-fold cross-validation inside the training part ({len(y):,} texts), "
        "macro-F1 mean and wrong labels in all folds:"
    )
    best_name, best_f1 = "", -1.0
    for name, fit in ideas_.items():
        f1s, pairs = [], Counter[tuple[str, str]]()
        for a, b in splits:
            predict = fit([y[i] for i in a], [x[i] for i in a], g[a])
            truth = [y[i] for i in b]
            predicted = classes[predict([x[i] for i in b]).argmax(1)].tolist()
            f1s.append(macro_f1(truth, predicted))
            pairs.update((_SHORT.get(t, t), _SHORT.get(p, p))
                         for t, p in zip(truth, predicted, strict=True) if t != p)  # fmt: skip
        f1 = float(np.mean(f1s))
        confused = ", ".join(f"{t}->{p} {n}" for (t, p), n in pairs.most_common())
        print(f"  {name:<52} macro-F1 {f1:.4f}, {pairs.total()} wrong ({confused})", flush=True)
        if f1 > best_f1:
            best_name, best_f1 = name, f1
    print(f"chosen: {best_name}")
    reference = next(iter(ideas_))
    ty = [labels[i] for i in test_rows]
    tx = [texts[i] for i in test_rows]
    print(f"test part ({len(ty):,} texts), scored once (plain | disguised):")
    for name in dict.fromkeys([reference, best_name]):
        predict = ideas_[name](y, x, g)
        plain = classes[predict(tx).argmax(1)].tolist()
        hidden = classes[predict(disguised).argmax(1)].tolist()
        print(f"  {name:<52} {macro_f1(ty, plain):.4f} | {macro_f1(ty, hidden):.4f}")


def scoring(subscribers: int, seed: int, master: str) -> None:
    """Content in detection, side by side in one run: a simulated city scored in batch and on
    Spark, its SMS with their texts and without, and in batch with call transcripts."""
    from pyspark.sql import DataFrame as SparkFrame  # noqa: PLC0415

    from callwarden.content.templates import FRAUD_LABELS, compose  # noqa: PLC0415
    from callwarden.detect.scoring import score_records  # noqa: PLC0415
    from callwarden.features.engines.base import Traffic  # noqa: PLC0415
    from callwarden.features.engines.spark.scoring import score_records_spark  # noqa: PLC0415
    from callwarden.features.engines.spark.session import spark_session  # noqa: PLC0415
    from callwarden.simulate import SimulationConfig, simulate_city  # noqa: PLC0415

    city = Path(tempfile.mkdtemp()) / "city"
    simulate_city(SimulationConfig(subscribers=subscribers, seed=seed, days=1), city)
    calls = pl.read_parquet(city / "calls", hive_partitioning=False)
    sms = pl.read_parquet(city / "sms", hive_partitioning=False)
    subs = pl.read_parquet(city / "subscribers")
    bare = sms.with_columns(content=pl.lit(None, pl.String))
    # a transcript for every 20th answered call: scam scripts and honest words in turn
    answered = calls.filter(pl.col("duration_s") > 0).gather_every(20)
    rng = np.random.default_rng(seed)
    kinds = [*FRAUD_LABELS, "honest"]
    said = pl.DataFrame(
        {
            "call_id": answered["call_id"],
            "text": [
                HONEST_LINES[k // 5 % len(HONEST_LINES)]
                if kinds[k % 5] == "honest"
                else compose(kinds[k % 5], rng)
                for k in range(answered.height)
            ],
        }
    )
    texts = sms["content"].drop_nulls().n_unique()
    print(
        f"city: {subscribers:,} subscribers, {calls.height:,} calls, {sms.height:,} SMS "
        f"({texts:,} distinct texts), {said.height:,} transcripts"
    )
    runs: list[tuple[str, Callable[[], pl.DataFrame]]] = [
        ("batch, SMS without texts", lambda: score_records(Traffic(calls, bare, subs)).alerts),
        ("batch, SMS with texts", lambda: score_records(Traffic(calls, sms, subs)).alerts),
        ("batch, texts and transcripts",
         lambda: score_records(Traffic(calls, sms, subs), transcripts=said).alerts),
    ]  # fmt: skip
    if master != "none":
        spark = spark_session(master)

        def on_spark(frame: pl.DataFrame) -> SparkFrame:
            return spark.createDataFrame(frame.to_arrow())

        runs += [
            (f"Spark {master}, SMS without texts", lambda: score_records_spark(
                spark, on_spark(calls), on_spark(bare), on_spark(subs)).alerts),
            (f"Spark {master}, SMS with texts", lambda: score_records_spark(
                spark, on_spark(calls), on_spark(sms), on_spark(subs)).alerts),
        ]  # fmt: skip
    found: dict[str, pl.DataFrame] = {}
    score_records(Traffic(calls.head(1000), sms.head(1000), subs))  # (loads the model)
    for name, run in runs:
        print(f"  ({time.strftime('%H:%M:%S')}) {name} ...", flush=True)
        start, cpu = time.perf_counter(), time.process_time()
        found[name] = run()
        wall, used = time.perf_counter() - start, time.process_time() - cpu
        codes = [r["code"] for rs in found[name]["reasons"].to_list() for r in rs]
        print(
            f"  {name:<36} {wall:6.1f} s wall, {used:6.1f} s driver CPU, "
            f"{found[name].height:,} alerts, {codes.count('content'):,} content reasons"
        )
    said_codes = [r["code"] for rs in found["batch, texts and transcripts"]["reasons"].to_list()
                   for r in rs]  # fmt: skip
    raised = found["batch, texts and transcripts"].filter(
        pl.col("reasons").list.eval(pl.element().struct.field("code") == "call_content").list.any()
    )
    # the callers whose transcripts were all the honest line: none may be raised by them
    heard = (
        said.join(answered.select("call_id", "caller"), on="call_id")
        .group_by("caller")
        .agg(honest=pl.col("text").is_in(HONEST_LINES).all())
    )
    honest = set(heard.filter("honest")["caller"].to_list())
    print(
        f"  with transcripts: {said_codes.count('call_content'):,} call_content reasons, "
        f"{raised['msisdn'].n_unique():,} numbers raised by them "
        f"(decisions {sorted(raised['decision'].unique().to_list())}); of the "
        f"{len(honest):,} callers whose transcripts were all honest, "
        f"{len(honest & set(raised['msisdn'].to_list())):,} raised"
    )
    if master != "none":
        same = found["batch, SMS with texts"].equals(found[f"Spark {master}, SMS with texts"])
        print(f"  Spark's alerts with texts equal batch's: {same}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument(
        "--scoring", type=int, default=0, metavar="SUBSCRIBERS",
        help="only the cost of content in detection, batch beside Spark, on a city this size",
    )  # fmt: skip
    parser.add_argument(
        "--master", default="local[2]", help="Spark master with --scoring ('none': batch only)"
    )
    parser.add_argument("--cv", type=int, default=0, help="cross-validation folds (0: none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--speed-only", action="store_true", help="only training time and throughput"
    )
    parser.add_argument("--no-speed", action="store_true", help="accuracy only")
    parser.add_argument(
        "--ideas", action="store_true",
        help="only the ideas beyond settings (soft votes, per-class priors, cleaned labels), "
        "chosen inside the training part, the winner scored once on the test part",
    )  # fmt: skip
    parser.add_argument(
        "--candidate", choices=list(CANDIDATES), default=DEFAULT,
        help="the settings --speed-only measures (default: the shipped ones)",
    )  # fmt: skip
    parser.add_argument(
        "--select-folds", type=int, default=3, help="folds of the training part for selection"
    )
    args = parser.parse_args()
    if args.scoring:
        scoring(args.scoring, args.seed, args.master)
        return 0
    if not args.data.exists():
        print(f"skipped: {args.data} is absent (the shared benchmark data is not part of a clone)")
        return 0
    import opencc  # noqa: PLC0415

    to_traditional = opencc.OpenCC("s2t").convert
    labels, texts = read_labelled(args.data)
    print(f"{len(texts):,} texts, {len(set(labels))} labels, from {args.data}")

    def pick(rows: list[int]) -> tuple[list[str], list[str]]:
        return [labels[i] for i in rows], [texts[i] for i in rows]

    if args.speed_only:
        speed(labels, texts, CANDIDATES[args.candidate])
        return 0
    groups = near_duplicate_groups(texts)
    print(
        f"near duplicates (character 4-gram Jaccard >= 0.8): {len(texts) - len(set(groups)):,} "
        f"texts in {sum(np.bincount(groups) > 1):,} groups, each kept on one side of a split"
    )
    train_rows, test_rows = split(labels, groups, args.seed)
    rng = random.Random(args.seed)
    ty, tx = pick(test_rows)
    disguised = [disguise(t, rng, to_traditional) for t in tx]
    if args.ideas:
        ideas(labels, texts, train_rows, test_rows, groups, disguised, args.select_folds, args.seed)
        return 0
    best_name = select(labels, texts, train_rows, groups, args.select_folds, args.seed)
    chosen = CANDIDATES[best_name]

    print(
        f"\nfixed split: train on {len(train_rows):,} texts, test on the other "
        f"{len(test_rows):,} (plain | disguised):"
    )
    for name, fit in (
        ("baseline char 1-3 TF-IDF + LinearSVC", baseline_fit),
        ("callwarden content", lambda y, x: ours_fit(y, x, chosen)),
    ):
        predict = fit(*pick(train_rows))
        plain_f1, hidden_f1 = macro_f1(ty, predict(tx)), macro_f1(ty, predict(disguised))
        print(f"  {name:<40} {plain_f1:.4f} | {hidden_f1:.4f}", flush=True)

    if args.cv:
        print(f"\n{args.cv}-fold cross-validation, macro-F1 mean (min-max):")
        folds = group_folds(labels, groups, args.cv, args.seed)
        for name, fit in (
            ("baseline char 1-3 TF-IDF + LinearSVC", baseline_fit),
            ("callwarden content", lambda y, x: ours_fit(y, x, chosen)),
        ):
            scores = []
            for fit_idx, test_idx in folds:
                predict = fit(*pick(fit_idx.tolist()))
                fy, fx = pick(test_idx.tolist())
                scores.append(macro_f1(fy, predict(fx)))
            print(f"  {name:<40} {np.mean(scores):.4f} ({min(scores):.4f}-{max(scores):.4f})")

    if not args.no_speed:
        speed(labels, texts, chosen)
    return 0


if __name__ == "__main__":
    sys.exit(main())
