"""Settings shared by every command: time zone, numbering region, where data lives.

Typed with pydantic-settings: defaults here, a TOML file passed with ``--config``, and
``CALLWARDEN_*`` environment variables override both.

>>> Settings().timezone
'Asia/Shanghai'
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from callwarden.errors import ConfigError

__all__ = ["DEFAULT_TIMEZONE", "Settings", "load_model", "load_toml"]

#: the zone every setting that names one starts from (Settings.timezone, case, campaign and
#: policy files); the one place it is written
DEFAULT_TIMEZONE = "Asia/Shanghai"


class Settings(BaseSettings):
    """Process-wide settings; pass them explicitly, never read a global."""

    model_config = SettingsConfigDict(env_prefix="CALLWARDEN_", extra="forbid")

    #: zone in which people read times and in which a "day" begins (partitions, reports)
    timezone: str = DEFAULT_TIMEZONE
    #: numbering region for numbers written without a country code
    default_region: str = "CN"


def load_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, turning every failure into a :class:`ConfigError` naming the file."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def validation_message(source: str, exc: ValidationError) -> str:
    """One line per bad field: ``file: field.path: what is wrong``."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"{source}: {loc}: {err['msg']}")
    return "\n".join(lines)


M = TypeVar("M", bound=BaseModel)


def load_model(model: type[M], path: Path | None) -> M:
    """A typed settings file (policy, cases), or the defaults when no file is given.

    Every bad field becomes one line of a :class:`ConfigError` naming the file.
    """
    if path is None:
        return model()
    try:
        return model.model_validate(load_toml(path))
    except ValidationError as exc:
        raise ConfigError(validation_message(str(path), exc)) from None
