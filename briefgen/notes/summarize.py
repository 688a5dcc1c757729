"""Summarize: one structured LLM call per chunk (map), merged per article in code (reduce).

Most news articles are one chunk, so one call. A long article's chunks are merged without a
second LLM pass: the first chunk gives the headline and summary, key points are taken in
order of the chunks, duplicates dropped. Every point keeps the numbers of the sentences it
cites; ``ground`` turns them into verified quotes.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from briefgen.llm.outputs import HEADLINE_MAX, SCHEMAS, ArticleFacts, ArticleNotes
from briefgen.llm.prompts import Prompt
from briefgen.models import Article, ArticleSummary, Chunk, ContentKind, Evidence, GroundingStats, KeyPoint, Quote
from briefgen.notes.chunk import number_sentences
from briefgen.notes.ground import REPEAT_COVERAGE, ground_summary
from briefgen.text.addressed import as_data
from briefgen.text.fixups import (clean_list, clean_people, foreign_chars, headline_style, person_name, shorten_headline,
                                  split_names, tidy)
from briefgen.text.sentences import given_splits, lede, tighten
from briefgen.text.tokens import ascii_quotes, content_terms, covers

if TYPE_CHECKING:  # a worker process that only reduces notes never imports openai (briefgen/notes/offload.py)
    from briefgen.llm.client import LLMClient, Prepared

_WS = re.compile(r"\s+")


def _as_data(text: str) -> str:
    """Article text may not close the <article> delimiter it sits in, nor speak template tokens."""
    return as_data(text, "article")


# What the model is told when it reads less than an article. Only then: a full article's
# messages stay byte for byte what they were, and so do their LLM cache keys.
CONTENT_NOTES = {
    ContentKind.SNIPPET: "Content: the feed's short summary of the article, not the article itself.",
    ContentKind.TITLE_ONLY: "Content: the title only; the article text could not be read.",
}


# The point budget grows with the chunk: a 10-sentence brief item has three facts to keep, a
# 40-sentence report more (the brief still shows at most max_key_points a story; the JSON keeps all).
SENTENCES_PER_EXTRA_POINT = 8
MAX_POINT_BUDGET = 6


def asked_points(chunk: Chunk, base: int) -> int:
    """Points asked of the model for one chunk: ``base``, one more per 8 sentences past 10."""
    extra = max(0, len(chunk.sentences) - 10) // SENTENCES_PER_EXTRA_POINT
    return min(max(base, base + extra), max(base, MAX_POINT_BUDGET))


def render_chunk_messages(prompt: Prompt, article: Article, chunk: Chunk, max_points: int) -> list[dict[str, str]]:
    """The exact messages sent for one chunk.

    ``max_points`` is the fixed count a prompt may state in its system part (one system
    message for every article, so the server reuses its processed prefix); ``budget``, the
    count that grows with the chunk (:func:`asked_points`), belongs in the user part.
    """
    messages = prompt.render(
        title=_as_data(article.title),
        dateline=_as_data(article.dateline or ""),
        published=article.published.date().isoformat() if article.published else "",
        sentences=[{"n": s.n, "text": _as_data(s.text)} for s in chunk.sentences],
        part=chunk.index + 1,
        parts=chunk.count,
        max_points=max_points,
        budget=asked_points(chunk, max_points),
        content_kind=article.content_kind.value,
    )
    note = CONTENT_NOTES.get(article.content_kind)
    if note and "content_kind" not in prompt.variables:
        # A prompt that does not say the content kind itself gets this line after the title
        # (editing the shipped prompt would change its hash, and so every cached reply).
        user = next((m for m in messages if m["role"] == "user"), None)
        if user is not None:
            lines = user["content"].split("\n")
            at = next((i + 1 for i, line in enumerate(lines) if line.startswith("Title: ")), 0)
            user["content"] = "\n".join(lines[:at] + [note] + lines[at:])
    return messages


def _parse_date(text: str, article: Article) -> date | None:
    """The model's event date, kept only when the article gives that year (small models invent years)."""
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        return None
    known_years = {str(article.published.year)} if article.published else set()
    if str(value.year) in known_years or str(value.year) in article.body or str(value.year) in article.title:
        return value
    return None


def _headline(text: str, foreign: re.Pattern[str] | None) -> str:
    text = _WS.sub(" ", foreign.sub("", text) if foreign else text).strip(" .")
    text = shorten_headline(headline_style(text))
    if len(text) >= HEADLINE_MAX - 1 and " " in text:
        # Cut by the grammar's maxLength mid-word: end on the last whole word.
        text = text.rsplit(" ", 1)[0].rstrip(" ,;:-")
    return text


def _point_key(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", text.casefold())


# A quotation of at least a few words, in straight quotes once curly ones are made ASCII.
_QUOTED_SPEECH = re.compile(r'"([^"]{20,400})"')


def quotes_of(article: Article, people: list[str], limit: int = 4) -> list[Quote]:
    """Who said what, verbatim: quoted speech of the article whose sentence names its speaker.

    Code, not the model, picks them (no output tokens, no paraphrase): a quotation counts
    when the sentence that holds it names one of the article's people (by surname) outside
    the quotation marks.
    """
    out: list[Quote] = []
    for sentence in number_sentences(article):
        plain = ascii_quotes(sentence.text)
        for m in _QUOTED_SPEECH.finditer(plain):
            outside = plain[: m.start()] + " " + plain[m.end():]
            speaker = next((p for p in people if p.split()[-1] in outside), None)
            if speaker and not any(q.text == m.group(1) for q in out):
                out.append(Quote(speaker=speaker, text=m.group(1).strip(" ,")))
    return out[:limit]


def _selected_points(article: Article, notes: list[ArticleFacts], max_points: int) -> list[KeyPoint]:
    """The sentences the model chose, as written (tightened), in the order it ranked them.

    Round-robin over chunks so a long article keeps the top facts of every part. A number
    that is no sentence of the article, or a sentence chosen twice, is skipped.
    """
    sentences = {s.n: s.text for s in number_sentences(article)}
    queues = [list(n.facts) for n in notes]
    chosen: list[int] = []
    while any(queues) and len(chosen) < max_points * 2:
        for queue in queues:
            if queue:
                n = queue.pop(0)
                if n in sentences and n not in chosen:
                    chosen.append(n)
    return [KeyPoint(text=tighten(sentences[n]), evidence=[Evidence(article_id=article.id, sentences=[n],
                                                                    quote=sentences[n])],
                     verified=True, status="selected") for n in chosen]


def notes_to_summary(article: Article, notes: list[ArticleNotes] | list[ArticleFacts], max_points: int) -> ArticleSummary:
    """Reduce the notes of an article's chunks into one ArticleSummary (no LLM).

    Two kinds of notes, chosen by the prompt's schema: points the model wrote (ArticleNotes,
    checked against the sentences they cite by ``ground``), or sentences it chose
    (ArticleFacts, shown as written).
    """
    first = notes[0]
    foreign = foreign_chars(article.title + article.body)
    # The model's one-sentence summary; the article's own lede when it wrote none.
    summary = tidy(first.summary, foreign) if first.summary.strip() else lede(
        [s.text for s in number_sentences(article)], article.title)
    points: list[KeyPoint] = []
    seen: set[str] = set()
    covered = [content_terms(summary)]
    spare: tuple[str, list[int]] | None = None
    # Round-robin over chunks so a long article keeps the top facts of every part.
    queues = [list(n.points) for n in notes if isinstance(n, ArticleNotes)]
    while any(queues) and len(points) < max_points * 2:
        for queue in queues:
            if not queue:
                continue
            note = queue.pop(0)
            text = tidy(note.text, foreign)
            key = _point_key(text)
            if not text or key in seen:
                continue
            if covers(text, covered, REPEAT_COVERAGE):
                # Kept aside: a short article's only point may restate its lede, and a story
                # never ends with no key points.
                spare = spare or (text, note.refs)
                continue
            seen.add(key)
            covered.append(content_terms(text))
            refs = sorted({r for r in note.refs if r > 0})
            points.append(KeyPoint(text=text, evidence=[Evidence(article_id=article.id, sentences=refs)]))
    if all(isinstance(n, ArticleFacts) for n in notes):
        points = _selected_points(article, notes, max_points)  # type: ignore[arg-type]
    if not points and spare:
        points.append(KeyPoint(text=spare[0], evidence=[Evidence(article_id=article.id, sentences=sorted(set(spare[1])))]))
    orgs = clean_list([o for n in notes for o in n.orgs], 8, "orgs")
    places = clean_list([p for n in notes for p in n.places], 8, "places")
    people = clean_people(
        [person_name(q) for n in notes for p in n.people for q in split_names(p, "people")],
        article.body, article.byline, not_people=orgs + places,
    )
    topic = next((n.topic.strip().casefold() for n in notes if n.topic.strip()), "")
    return ArticleSummary(
        article_id=article.id,
        headline=_headline(first.headline, foreign) or article.title,
        summary=summary,
        key_points=points,
        people=people,
        organizations=orgs,
        places=places,
        event_date=next((d for d in (_parse_date(n.date, article) for n in notes) if d), None),
        topics=[topic] if topic else [],
        quotes=quotes_of(article, people),
    )


def reduce_article(article: Article, notes: list[Any], max_points: int, *, keep_unverified: bool = False,
                   min_points: int = 3, adaptive: bool = False,
                   splits: dict[str, tuple[str, ...]] | None = None) -> tuple[ArticleSummary, GroundingStats]:
    """An article's notes reduced to its summary and grounded: pure CPU, no LLM, no state
    (the pipeline may run it in a worker process, briefgen/notes/offload.py, with the body's
    ``splits`` as the sending process made them: ``text.sentences.splits_of``)."""
    with given_splits(splits):
        return ground_summary(notes_to_summary(article, notes, max_points), article,
                              keep_unverified=keep_unverified, min_points=min_points, adaptive=adaptive)


def render_article(article: Article, chunks: list[Chunk], prompt: Prompt, max_points: int = 5) -> list[list[dict[str, str]]]:
    """The messages of each chunk's call (CPU only: in the calling thread, each article just before its calls are sent)."""
    return [render_chunk_messages(prompt, article, chunk, max_points) for chunk in chunks]


def ask_notes(article: Article, rendered: list[list[dict[str, str]]], client: LLMClient, prompt: Prompt,
              planned: list[Prepared] | None = None) -> list[Any]:
    """One call per chunk: ArticleNotes or ArticleFacts, as the prompt's schema says.
    ``planned``: :func:`plan_article` of the same messages (not prepared twice)."""
    schema = SCHEMAS.get(prompt.schema, ArticleNotes)
    return [client.structured(task=prompt.name, messages=messages, schema=schema, temperature=prompt.temperature,
                              max_tokens=prompt.max_tokens, prompt_hash=prompt.hash, article_id=article.id,
                              prepared=planned[i] if planned else None)
            for i, messages in enumerate(rendered)]


def summarize_article(
    article: Article, chunks: list[Chunk], client: LLMClient, prompt: Prompt, *, max_points: int = 5
) -> ArticleSummary:
    """Summarize one article: one call per chunk, merged in code."""
    notes = ask_notes(article, render_article(article, chunks, prompt, max_points), client, prompt)
    return notes_to_summary(article, notes, max_points)


def plan_article(
    rendered: list[list[dict[str, str]]], client: LLMClient, prompt: Prompt
) -> list[Prepared]:
    """The calls :func:`ask_notes` would make for these messages, as sent (schema note, cache key); nothing sent."""
    schema = SCHEMAS.get(prompt.schema, ArticleNotes)
    return [client.prepare(messages=messages, schema=schema, temperature=prompt.temperature,
                           max_tokens=prompt.max_tokens, prompt_hash=prompt.hash) for messages in rendered]
