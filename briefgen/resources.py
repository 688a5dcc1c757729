"""Where the shipped prompts/ and templates/ are: inside the installed package, or the checkout."""

from __future__ import annotations

from pathlib import Path

from briefgen.errors import ConfigError

_PKG = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    # A wheel carries them inside the package (force-include); an editable install or a
    # plain checkout has them at the top level, next to the package.
    for candidate in (_PKG / name, _PKG.parent / name):
        if candidate.is_dir():
            return candidate
    # A broken installation: a one-line error naming where it looked, never a traceback.
    raise ConfigError(f"briefgen's {name}/ folder is missing (looked in {_PKG} and {_PKG.parent}); reinstall briefgen")


def default_prompts_dir() -> Path:
    """The folder of the default prompt templates."""
    return _find("prompts")


def default_templates_dir() -> Path:
    """The folder of the default output templates."""
    return _find("templates")
