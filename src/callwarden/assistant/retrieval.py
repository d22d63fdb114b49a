"""Which knowledge-base article a question is about: TF-IDF over words and character bigrams,
cosine similarity, a least score below which the assistant does not guess.

Chinese questions are cut into words with jieba (as :mod:`callwarden.content` does) and also
read as character bigrams, so "停机原因" finds "为什么停机" through "停机" even when the words
differ; English is lower-cased words. scikit-learn's vectoriser does the weighting: nothing is
downloaded and nothing is trained beyond the articles themselves.

>>> index = Index([(1, "为什么停机 why was my number suspended"),
...                (2, "需要带什么材料 what to bring")])
>>> index.best("我的号码为什么被停机了")[0], index.best("要带哪些材料?")[0]
(1, 2)
>>> index.best("今天天气怎么样")
(None, 0.0)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from callwarden.content.segment import words

__all__ = ["MIN_SCORE", "Index", "tokens"]

#: the least cosine similarity at which an article answers; below it a person does
MIN_SCORE = 0.2
_HAN = re.compile(r"[\u4e00-\u9fff]+")
_LATIN = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    (
        "的",
        "了",
        "吗",
        "呢",
        "吧",
        "啊",
        "我",
        "我的",
        "你",
        "您",
        "是",
        "在",
        "要",
        "有",
        "怎么",
        "什么",
        "a",
        "an",
        "the",
        "is",
        "my",
        "i",
        "to",
        "of",
        "do",
        "does",
        "for",
    )
)


def tokens(text: str) -> list[str]:
    """Words and character bigrams of the Chinese runs; lower-case words of the rest."""
    lowered = text.lower()
    out: list[str] = []
    for run in _HAN.findall(lowered):
        out += [w for w in words(run) if w not in _STOP]
        out += [run[i : i + 2] for i in range(len(run) - 1)]
    out += [w for w in _LATIN.findall(lowered) if w not in _STOP]
    return out


class Index:
    """The articles' texts, vectorised once; ``best`` answers (article id, score)."""

    def __init__(self, articles: Sequence[tuple[int, str]], min_score: float = MIN_SCORE) -> None:
        self.ids = [i for i, _ in articles]
        self.min_score = min_score
        self.vectoriser = TfidfVectorizer(
            tokenizer=tokens, lowercase=False, token_pattern=None, sublinear_tf=True
        )
        self.matrix = self.vectoriser.fit_transform([t for _, t in articles]) if articles else None

    def best(self, question: str) -> tuple[int | None, float]:
        if self.matrix is None or not tokens(question):
            return None, 0.0
        q = self.vectoriser.transform([question])
        scores = (self.matrix @ q.T).toarray().ravel()  # rows are L2-normalised: cosine
        i = int(np.argmax(scores))
        score = float(scores[i])
        return (self.ids[i], round(score, 3)) if score >= self.min_score else (None, 0.0)
