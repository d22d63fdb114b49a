"""The small corpus callwarden ships: texts written for the project in the style of five
classes of Chinese fraud and honest messages, for the tests and the default model.

It is not a benchmark: real labelled data stays the user's (docs/content.md).

>>> labels, texts = load_corpus()
>>> sorted(set(labels))  # doctest: +NORMALIZE_WHITESPACE
['impersonate_customer_service', 'impersonate_leader_acquaintance', 'impersonate_police_gov',
 'loan_credit_card', 'normal']
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from callwarden.content.texts_io import read_labelled

__all__ = ["CORPUS", "LABELS_ZH", "load_corpus"]

#: the corpus file inside the installed package
CORPUS = Path(str(files("callwarden.content") / "data" / "corpus.tsv"))

#: the five classes as an agent reads them
LABELS_ZH = {
    "normal": "正常",
    "impersonate_police_gov": "冒充公检法及政府机关",
    "loan_credit_card": "贷款、代办信用卡",
    "impersonate_customer_service": "冒充客服",
    "impersonate_leader_acquaintance": "冒充领导、熟人",
}


def load_corpus() -> tuple[list[str], list[str]]:
    """Labels and texts of the shipped corpus, in file order."""
    return read_labelled(CORPUS)
