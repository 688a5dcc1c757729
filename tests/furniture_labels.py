"""The hand labels of the furniture fixtures, for tests that judge what reached the model or the brief.

Leftover furniture is judged against these labels (``F`` lines of
``tests/fixtures/furniture/seeds/*.labels``, checked line by line against the seeds), never
against ``Cleaned.removed``: that is the cleaner's own account, and a line it failed to
remove would be missing from it too.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _load_report() -> ModuleType:
    if "furniture_report" in sys.modules:
        return sys.modules["furniture_report"]
    spec = importlib.util.spec_from_file_location("furniture_report", ROOT / "bench" / "furniture_report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["furniture_report"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


report = _load_report()


def seed_furniture(min_chars: int = 13) -> list[str]:
    """The seeds' lines labeled furniture (F), long enough not to occur inside prose by chance."""
    _, _, seeds = report.load_set()
    return sorted({text.strip() for item in seeds for label, text in item.lines
                   if label == "F" and len(text.strip()) >= min_chars})


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def leaked(text: str, furniture: list[str], min_chars: int = 13) -> list[str]:
    """The furniture lines of which ``text`` holds the whole line or one of its sentences.

    By sentence too: a prompt numbers each sentence on its own line ("[7] ... [8] ..."), so a
    two-sentence furniture line that got through is never found there in one piece.
    Whitespace is evened out on both sides.
    """
    flat = " ".join(text.split())
    out = []
    for line in furniture:
        whole = " ".join(line.split())
        pieces = [p for p in _SENTENCE_END.split(whole) if len(p) >= min_chars]
        if whole in flat or any(p in flat for p in pieces):
            out.append(line)
    return out
