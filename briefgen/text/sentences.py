"""Sentences: a real segmenter (pysbd, offline), paragraph by paragraph, and the lede."""

from __future__ import annotations

import re
from functools import lru_cache

from briefgen.text.lexicon import NON_TERMINAL_ABBREVIATIONS

# Titles, ranks and initials that never end a sentence; pysbd occasionally splits after them.
_NO_END = re.compile(r"(?:\b(?:" + "|".join(NON_TERMINAL_ABBREVIATIONS) + r")\.|\b[A-Z]\.)$")
_PARAGRAPH = re.compile(r"\n\s*\n")

LEDE_MIN_CHARS = 90
LEDE_MAX_CHARS = 420


@lru_cache(maxsize=1)
def _segmenter():  # type: ignore[no-untyped-def]
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def split_sentences(text: str) -> list[str]:
    """Sentences of a text, paragraph by paragraph; a sentence never spans a paragraph."""
    out: list[str] = []
    for para in _PARAGRAPH.split(text):
        para = re.sub(r"\s+", " ", para).strip()
        if not para:
            continue
        pieces = [p.strip() for p in _segmenter().segment(para) if p.strip()]
        merged: list[str] = []
        for piece in pieces:
            if merged and _NO_END.search(merged[-1]):
                merged[-1] = f"{merged[-1]} {piece}"
            else:
                merged.append(piece)
        out.extend(merged)
    return out


def lede(sentences: list[str], fallback: str = "") -> str:
    """The opening of a text: its first sentence, or two when the first is short.

    A news lede says what happened, when and where: the grounded stand-in when a model's
    summary cannot be used.
    """
    out = ""
    for sentence in sentences:
        if out and len(out) + len(sentence) > LEDE_MAX_CHARS:
            break
        out = f"{out} {sentence}".strip()
        if len(out) >= LEDE_MIN_CHARS:
            break
    return out or fallback
