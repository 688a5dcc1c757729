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
from briefgen.text.lexicon import BYLINE_ROLES, STOPWORDS, TITLE_CASE_SMALL
from briefgen.text.tokens import content_words, jaccard, tokens

log = logging.getLogger(__name__)


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


@dataclass
class _Unit:
    text: str  # inline-normalized text of one paragraph
    label: str = "body"  # body | furniture | title | byline | dateline
    reason: str = ""
    sep_hint: bool = False  # a wide gap (NBSP, 2+ spaces) followed a leading label


# ---------------------------------------------------------------------------------------
# inline normalization
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()\s]+)(?:\s+\"[^\"]*\")?\)")
_MD_EMPH = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_WIDE_GAP = re.compile(r"^[^\W\d_][\w' ]{1,30}?:?(?:\u00a0|\s{2,})\S")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


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
    return _SPACES.sub(" ", line).strip()


def _units(text: str) -> list[_Unit]:
    """Split text into paragraph units, joining hard-wrapped lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    lines = text.split("\n")
    widths = [len(ln.rstrip()) for ln in lines if ln.strip()]
    wrap = max(widths, default=0)
    # A hard-wrapped file has a ceiling on line length (~60-100 columns) that most lines of a
    # paragraph reach; a file of one-line paragraphs has no such ceiling.
    wrapped = 40 <= wrap <= 100 and sum(w >= 0.6 * wrap for w in widths) >= max(3, len(widths) // 3)
    units: list[_Unit] = []
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
            unit = _Unit(_inline(raw), sep_hint=bool(_WIDE_GAP.match(raw.strip())))
            if unit.text:
                units.append(unit)
        prev_long = wrapped and len(raw.rstrip()) >= 0.6 * wrap
    return units


# ---------------------------------------------------------------------------------------
# features
_SENT_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_QUOTES = re.compile(r"[\"“”„«»]")


def _title_case_share(words: list[str]) -> float:
    content = [w for w in words if w.lower() not in TITLE_CASE_SMALL]
    if not content:
        return 0.0
    return sum(1 for w in content if w[:1].isupper() or w[:1].isdigit()) / len(content)


def _ends_sentence(text: str) -> bool:
    return bool(_SENT_END.search(text))


# ---------------------------------------------------------------------------------------
# generic furniture patterns (matched on the casefolded unit, leading bullets removed)
_SOCIAL = {"share", "this", "article", "story", "post", "page", "on", "via", "tweet", "email", "e-mail",
           "mail", "print", "copy", "link", "facebook", "twitter", "x", "linkedin", "whatsapp", "telegram",
           "reddit", "pinterest", "messenger", "flipboard", "threads", "bluesky", "save", "the", "with",
           "friends", "your", "kindly", "please", "now", "it", "us", "and", "or", "to", "with", "a", "friend", "click",
           "opens", "in", "new", "window"}
_SOCIAL_CORE = {"share", "tweet", "facebook", "twitter", "whatsapp", "linkedin", "email", "print", "telegram"}
_RELATED = re.compile(
    r"^(?:read (?:also|more|next)|also read|see also|related(?: news| articles?| stories| posts?| content|"
    r" coverage| reading| topics)?|more (?:news|stories|articles)(?: from [\w ]{1,30})?|you (?:may|might) (?:also )?"
    r"(?:like|be interested in|have missed)|recommended(?: for you| stories| reading)?|trending(?: now| news|"
    r" stories| topics)?|latest(?: news| stories| posts| articles| updates| headlines)?|most (?:read|popular|"
    r"viewed|shared)|popular (?:news|posts|stories)|(?:do not|don'?t) miss|must read|editor'?s picks?|"
    r"top (?:stories|news|headlines)|further reading|more on this story|(?:previous|next|older|newer) "
    r"(?:article|post|story))\b"
)
_COMMENTS = re.compile(
    r"\b(?:leave a (?:reply|comment|response)|post (?:a )?comment|add (?:a )?comment|join the discussion|"
    r"please enter your (?:comment|name|email)|your email address will not be published|"
    r"required fields are marked|save my name|cancel reply|notify me of (?:new|follow-up)|"
    r"comment data is processed|uses akismet|log ?in to (?:comment|reply)|no comments yet|"
    r"be the first to comment|comments are closed|view comments|show comments)\b|^\d*\s*comments?$"
)
_ADBLOCK = re.compile(r"\bad ?block(?:er|ing)?\b|\bdisabl\w* (?:your |the )?ad|\bwhitelist(?:ing)? (?:us|our)")
_COOKIE = re.compile(r"\bcookies?\b")
_COOKIE_CTX = re.compile(r"\b(?:we use|uses|accept|consent|preferences|settings|policy|by (?:continuing|using)|"
                         r"your experience|reject|manage)\b")
_NEWSLETTER = re.compile(r"\bnewsletters?\b|\bsign up\b|\bsubscribe\b|\bin(?:to)? your inbox\b|\bfollow us\b|"
                         r"\bjoin our \w+ (?:channel|group|community)\b|\bdownload our (?:\w+ )?app\b")
_NOTIFY = re.compile(r"\b(?:get|enable|allow|turn on|receive) (?:push |browser |instant |breaking news )?"
                     r"(?:notifications?|alerts)\b|\bno,? thanks\b|\byes,? please\b")
_AD_LINE = re.compile(r"^(?:advert\w*|sponsored(?: content| links?)?|ads?|promoted(?: content)?|paid content|"
                      r"story continues below(?: advertisement)?|continue reading below|"
                      r"scroll (?:down )?to continue(?: with content)?|skip advert\w*)$")
_BOX = re.compile(r"^(?:did you know|pro tip|quick tip|top tip|fun fact|tip of the day)\s*[?:!.-]")
_FLAG = re.compile(r"^(?:breaking(?: news)?|exclusive|developing(?: story)?|live(?: updates)?|just in|"
                   r"\d+\s*min(?:ute)?s? read|listen to (?:this )?article|print this (?:article|page)|like this|"
                   r"(?:like )?loading\W*)$")
_TAGS = re.compile(r"^(?:(?:tags?|categories|category|topics|keywords)\s*:|(?:posted|filed) (?:in|under)\b)")
_PHOTO = re.compile(r"^(?:photo|image|picture|illustration|video)(?: credit)?\s*[:/|]|^\((?:photo|image)s? (?:by|:)")
_AGENCY = re.compile(
    r"^(?:©|\(c\)|copyright\b)|\ball rights reserved\b|\bmay not be (?:published|reproduced|redistributed)\b|"
    r"^\(?(?:reporting|writing|editing|additional reporting|compiled) by\b[^.]*(?:\)|$)|"
    r"^this (?:article|story|content) (?:was|is|has been) (?:originally )?(?:published|produced|"
    r"republished|syndicated|generated|edited)|\bfrom a (?:wire|syndicated) (?:agency )?feed\b"
)
_AGENCY_SUB = re.compile(r"\bsubscri(?:ber|bers|ption|ptions|be)\b")
_AGENCY_SUB_CTX = re.compile(r"\b(?:contact us|options|offered|portion|news service|wire service|"
                             r"redistribut\w*|licens\w*|broadcasting system)\b")
_ENGAGE = re.compile(
    r"\b(?:join the (?:conversation|discussion|debate)|let us know|tell us (?:what|your|in)|share your "
    r"(?:thoughts|views|opinion|story|experience)|what (?:are|is) your (?:thoughts|view|views|opinion|take)|"
    r"what do you think|in the comments?(?: section)? below|comment below|sound off|have your say)\b"
)
# Asking the reader's opinion is engagement bait; other "you" questions may be explainer
# headings and are furniture only when nothing answers them.
_Q_OPINION = re.compile(r"\byou (?:think|believe|feel|agree|reckon)\b|\byour (?:thoughts|views?|opinion|take)\b|"
                        r"\bwould you (?:like|support|rather)\b")
_Q_YOU = re.compile(r"\byou\b|\byour\b")
_FAQ_HEAD = re.compile(r"^(?:frequently asked questions|faqs?|common questions|questions and answers|"
                       r"q ?& ?a|people also ask)\s*:?$")
_BREADCRUMB_SEP = re.compile(r"\s*(?:»|›|>|\||\s/\s)\s*")
_RUN_ON = re.compile(r"^(?:[A-Z][a-z]{1,15}){3,6}$")
_BYLINE = re.compile(
    r"^(?:by|written by|words by|story by|author:?)\s+(?P<name>[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|"
    r"de|van|von|da|al|bin|and|&),?)*)$",
    re.IGNORECASE,
)
_DATE_LINE = re.compile(r"^(?:(?:published|updated|posted|last updated|first published)\b\s*:?|date\s*:)\s*(?P<d>.+)$")
_MONTH = MONTH_NC
_BARE_DATE = re.compile(rf"^(?:\w+day,?\s+)?(?:{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}|"
                        rf"\d{{4}}-\d{{2}}-\d{{2}})(?:[ ,|-]+\d{{1,2}}[:.]\d{{2}}.*)?$")
_DATELINE_INLINE = re.compile(
    r"^(?P<dl>(?:[A-Z][A-Za-z.'’-]+|[A-Z]{2,})(?:[ ,]+(?:[A-Z][A-Za-z.'’-]+|\d{1,2}|(?i:" + _MONTH + r"))){0,4}"
    r"(?:\s*\([A-Z][\w .&-]{1,30}\))?)\s*(?:[–—]|--?|:(?=\s))\s+(?=[A-Z0-9“\"‘'])"
)
# Share of an FAQ block's content words already in the article above which the block only
# restates it (restating blocks measured at 0.61+, blocks adding facts stay well below).
FAQ_RESTATES = 0.5
_BULLET = re.compile(r"^(?:[-*•·–]\s+)")


def _core(text: str) -> str:
    """Casefolded unit without bullet markers or decoration, for pattern matching."""
    t = _BULLET.sub("", text).strip(" -–—_=*·•|:").casefold()
    return t.replace("’", "'")


def _is_share(core: str, words: list[str]) -> bool:
    lw = [w.lower() for w in words]
    return 0 < len(lw) <= 10 and all(w in _SOCIAL for w in lw) and any(w in _SOCIAL_CORE for w in lw)


def _is_breadcrumb(text: str) -> bool:
    parts = [p for p in _BREADCRUMB_SEP.split(text)]
    if len(parts) < 2 or any(not p.strip() for p in parts):
        return False
    first = len(tokens(parts[0]))
    if parts[0].strip().casefold() == "home":
        return True
    return len(parts) >= 3 and first <= 3 and all(len(tokens(p)) <= 4 for p in parts[:-1])


def _standalone_question(text: str, words: list[str]) -> bool:
    body = _BULLET.sub("", text).strip()
    return (body.endswith("?") and not _QUOTES.search(body) and len(words) <= 35
            and not re.search(r"[.!?]\s+[A-Z]", body[:-1]))


def _line_rule(u: _Unit, pos: int, n: int) -> str | None:
    """The furniture kind of one unit judged alone, or None."""
    text, core = u.text, _core(u.text)
    words = tokens(text)
    nw = len(words)
    short = nw <= 12
    # Long units at the document's edges may be notices; in the middle they are prose.
    edge = pos < 4 or pos >= n - 6
    if not core:
        return "decoration"
    if _AD_LINE.match(core) or _FLAG.match(core):
        return "label"
    if _is_share(core, words):
        return "share"
    if _is_breadcrumb(text) and nw <= 30:
        return "breadcrumb"
    if _RUN_ON.match(text) and " " not in text:
        return "section labels"
    m = _RELATED.match(core)
    if m and nw <= 30:
        rest = core[m.end():].strip()
        if not rest or (nw <= 6 and not _ends_sentence(text)) or u.sep_hint or re.match(r"^[:|»\-–—]", rest):
            return "related link"
    if _COMMENTS.search(core) and nw <= 30:
        return "comment form"
    if _ENGAGE.search(core) and nw <= 40 and not _QUOTES.search(text):
        return "reader engagement"
    if _BOX.match(core) and nw <= 60:
        return "tip box"
    if _TAGS.match(core) and nw <= 25:
        return "tags"
    if _PHOTO.match(core) and nw <= 25:
        return "photo credit"
    if (short or edge) and nw <= 60 and not _QUOTES.search(text):
        if _ADBLOCK.search(core):
            return "ad-block notice"
        if _COOKIE.search(core) and _COOKIE_CTX.search(core):
            return "cookie banner"
        if _NOTIFY.search(core):
            return "notification prompt"
        if _NEWSLETTER.search(core) and (short or re.search(r"\b(?:our|your|you)\b", core)):
            return "newsletter pitch"
    if pos >= n - 4 or short:
        if _AGENCY.search(core) or (_AGENCY_SUB.search(core) and _AGENCY_SUB_CTX.search(core)):
            return "agency boilerplate"
    return None


# ---------------------------------------------------------------------------------------
def _label(units: list[_Unit], known_title: str | None) -> tuple[str | None, str | None, str | None, str | None]:
    """Label every unit in place; return (title, byline, dateline, published text)."""
    n = len(units)
    for i, u in enumerate(units):
        kind = _line_rule(u, i, n)
        if kind:
            u.label, u.reason = "furniture", kind

    title = known_title
    byline = dateline = published = None
    first_body = next((i for i, u in enumerate(units) if u.label == "body"), None)
    if first_body is not None:
        head = units[first_body]
        words = tokens(head.text)
        headline_like = len(words) <= 30 and not (_ends_sentence(head.text) and len(words) > 20)
        nxt = units[first_body + 1] if first_body + 1 < n else None
        if (not known_title and len(words) <= 3 and not _ends_sentence(head.text) and nxt is not None
                and nxt.label == "body" and 5 <= len(tokens(nxt.text)) <= 25 and not _ends_sentence(nxt.text)
                and _title_case_share(tokens(nxt.text)) >= 0.7):
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
        m = _BYLINE.match(_BULLET.sub("", u.text).strip())
        if m and len(words) <= 12 and byline is None:
            byline = _byline_name(m.group("name"))
            u.label, u.reason = "byline", "byline"
            continue
        dm = _DATE_LINE.match(_core(u.text))
        if (dm or _BARE_DATE.match(_core(u.text))) and len(words) <= 12 and published is None:
            published = dm.group("d") if dm else u.text
            u.label, u.reason = "furniture", "date line"
            continue
        letters = [c for c in u.text if c.isalpha()]
        if (dateline is None and 3 <= len(letters) and all(c.isupper() for c in letters)
                and len(words) <= 5 and not _ends_sentence(u.text.rstrip("."))):
            dateline = u.text.strip(" ,–—-")
            u.label, u.reason = "dateline", "dateline"
            continue
        if len(words) >= 12 and _ends_sentence(u.text):
            break  # prose has started: no more header lines

    # Repeated headline further down (SEO pages paste a variant of it mid-page).
    if title:
        for u in units:
            if u.label == "body" and len(tokens(u.text)) <= 30 and not u.text.endswith(".") \
                    and jaccard(u.text, title) >= 0.75:
                u.label, u.reason = "furniture", "repeated headline"

    _context_rules(units)

    # A leading "Kyiv – " on the first paragraph is the dateline; the sentence stays.
    for u in units:
        if u.label == "body" and len(tokens(u.text)) >= 8 and _ends_sentence(u.text):
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


def _context_rules(units: list[_Unit]) -> None:
    """Rules that look at neighbours: link lists, FAQ blocks, reader-question runs, the tail."""
    n = len(units)
    # Items under a link-list header ("Related", "You may also like") are headlines: short,
    # unpunctuated or very short. Prose resumes with the first long sentence.
    i = 0
    while i < n:
        u = units[i]
        i += 1
        m = _RELATED.match(_core(u.text))
        if u.label != "furniture" or not m or _core(u.text)[m.end():].strip(" :"):
            continue
        while i < n and units[i].label in ("body", "furniture"):
            v = units[i]
            w = tokens(v.text)
            if v.label == "body":
                if len(w) > 20 or (_ends_sentence(v.text) and len(w) > 14):
                    break
                v.label, v.reason = "furniture", "link list item"
            i += 1

    # FAQ blocks are furniture only when they restate the article.
    for i, u in enumerate(units):
        if u.label == "body" and _FAQ_HEAD.match(_core(u.text)):
            block = []
            j = i + 1
            while j < n and units[j].label == "body" and (
                "?" in units[j].text[:250] or (block and units[block[-1]].text.rstrip().endswith("?"))
            ):
                block.append(j)
                j += 1
            if not block:
                continue
            rest = set()
            for k, v in enumerate(units):
                if v.label == "body" and k not in block and k != i:
                    rest |= content_words(v.text)
            faq = set().union(*(content_words(units[k].text) for k in block))
            overlap = len(faq & rest) / len(faq) if faq else 1.0
            if overlap >= FAQ_RESTATES:
                for k in [i, *block]:
                    units[k].label, units[k].reason = "furniture", f"FAQ restating the article ({overlap:.0%})"

    # Questions put to the reader: "do you think…", or a run of standalone questions next to
    # other engagement furniture (an article never stacks two questions without answers).
    for i, u in enumerate(units):
        if u.label != "body" or not _standalone_question(u.text, tokens(u.text)):
            continue
        nxt = units[i + 1] if i + 1 < n else None
        answered = nxt is not None and nxt.label == "body" and _ends_sentence(nxt.text) \
            and not nxt.text.rstrip().endswith("?") and len(tokens(nxt.text)) >= 8
        core = _core(u.text)
        if _Q_OPINION.search(core) or (_Q_YOU.search(core) and not answered):
            u.label, u.reason = "furniture", "question to the reader"
    changed = True
    while changed:
        changed = False
        for i, u in enumerate(units):
            if u.label != "body" or not _standalone_question(u.text, tokens(u.text)):
                continue
            nbrs = [units[k] for k in (i - 1, i + 1) if 0 <= k < n]
            if any(v.label == "furniture" and v.reason in ("question to the reader", "reader engagement")
                   for v in nbrs):
                u.label, u.reason = "furniture", "question to the reader"
                changed = True

    # The tail: once furniture starts after the last paragraph of prose, short unpunctuated
    # units there are more of it (site menus, link titles).
    last_prose = max((k for k, v in enumerate(units) if v.label == "body" and len(tokens(v.text)) >= 15
                      and _ends_sentence(v.text)), default=-1)
    seen_furniture = False
    for k in range(last_prose + 1, n):
        v = units[k]
        if v.label == "furniture":
            seen_furniture = True
        elif seen_furniture and v.label == "body" and len(tokens(v.text)) <= 12 and not _ends_sentence(v.text):
            v.label, v.reason = "furniture", "tail menu"


def detect_language(text: str) -> str | None:
    """'en' when the text reads as English (stop-word share), else None: never a guess."""
    words = [w.lower() for w in tokens(text[:5000])]
    if len(words) < 8:
        return None
    share = sum(1 for w in words if w in STOPWORDS) / len(words)
    return "en" if share >= 0.2 else None


def _assemble(units: list[_Unit], title: str | None, byline: str | None, dateline: str | None,
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
        # Keep the time and zone of article:published_time, not just the day.
        date_extraction_params={"extensive_search": True, "original_date": True,
                                "outputformat": "%Y-%m-%dT%H:%M:%S%z"},
    )
    if doc is None:
        log.debug("trafilatura found no main text%s", f" in {url}" if url else "")
        return clean_text(_TAG.sub("\n", re.sub(r"(?is)<(script|style|head)\b.*?</\1>", "", html)))
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
