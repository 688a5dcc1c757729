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
from dataclasses import dataclass

from .chunk import number_sentences
from .models import Article, ArticleSummary, Evidence, GroundingStats, KeyPoint

log = logging.getLogger(__name__)

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'", "–": "-", "—": "-", "‑": "-"})
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*|\d[\d,.]*%?")
_NUMBER = re.compile(r"\d[\d,.]*")
_QUOTED = re.compile(r'"([^"]{12,})"')
STOPWORDS = _STOP = frozenset(
    """a an the and or but if of to in on at by for with from as is are was were be been being has have had
    do does did not no this that these those it its he she they them his her their we our you your i
    will would could should may might can must shall said says say told about over after before into
    than then also more most such which who whom whose what when where while very just only there here
    up out new one two per according amid during against between under since still yet both each other
    any all some many much""".split()
)


def normalize(text: str) -> str:
    """Normalize only whitespace, quote marks, dashes and case (SPEC: grounding)."""
    return re.sub(r"\s+", " ", text.translate(_QUOTES)).strip().casefold()


def _stem(word: str) -> str:
    word = word.casefold().strip("'-")
    for suffix in ("'s", "ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word[:6]


def _numbers(text: str) -> set[str]:
    return {n.strip(".,").replace(",", "") for n in _NUMBER.findall(text) if n.strip(".,")}


def content_terms(text: str) -> set[str]:
    """Stemmed content words and numbers of a text."""
    return {_stem(w) for w in _WORD.findall(text.translate(_QUOTES)) if w.casefold() not in _STOP and len(w) > 2 or w[0].isdigit()}


REPEAT_COVERAGE = 0.75


HEADLINE_COVERAGE = 0.34


def covers(text: str, earlier: list[set[str]], share: float = REPEAT_COVERAGE) -> bool:
    """True when at least ``share`` of the content words of ``text`` are in one ``earlier`` set."""
    terms = content_terms(text)
    return bool(terms) and any(len(terms & seen) / len(terms) >= share for seen in earlier)


def names_in(text: str) -> set[str]:
    """Capitalized words not at the start of a sentence: a cheap proper-name detector."""
    names: set[str] = set()
    for sentence in re.split(r"(?<=[.!?])\s+", text.translate(_QUOTES)):
        words = _WORD.findall(sentence)
        for word in words[1:]:
            if word[0].isupper() and word.casefold() not in _STOP and len(word) > 1:
                names.add(word.strip("'-").casefold())
    return names


@dataclass
class Support:
    coverage: float
    numbers_ok: bool
    names_ok: bool
    quotes_ok: bool

    @property
    def ok(self) -> bool:
        return self.coverage >= 0.5 and self.numbers_ok and self.names_ok and self.quotes_ok


def support(point: str, evidence_text: str) -> Support:
    """How well ``evidence_text`` supports ``point``: shared content words, numbers, names, quotes."""
    terms = content_terms(point)
    have = content_terms(evidence_text)
    coverage = len(terms & have) / len(terms) if terms else 0.0
    norm_evidence = normalize(evidence_text)
    numbers_ok = _numbers(point) <= _numbers(evidence_text)
    names = names_in(point)
    names_ok = all(name in norm_evidence for name in names) if names else True
    quotes_ok = all(normalize(q) in norm_evidence for q in _QUOTED.findall(point.translate(_QUOTES)))
    return Support(coverage, numbers_ok, names_ok, quotes_ok)


def unsupported_facts(text: str, sources: list[str]) -> list[str]:
    """Numbers and proper names in ``text`` that appear in none of the source texts."""
    corpus = normalize(" ".join(sources))
    corpus_numbers = _numbers(" ".join(sources))
    flags = [n for n in sorted(_numbers(text)) if n not in corpus_numbers]
    flags += [name for name in sorted(names_in(text)) if name not in corpus]
    return flags


def _newsworthiness(text: str, n: int) -> float:
    """How much concrete news a sentence carries: figures, names, quotes; earlier is better."""
    plain = text.translate(_QUOTES)
    score = 2.0 * len(_numbers(plain)) + len(names_in(plain)) + (1.5 if '"' in plain else 0.0)
    return score - 0.05 * n


class Grounder:
    """Verifies the key points of article summaries against their articles."""

    def __init__(self, *, keep_unverified: bool = False, min_points: int = 3) -> None:
        self.keep_unverified = keep_unverified
        self.min_points = min_points
        self.stats = GroundingStats()

    def ground_summary(self, summary: ArticleSummary, article: Article) -> ArticleSummary:
        """Verify, re-cite, fall back or drop each key point of one article's summary."""
        sentences = {s.n: s.text for s in number_sentences(article)}
        kept: list[KeyPoint] = []
        used: set[int] = set()
        for point in summary.key_points:
            self.stats.generated += 1
            result = self._ground_point(point, article, sentences)
            if result is None:
                self.stats.dropped += 1
                if self.keep_unverified:
                    point.verified, point.status = False, "unverified"
                    self.stats.unverified_shown += 1
                    kept.append(point)
                continue
            refs = tuple(result.evidence[0].sentences)
            if result.status == "fallback" and set(refs) & used:
                # Its cited sentence already backs another point: the fallback would repeat it.
                self.stats.dropped += 1
                self.stats.fallback -= 1
                continue
            used.update(refs)
            kept.append(result)
        summary.key_points = self._drop_repeats(kept, summary.summary)
        self._check_headline(summary, article, sentences)
        self._top_up(summary, article, sentences)
        kept = summary.key_points
        text = article.title + " " + article.body
        for point in kept:
            point.flags = unsupported_facts(point.text, [text])
            self.stats.flagged += bool(point.flags)
        return summary

    def _check_headline(self, summary: ArticleSummary, article: Article, sentences: dict[int, str]) -> None:
        """The headline and summary must be about what the key points and title say.

        Words of an article can be anywhere in it, including in text that tries to steer the
        model ("set the headline to …"), so being *in the article* proves nothing for a
        headline; agreeing with the verified points and the source's own title does. One that
        does not is replaced by the source's title (or the lede, for the summary).
        """
        opening = " ".join(list(sentences.values())[:2])
        basis = [content_terms(" ".join([article.title, opening, *(kp.text for kp in summary.key_points if kp.verified)]))]
        if not covers(summary.headline, basis, HEADLINE_COVERAGE):
            log.warning("%s: headline %r is not about the article's points; using its title", article.source, summary.headline)
            summary.headline = article.title
            self.stats.headlines_replaced += 1
        basis[0] |= content_terms(summary.headline)
        if summary.summary and not covers(summary.summary, basis, HEADLINE_COVERAGE):
            from .summarize import lede

            log.warning("%s: summary is not about the article's points; using its lede", article.source)
            summary.summary = lede(article)
            self.stats.headlines_replaced += 1

    def _top_up(self, summary: ArticleSummary, article: Article, sentences: dict[int, str]) -> None:
        """A thin story keeps its news: add the article's most factual uncovered sentences.

        Small models often stop after one or two points that restate the lede, while the
        article goes on to figures, names and quotes. Those sentences, verbatim (so grounded
        by construction, no extra call), fill the story up to ``min_points``; a point that
        only restates the summary gives way to them.
        """
        points = summary.key_points
        covered = [content_terms(summary.summary)] + [content_terms(kp.text) for kp in points]
        if len(points) == 1 and len(covered) == 2 and covers(points[0].text, covered[:1]):
            points, covered = [], covered[:1]  # the kept-anyway restatement of the summary
        used = {n for kp in points for ev in kp.evidence for n in ev.sentences} | {1}
        ranked = sorted(
            (-_newsworthiness(text, n), n) for n, text in sentences.items()
            if n not in used and 8 <= len(text.split()) <= 45 and not text.rstrip().endswith("?")
        )
        for score, n in ranked:
            if len(points) >= self.min_points or -score < 2:
                break
            text = sentences[n]
            if covers(text, covered, 0.5):
                continue
            points.append(KeyPoint(text=text, evidence=[Evidence(article_id=article.id, sentences=[n], quote=text)],
                                   verified=True, status="extracted"))
            covered.append(content_terms(text))
            self.stats.extracted += 1
        if points:
            summary.key_points = points

    def _drop_repeats(self, points: list[KeyPoint], summary: str) -> list[KeyPoint]:
        """One key point per fact: drop a point backed by the same sentences as an earlier one,
        or whose words are mostly the summary's or an earlier point's. Never drops them all."""
        covered = [content_terms(summary)]
        seen_refs: set[int] = set()
        kept: list[KeyPoint] = []
        for point in points:
            refs = {n for ev in point.evidence for n in ev.sentences} if point.verified else set()
            if (refs & seen_refs) or covers(point.text, covered):
                self.stats.repeated += 1
                continue
            seen_refs |= refs
            covered.append(content_terms(point.text))
            kept.append(point)
        if not kept and points:
            self.stats.repeated -= 1
            kept = points[:1]
        return kept

    def _ground_point(self, point: KeyPoint, article: Article, sentences: dict[int, str]) -> KeyPoint | None:
        cited = sorted({n for ev in point.evidence for n in ev.sentences if n in sentences})
        # The cited sentences and their neighbours, best-supporting first.
        window = sorted({m for n in cited for m in (n - 1, n, n + 1) if m in sentences})
        best = self._best(point.text, window, sentences)
        if best is None:
            # Cited nowhere near: search the whole article, but demand a stronger match.
            best = self._best(point.text, list(sentences), sentences, min_coverage=0.65)
        if best is not None:
            self.stats.verified += 1
            point.evidence = [Evidence(article_id=article.id, sentences=list(best), quote=" ".join(sentences[n] for n in best))]
            point.verified, point.status = True, "verified"
            return point
        fallback_from = cited or self._closest(point.text, sentences)
        if fallback_from:
            n = fallback_from[0]
            self.stats.fallback += 1
            quote = sentences[n]
            return KeyPoint(
                text=quote,
                evidence=[Evidence(article_id=article.id, sentences=[n], quote=quote)],
                verified=True,
                status="fallback",
            )
        return None

    @staticmethod
    def _best(text: str, candidates: list[int], sentences: dict[int, str], min_coverage: float = 0.5) -> tuple[int, ...] | None:
        """The one sentence, or adjacent pair, that supports ``text`` best, if any does."""
        options: list[tuple[int, ...]] = [(n,) for n in candidates]
        # Pairs only inside the candidates: a pair reaching past them would drag an uncited
        # sentence (in one test, an injected instruction) into the quote.
        members = set(candidates)
        options += [(n, n + 1) for n in candidates if n + 1 in members]
        scored = []
        for option in options:
            s = support(text, " ".join(sentences[n] for n in option))
            if s.ok and s.coverage >= min_coverage:
                # Prefer higher coverage, then a single sentence, then the earliest.
                scored.append((-s.coverage, len(option), option))
        return min(scored)[2] if scored else None

    @staticmethod
    def _closest(text: str, sentences: dict[int, str]) -> list[int]:
        scored = sorted((-support(text, s).coverage, n) for n, s in sentences.items())
        if scored and -scored[0][0] >= 0.4:
            return [scored[0][1]]
        return []
