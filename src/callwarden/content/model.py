"""The content model: character and word n-grams of normalised texts, a linear SVM over them,
calibrated by Platt scaling, and the terms that decided each prediction.

A model is a folder of plain data (``model.json``: labels, settings, vocabularies;
``weights.npz``: idf, weights, calibration), loaded without unpickling anything.

>>> from callwarden.content.corpus import load_corpus
>>> labels, texts = load_corpus()
>>> model = ContentModel.train(labels, texts)
>>> scores = model.score_texts(["您的账户涉嫌洗钱，请立即将资金转入安全账户配合调查", ""])
>>> str(scores.label[0]), str(scores.label[1]), float(scores.score[1])
('impersonate_police_gov', '', 0.0)
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from callwarden.content.ngrams import Vocabulary
from callwarden.content.normalise import MASKS, display, normalise_all
from callwarden.content.segment import SEGMENTER, words_of
from callwarden.errors import InputFileError

__all__ = ["BENIGN", "ContentModel", "ContentScores", "ContentSettings"]

FORMAT: Final = "callwarden-content/2"
#: earlier models (no opening block) still load
_FORMATS: Final = ("callwarden-content/1", FORMAT)
#: the label of honest texts, when a model has one: ``risk`` is the probability of any other
BENIGN: Final = "normal"
_MODEL_FILE = "model.json"
_WEIGHTS_FILE = "weights.npz"


@dataclass(frozen=True)
class ContentSettings:
    """What a model is made of; chosen on a validation split (docs/content.md)."""

    char_ngrams: tuple[int, int] = (1, 3)
    word_ngrams: tuple[int, int] = (1, 2)
    #: the opening's characters (who the sender claims to be) as a block of their own:
    #: character 1-3-grams and words of the first ``opening_chars`` characters, weighted
    #: ``opening_weight`` against the whole text's blocks; 0: no such block
    opening_chars: int = 40
    opening_weight: float = 0.5
    #: the text as it came (before normalisation: full-width forms, spacing, the way digits
    #: were masked by the source) as character 1-3-grams of a block of its own, weighted
    #: ``raw_weight``; 0: no such block (the default: it won the validation by two texts,
    #: inside the noise, and lost the test split's plain texts; docs/benchmarks.md)
    raw_weight: float = 0.0
    min_df: int = 2
    c: float = 1.0  # the SVM's inverse regularisation
    balanced: bool = True  # weigh classes by the inverse of their frequency
    calibration_folds: int = 3
    evidence_terms: int = 3
    seed: int = 0


@dataclass(frozen=True)
class ContentScores:
    """Predictions for a batch of texts, one entry per text in input order.

    ``label`` is the predicted label ("" for an empty text), ``score`` its calibrated
    probability (0 for an empty text), ``evidence`` the terms that pushed hardest towards it,
    ``risk`` the probability of any label but :data:`BENIGN` (``nan`` when the model has no
    such label), ``proba`` every label's probability (columns in ``classes`` order).
    """

    classes: tuple[str, ...]
    label: npt.NDArray[np.str_]
    score: npt.NDArray[np.float64]
    risk: npt.NDArray[np.float64]
    evidence: list[list[str]]
    proba: npt.NDArray[np.float64] = field(repr=False)


@dataclass(frozen=True)
class _Batch:
    """Normalised texts and their words; their openings and the openings' words; the texts
    as they came (one line each), where the model reads them."""

    texts: list[str]
    words: list[list[str]]
    openings: list[str]
    opening_words: list[list[str]]
    raw: list[str] = field(default_factory=list)


def _features(texts: Sequence[str], opening: int, raw: bool = False) -> _Batch:
    normal = normalise_all(list(texts))
    lines = [_LINE_BREAK.sub(" ", t).strip() for t in texts] if raw else []
    if not opening:
        return _Batch(normal, words_of(normal), [], [], lines)
    head = [t[:opening] for t in normal]
    return _Batch(normal, words_of(normal), head, words_of(head), lines)


_LINE_BREAK = re.compile(r"[\r\n]")


#: the opening block's n-grams: character 1-3-grams and single words
_OPENING_CHARS = (1, 3)
_OPENING_WORDS = (1, 1)
#: the raw block's: character 1-3-grams (no words)
_RAW_CHARS = (1, 3)


def _platt(decision: npt.NDArray[np.float64], truth: npt.NDArray[np.bool_]) -> tuple[float, float]:
    """Platt's sigmoid P(y | d) = 1 / (1 + exp(a d + b)) fitted to held-out decision values."""
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415

    fit = LogisticRegression(C=1e4).fit(decision.reshape(-1, 1), truth)
    return -float(fit.coef_[0, 0]), -float(fit.intercept_[0])


class ContentModel:
    """A trained content classifier: :meth:`train`, :meth:`save`, :meth:`load`,
    :meth:`score_texts`."""

    def __init__(
        self,
        classes: Sequence[str],
        settings: ContentSettings,
        vocabulary: Vocabulary,
        coef: npt.NDArray[np.float32],
        intercept: npt.NDArray[np.float64],
        platt: npt.NDArray[np.float64],
        segmenter: str = SEGMENTER,
        opening: Vocabulary | None = None,
        raw: Vocabulary | None = None,
    ) -> None:
        self.classes = tuple(classes)
        self.settings = settings
        self.vocabulary = vocabulary
        self.opening = opening  # the opening block's n-grams, when the settings have one
        self.raw = raw  # the raw text's n-grams, when the settings have them
        self.coef = coef  # (classes, features)
        self.intercept = intercept  # (classes,)
        self.platt = platt  # (classes, 2): a, b
        self.segmenter = segmenter
        every = vocabulary.terms + (opening.terms if opening else []) + (raw.terms if raw else [])
        self.terms = [display(t) for t in every]
        self._bare = [t.replace(" ", "") for t in self.terms]
        shown = np.fromiter(map(_readable, every), dtype=bool, count=len(every))
        # per label and feature, flat: a term a person can read that pushes towards the label
        self._telling = ((coef > 0) & shown).ravel()
        self._width = coef.shape[1]

    # training -------------------------------------------------------------------------------

    @classmethod
    def train(
        cls, labels: Sequence[str], texts: Sequence[str], settings: ContentSettings | None = None
    ) -> ContentModel:
        """Fit the vocabularies, the SVM on every text and the calibration on held-out folds.

        Needs at least two labels, each on at least ``calibration_folds`` texts.
        """
        from sklearn.model_selection import StratifiedKFold  # noqa: PLC0415

        settings = settings or ContentSettings()
        y = np.asarray(labels, dtype=str)
        classes = tuple(sorted(set(y.tolist())))
        if len(classes) < 2:
            raise ValueError(f"training needs texts of at least two labels, not {classes}")
        rare = [c for c in classes if int((y == c).sum()) < settings.calibration_folds]
        if rare:
            raise ValueError(
                f"labels {', '.join(rare)} have fewer than {settings.calibration_folds} texts "
                "each: give each label at least that many"
            )
        batch = _features(texts, settings.opening_chars, settings.raw_weight > 0)
        vocabulary = Vocabulary.fit(
            batch.texts, batch.words, settings.char_ngrams, settings.word_ngrams, settings.min_df
        )
        opening = None
        if settings.opening_chars:
            opening = Vocabulary.fit(
                batch.openings, batch.opening_words, _OPENING_CHARS, _OPENING_WORDS,
                settings.min_df,
            )  # fmt: skip
        raw = None
        if settings.raw_weight > 0:
            raw = Vocabulary.fit(
                batch.raw, [[]] * len(batch.raw), _RAW_CHARS, (1, 1), settings.min_df
            )
        x = _stack(vocabulary, opening, batch, settings, raw)
        coef, intercept = _fit_svm(x, y, classes, settings)
        # Platt scaling on decision values the SVM gives texts it was not trained on
        held_out = np.zeros((len(y), len(classes)))
        folds = StratifiedKFold(
            settings.calibration_folds, shuffle=True, random_state=settings.seed
        )
        for fit_rows, test_rows in folds.split(x, y):
            c, b = _fit_svm(x[fit_rows], y[fit_rows], classes, settings)
            held_out[test_rows] = x[test_rows] @ c.T + b
        platt = np.array([_platt(held_out[:, k], y == name) for k, name in enumerate(classes)])
        return cls(classes, settings, vocabulary, coef, intercept, platt, opening=opening, raw=raw)

    # scoring --------------------------------------------------------------------------------

    def _matrix(self, texts: Sequence[str]) -> sp.csr_matrix:
        batch = _features(
            texts, self.settings.opening_chars if self.opening else 0, self.raw is not None
        )
        return _stack(self.vocabulary, self.opening, batch, self.settings, self.raw)

    def score_texts(self, texts: Sequence[str | None], workers: int = 1) -> ContentScores:
        """Label, calibrated score, risk and evidence terms for each text.

        A missing or blank text (nothing left after normalisation) gets label "" and score 0.
        Texts are scored in chunks of :data:`CHUNK` (memory stays flat whatever the input's
        size); ``workers`` > 1 spreads the chunks of a large batch over that many processes
        (forked: the model is shared, not copied). The result is the same either way.
        """
        chunks = [texts[i : i + CHUNK] for i in range(0, len(texts), CHUNK)]
        if workers > 1 and len(chunks) > 1:
            import multiprocessing  # noqa: PLC0415

            context = multiprocessing.get_context("fork")
            with context.Pool(workers, initializer=_share, initargs=(self,)) as pool:
                parts = pool.map(_score_shared, [list(c) for c in chunks])
        else:
            parts = [self._score_chunk(c) for c in chunks] or [self._score_chunk([])]
        if len(parts) == 1:
            return parts[0]
        return ContentScores(
            self.classes,
            np.concatenate([p.label for p in parts]),
            np.concatenate([p.score for p in parts]),
            np.concatenate([p.risk for p in parts]),
            [terms for p in parts for terms in p.evidence],
            np.concatenate([p.proba for p in parts]),
        )

    def _score_chunk(self, texts: Sequence[str | None]) -> ContentScores:
        clean = [t or "" for t in texts]
        x = self._matrix(clean)
        decision = x @ self.coef.T + self.intercept
        sig = 1.0 / (1.0 + np.exp(self.platt[:, 0] * decision + self.platt[:, 1]))
        total = sig.sum(axis=1, keepdims=True)
        proba = np.divide(sig, total, out=np.full_like(sig, 1 / len(self.classes)), where=total > 0)
        empty = np.diff(x.indptr) == 0
        proba[empty] = 0.0
        best = proba.argmax(axis=1)
        label = np.array(self.classes, dtype=str)[best]
        label[empty] = ""
        score = proba[np.arange(len(clean)), best]
        if BENIGN in self.classes:
            risk = 1.0 - proba[:, self.classes.index(BENIGN)]
            risk[empty] = 0.0
        else:
            risk = np.full(len(clean), np.nan)
        return ContentScores(
            self.classes, label, score, risk, self._evidence(x, best, empty), proba
        )

    def _evidence(
        self, x: sp.csr_matrix, best: npt.NDArray[np.intp], empty: npt.NDArray[np.bool_]
    ) -> list[list[str]]:
        """Per text, the terms with the largest share of the winning label's decision value;
        a term inside one already chosen (a character n-gram of a chosen word) is skipped."""
        wanted = self.settings.evidence_terms
        rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
        # only terms a person can read that pushed towards the label, strongest first per text
        flat = best[rows] * self._width + x.indices
        keep = self._telling[flat]
        rows, terms = rows[keep], x.indices[keep]
        contribution = x.data[keep] * self.coef.ravel()[flat[keep]]
        # one integer key, by text then contribution downwards (in steps of 2**-32, below any
        # difference that matters): a third of the time of a two-key lexsort
        rank = np.int64(2**42 - 1) - (np.minimum(contribution, 1023.0) * 2**32).astype(np.int64)
        order = np.argsort((rows.astype(np.int64) << 42) | rank, kind="stable")
        rows, terms = rows[order], terms[order]
        starts = np.searchsorted(rows, np.arange(x.shape[0] + 1))
        out: list[list[str]] = []
        for i in range(x.shape[0]):
            chosen: list[int] = []
            for j in terms[starts[i] : min(starts[i + 1], starts[i] + wanted * 6)].tolist():
                bare = self._bare[j]
                if any(bare in self._bare[c] for c in chosen):
                    continue
                chosen = [c for c in chosen if self._bare[c] not in bare]
                chosen.append(j)
                if len(chosen) == wanted:
                    break
            out.append([self.terms[c] for c in chosen] if not empty[i] else [])
        return out

    # files ----------------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write ``model.json`` and ``weights.npz`` into ``folder`` (created if missing)."""
        folder.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT,
            "classes": list(self.classes),
            "settings": asdict(self.settings),
            "segmenter": self.segmenter,
            "char_terms": self.vocabulary.char_terms,
            "words": self.vocabulary.words,
            "word_terms": self.vocabulary.word_terms,
            "opening": None if self.opening is None else {
                "char_terms": self.opening.char_terms,
                "words": self.opening.words,
                "word_terms": self.opening.word_terms,
            },
            "raw": None if self.raw is None else {"char_terms": self.raw.char_terms},
        }  # fmt: skip
        (folder / _MODEL_FILE).write_text(
            json.dumps(meta, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
        )
        arrays: dict[str, npt.NDArray[Any]] = {
            "char_keys": self.vocabulary.char_keys,
            "char_idf": self.vocabulary.char_idf,
            "word_keys": self.vocabulary.word_keys,
            "word_idf": self.vocabulary.word_idf,
            "coef": self.coef,
            "intercept": self.intercept,
            "platt": self.platt,
        }
        if self.opening is not None:
            arrays |= {
                "opening_char_keys": self.opening.char_keys,
                "opening_char_idf": self.opening.char_idf,
                "opening_word_keys": self.opening.word_keys,
                "opening_word_idf": self.opening.word_idf,
            }
        if self.raw is not None:
            arrays |= {"raw_char_keys": self.raw.char_keys, "raw_char_idf": self.raw.char_idf}
        np.savez_compressed(folder / _WEIGHTS_FILE, allow_pickle=False, **arrays)

    @classmethod
    def load(cls, folder: Path) -> ContentModel:
        """A model written by :meth:`save`; a folder that holds none is an
        :class:`~callwarden.errors.InputFileError`."""
        meta_path = folder / _MODEL_FILE
        if not meta_path.is_file():
            raise InputFileError(
                folder, f"not a content model folder (no {_MODEL_FILE}); write one with "
                "'callwarden text train'"
            )  # fmt: skip
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta.get("format") not in _FORMATS:
                raise InputFileError(meta_path, f"format {meta.get('format')!r}, not {FORMAT}")
            given = {"opening_chars": 0, **meta["settings"]}  # format 1: no opening block
            settings = ContentSettings(
                **{**given, "char_ngrams": tuple(given["char_ngrams"]),
                   "word_ngrams": tuple(given["word_ngrams"])}
            )  # fmt: skip
            with np.load(folder / _WEIGHTS_FILE, allow_pickle=False) as weights:
                arrays = {name: weights[name] for name in weights.files}
            vocabulary = Vocabulary(
                settings.char_ngrams, settings.word_ngrams, arrays["char_keys"],
                arrays["char_idf"], meta["char_terms"], meta["words"], arrays["word_keys"],
                arrays["word_idf"], meta["word_terms"],
            )  # fmt: skip
            opening = None
            if meta.get("opening"):
                opening = Vocabulary(
                    _OPENING_CHARS, _OPENING_WORDS, arrays["opening_char_keys"],
                    arrays["opening_char_idf"], meta["opening"]["char_terms"],
                    meta["opening"]["words"], arrays["opening_word_keys"],
                    arrays["opening_word_idf"], meta["opening"]["word_terms"],
                )  # fmt: skip
            raw = None
            if meta.get("raw"):
                raw = Vocabulary(
                    _RAW_CHARS, (1, 1), arrays["raw_char_keys"], arrays["raw_char_idf"],
                    meta["raw"]["char_terms"], [], np.zeros(0, dtype=np.uint64), np.zeros(0),
                    [],
                )  # fmt: skip
            return cls(
                meta["classes"], settings, vocabulary, arrays["coef"], arrays["intercept"],
                arrays["platt"], meta.get("segmenter", SEGMENTER), opening, raw,
            )  # fmt: skip
        except InputFileError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputFileError(folder, f"cannot read the content model ({exc})") from exc


#: texts scored at a time: big enough that numpy's per-call costs vanish, small enough that
#: the n-gram keys (a few hundred bytes a text) stay in the caches and memory stays flat
CHUNK = 5_000
_shared: list[ContentModel] = []  # the model, in a forked worker


def _share(model: ContentModel) -> None:
    _shared[:] = [model]


def _score_shared(texts: list[str | None]) -> ContentScores:
    return _shared[0]._score_chunk(texts)


def _stack(
    vocabulary: Vocabulary,
    opening: Vocabulary | None,
    batch: _Batch,
    settings: ContentSettings,
    raw: Vocabulary | None = None,
) -> sp.csr_matrix:
    """The whole text's blocks, then the opening's and the raw text's, weighted."""
    blocks = [vocabulary.transform(batch.texts, batch.words)]
    if opening is not None:
        head = opening.transform(batch.openings, batch.opening_words)
        head.data *= settings.opening_weight
        blocks.append(head)
    if raw is not None:
        came = raw.transform(batch.raw, [[]] * len(batch.raw))
        came.data *= settings.raw_weight
        blocks.append(came)
    return blocks[0] if len(blocks) == 1 else sp.hstack(blocks, format="csr")


#: letters, digits and Chinese characters (not "_"), or masks
_READABLE = re.compile(f"(?:[^\\W_]|[{''.join(MASKS)}])+")


def _readable(term: str) -> bool:
    """A term worth showing a person: two or more letters, digits or Chinese characters, or
    a mask, with no punctuation ("，我" says nothing an agent can repeat); spaces between
    words do not count.

    >>> _readable("安全 账户"), _readable("\ue000"), _readable("，我"), _readable("我")
    (True, True, False, False)
    """
    bare = term.replace(" ", "")
    return _READABLE.fullmatch(bare) is not None and (len(bare) >= 2 or bare in MASKS)


def _fit_svm(
    x: sp.csr_matrix, y: npt.NDArray[np.str_], classes: tuple[str, ...], settings: ContentSettings
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float64]]:
    """One-vs-rest weights (classes, features) and intercepts; two labels get two rows."""
    from sklearn.svm import LinearSVC  # noqa: PLC0415

    svm = LinearSVC(
        C=settings.c, class_weight="balanced" if settings.balanced else None,
        random_state=settings.seed, max_iter=5000,
    ).fit(x, y)  # fmt: skip
    coef, intercept = svm.coef_, svm.intercept_
    if len(classes) == 2:
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    order = [list(svm.classes_).index(c) for c in classes]
    return coef[order].astype(np.float32), intercept[order].astype(np.float64)
