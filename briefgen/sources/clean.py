"""Remove page furniture from article text and HTML; keep the metadata the text states.

Design: the text is cut into *units* (one paragraph each; hard-wrapped lines are joined
first) and a line classifier labels every unit ``body``, ``furniture``, ``title``,
``byline`` or ``dateline``. The classifier is built from generic rules over features of
one unit and its neighbours — word count, sentence punctuation at the end, share of
title-case words, position near the start or the end of the document, known kinds of
page furniture (share bars, comment forms, cookie and ad-block notices, breadcrumbs,
link lists, newsletter and notification prompts), questions addressed to the reader and
the link-list context a unit sits in. No rule names an outlet, a person or a phrase of
one particular article.

Losing a body paragraph costs more than leaving a furniture line in (the LLM ignores
"Share this:", but it cannot summarize what was dropped), so long punctuated units are
only removed on strong evidence: a furniture phrase *and* an edge position or a
furniture context. Precision and recall are measured on the labeled set in
``tests/fixtures/furniture/`` (``bench/furniture_report.py``).
"""

from __future__ import annotations

import html as htmllib
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

from briefgen.text.figures import MONTH_NC, parse_date
from briefgen.text.lexicon import BYLINE_ROLES, STOPWORDS
from briefgen.sources.furniture import BULLET, Unit, context_rules, ends_sentence, unit_core, line_rule, title_case_share
from briefgen.text.tokens import jaccard, tokens

log = logging.getLogger(__name__)

# Metadata lines: a byline, a date line, a dateline that opens the first paragraph.
_BYLINE = re.compile(
    r"^(?:by|written by|words by|story by|author:?)\s+(?P<name>[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|"
    r"de|van|von|da|al|bin|and|&),?)*)"
    # a desk or the reading time after the name: "By Ana Ruiz | Football Desk", "· 6 min read"
    r"(?:\s*[|·•—–]\s*[\w ,.'’&-]{1,40})?$",
    re.IGNORECASE,
)
_DATE_LINE = re.compile(r"^(?:(?:published|updated|posted|last updated|first published)\b\s*:?|date\s*:)\s*(?P<d>.+)$")
_BARE_DATE = re.compile(rf"^(?:\w+day,?\s+)?(?:{MONTH_NC}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{MONTH_NC},?\s+\d{{4}}|"
                        rf"\d{{4}}-\d{{2}}-\d{{2}})(?:[ ,|-]+\d{{1,2}}[:.]\d{{2}}.*)?$")
_DATELINE_INLINE = re.compile(
    r"^(?P<dl>(?:[A-Z][A-Za-z.'’-]+|[A-Z]{2,})(?:[ ,]+(?:[A-Z][A-Za-z.'’-]+|\d{1,2}|(?i:" + MONTH_NC + r"))){0,4}"
    r"(?:\s*\([A-Z][\w .&-]{1,30}\))?)\s*(?:[–—]|--?|:(?=\s))\s+(?=[A-Z0-9“\"‘'])"
)
# Share of an FAQ block's content words already in the article above which the block only
# restates it (restating blocks measured at 0.61+, blocks adding facts stay well below).


@dataclass
class Cleaned:
    """An article's clean body and the metadata its text states."""

    title: str | None
    byline: str | None
    dateline: str | None
    outlet: str | None
    published: datetime | None
    url: str | None
    language: str | None
    body: str  # paragraphs separated by "\n\n", furniture removed
    removed: list[str] = field(default_factory=list)  # furniture (and byline/dateline) lines removed


# ---------------------------------------------------------------------------------------
# inline normalization
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()\s]+)(?:\s+\"[^\"]*\")?\)")
_MD_EMPH = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
# A whole line in single-asterisk or underscore italics ("*By Ana Ruiz · 6 min read*").
_MD_ITALIC_LINE = re.compile(r"^([*_])(?=\S)([^*_]+?)(?<=\S)\1$")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_WIDE_GAP = re.compile(r"^[^\W\d_][\w' ]{1,30}?:?(?:\u00a0|\s{2,})\S")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


# Sentences run together by a missing space ("…from Kyiv.These claims,made…"): a sentence end
# or a comma between two words gets its space back (not "U.S.", "2.5" or "example.com").
_RUN_TOGETHER = re.compile(r"(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])|(?<=[a-z0-9]{2},)(?=[a-z]{2})")


def _inline(line: str) -> str:
    """Reduce inline HTML tags and Markdown markup to their text; collapse whitespace."""
    if "<" in line and _TAG.search(line):
        line = _TAG.sub("", line)
    if "&" in line:
        line = htmllib.unescape(line)
    if "](" in line:
        line = _MD_IMAGE.sub("", line)
        line = _MD_LINK.sub(r"\1", line)
    line = _MD_HEADING.sub("", line)
    line = _MD_EMPH.sub(r"\2", line)
    line = _MD_ITALIC_LINE.sub(r"\2", line.strip())
    line = _RUN_TOGETHER.sub(" ", line)
    return _SPACES.sub(" ", line).strip()


def _units(text: str) -> list[Unit]:
    """Split text into paragraph units, joining hard-wrapped lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    lines = text.split("\n")
    widths = [len(ln.rstrip()) for ln in lines if ln.strip()]
    wrap = max(widths, default=0)
    # A hard-wrapped file has a ceiling on line length (~60-100 columns) that most lines of a
    # paragraph reach; a file of one-line paragraphs has no such ceiling.
    wrapped = 40 <= wrap <= 100 and sum(w >= 0.6 * wrap for w in widths) >= max(3, len(widths) // 3)
    units: list[Unit] = []
    prev_long = False
    for raw in lines:
        if not raw.strip():
            prev_long = False
            continue
        joinable = (
            wrapped and prev_long and units and not re.match(r"\s*(?:[-*•·]|\d+[.)])\s", raw)
        )
        if joinable:
            units[-1].text = f"{units[-1].text} {_inline(raw)}".strip()
        else:
            unit = Unit(_inline(raw), sep_hint=bool(_WIDE_GAP.match(raw.strip())))
            if unit.text:
                units.append(unit)
        prev_long = wrapped and len(raw.rstrip()) >= 0.6 * wrap
    return units


# ---------------------------------------------------------------------------------------
def _label(units: list[Unit], known_title: str | None) -> tuple[str | None, str | None, str | None, str | None]:
    """Label every unit in place; return (title, byline, dateline, published text)."""
    n = len(units)
    for i, u in enumerate(units):
        kind = line_rule(u, i, n)
        if kind:
            u.label, u.reason = "furniture", kind

    title = known_title
    byline = dateline = published = None
    first_body = next((i for i, u in enumerate(units) if u.label == "body"), None)
    if first_body is not None:
        head = units[first_body]
        words = tokens(head.text)
        headline_like = len(words) <= 30 and not (ends_sentence(head.text) and len(words) > 20)
        nxt = units[first_body + 1] if first_body + 1 < n else None
        if (not known_title and len(words) <= 3 and not ends_sentence(head.text) and nxt is not None
                and nxt.label == "body" and 5 <= len(tokens(nxt.text)) <= 25 and not ends_sentence(nxt.text)
                and title_case_share(tokens(nxt.text)) >= 0.7):
            # A section kicker ("Tech & Science") sits above a title-case headline.
            head.label, head.reason = "furniture", "section label"
            head, words = nxt, tokens(nxt.text)
            headline_like = True
        if known_title and jaccard(head.text, known_title) >= 0.75:
            head.label, head.reason = "furniture", "repeated headline"
        elif not known_title and headline_like:
            head.label, title = "title", head.text

    # Bylines, date lines and standalone datelines live just under the headline.
    start = next((i for i, u in enumerate(units) if u.label == "body"), n)
    for i in range(start, min(n, start + 6)):
        u = units[i]
        if u.label != "body":
            continue
        words = tokens(u.text)
        m = _BYLINE.match(BULLET.sub("", u.text).strip())
        if m and len(words) <= 12 and byline is None:
            byline = _byline_name(m.group("name"))
            u.label, u.reason = "byline", "byline"
            continue
        dm = _DATE_LINE.match(unit_core(u.text))
        if (dm or _BARE_DATE.match(unit_core(u.text))) and len(words) <= 12 and published is None:
            published = dm.group("d") if dm else u.text
            u.label, u.reason = "furniture", "date line"
            continue
        letters = [c for c in u.text if c.isalpha()]
        if (dateline is None and 3 <= len(letters) and all(c.isupper() for c in letters)
                and len(words) <= 5 and not ends_sentence(u.text.rstrip("."))):
            dateline = u.text.strip(" ,–—-")
            u.label, u.reason = "dateline", "dateline"
            continue
        if len(words) >= 12 and ends_sentence(u.text):
            break  # prose has started: no more header lines

    # Repeated headline further down (SEO pages paste a variant of it mid-page).
    if title:
        for u in units:
            if u.label == "body" and len(tokens(u.text)) <= 30 and not u.text.endswith(".") \
                    and jaccard(u.text, title) >= 0.75:
                u.label, u.reason = "furniture", "repeated headline"

    context_rules(units)

    # A leading "Kyiv – " on the first paragraph is the dateline; the sentence stays.
    for u in units:
        if u.label == "body" and len(tokens(u.text)) >= 8 and ends_sentence(u.text):
            m = _DATELINE_INLINE.match(u.text)
            if m and len(tokens(m.group("dl"))) <= 6 and dateline is None:
                dateline = m.group("dl").strip(" ,")
                u.text = u.text[m.end():]
            break
    return title, byline, dateline, published


def _byline_name(raw: str) -> str:
    """A byline without its role words ("James Carter Senior News Editor" -> "James Carter")."""
    kept: list[str] = []
    for tok in raw.replace(",", " ").split():
        if tok.lower().strip(".") in BYLINE_ROLES and kept:
            break
        kept.append(tok)
    return " ".join(kept).strip(" ,&") or raw.strip()


def detect_language(text: str) -> str | None:
    """'en' when the text reads as English (stop-word share), else None: never a guess."""
    words = [w.lower() for w in tokens(text[:5000])]
    if len(words) < 8:
        return None
    share = sum(1 for w in words if w in STOPWORDS) / len(words)
    return "en" if share >= 0.2 else None


def _assemble(units: list[Unit], title: str | None, byline: str | None, dateline: str | None,
              date_text: str | None, **meta: object) -> Cleaned:
    kept = [u.text for u in units if u.label == "body" and u.text.strip()]
    removed = [u.text for u in units if u.label in ("furniture", "byline", "dateline")]
    for u in units:
        if u.label == "furniture":
            log.debug("furniture (%s): %s", u.reason, u.text[:80])
    body = "\n\n".join(kept)
    return Cleaned(
        title=title,
        byline=byline,
        dateline=dateline,
        outlet=meta.get("outlet"),  # type: ignore[arg-type]
        published=meta.get("published") or parse_date(date_text),  # type: ignore[arg-type]
        url=meta.get("url"),  # type: ignore[arg-type]
        language=meta.get("language") or detect_language(body),  # type: ignore[arg-type]
        body=body,
        removed=removed,
    )


def clean_text(text: str, *, title: str | None = None) -> Cleaned:
    """Clean a .txt/.md article (or extracted text); `title` is one already known (front matter)."""
    units = _units(text)
    found_title, byline, dateline, published = _label(units, title)
    return _assemble(units, found_title, byline, dateline, published)


def clean_html(html: str, url: str | None = None) -> Cleaned:
    """Extract an HTML page's main text and metadata with trafilatura, then remove furniture."""
    import trafilatura  # heavy import (lxml); only HTML input needs it

    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=True,
        include_links=False, include_images=False, favor_recall=True,
        # Keep the time and zone of article:published_time, not just the day. No extensive
        # search: it reads a bare year in the body as 1 January of it (news pages dated
        # 2025-01-01, 2010-01-01 were seen); a date line in the text is still found below.
        date_extraction_params={"extensive_search": False, "original_date": True,
                                "outputformat": "%Y-%m-%dT%H:%M:%S%z"},
    )
    if doc is None:
        log.debug("trafilatura found no main text%s", f" in {url}" if url else "")
        # Declarations and comments too: a page that is all script left "<!doctype html>" as
        # an article (its title and body).
        stripped = re.sub(r"(?is)<(script|style|head)\b.*?</\1>|<!--.*?-->|<![^>]*>|<\?.*?\?>", "", html)
        return clean_text(htmllib.unescape(_TAG.sub("\n", stripped)))
    data = doc if isinstance(doc, dict) else doc.as_dict()
    text = data.get("text") or ""
    known_title = (data.get("title") or "").strip() or None
    units = _units(text)
    _, byline, dateline, published = _label(units, known_title)
    lang_attr = re.search(r"<html[^>]*\blang=[\"']?([A-Za-z]{2,3})", html[:4000], re.IGNORECASE)
    author = (data.get("author") or "").strip() or None
    return _assemble(
        units, known_title, author or byline, dateline, published,
        outlet=(data.get("sitename") or "").strip() or None,
        published=parse_date(data.get("date")),
        url=url or data.get("url"),
        language=lang_attr.group(1).lower() if lang_attr else None,
    )
