"""Sentences: a real segmenter (pysbd, offline), paragraph by paragraph, and the lede."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from functools import lru_cache

from briefgen.text.lexicon import NON_TERMINAL_ABBREVIATIONS

# Titles, ranks and initials that never end a sentence; pysbd occasionally splits after them.
_NO_END = re.compile(r"(?:\b(?:" + "|".join(NON_TERMINAL_ABBREVIATIONS) + r")\.|\b[A-Z]\.)$")
_PARAGRAPH = re.compile(r"\n\s*\n")

LEDE_MIN_CHARS = 90
LEDE_MAX_CHARS = 420


_local = threading.local()


def _segmenter():  # type: ignore[no-untyped-def]
    # One per thread: a pysbd Segmenter keeps the text it works on in itself, and two LLM
    # workers sharing one got each other's sentences (numbers citing the wrong article).
    seg = getattr(_local, "segmenter", None)
    if seg is None:
        import pysbd

        seg = _local.segmenter = pysbd.Segmenter(language="en", clean=False)
    return seg


# pysbd's time grows with the square of a paragraph's length (40 KB: 0.9 s; a 1 MB line: many
# minutes), so a longer paragraph is fed to it in windows cut after a sentence-ending mark.
# No real sentence is this long: a run without an end mark is cut at a space to fit.
WINDOW_CHARS = 4000
_END_MARK = re.compile(r"[.!?][\"'”’)\]]*\s")


def _windows(text: str, limit: int = WINDOW_CHARS) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters (longer only when one word is)."""
    pieces: list[str] = []
    while len(text) > limit:
        head = text[:limit]
        ends = [m.end() for m in _END_MARK.finditer(head)]
        cut = ends[-1] if ends and ends[-1] > limit // 2 else head.rfind(" ") + 1
        if cut <= 0:  # one word longer than the limit: cut at the next space
            nxt = text.find(" ", limit)
            cut = len(text) if nxt < 0 else nxt + 1
        pieces.append(text[:cut].strip())
        text = text[cut:]
    pieces.append(text.strip())
    return [p for p in pieces if p]


def _align(window: str, pieces: list[str]) -> list[str]:
    """``window`` cut where pysbd cut it, as slices of ``window`` itself, only at spaces.

    pysbd's segments are not always the text it was given ("Mr.?!" comes back "Mr.", "No.."
    as "No." and "."), and a quote must be a verbatim span of the article: so only its
    boundaries are used, each moved to the next space.
    """
    n, pos, cuts = len(window), 0, []
    for piece in pieces:
        for c in piece:
            if c.isspace():
                continue
            while pos < n and window[pos].isspace():
                pos += 1
            if pos < n and window[pos] == c:
                pos += 1
            elif (ahead := window.find(c, pos, pos + 8)) >= 0:  # pysbd dropped a few characters
                pos = ahead + 1
            # else pysbd added c: nothing of the window to consume
        while pos < n and not window[pos].isspace():  # never cut inside a word
            pos += 1
        cuts.append(pos)
    out, start = [], 0
    for cut in [*cuts[:-1], n]:
        if cut > start and window[start:cut].strip():
            out.append(window[start:cut].strip())
            start = cut
    return out


def _pieces(window: str) -> list[str]:
    # pysbd's own segment() then looks for each sentence in the text again, by a regex made of
    # that sentence: one compile a sentence, which also pushes pysbd's rules out of re's cache
    # of 512 patterns, so they are compiled again for the next text. Only the boundaries are
    # used (_align), so its sentences are taken as processed: the same splits (every window of
    # the fixtures and 300 synthetic articles: bench/RESULTS.md), a third less CPU.
    return _segmenter().processor(window).process() or []


def _segment(para: str) -> list[str]:
    out: list[str] = []
    for window in _windows(para):
        out.extend(_align(window, _pieces(window)) if re.search(r"[.!?]", window) else [window])
    return out


# Splits another process made, handed over with the text (briefgen/notes/offload.py): a worker that
# grounds an article would otherwise segment its body again, cold.
_given: dict[str, tuple[str, ...]] = {}


def splits_of(text: str) -> dict[str, tuple[str, ...]]:
    """``text``'s paragraphs and their sentences, as this process split them (for :func:`given_splits`)."""
    return {para: _split_paragraph(para) for para in _PARAGRAPH.split(text)}


@contextlib.contextmanager
def given_splits(splits: dict[str, tuple[str, ...]] | None) -> Iterator[None]:
    """Within the block, take ``splits`` (from :func:`splits_of` in another process) for the
    paragraphs it holds instead of segmenting them; after it, what was not used is dropped."""
    _given.update(splits or {})
    try:
        yield
    finally:
        _given.clear()


def split_sentences(text: str) -> list[str]:
    """Sentences of a text, paragraph by paragraph; a sentence never spans a paragraph."""
    # Chunking, numbering and grounding split the same body, and chunking its paragraphs one
    # by one: each paragraph is segmented once (pysbd is most of a cold build's CPU).
    out: list[str] = []
    for para in _PARAGRAPH.split(text):
        out.extend(_split_paragraph(para))
    return out


# Sized for a day of ten thousand articles and more: the plan (chunking) and the reduce after
# the concurrent calls split the same bodies in the same order, a whole day apart, and an LRU
# smaller than the day's paragraphs then misses every time (at 8,192 entries a 5,000-article
# build segmented each text eight times: bench/RESULTS.md). ~0.5 KB an entry.
@lru_cache(maxsize=1 << 17)
def _split_paragraph(para: str) -> tuple[str, ...]:
    known = _given.pop(para, None)
    if known is not None:
        return known
    para = re.sub(r"\s+", " ", para).strip()
    if not para:
        return ()
    merged: list[str] = []
    for piece in (p.strip() for p in _segment(para)):
        if not piece:
            continue
        if merged and _NO_END.search(merged[-1]):
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return tuple(merged)


LEDE_MIN_WORDS = 6
_ENDS = re.compile(r"[.!?…][\"”’')\]]*\s*$")


def lede(sentences: list[str], fallback: str = "") -> str:
    """The opening of a text: its first sentence, or two when the first is short.

    A news lede says what happened, when and where: the grounded stand-in when a model's
    summary cannot be used. Leading lines of fewer than LEDE_MIN_WORDS words are labels and
    page instructions ("Refresh for the latest updates.", "Times are GMT."), not a lede.
    """
    out = ""
    # A line without a sentence's end is a heading ("Governing Council lowers key interest
    # rates by 25 basis points" above a press release's dateline), not the lede's first half.
    first = next((i for i, s in enumerate(sentences) if len(s.split()) >= LEDE_MIN_WORDS and _ENDS.search(s)),
                 next((i for i, s in enumerate(sentences) if len(s.split()) >= LEDE_MIN_WORDS), 0))
    for sentence in sentences[first:]:
        if out and len(out) + len(sentence) > LEDE_MAX_CHARS:
            break
        out = f"{out} {sentence}".strip()
        if len(out) >= LEDE_MIN_CHARS:
            break
    return out or fallback


MAX_POINT_WORDS = 35
# Where a long news sentence can be cut without changing what its first part says (a clause
# that opens with a participle adds to the main one: "…, ending months of uncertainty").
_CLAUSE_BREAK = re.compile(r"(?:;|\s[—–]\s|,\s(?:which|who|whose|while|whereas|although|though|as well as|"
                           r"adding|saying|citing|after|before|amid|as|but|and|[a-z]{3,}ing)\s)")
# An attribution at the end ("…, the ministry said.", "…, according to Reuters.").
_ATTRIBUTION_TAIL = re.compile(
    r",\s+(?!which\b|who\b|that\b)((?:[^,]{2,60}?\s(?:said|says|told [^,.]{2,30}|reported|announced|added)"
    r"(?:\s(?:in|on|at|during)\s[^,.]{1,30})?)|according to [^,.]{2,60})\.?$"
)
_ASIDE = re.compile(r"\s*\((?=[^()]*[A-Za-z])[^()\d]{3,80}\)")
# An aside between two dashes ("locations – including Turkey and Switzerland – were agreed"),
# without figures: deleted like one in parentheses. A dash of such a pair is no clause break.
_DASH_ASIDE = re.compile(r"\s[—–]\s(?=[^—–]*[A-Za-z])[^—–\d]{3,80}?\s[—–](?=\s)")
_DASH = re.compile(r"\s[—–]\s")


def _open_quote(text: str) -> bool:
    """True when ``text`` ends inside a quotation (an opening mark not yet closed)."""
    return text.count("“") > text.count("”") or text.count('"') % 2 == 1


def tighten(sentence: str, max_words: int = MAX_POINT_WORDS) -> str:
    """A long sentence shortened to its main clause, words kept as written.

    Only deletions: an aside in parentheses without figures, then the clauses after the
    last clause break that keeps the sentence about ``max_words`` long; an attribution at the end ("…, the ministry
    said.") is kept, so who said it survives. An aside between dashes goes like one in
    parentheses, and a dash of such a pair is no clause break (the verb comes after it). A
    sentence with no clause to cut at safely keeps all but its asides.
    """
    if len(sentence.split()) <= max_words:
        return sentence
    text = _DASH_ASIDE.sub("", _ASIDE.sub("", sentence)).strip()
    if len(text.split()) <= max_words:
        return text
    tail_match = _ATTRIBUTION_TAIL.search(text)
    tail = tail_match.group(1) if tail_match else ""
    body = text[: tail_match.start()] if tail_match else text.rstrip(".")
    best = ""
    for m in _CLAUSE_BREAK.finditer(body):
        head = body[: m.start()].rstrip(" ,;")
        if _open_quote(head):
            continue  # never cut inside a quotation: what someone said stays whole
        if _DASH.fullmatch(m.group(0)) and (len(_DASH.findall(head)) % 2 or _DASH.search(body, m.end())):
            continue  # one dash of a pair: cutting there would drop the verb after the aside
        words = len(head.split()) + len(tail.split())
        # The longest main part that fits ("about" max_words: a few words over beat a lost fact).
        if len(head.split()) >= 10 and words <= max_words + 3:
            best = head
    if best:
        return f"{best}, {tail}." if tail else f"{best}."
    return text  # no clause to cut at: the asides alone go
