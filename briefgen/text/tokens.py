"""Normalization, tokens and content words: how every stage compares two texts."""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from functools import lru_cache
import unicodedata

from briefgen.text.lexicon import EVENT_NEUTRAL, STOPWORDS

# Quote marks and dashes to their ASCII forms (grounding normalizes only these, whitespace and case).
_QUOTE_DASH = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'", "–": "-", "—": "-", "‑": "-"})

# A token: letters and digits, with inner apostrophes, dots and hyphens ("U.S", "don't", "co-op").
TOKEN = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")
# A word that starts with a letter (clustering terms).
LETTER_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
# A word or a figure, ASCII (grounding terms: '12', '4.5%', 'flood-hit').
TERM = re.compile(r"[A-Za-z][A-Za-z'\-]*|\d[\d,.]*%?")

# Words of clustering terms: no stopwords and nothing that every article says.
CLUSTER_STOPWORDS = STOPWORDS | EVENT_NEUTRAL


def ascii_quotes(text: str) -> str:
    """Curly quotes and dashes as ASCII."""
    return text.translate(_QUOTE_DASH)


def normalize(text: str) -> str:
    """Normalize only whitespace, quote marks, dashes and case (SPEC: grounding)."""
    return re.sub(r"\s+", " ", ascii_quotes(text)).strip().casefold()


def fold(text: str) -> str:
    """ASCII-folded, casefolded text (Zelenskyy, Zelenskiy and ZELENSKYY compare equal-ish)."""
    if text.isascii():
        return text.casefold()  # the common case, and 50x cheaper than the per-character loop
    nfkd = unicodedata.normalize("NFKD", text)
    return "".join(c for c in nfkd if not unicodedata.combining(c)).casefold()


def tokens(text: str) -> list[str]:
    """Tokens as written (letters and digits with inner punctuation)."""
    return TOKEN.findall(text)


def token_set(text: str) -> set[str]:
    """Lowercased tokens."""
    return {w.lower() for w in TOKEN.findall(text)}


def jaccard(a: str, b: str) -> float:
    """Token-set Jaccard similarity of two texts."""
    ta, tb = token_set(a), token_set(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


def dice(a: AbstractSet[str], b: AbstractSet[str]) -> float:
    """Dice overlap of two sets."""
    return 2 * len(a & b) / (len(a) + len(b)) if a or b else 0.0


def words(text: str) -> list[str]:
    """Clustering words: folded, at least three letters, no stopwords or event-neutral words."""
    return [w for w in (t.strip("'’-") for t in LETTER_WORD.findall(fold(text))) if len(w) >= 3 and w not in CLUSTER_STOPWORDS]


def stem(word: str) -> str:
    """A crude stem, six letters at most: 'sanctions' and 'sanctioned' meet."""
    word = word.casefold().strip("'-")
    for suffix in ("'s", "ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word[:6]


def content_terms(text: str) -> set[str]:
    """Stemmed content words and figures of a text (grounding's measure of what it says)."""
    return set(_content_terms(text))


# The same sentences are compared with many points (grounding, corroboration, merging).
@lru_cache(maxsize=1 << 16)
def _content_terms(text: str) -> frozenset[str]:
    return frozenset({stem(w) for w in TERM.findall(ascii_quotes(text)) if w.casefold() not in STOPWORDS and len(w) > 2 or w[0].isdigit()})


def covers(text: str, earlier: list[set[str]], share: float) -> bool:
    """True when at least ``share`` of the content terms of ``text`` are in one ``earlier`` set."""
    terms = content_terms(text)
    return bool(terms) and any(len(terms & seen) / len(terms) >= share for seen in earlier)


def content_words(text: str) -> set[str]:
    """Lowercased tokens longer than three letters that are not stopwords."""
    return {w.lower() for w in TOKEN.findall(text) if len(w) > 3 and w.lower() not in STOPWORDS}
