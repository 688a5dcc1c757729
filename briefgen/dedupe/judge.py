"""Judge: one short yes/no call for a pair of articles the clustering features barely decide.

The pair score (:mod:`briefgen.dedupe.cluster`) separates most events; what it cannot tell
apart lies near its threshold: two meetings of the same leaders two days apart, an analysis
that recalls last week's decision. For each candidate pair scoring within BORDERLINE_BAND of
the threshold (closest first, at most MAX_JUDGED a build), the model reads both titles,
ledes and dates (prompt ``judge``, schema ``SameEvent``) and answers: the same event lifts
the pair just above the threshold, a different one drops it (as if the pair were absent);
a failed call leaves the score as it was. Average link still decides the groups.

Off by default (``cluster_judge``), by measurement on the labeled set with the embedded model
(bench/RESULTS.md): within 0.05 of the threshold it judged all 19 pairs of the mixed day
right and changed no story (the one wrong merge is held by pairs scoring well above); within
0.10, 71 of 74 right, but its two misses on pairs of one event split four events (F1 0.973
-> 0.950).
Cost: one call per borderline pair, about 200 prompt tokens and a few output tokens, cached
like every call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from briefgen.errors import LLMError
from briefgen.llm.client import LLMClient
from briefgen.llm.outputs import SameEvent
from briefgen.llm.prompts import Prompt
from briefgen.models import Article, ArticleSummary
from briefgen.text.addressed import as_data

log = logging.getLogger(__name__)

BORDERLINE_BAND = 0.05
MAX_JUDGED = 100
LEDE_SENTENCES = 2
LEDE_WORDS = 60

Judge = Callable[[str, str], "bool | None"]


def borderline(pairs: np.ndarray, scores: np.ndarray, threshold: float, band: float | None = None) -> list[int]:
    """Indices of the pairs scoring within ``band`` (BORDERLINE_BAND) of ``threshold``, closest first,
    at most MAX_JUDGED."""
    band = BORDERLINE_BAND if band is None else band
    near = [i for i, sc in enumerate(scores.tolist()) if abs(sc - threshold) <= band]
    return sorted(near, key=lambda i: (abs(float(scores[i]) - threshold), i))[:MAX_JUDGED]


def judged_scores(pairs: np.ndarray, scores: np.ndarray, ids: list[str], judge: Judge, threshold: float,
                  band: float | None = None) -> tuple[np.ndarray, int, int]:
    """The scores after the judge's verdicts on the borderline pairs; (scores, asked, changed)."""
    band = BORDERLINE_BAND if band is None else band
    out = scores.copy()
    asked = changed = 0
    for i in borderline(pairs, scores, threshold, band):
        a, b = ids[int(pairs[i][0])], ids[int(pairs[i][1])]
        verdict = judge(a, b)
        asked += 1
        if verdict is None:
            continue
        new = max(float(out[i]), threshold + band) if verdict else 0.0
        changed += (new >= threshold) != (float(out[i]) >= threshold)
        out[i] = new
    return out, asked, changed


def article_view(summary: ArticleSummary, article: Article | None) -> dict[str, str]:
    """What the judge reads of one article: title, first sentences, date (the event's, else published)."""
    from briefgen.notes.ground import evidence_sentences

    if article is None:
        return {"title": as_data(summary.headline, "articles"), "lede": as_data(summary.summary, "articles"), "date": ""}
    words = " ".join(list(evidence_sentences(article).values())[:LEDE_SENTENCES]).split()
    when = summary.event_date or (article.published.date() if article.published else None)
    return {"title": as_data(article.title, "articles"),
            "lede": as_data(" ".join(words[:LEDE_WORDS]) + (" …" if len(words) > LEDE_WORDS else ""), "articles"),
            "date": when.isoformat() if when else ""}


def call_bound(articles: list[Article], prompt: Prompt, counter: Callable[[list[dict[str, str]]], int]) -> tuple[int, int]:
    """(calls, prompt tokens) the judge can make at most on these articles: MAX_JUDGED, or
    every pair when fewer; each call at most the two longest titles and ledes."""
    n = len(articles)
    calls = min(MAX_JUDGED, n * (n - 1) // 2)
    if not calls:
        return 0, 0
    views = sorted((article_view(ArticleSummary(article_id=a.id, headline=a.title, summary=""), a) for a in articles),
                   key=lambda v: len(v["title"]) + len(v["lede"]), reverse=True)
    return calls, calls * counter(render_messages(prompt, views[0], views[1]))


def render_messages(prompt: Prompt, a: dict[str, str], b: dict[str, str]) -> list[dict[str, str]]:
    """The exact messages of one judge call."""
    return prompt.render(a=a, b=b)


def make_judge(client: LLMClient, prompt: Prompt, summaries: dict[str, ArticleSummary],
               articles: dict[str, Article]) -> Judge:
    """A judge asking ``client``: True/False per pair of article ids, None when the call fails."""
    def judge(a: str, b: str) -> bool | None:
        messages = render_messages(prompt, article_view(summaries[a], articles.get(a)),
                                   article_view(summaries[b], articles.get(b)))
        try:
            reply = client.structured(task=prompt.name, messages=messages, schema=SameEvent,
                                      temperature=prompt.temperature, max_tokens=prompt.max_tokens,
                                      prompt_hash=prompt.hash, article_id=f"{a}~{b}")
        except LLMError as exc:
            log.warning("judge %s ~ %s failed (%s); the pair's score stands", a, b, exc)
            return None
        log.info("judge: %s ~ %s: %s", a, b, "same event" if reply.same else "different events")
        return reply.same
    return judge
