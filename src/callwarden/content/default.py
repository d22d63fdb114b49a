"""The default content model: trained on the shipped corpus (:mod:`.corpus`) and shipped with
callwarden, so that SMS and transcripts can be read without a model of the operator's own.

Rebuild it after changing the corpus, the normalisation or the model (a test fails until
then)::

    callwarden text train src/callwarden/content/data/corpus.tsv \\
        --out src/callwarden/content/data/default_model

>>> default_model().classes[-1]
'normal'
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from callwarden.content.corpus import load_corpus
from callwarden.content.model import ContentModel

__all__ = ["DEFAULT_MODEL", "default_model", "rebuild"]

DEFAULT_MODEL = Path(str(files("callwarden.content") / "data" / "default_model"))


@cache
def default_model() -> ContentModel:
    """The shipped model, loaded once per process."""
    return ContentModel.load(DEFAULT_MODEL)


def rebuild(folder: Path = DEFAULT_MODEL) -> ContentModel:
    """Train on the shipped corpus with the default settings and write the model."""
    labels, texts = load_corpus()
    model = ContentModel.train(labels, texts)
    model.save(folder)
    return model
