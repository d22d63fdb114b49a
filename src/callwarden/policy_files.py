"""Policies written as TOML files, checked by a pydantic model: one loader for every kind.

A hotline's screening policy and a business's outbound policy are both a TOML text checked
with pydantic, so a wrong field is an error naming the file and the field, never a surprise
on a live call.

>>> from pydantic import BaseModel
>>> class Speed(BaseModel):
...     limit: int
>>> parse_model(Speed, "limit = 30", "speed.toml").limit
30
>>> parse_model(Speed, "limit = []", "speed.toml")
Traceback (most recent call last):
...
callwarden.errors.ConfigError: speed.toml: limit: Input should be a valid integer
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from callwarden.config import validation_message
from callwarden.errors import ConfigError

__all__ = ["load_model", "parse_model"]

M = TypeVar("M", bound=BaseModel)


def parse_model(model: type[M], text: str, source: str = "policy") -> M:
    """``model`` from TOML text; a :class:`ConfigError` naming ``source`` and the field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc})") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_message(source, exc).replace("\n", "; ")) from None


def load_model(model: type[M], path: Path) -> tuple[M, str]:
    """``model`` from a TOML file, and the file's text (kept as installed)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the policy ({exc})") from None
    return parse_model(model, text, str(path)), text
