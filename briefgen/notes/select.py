"""Select: which of an article's own sentences fill a thin story, and how many points a story shows.

Small models write one or two points and stop; the facts an editor keeps (figures,
decisions, who said what) sit further down. The code fills the story from the article's
own sentences, verbatim (grounded by construction, no extra call), ranked by
:func:`newsworthiness`: figures, names, quotes, earlier first, and not a recap.

The ranking was chosen on the tune part of the labeled set by
``python bench/fit_salience.py`` (bench/RESULTS.md): a logistic regression over fifteen
sentence features ranked fact-carrying sentences better on tune (AUC 0.80) but carried
fewer facts on the held-out part than this plain score, whose neighbours (weights ±50 %)
all sit on one plateau; so the plain score stays.
"""

from __future__ import annotations

import re

from briefgen.models import Article, Evidence, KeyPoint
from briefgen.text.figures import bare_numbers, is_year
from briefgen.text.lexicon import MONTHS, WEEKDAYS
from briefgen.text.names import proper_names
from briefgen.text.sentences import MAX_POINT_WORDS, tighten
from briefgen.text.tokens import ascii_quotes, content_terms, covers

# Share of a text's content terms already said by an earlier point (or the summary) above
# which it is a repeat.
REPEAT_COVERAGE = 0.75
# A sentence scoring below this is not worth a point even in a thin story (figures, names and
# quotes count; 0: one of them at least, unless late in a long article). Chosen on the tune
# part under the length budget: 2.0 and 0.0 carry the same facts there, 0.0 shows fewer
# background sentences (bench/RESULTS.md).
MIN_NEWSWORTHINESS = 0.0

# Phrases of a passage that recalls what happened before instead of reporting the day's news
# ("Kyiv has long called for…", "Since the war began…", "Last year the bank…").
_RECAP = re.compile(
    r"\b(?:has|have|had) long\b|\blast (?:year|month|spring|summer|autumn|fall|winter)\b|"
    r"\b(?:years|months|decades|weeks) ago\b|\bsince (?:then|the start|the beginning|\d{4})\b|\bbefore that\b|"
    r"\bfor (?:years|decades)\b|\bhistorically\b|"
    # A span of the past, or many occasions summed up: "throughout 2024", "on several
    # occasions", "several instances where …". (Not "over the past 12 months" or "in recent
    # weeks": an inflation or sales figure of the day is often given so.)
    r"\bthroughout (?:\d{4}|the (?:year|war|conflict|campaign|season|pandemic|crisis))\b|"
    r"\b(?:several|multiple|numerous|many|repeated) (?:instances|occasions)\b", re.I)

# A non-event: who did not comment, answer or could not be reached is no fact an editor keeps.
_NO_COMMENT = re.compile(
    r"\b(?:has|have|had|did) not (?:yet )?(?:publicly |immediately )?"
    r"(?:commented|comment|responded|respond|replied|reply)\b|"
    r"\bdeclined to (?:comment|respond|elaborate)\b|\bcould not be reached\b|\bno immediate comment\b|"
    r"\bdid not (?:immediately )?return (?:a |requests? )", re.I)


# A sentence that defines an organisation or a thing instead of reporting what it did ("Norland
# Motors AB is a Swedish manufacturer of …", "The European Central Bank is the central bank of
# …", "The company was founded in 2014 …"): an About box or an explainer, not the day's news.
_DEFINITION = re.compile(
    r"^(?:the |its )?(?:[A-Z][\w&'’.-]*\s+){1,6}(?:is|are) (?:a|an|the|one of)\b|"
    r"\b(?:was|were) (?:founded|established|formed|created) in\b|\b(?:headquartered|based) in [A-Z]", re.I)


# An article's point budget: one point for every SENTENCES_PER_POINT sentences that could back
# one, between max_key_points - 1 and 2 * max_key_points (chosen on the labeled set's tune
# part: bench/RESULTS.md). A long article spreads its facts over more sentences.
SENTENCES_PER_POINT = 3

_CALENDAR = frozenset(MONTHS) | frozenset(w.casefold() for w in WEEKDAYS)
# A sentence that names a day ("On Thursday, Zelensky will head to Paris…", "…said on
# Monday") is anchored to the day's news, where a recap or an explainer rarely is: it counts
# half a name more. Measured (bench/RESULTS.md, 2026-12-02 seventh): 0.5 and 1.0 carry the same
# facts as none on the tune part (67/85) and the held-out part (68/75), one more on the seeds
# (the Paris trip, 25/32); 2.0 one fewer on tune.
DAY_BONUS = 0.5
_DAY_WORD = re.compile(r"\b(?:" + "|".join(WEEKDAYS) + r"|today|tomorrow|tonight|yesterday)\b", re.I)


def point_budget(sentences: int, max_key_points: int) -> int:
    """How many points an article of ``sentences`` evidence sentences brings to its story."""
    return max(max_key_points - 1, min(2 * max_key_points, round(sentences / SENTENCES_PER_POINT)))


# A number that is part of a name ("Article 5", "Launch Complex 36", "Falcon 9") is no figure of
# the day's news; a date ("June 4") is.
_LABEL_NUMBER = re.compile(r"\b([A-Z][a-z]+) (\d+)\b(?![.,]\d)")


def _label_numbers(text: str) -> set[str]:
    return {n for word, n in _LABEL_NUMBER.findall(text) if word.casefold() not in _CALENDAR}


def newsworthiness(text: str, n: int, year: int | None = None) -> float:
    """How much concrete news a sentence carries: figures, names, quotes, a day; earlier is better.
    A recap of earlier events (a recap phrase, or only years before ``year``, the article's)
    a definition of an organisation, or a non-event (who declined to comment) counts for little."""
    plain = ascii_quotes(text)
    score = 2.5 * len(bare_numbers(plain) - _label_numbers(plain)) + len(proper_names(plain, headings=True)) + (1.5 if '"' in plain else 0.0)
    if _DAY_WORD.search(plain):
        score += DAY_BONUS
    years = [int(n) for n in bare_numbers(plain) if is_year(n)]
    recap = any(rule.search(plain) for rule in (_RECAP, _DEFINITION, _NO_COMMENT))
    if recap or (year and years and max(years) < year):
        score /= 3
    return score - 0.05 * n


def is_candidate(text: str) -> bool:
    """A sentence that can stand alone as a point: a statement of 8 to 45 words."""
    return 8 <= len(text.split()) <= 45 and not text.rstrip().endswith("?")


def top_up(points: list[KeyPoint], summary: str, article: Article, sentences: dict[int, str],
           min_points: int) -> tuple[list[KeyPoint], int]:
    """A thin story keeps its news: add the article's most newsworthy uncovered sentences.

    Small models often stop after one or two points that restate the lede, while the
    article goes on to figures, names and quotes. Those sentences, verbatim (so grounded
    by construction, no extra call), fill the story up to ``min_points``; a point that
    only restates the summary gives way to them.
    """
    out = list(points)
    covered = [content_terms(summary)] + [content_terms(kp.text) for kp in out]
    if len(out) == 1 and covers(out[0].text, covered[:1], REPEAT_COVERAGE):
        out, covered = [], covered[:1]  # the kept-anyway restatement of the summary
    # The lede too: a sentence the summary already says is skipped below (covered), not by its number.
    used = {n for kp in out for ev in kp.evidence for n in ev.sentences}
    year = article.published.year if article.published else None
    ranked = sorted((-newsworthiness(text, n, year), n) for n, text in sentences.items()
                    if n not in used and is_candidate(text))
    extracted = 0
    for score, n in ranked:
        if len(out) >= min_points or -score < MIN_NEWSWORTHINESS:
            break
        text = sentences[n]
        if covers(text, covered, 0.5) or len(tighten(text).split()) > MAX_POINT_WORDS:
            continue  # said already, or too long to read as one point even tightened (a long quote)
        out.append(extracted_point(article.id, n, text))
        covered.append(content_terms(text))
        extracted += 1
    return (out if out else list(points)), extracted


def extracted_point(article_id: str, n: int, text: str) -> KeyPoint:
    """Sentence ``n`` of an article shown as a point (tightened; the quote is the sentence)."""
    return KeyPoint(text=tighten(text), evidence=[Evidence(article_id=article_id, sentences=[n], quote=text)],
                    verified=True, status="extracted")
