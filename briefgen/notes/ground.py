"""Ground: every key point is checked by code against the cleaned text of its article.

The model cites sentence numbers (cheap and exact). Small models cite the right
neighbourhood but are often off by one, and sometimes attach a claim to the wrong person, so
a number alone proves nothing: a point is *supported* when its names, numbers and content
words are found in the cited sentence or its neighbours, and any words it puts in quotation
marks appear verbatim. The evidence quote is then the supporting sentence, verbatim.

A point that fails falls back to its cited sentence itself (shown as a quote: grounded, no
extra call); a point with nothing to fall back on is dropped, or kept visibly unverified
when the editor asks for it. Numbers and names in headlines and summaries that no cited
source contains are flagged. Stats count points as generated, verified as generated,
fallback, dropped, so the verified share is measured before any fallback.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from dataclasses import dataclass
from datetime import date

from briefgen.models import Article, ArticleSummary, Evidence, GroundingStats, KeyPoint
from briefgen.notes.chunk import background_sentences, number_sentences
from briefgen.notes.select import REPEAT_COVERAGE, extracted_point, is_candidate, point_budget, top_up
from briefgen.text.actors import pairs_agree, roles_agree, tense_fits
from briefgen.text.addressed import addressed_to_model
from briefgen.text.lexicon import MONTH_NAMES, WEEKDAYS, is_title_word
from briefgen.text.figures import bare_numbers, explicit_dates, weekday_date
from briefgen.text.names import acronym_in, acronym_plural_in, name_in, name_word, proper_names
from briefgen.text.sentences import lede, tighten
from briefgen.text.tokens import ascii_quotes, content_terms, covers, fold, normalize

log = logging.getLogger(__name__)

_QUOTED = re.compile(r'"([^"]{12,})"')

# Share of a headline's or summary's content terms that one supporting sentence must hold:
# stricter than for a key point, since a headline is read first and trusted most.
STRICT_COVERAGE = 0.6


# Weekdays and months as a point names them ("may" left out: mostly the verb).
_DAY = re.compile(r"\b(" + "|".join([*WEEKDAYS, *(m for m in MONTH_NAMES if m != "may")]) + r")\b", re.I)


def _days(text: str) -> set[str]:
    return {m.lower() for m in _DAY.findall(text)}


def _names(text: str) -> set[str]:
    return proper_names(text, headings=True)


@dataclass
class Support:
    coverage: float
    numbers_ok: bool
    names_ok: bool
    quotes_ok: bool
    # Who met whom, who did it, and when, agree (text/actors.py); None: not read, the rest fails
    # already (the most CPU of a check: grounding 1,000 articles read it 14,000 times).
    actors_ok: bool | None = True

    @property
    def ok(self) -> bool:
        return self.coverage >= 0.5 and self.numbers_ok and self.names_ok and self.quotes_ok and bool(self.actors_ok)


def _named_in_full(word: str, evidence: str, evidence_names: set[str], context: str) -> bool:
    """True when ``word`` is a first name the article gives in full ("Donald Trump") before a
    surname the evidence has ("Trump"), or part of the title it gives that person ("ECB
    President Christine Lagarde", "Goldman Sachs chief executive David Solomon"): news names a
    person in full once, by surname after. Not when the evidence gives that surname another
    first name (Alex, not Marc, Marquez)."""
    for m in re.finditer(r"\b" + re.escape(word) + r"\b", context, re.I):
        following = re.findall(r"[\w'’.-]+", context[m.end(): m.end() + 120])[:5]
        for k, surname in enumerate(following):
            between = following[:k]
            if not surname[:1].isupper() or fold(surname) not in evidence_names:
                continue
            # Between them, a title and the person's other names only ("President Christine").
            if between and not (any(is_title_word(w) for w in between)
                                and all(is_title_word(w) or w[:1].isupper() for w in between)):
                break
            before = re.findall(r"([\w'’-]+)\s+" + re.escape(surname) + r"\b", evidence)
            if not any(b[:1].isupper() and name_word(b) not in ("", word) and b not in between for b in before):
                return True
            break
    return False


@lru_cache(maxsize=1 << 14)
def _normalized(text: str) -> tuple[str, str]:
    norm = normalize(text)
    return norm, fold(norm)


def _as_written(folded_name: str, text: str) -> str:
    m = re.search(r"\b" + re.escape(folded_name) + r"\b", text, re.I)
    return m.group(0) if m else folded_name


def may_support(terms: set[str], evidence_text: str, share: float) -> bool:
    """Whether ``evidence_text`` holds ``share`` of a claim's content ``terms``: the cheap part
    of :func:`support` (whose coverage it is), checked first by the callers that try many
    sentences. Empty terms pass: support() decides those."""
    return not terms or len(terms & content_terms(evidence_text)) >= share * len(terms)


def support(point: str, evidence_text: str, context: str = "") -> Support:
    """How well ``evidence_text`` supports ``point``: shared content words, numbers, names, quotes.

    ``context`` (the article's text) lets a first name the evidence omits pass when the
    article writes it before a surname the evidence has."""
    terms = content_terms(point)
    have = content_terms(evidence_text)
    coverage = len(terms & have) / len(terms) if terms else 0.0
    norm_evidence, folded_evidence = _normalized(evidence_text)
    # A day or month is a figure too: "on Thursday" is not supported by a sentence without it.
    numbers_ok = bare_numbers(point) <= bare_numbers(evidence_text) and _days(point) <= _days(evidence_text)
    missing = {name for name in _names(point) if not name_in(name, folded_evidence)}
    # An agency named by its initials where the evidence writes it out ("ECB"), or an acronym's plural ("SUVs").
    missing = {name for name in missing if not (acronym_in(written := _as_written(name, point), evidence_text)
                                                or acronym_plural_in(written, folded_evidence))}
    if missing and context:
        have_names = {fold(n) for n in _names(evidence_text)}
        missing = {name for name in missing if not _named_in_full(name, evidence_text, have_names, context)}
    names_ok = not missing
    quotes_ok = all(normalize(q) in norm_evidence for q in _QUOTED.findall(ascii_quotes(point)))
    rest = coverage >= 0.5 and numbers_ok and names_ok and quotes_ok
    return Support(coverage, numbers_ok, names_ok, quotes_ok, (pairs_agree(point, evidence_text)
                   and roles_agree(point, evidence_text) and tense_fits(point)) if rest else None)


def unsupported_facts(text: str, sources: list[str]) -> list[str]:
    """Numbers and proper names in ``text`` that appear in none of the source texts."""
    corpus = fold(normalize(" ".join(sources)))
    corpus_numbers = bare_numbers(" ".join(sources))
    flags = [n for n in sorted(bare_numbers(text)) if n not in corpus_numbers]
    flags += [name for name in sorted(_names(text)) if name not in corpus]
    return flags


def evidence_sentences(article: Article) -> dict[int, str]:
    """The numbered sentences that can back a point: not background, not addressed to a model."""
    background = background_sentences(article)
    return {s.n: s.text for s in number_sentences(article) if s.n not in background and not addressed_to_model(s.text)}


def ground_summary(
    summary: ArticleSummary, article: Article, *, keep_unverified: bool = False, min_points: int = 3,
    adaptive: bool = False,
) -> tuple[ArticleSummary, GroundingStats]:
    """Verify, re-cite, fall back or drop each key point of one article's summary.

    Returns a new summary and the counts of what happened; ``summary`` is not changed.
    Sentences addressed to a model or to the brief (:mod:`briefgen.text.addressed`) and
    background passages (:func:`briefgen.notes.chunk.background_sentences`) are never
    evidence, a fallback, a chosen or an extracted point.

    Points the model *chose* (status ``selected``: a sentence shown as written) need no
    support check; they are counted apart, so the verified share stays the share of the
    points the model wrote.

    ``adaptive``: the story is filled to the article's own budget (``point_budget``, from its
    length) instead of ``min_points``, and the summary records it.
    """
    stats = GroundingStats()
    sentences = evidence_sentences(article)
    kept: list[KeyPoint] = []
    used: set[int] = set()
    for point in summary.key_points:
        if point.status == "selected":
            refs = set(point.evidence[0].sentences) if point.evidence else set()
            if refs and refs <= set(sentences) and not refs & used:
                stats.selected += 1
                used |= refs
                # The quote is the cited sentences as the article has them, made here: whatever
                # quote a chosen point arrived with is not evidence (property-tested).
                # One quote per run of adjacent sentences: each is a span of the article.
                runs: list[list[int]] = []
                for n in sorted(refs):
                    if runs and runs[-1][-1] == n - 1:
                        runs[-1].append(n)
                    else:
                        runs.append([n])
                kept.append(point.model_copy(update={"evidence": [
                    Evidence(article_id=article.id, sentences=run, quote=" ".join(sentences[n] for n in run))
                    for run in runs]}))
            continue
        stats.generated += 1
        result = None if addressed_to_model(point.text) else _ground_point(point, article, sentences)
        if result is None:
            stats.dropped += 1
            if keep_unverified:
                kept.append(point.model_copy(update={"verified": False, "status": "unverified"}))
                stats.unverified_shown += 1
            continue
        refs = set(result.evidence[0].sentences)
        if result.status == "fallback" and refs & used:
            stats.dropped += 1  # its cited sentence already backs another point: it would repeat it
            continue
        if result.status == "fallback":
            log.info("%s: point %r is not supported by its sentences; showing sentence %s instead",
                     article.source, point.text, result.evidence[0].sentences[0])
            stats.fallback += 1
        elif result.status == "repaired":
            stats.repaired += 1
        else:
            stats.verified += 1
        used |= refs
        kept.append(result)
    points, stats.repeated = _drop_repeats(kept, summary.summary)
    headline, text, stats.headlines_replaced = _check_headline(summary, points, article, sentences)
    budget = point_budget(len(sentences), min_points) if adaptive else 0
    points, stats.extracted = top_up(points, text, article, sentences, budget or min_points)
    source_text = [article.title + " " + article.body]
    flagged = [p.model_copy(update={"flags": unsupported_facts(p.text, source_text)}) for p in points]
    stats.flagged = sum(bool(p.flags) for p in flagged)
    event_date = summary.event_date if date_is_stated(summary.event_date, article) else None
    if summary.event_date is not None and event_date is None:
        log.info("%s: event date %s is not one the article states; dropped", article.source, summary.event_date)
    return summary.model_copy(update={"headline": headline, "summary": text, "key_points": flagged,
                                      "event_date": event_date, "point_budget": budget}), stats


def date_is_stated(value: date | None, article: Article) -> bool:
    """True when the article gives ``value``: written as a date, as a weekday of its lead
    resolved against its publication, or as the publication day itself.

    Small models write dates the article does not state: the year of an earlier event the
    text recalls, a month misread. A date is a figure like any other; clustering trusts it to
    tell one day's event from another's, so an ungrounded one would split a story.
    """
    if value is None:
        return False
    published = article.published.date() if article.published else None
    if value == published:
        return True
    text = article.title + "\n" + article.body
    if value in explicit_dates(text, published):
        return True
    first = article.body.strip().split("\n\n", 1)[0]
    return weekday_date(first, published) == value


def _check_headline(summary: ArticleSummary, points: list[KeyPoint], article: Article,
                    sentences: dict[int, str]) -> tuple[str, str, int]:
    """The headline and the summary must each be supported by one sentence of the article.

    Every word being *somewhere* in the article proves nothing: "Zelensky plans to meet
    Trump" is made of the article's words when it says he will *speak* with him, and words
    of an injected instruction are in the article too. So each must be supported like a key
    point — its names, figures and most of its content words — by one sentence (or two
    adjacent ones) of the article, the source's own title counting for the headline. One
    that is not is replaced: the headline by the source's title, the summary by the lede.
    """
    headline, text, replaced = summary.headline, summary.summary, 0
    if not (support(headline, article.title).ok and support(headline, article.title).coverage >= STRICT_COVERAGE
            or best_support(headline, list(sentences), sentences, min_coverage=STRICT_COVERAGE)):
        log.info("%s: headline %r is not supported by one sentence; using the title", article.source, headline)
        headline, replaced = article.title, replaced + 1
    if text and not best_support(text, list(sentences), sentences, min_coverage=STRICT_COVERAGE):
        log.info("%s: summary is not supported by one sentence; using the lede", article.source)
        text, replaced = lede(list(sentences.values()), article.title), replaced + 1
    return headline, text, replaced


def _drop_repeats(points: list[KeyPoint], summary: str) -> tuple[list[KeyPoint], int]:
    """One key point per fact: drop a point backed by the same sentences as an earlier one,
    or whose words are mostly the summary's or an earlier point's. Never drops them all."""
    covered = [content_terms(summary)]
    seen_refs: set[int] = set()
    kept: list[KeyPoint] = []
    for point in points:
        refs = {n for ev in point.evidence for n in ev.sentences} if point.verified else set()
        if (refs & seen_refs) or covers(point.text, covered, REPEAT_COVERAGE):
            continue
        seen_refs |= refs
        covered.append(content_terms(point.text))
        kept.append(point)
    if not kept and points:
        kept = points[:1]
    return kept, len(points) - len(kept)


def _ground_point(point: KeyPoint, article: Article, sentences: dict[int, str]) -> KeyPoint | None:
    """A new point: verified (its cited sentences or their neighbours support it), repaired
    (a sentence elsewhere in the article does), its cited sentence as a fallback, or None."""
    cited = sorted({n for ev in point.evidence for n in ev.sentences if n in sentences})
    # The cited sentences and their neighbours, best-supporting first.
    window = sorted({m for n in cited for m in (n - 1, n, n + 1) if m in sentences})
    best = best_support(point.text, window, sentences)
    status = "verified"
    if best is None:
        # Cited nowhere near: search the whole article, but demand a stronger match.
        best = best_support(point.text, list(sentences), sentences, min_coverage=0.65)
        status = "repaired"
    if best is not None:
        evidence = [Evidence(article_id=article.id, sentences=list(best), quote=" ".join(sentences[n] for n in best))]
        return point.model_copy(update={"evidence": evidence, "verified": True, "status": status})
    fallback_from = cited or _closest(point.text, sentences)
    if fallback_from:
        n = fallback_from[0]
        quote = sentences[n]
        return KeyPoint(text=tighten(quote), evidence=[Evidence(article_id=article.id, sentences=[n], quote=quote)],
                        verified=True, status="fallback")
    return None


def best_support(text: str, candidates: list[int], sentences: dict[int, str], min_coverage: float = 0.5,
                 *, pairs: bool = True) -> tuple[int, ...] | None:
    """The one sentence, or adjacent pair (unless ``pairs`` is false), that supports ``text`` best."""
    options: list[tuple[int, ...]] = [(n,) for n in candidates]
    # Pairs only inside the candidates: a pair reaching past them would drag an uncited
    # sentence (in one test, an injected instruction) into the quote.
    members = set(candidates)
    options += [(n, n + 1) for n in candidates if pairs and n + 1 in members]
    scored = []
    context = " ".join(sentences.values())
    terms = content_terms(text)
    floor = max(min_coverage, 0.5)  # Support.ok asks half the content words at least
    for option in options:
        evidence = " ".join(sentences[n] for n in option)
        if not may_support(terms, evidence, floor):
            continue  # too few of its words: it cannot support the text
        s = support(text, evidence, context)
        if s.ok and s.coverage >= min_coverage:
            # Prefer higher coverage, then a single sentence, then the earliest.
            scored.append((-s.coverage, len(option), option))
    return min(scored)[2] if scored else None


def _closest(text: str, sentences: dict[int, str]) -> list[int]:
    scored = sorted((-support(text, s).coverage, n) for n, s in sentences.items())
    if scored and -scored[0][0] >= 0.4:
        return [scored[0][1]]
    return []


def summary_point(summary: ArticleSummary, sentences: dict[int, str]) -> KeyPoint | None:
    """The sentence of an article that its summary rests on, as a point of its own.

    A story shows one member's summary; another outlet's summary states that outlet's main
    fact, which its own top-up skipped as "said already" (often the very fact the first
    outlet leaves out). Its supporting sentence, verbatim, joins the story's candidates.
    None when no one sentence supports the summary or a point already cites it.
    """
    if not summary.summary:
        return None
    # One sentence: the point shows one, and the first of a pair need not support the summary.
    best = best_support(summary.summary, list(sentences), sentences, min_coverage=STRICT_COVERAGE, pairs=False)
    if best is None or not is_candidate(sentences[best[0]]):
        return None
    cited = {n for kp in summary.key_points for ev in kp.evidence for n in ev.sentences}
    if best[0] in cited:
        return None
    return extracted_point(summary.article_id, best[0], sentences[best[0]])
