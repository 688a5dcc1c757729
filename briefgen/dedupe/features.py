"""Per-article features for event clustering: what one article says, before any pair is compared.

Same *topic* is easy; same *event* is the job. Two press conferences of one leader, two
quakes in one region, two rate decisions of one bank share most of their words and all
their entities — what separates them is *when* it happened and the *figures* reported.
So each article gets features (``extract_features``), compared pairwise in ``cluster``:

* term counts of headline, summary, key points and body (IDF-weighted there, over the day's
  articles, for a cosine similarity);
* entity keys from the summary (people by surname, organizations with acronyms, places);
* proper names in the article text (capitalized words that do not open a sentence or sit in
  a title-case heading): the summary's lists from a small model are short and noisy, the
  text names who met whom and where;
* figures and explicit dates mentioned in the text, normalized ('1,200' -> '1200',
  '25 basis points' -> '0.25pp', 'four' -> '4');
* an event date: the summary's, else one stated in the lead (explicit or a weekday resolved
  against the published date); absent dates are neutral, never an error.

The text helpers themselves (words, names, figures, dates) are :mod:`briefgen.text`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from briefgen.models import Article, ArticleSummary
from briefgen.text.figures import explicit_dates, is_year, numbers, weekday_date
from briefgen.text.names import org_keys, person_key, place_keys, text_names
from briefgen.text.tokens import words


def entity_keys(summary: ArticleSummary) -> set[str]:
    """Normalized people, organization and place keys of one summary."""
    keys: set[str] = set()
    for p in summary.people:
        if k := person_key(p):
            keys.add(k)
    for o in summary.organizations:
        keys |= org_keys(o)
    for pl in summary.places:
        keys |= place_keys(pl)
    return keys


def infer_event_date(summary: ArticleSummary, article: Article | None) -> date | None:
    """The summary's event date, else a date the article's lead states (explicit, then weekday)."""
    if summary.event_date is not None:
        return summary.event_date
    if article is None:
        return None
    published = article.published.date() if isinstance(article.published, datetime) else None
    lead = _lead(article)
    dates = explicit_dates(lead, published)
    if dates:
        return dates[0]
    return weekday_date(lead, published)


LEAD_CHARS = 400


def _lead(article: Article) -> str:
    """The dateline and the first paragraph: where a report says when its news happened.

    Only the first paragraph: a recap's second paragraph already recalls the earlier event
    and its date ("The Turkish quake … hit on Tuesday, November 4"), and a live page's later
    entries announce the next one ("leaders meet again in Warsaw on Monday").
    """
    first = article.body.strip().split("\n\n", 1)[0]
    return " ".join(filter(None, [article.dateline, first[:LEAD_CHARS]]))


# Any leap year: a stand-in year for reading "July 24" when the article gives none.
_NO_YEAR = date(2000, 6, 30)


def lead_day(article: Article | None) -> tuple[int, int] | None:
    """(month, day) of the first date the lead writes, when it writes no year and the article
    has no publication date to supply one."""
    if article is None:
        return None
    dates = explicit_dates(_lead(article), _NO_YEAR)
    return (dates[0].month, dates[0].day) if dates else None


@dataclass
class ArticleFeatures:
    """What clustering compares: raw term counts (weighted later by IDF), entities, figures, date."""

    article_id: str
    terms: dict[str, float] = field(default_factory=dict)
    entities: set[str] = field(default_factory=set)
    figures: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    event_date: date | None = None
    event_day: tuple[int, int] | None = None  # (month, day) of the event, known even without a year
    published: datetime | None = None


# How much of the body the names come from (0: all of it). Measured: the first 600 or 1,200
# characters lost the seeds' Copenhagen pair (one article names the prime minister late).
NAME_LEDE_CHARS = 0


def _lede(body: str, chars: int) -> str:
    """The first ``chars`` characters of the body, cut at a paragraph or sentence end (0: all)."""
    if not chars or len(body) <= chars:
        return body
    cut = max(body.rfind("\n", 0, chars), body.rfind(". ", 0, chars))
    return body[: cut + 1 if cut > chars // 2 else chars]


def extract_features(summary: ArticleSummary, article: Article | None) -> ArticleFeatures:
    """Features of one article from its summary and (when present) its cleaned text."""
    tf: dict[str, float] = {}
    # The headline and the model's own summary name the event; count them more than body text.
    weighted = [(summary.headline, 3.0), (summary.summary, 2.0)]
    weighted += [(kp.text, 1.5) for kp in summary.key_points]
    if article is not None:
        weighted += [(article.title, 2.0), (article.body, 1.0)]
    for text, w in weighted:
        for t in words(text):
            tf[t] = tf.get(t, 0.0) + w
    figures: set[str] = set()
    texts = [summary.headline, summary.summary, *(kp.text for kp in summary.key_points)]
    if article is not None:
        texts.append(article.body)
    ref = article.published.date() if article is not None and article.published else summary.event_date
    for text in texts:
        figures.update(n for n in numbers(text) if not is_year(n))
        figures.update("d:" + d.isoformat() for d in explicit_dates(text, ref))
    return ArticleFeatures(
        article_id=summary.article_id,
        terms=tf,
        entities=entity_keys(summary),
        figures=figures,
        names=text_names(_lede(article.body, NAME_LEDE_CHARS)) if article is not None else set(),
        event_date=(event_date := infer_event_date(summary, article)),
        event_day=(event_date.month, event_date.day) if event_date else lead_day(article),
        published=article.published if article is not None else None,
    )


R = TypeVar("R")


def reduced_with_features(reduce: Callable[..., tuple[ArticleSummary, R]], article: Article, *args: Any,
                          **kwargs: Any) -> tuple[ArticleSummary, R, ArticleFeatures]:
    """``reduce(article, …)`` and the clustering features of the summary it gives, in one task:
    the offload worker (notes/offload.py) makes each article's features as its replies arrive,
    while the other calls are in flight, instead of the main thread making them all after the last."""
    summary, rest = reduce(article, *args, **kwargs)
    return summary, rest, extract_features(summary, article)
