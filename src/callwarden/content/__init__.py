"""Content: what a text (an SMS, a call transcript) says, classified with the terms that decided.

Normalisation undoes scammers' disguises (:mod:`.normalise`), jieba segments words
(:mod:`.segment`), a calibrated linear model over character and word n-grams classifies and
explains (:mod:`.model`); :func:`default_model` is trained on the corpus callwarden ships.
"""

from __future__ import annotations

from callwarden.content.corpus import LABELS_ZH, load_corpus
from callwarden.content.default import default_model
from callwarden.content.model import BENIGN, ContentModel, ContentScores, ContentSettings
from callwarden.content.normalise import normalise

__all__ = [
    "BENIGN",
    "LABELS_ZH",
    "ContentModel",
    "ContentScores",
    "ContentSettings",
    "default_model",
    "load_corpus",
    "normalise",
]
