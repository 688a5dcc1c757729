"""Cross-check: one short call per story of several outlets writes the facts they share.

Two outlets rarely word a fact alike, so word overlap (:func:`stories.corroborate`) finds few
shared facts: on the seeds' two reports of one press conference, none, and the story read as
two articles stapled together. Code pairs the two outlets' sentences that share the most
specific words (:func:`candidate_pairs`, at most three), and one call asks the model, for
each pair, the one fact both sentences state, if any (prompt ``crosscheck``, schema
``SharedFacts``).

What the model writes is checked like any key point: a shared fact stays only when both
sentences of its pair support it as written (names, figures, quoted words,
half its content words: :func:`briefgen.notes.ground.support`), and it then cites each of
them (their quotes: each article's own words). The points those sentences backed go: one
point, every outlet. A fact that fails is dropped and counted (``grounding.dropped``), so the
share of the model's points verified as written covers these too. (Earlier designs let the
model find the pairs among all the story's lines: the 1.5B model answered a pattern, [1, 2],
[3, 4], …, or copied one outlet's sentence; 48 of 50 such pairs on the tune part failed the
check; bench/RESULTS.md.)

Cost: one call per story of two or more independent outlets that has a candidate pair, its
prompt at most three pairs (about 350 tokens), its reply up to three short sentences;
cached like every call. A failed call leaves the story as it was.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Callable

from briefgen.errors import LLMError
from briefgen.llm.client import LLMClient
from briefgen.llm.outputs import SharedFact, SharedFacts
from briefgen.llm.pool import map_ordered
from briefgen.llm.prompts import Prompt
from briefgen.models import Article, Evidence, KeyPoint, Story
from briefgen.text.addressed import addressed_to_model, as_data
from briefgen.text.sentences import tighten
from briefgen.text.tokens import content_terms

log = logging.getLogger(__name__)

MAX_LINES = 12
LINES_PER_ARTICLE = 6
LINE_WORDS = 45
MAX_PAIRS = 3
MIN_SHARED_TERMS = 2
# A word in more than this share of the story's lines is common ground, not a specific.
COMMON_SHARE = 0.5


def candidate_lines(story: Story) -> list[tuple[int, str, KeyPoint]]:
    """(line number, outlet letter, point) of the verified points the model is shown: the
    story's points in order, at most LINES_PER_ARTICLE from one article, MAX_LINES in all."""
    letters = {ref.id: string.ascii_uppercase[i % 26] for i, ref in enumerate(story.articles)}
    per: dict[str, int] = {}
    out: list[tuple[int, str, KeyPoint]] = []
    for kp in story.key_points:
        if not kp.verified or not kp.evidence or len(kp.article_ids) > 1:
            continue  # one outlet's points only: a point citing two already reads as one story
        aid = kp.evidence[0].article_id
        if aid not in letters or per.get(aid, 0) >= LINES_PER_ARTICLE:
            continue
        per[aid] = per.get(aid, 0) + 1
        out.append((len(out) + 1, letters[aid], kp))
        if len(out) >= MAX_LINES:
            break
    return out


def _line_text(kp: KeyPoint) -> str:
    return tighten(kp.evidence[0].quote or kp.text, LINE_WORDS)


def candidate_pairs(lines: list[tuple[int, str, KeyPoint]]) -> list[tuple[KeyPoint, KeyPoint]]:
    """The pairs of two articles' sentences most likely to state one fact, best first.

    Scored by the content words they share beyond the story's common ground (a word most
    lines have, like the main actor's name, says nothing); at least MIN_SHARED_TERMS; each
    sentence in one pair at most; MAX_PAIRS in all. The model then says whether each pair
    is one fact: a narrow question a small model answers far better than "find the pairs".
    """
    terms = {n: content_terms(_line_text(kp)) for n, _, kp in lines}
    counts: dict[str, int] = {}
    for ts in terms.values():
        for t in ts:
            counts[t] = counts.get(t, 0) + 1
    common = {t for t, c in counts.items() if c > COMMON_SHARE * len(lines)}
    scored = []
    for i, (n, _, ka) in enumerate(lines):
        for m, _, kb in lines[i + 1:]:
            if ka.evidence[0].article_id == kb.evidence[0].article_id:
                continue
            shared = len((terms[n] & terms[m]) - common)
            if shared >= MIN_SHARED_TERMS:
                scored.append((-shared, n, m))
    by_n = {n: kp for n, _, kp in lines}
    used: set[int] = set()
    out: list[tuple[KeyPoint, KeyPoint]] = []
    for _, n, m in sorted(scored):
        if n in used or m in used:
            continue
        used |= {n, m}
        out.append((by_n[n], by_n[m]))
        if len(out) >= MAX_PAIRS:
            break
    return out


def apply_shared(story: Story, pairs: list[tuple[KeyPoint, KeyPoint]],
                 shared: list[SharedFact]) -> tuple[Story, int, int]:
    """Add every shared fact that both sentences of its pair support, in place of the two
    points they backed; returns the story, the facts proposed and the facts kept."""
    from briefgen.notes.ground import support

    done: set[int] = set()
    new_points: list[KeyPoint] = []
    gone: set[int] = set()
    proposed = kept = 0
    for fact in shared:
        proposed += 1
        text = tighten(fact.text.strip())
        if not 1 <= fact.pair <= len(pairs) or fact.pair in done or not text or addressed_to_model(text):
            continue
        ka, kb = pairs[fact.pair - 1]
        ea, eb = ka.evidence[0], kb.evidence[0]
        if not (support(text, ea.quote or ka.text).ok and support(text, eb.quote or kb.text).ok):
            log.info("story %s: shared fact %r is not supported by both sentences of pair %d; dropped",
                     story.id, text, fact.pair)
            continue
        done.add(fact.pair)
        kept += 1
        gone |= {id(ka), id(kb)}
        new_points.append(KeyPoint(text=text, verified=True, status="verified", evidence=[
            Evidence(article_id=ev.article_id, sentences=ev.sentences, quote=ev.quote) for ev in (ea, eb)]))
    if not new_points:
        return story, proposed, 0
    points = new_points + [kp for kp in story.key_points if id(kp) not in gone]
    # Facts more outlets state first; otherwise the story's order.
    order = sorted(range(len(points)), key=lambda i: (-len(points[i].article_ids), i))
    return story.model_copy(update={"key_points": [points[i] for i in order]}), proposed, kept


def call_bound(articles: list[Article], prompt: Prompt, counter: Callable[[list[dict[str, str]]], int]) -> tuple[int, int]:
    """(calls, prompt tokens) the cross-check can make at most on these articles, before
    clustering says which stories have several outlets: one call per story of two or more,
    so at most half the articles; each call at most MAX_PAIRS pairs of the longest lines."""
    from briefgen.notes.ground import evidence_sentences

    calls = len(articles) // 2
    if not calls:
        return 0, 0
    lines = sorted((tighten(t, LINE_WORDS) for a in articles for t in evidence_sentences(a).values()),
                   key=len, reverse=True)[: 2 * MAX_PAIRS]
    pairs = [{"n": i + 1, "a": lines[2 * i], "b": lines[2 * i + 1]} for i in range(len(lines) // 2)]
    return calls, calls * counter(render_messages(prompt, pairs))


def render_messages(prompt: Prompt, pairs: list[dict[str, object]]) -> list[dict[str, str]]:
    """The exact messages of one cross-check call: each pair is ``{"n", "a", "b"}``."""
    return prompt.render(pairs=[{"n": p["n"], "a": as_data(str(p["a"]), "pairs"), "b": as_data(str(p["b"]), "pairs")}
                                for p in pairs])


def crosscheck_story(story: Story, ask: Callable[[list[dict[str, object]]], SharedFacts]) -> tuple[Story, int, int]:
    """Ask which candidate pairs of a multi-outlet story state one fact; keep the supported."""
    pairs = candidate_pairs(candidate_lines(story))
    if not pairs:
        return story, 0, 0  # nothing two outlets might share: no call
    reply = ask([{"n": i, "a": _line_text(ka), "b": _line_text(kb)} for i, (ka, kb) in enumerate(pairs, start=1)])
    return apply_shared(story, pairs, reply.shared)


class _OverBudget(Exception):
    pass


def crosscheck_stories(stories: list[Story], client: LLMClient, prompt: Prompt,
                       advance: Callable[[str], object] | None = None, workers: int = 1,
                       reserve: Callable[[list[dict[str, str]], int], bool] | None = None,
                       ) -> tuple[list[Story], int, int]:
    """Cross-check every story of two or more outlets; returns the stories and the shared
    facts proposed and kept. ``workers`` calls in flight (server backends: the configured
    concurrency, under the client's shared gate); the stories keep their order.
    ``reserve(messages, max_tokens)`` (--max-cost) must accept a call before it is made; a
    story whose call does not fit keeps its points as they were."""

    def check(story: Story) -> tuple[Story, int, int]:
        if story.outlets < 2:
            return story, 0, 0

        def ask(pairs: list[dict[str, object]]) -> SharedFacts:
            messages = render_messages(prompt, pairs)
            if reserve is not None and not reserve(messages, prompt.max_tokens):
                raise _OverBudget
            return client.structured(task=prompt.name, messages=messages, schema=SharedFacts,
                                     temperature=prompt.temperature, max_tokens=prompt.max_tokens,
                                     prompt_hash=prompt.hash, article_id=story.id)

        try:
            return crosscheck_story(story, ask)
        except _OverBudget:
            log.warning("story %s: cross-check left out: its call would take the build past --max-cost", story.id)
            return story, 0, 0
        except LLMError as exc:
            log.warning("story %s: cross-check failed (%s); its points stay as they were", story.id, exc)
            return story, 0, 0

    def done(i: int, result: tuple[Story, int, int]) -> None:
        if advance is not None and stories[i].outlets > 1:
            advance(result[0].headline[:60])

    results = map_ordered(check, stories, workers, on_done=done)
    return [r[0] for r in results], sum(r[1] for r in results), sum(r[2] for r in results)
