"""Cross-check: one short call per story of several outlets finds the facts they share.

Two outlets rarely word a fact alike, so word overlap (:func:`stories.corroborate`) finds few
shared facts: on the seeds' two reports of one press conference, none, and the story read as
two articles stapled together. A model shown the story's sentences side by side, each marked
with its outlet, answers "which two state the same fact" in a few tokens: pairs of line
numbers (prompt ``crosscheck``, schema ``SameFacts``).

A small model's pairs are a proposal, not evidence (the embedded 1.5B model often answers
a pattern, [1, 2], [3, 4], …). Code keeps a pair only when its two sentences come from
different articles and the other outlet's sentence supports the earlier point *as written*,
by the same test that verifies a point against its own article (names, figures, quoted
words, half its content words: :func:`briefgen.notes.ground.support`). That point then cites
the other outlet's sentence as well (its quote: the other article's own words) and the later
point goes: one point, every outlet. On the labeled set's tune part the pairs that test
refuses were mostly wrong (bench/RESULTS.md).

Cost: one call per story of two or more independent outlets, its prompt the story's first
:data:`MAX_LINES` points (about 500 tokens), its reply ~15 tokens; cached like every call.
A failed call leaves the story as it was.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Callable

from briefgen.errors import LLMError
from briefgen.llm.client import LLMClient
from briefgen.llm.outputs import SameFacts
from briefgen.llm.prompts import Prompt
from briefgen.models import Evidence, KeyPoint, Story
from briefgen.text.addressed import as_data
from briefgen.text.sentences import tighten

log = logging.getLogger(__name__)

MAX_LINES = 12
LINES_PER_ARTICLE = 6
LINE_WORDS = 45


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


def apply_pairs(story: Story, lines: list[tuple[int, str, KeyPoint]], pairs: list[list[int]]) -> tuple[Story, int]:
    """Merge the points of every kept pair; returns the new story and the pairs kept."""
    from briefgen.notes.ground import support

    by_n = {n: (letter, kp) for n, letter, kp in lines}
    parent = {n: n for n in by_n}

    def root(n: int) -> int:
        while parent[n] != n:
            n = parent[n]
        return n

    kept = 0
    for pair in pairs:
        if len(pair) != 2 or pair[0] not in by_n or pair[1] not in by_n:
            continue
        a, b = sorted(pair)
        (_, ka), (_, kb) = by_n[a], by_n[b]
        if a == b or ka.evidence[0].article_id == kb.evidence[0].article_id:
            continue
        if not support(ka.text, kb.evidence[0].quote or kb.text).ok:
            log.info("story %s: cross-check pair %s/%s: the second sentence does not support the first point",
                     story.id, a, b)
            continue
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
            kept += 1
    if not kept:
        return story, 0
    groups: dict[int, list[int]] = {}
    for n in by_n:
        groups.setdefault(root(n), []).append(n)
    merged: dict[int, KeyPoint] = {}  # id() of the head point -> the head citing its group
    dropped: set[int] = set()
    for head, members in groups.items():
        if len(members) < 2:
            continue
        head_kp = by_n[head][1]
        evidence = list(head_kp.evidence)
        cited = {ev.article_id for ev in evidence}
        for n in sorted(members)[1:]:
            kp = by_n[n][1]
            for ev in kp.evidence:
                if ev.article_id not in cited:
                    evidence.append(Evidence(article_id=ev.article_id, sentences=ev.sentences, quote=ev.quote))
                    cited.add(ev.article_id)
            dropped.add(id(kp))
        merged[id(head_kp)] = head_kp.model_copy(update={"evidence": evidence})
    points = [merged.get(id(kp), kp) for kp in story.key_points if id(kp) not in dropped]
    # Facts more outlets state first; otherwise the story's order.
    order = sorted(range(len(points)), key=lambda i: (-len(points[i].article_ids), i))
    return story.model_copy(update={"key_points": [points[i] for i in order]}), kept


def render_messages(prompt: Prompt, lines: list[dict[str, object]]) -> list[dict[str, str]]:
    """The exact messages of one cross-check call: each line is ``{"n", "outlet", "text"}``."""
    return prompt.render(lines=[{**line, "text": as_data(str(line["text"]), "lines")} for line in lines])


def crosscheck_story(story: Story, ask: Callable[[list[dict[str, object]]], SameFacts]) -> tuple[Story, int]:
    """Ask which of a multi-outlet story's lines state the same fact; merge the kept pairs."""
    lines = candidate_lines(story)
    if len({kp.evidence[0].article_id for _, _, kp in lines}) < 2:
        return story, 0
    reply = ask([{"n": n, "outlet": letter, "text": _line_text(kp)} for n, letter, kp in lines])
    return apply_pairs(story, lines, reply.same)


def crosscheck_stories(stories: list[Story], client: LLMClient, prompt: Prompt,
                       advance: Callable[[str], object] | None = None) -> tuple[list[Story], int]:
    """Cross-check every story of two or more outlets; returns the stories and the pairs merged."""
    out: list[Story] = []
    merged = 0
    for story in stories:
        if story.outlets < 2:
            out.append(story)
            continue

        def ask(lines: list[dict[str, object]], story_id: str = story.id) -> SameFacts:
            return client.structured(task=prompt.name, messages=render_messages(prompt, lines), schema=SameFacts,
                                     temperature=prompt.temperature, max_tokens=prompt.max_tokens,
                                     prompt_hash=prompt.hash, article_id=story_id)

        try:
            story, kept = crosscheck_story(story, ask)
        except LLMError as exc:
            log.warning("story %s: cross-check failed (%s); its points stay as they were", story.id, exc)
            kept = 0
        merged += kept
        out.append(story)
        if advance is not None:
            advance(story.headline[:60])
    return out, merged
