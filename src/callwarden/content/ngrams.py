"""Character and word n-grams as a sparse TF-IDF matrix, computed over a whole batch at once.

scikit-learn's vectorisers look every n-gram up in a Python dictionary, one at a time: at a
thousand texts a second that is most of the classifier's time. Here a batch's characters are
one array of code points; each character n-gram is a 64-bit polynomial key computed for every
position at once and found in the model's keys by one probe of a hash table (keys that share
a slot, a few percent, by binary search in the sorted keys). Words are looked up
once per word; word bigrams are keys of two word ids. Weights are those of scikit-learn's
``TfidfVectorizer(sublinear_tf=True)``: ``1 + log(count)`` times the smoothed idf, each block
(characters, words) scaled to unit length.

>>> vocab = Vocabulary.fit(["安全账户", "安全"], [["安全", "账户"], ["安全"]], (1, 2), (1, 2))
>>> len(vocab.terms), "安全 账户" in vocab.terms  # 7 character n-grams, 3 word n-grams
(10, True)
>>> vocab.transform(["账户"], [["账户"]]).nnz  # 账, 户, 账户 (chars), 账户 (word)
4
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import repeat

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

__all__ = ["Vocabulary"]

_PRIME = np.uint64(1_000_003)
_U64 = npt.NDArray[np.uint64]
_I64 = npt.NDArray[np.int64]


def _codes(texts: Sequence[str]) -> tuple[npt.NDArray[np.uint64], _I64]:
    """Code points of every text, one after the other, and each position's text index."""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    joined = "".join(texts)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    return codes, np.repeat(np.arange(len(texts), dtype=np.int64), lengths)


def _char_keys(
    codes: npt.NDArray[np.uint64], doc: _I64, ngrams: tuple[int, int]
) -> tuple[_U64, _I64, _I64, _I64]:
    """Keys of every character n-gram, with its text, start position and length."""
    keys, docs, starts, sizes = [], [], [], []
    total = len(codes)
    for n in range(ngrams[0], ngrams[1] + 1):
        if total < n:
            continue
        count = total - n + 1
        key = np.full(count, np.uint64(n))
        for j in range(n):
            key = key * _PRIME + codes[j : j + count]
        same = doc[:count] == doc[n - 1 : n - 1 + count]  # the n-gram lies within one text
        keys.append(key[same])
        starts.append(np.flatnonzero(same))
        docs.append(doc[:count][same])
        sizes.append(np.full(int(same.sum()), n, dtype=np.int64))
    if not keys:
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros(0, dtype=np.uint64), empty, empty, empty
    return np.concatenate(keys), np.concatenate(docs), np.concatenate(starts), np.concatenate(sizes)


def _word_keys(
    words: Sequence[Sequence[str]], word_id: Callable[[str, int], int], ngrams: tuple[int, int]
) -> tuple[_U64, _I64]:
    """Keys of word unigrams (odd: the word's id) and bigrams (even: two ids), with their text;
    ``word_id(word, -1)`` is ``dict.get`` or ``dict.setdefault`` (called from C), -1 unknown."""
    flat = [w for ws in words for w in ws]
    lengths = np.fromiter((len(ws) for ws in words), dtype=np.int64, count=len(words))
    doc = np.repeat(np.arange(len(words), dtype=np.int64), lengths)
    signed = np.fromiter(map(word_id, flat, repeat(-1)), dtype=np.int64, count=len(flat))
    known = signed >= 0
    wid = np.where(known, signed, 0).astype(np.uint64)
    keys, docs = [], []
    if ngrams[0] <= 1 <= ngrams[1]:
        keys.append((wid * np.uint64(2) + np.uint64(1))[known])  # odd: unigrams
        docs.append(doc[known])
    if ngrams[0] <= 2 <= ngrams[1] and len(flat) > 1:
        same = (doc[:-1] == doc[1:]) & known[:-1] & known[1:]
        keys.append(((wid[:-1] << np.uint64(31)) + wid[1:])[same] * np.uint64(2))  # even
        docs.append(doc[:-1][same])
    if not keys:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    return np.concatenate(keys), np.concatenate(docs)


#: odd multipliers of Fibonacci-style hashing, one per level of :class:`_Table`
_MULTIPLIERS = tuple(
    np.uint64(m) for m in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                           0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53)
)  # fmt: skip
_EMPTY, _SHARED = -1, -2


@dataclass(frozen=True)
class _Table:
    """Hash tables over a vocabulary's keys, found with one probe per level: a slot holds the
    column of its one key, or is empty, or is shared by several keys, which the next level
    (another multiplier) tells apart; keys still sharing after the last level are found by
    binary search in the sorted keys."""

    keys: _U64
    levels: tuple[tuple[npt.NDArray[np.int32], np.uint64, np.uint64], ...]

    @classmethod
    def of(cls, keys: _U64) -> _Table:
        levels = []
        columns = np.arange(len(keys), dtype=np.int32)
        for multiplier in _MULTIPLIERS:
            if not len(columns):
                break
            bits = max(4, int(np.ceil(np.log2(len(columns) * 4))))  # a quarter full at most
            shift = np.uint64(64 - bits)
            slot = ((keys[columns] * multiplier) >> shift).astype(np.intp)
            slots = np.full(1 << bits, _EMPTY, dtype=np.int32)
            slots[slot] = columns
            shared = np.bincount(slot, minlength=1 << bits) > 1
            slots[shared] = _SHARED
            levels.append((slots, shift, multiplier))
            columns = columns[shared[slot]]
        return cls(keys, tuple(levels))

    def find(self, needles: _U64) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.bool_]]:
        """Each needle's column and whether it is a key at all."""
        column = np.full(len(needles), _SHARED, dtype=np.int32)
        if not len(self.keys):
            return column, np.zeros(len(needles), dtype=bool)
        todo = np.arange(len(needles))
        for slots, shift, multiplier in self.levels:
            column[todo] = slots[((needles[todo] * multiplier) >> shift).astype(np.intp)]
            todo = todo[column[todo] == _SHARED]
            if not len(todo):
                break
        if len(todo):
            at = np.searchsorted(self.keys, needles[todo])
            column[todo] = np.where(at == len(self.keys), 0, at)
        found = column >= 0
        found[found] = self.keys[column[found]] == needles[found]
        return column, found


def _block(
    keys: _U64, docs: _I64, vocab: _Table, idf: npt.NDArray[np.float64], rows: int
) -> sp.csr_matrix:
    """Sublinear TF-IDF rows, unit length, over the n-grams found in ``vocab``."""
    column, found = vocab.find(keys)
    x = sp.csr_matrix(
        (np.ones(int(found.sum()), dtype=np.float64), (docs[found], column[found])),
        shape=(rows, len(vocab.keys)),
    )
    x.sum_duplicates()
    x.data = (1.0 + np.log(x.data)) * idf[x.indices]
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ x)


def _frequent(keys: _U64, docs: _I64, min_df: int) -> tuple[_U64, _I64, npt.NDArray[np.intp]]:
    """Keys in at least ``min_df`` texts (sorted), their document frequency, and the index of
    one occurrence of each."""
    pairs = np.unique(np.stack([keys, docs.astype(np.uint64)]), axis=1)
    vocab, df = np.unique(pairs[0], return_counts=True)
    keep = df >= min_df
    vocab, df = vocab[keep], df[keep]
    _, first = np.unique(keys, return_index=True)
    first = first[np.isin(np.unique(keys), vocab, assume_unique=True)]
    return vocab, df.astype(np.int64), first


def _idf(df: _I64, texts: int) -> npt.NDArray[np.float64]:
    return np.log((1 + texts) / (1 + df)) + 1.0


@dataclass
class Vocabulary:
    """The n-grams a model knows: sorted keys, their idf and their text, per block."""

    char_ngrams: tuple[int, int]
    word_ngrams: tuple[int, int]
    char_keys: _U64
    char_idf: npt.NDArray[np.float64]
    char_terms: list[str]
    words: list[str]
    word_keys: _U64
    word_idf: npt.NDArray[np.float64]
    word_terms: list[str]

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        words: Sequence[Sequence[str]],
        char_ngrams: tuple[int, int],
        word_ngrams: tuple[int, int],
        min_df: int = 1,
    ) -> Vocabulary:
        """The n-grams of normalised texts (and their words) found in ``min_df`` texts or more."""
        codes, doc = _codes(texts)
        keys, docs, starts, sizes = _char_keys(codes, doc, char_ngrams)
        char_keys, char_df, first = _frequent(keys, docs, min_df)
        joined = "".join(texts)
        char_terms = [joined[s : s + n] for s, n in zip(starts[first], sizes[first], strict=True)]
        ids: dict[str, int] = {}
        wkeys, wdocs = _word_keys(words, lambda w, _: ids.setdefault(w, len(ids)), word_ngrams)
        word_keys, word_df, _ = _frequent(wkeys, wdocs, min_df)
        vocab = list(ids)
        word_terms = []
        for key in word_keys.tolist():
            if key % 2:
                word_terms.append(vocab[key // 2])
            else:
                pair = key // 2
                word_terms.append(f"{vocab[pair >> 31]} {vocab[pair & (2**31 - 1)]}")
        return cls(
            char_ngrams, word_ngrams, char_keys, _idf(char_df, len(texts)), char_terms,
            vocab, word_keys, _idf(word_df, len(texts)), word_terms,
        )  # fmt: skip

    @cached_property
    def _ids(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}

    @cached_property
    def _char_table(self) -> _Table:
        return _Table.of(self.char_keys)

    @cached_property
    def _word_table(self) -> _Table:
        return _Table.of(self.word_keys)

    @property
    def terms(self) -> list[str]:
        """Every feature's text, in column order (characters, then words)."""
        return self.char_terms + self.word_terms

    def transform(self, texts: Sequence[str], words: Sequence[Sequence[str]]) -> sp.csr_matrix:
        """One row per text: character block, then word block."""
        codes, doc = _codes(texts)
        keys, docs, _, _ = _char_keys(codes, doc, self.char_ngrams)
        chars = _block(keys, docs, self._char_table, self.char_idf, len(texts))
        wkeys, wdocs = _word_keys(words, self._ids.get, self.word_ngrams)
        word_block = _block(wkeys, wdocs, self._word_table, self.word_idf, len(texts))
        return sp.hstack([chars, word_block], format="csr")
