"""Summarize: one structured LLM call per chunk (map), merged per article in code (reduce).

Most news articles are one chunk, so one call. A long article's chunks are merged without a
second LLM pass: the first chunk gives the headline and summary, key points are taken in
order of the chunks, duplicates dropped. Every point keeps the numbers of the sentences it
cites; ``ground`` turns them into verified quotes.
"""

from __future__ import annotations

import re
from datetime import date

from .llm import LLMClient
from .models import Article, ArticleSummary, Chunk, Evidence, KeyPoint
from .chunk import number_sentences, split_sentences
from .ground import STOPWORDS, content_terms, covers
from .outputs import HEADLINE_MAX, ArticleNotes
from .prompts import Prompt

_TAG = re.compile(r"</?\s*article\s*>", re.I)
# Chat-template control tokens (ChatML <|im_start|>, Llama <|eot_id|>, <s>): a server that
# tokenizes the formatted prompt with special tokens on would let article text open a turn.
_CONTROL = re.compile(r"<\|[^|<>]{0,40}\|>|</?s>")
_WS = re.compile(r"\s+")


def _as_data(text: str) -> str:
    """Article text may not close the <article> delimiter it sits in, nor speak template tokens."""
    text = _CONTROL.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)
    return _TAG.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)


def render_chunk_messages(prompt: Prompt, article: Article, chunk: Chunk, max_points: int) -> list[dict[str, str]]:
    """The exact messages sent for one chunk."""
    return prompt.render(
        title=_as_data(article.title),
        dateline=_as_data(article.dateline or ""),
        published=article.published.date().isoformat() if article.published else "",
        sentences=[{"n": s.n, "text": _as_data(s.text)} for s in chunk.sentences],
        part=chunk.index + 1,
        parts=chunk.count,
        max_points=max_points,
    )


def _foreign_chars(source: str) -> re.Pattern[str] | None:
    """Characters of scripts the article does not use (small models drift into CJK mid-sentence)."""
    if any(ord(c) >= 0x2E80 for c in source):
        return None
    return re.compile(r"[\u2e80-\U0010ffff]+")


def tidy(text: str, foreign: re.Pattern[str] | None) -> str:
    """One clean sentence: foreign-script drift removed, a fragment cut off by maxLength dropped."""
    if foreign is not None:
        text = foreign.sub("", text)
    text = _WS.sub(" ", text).strip()
    if text and text[-1] not in ".!?\"”’)":
        # Cut off by the schema's maxLength: keep the complete sentences, if there are any
        # (a real segmenter: "U.S. special envoy" is not a sentence end).
        sentences = split_sentences(text)
        if len(sentences) > 1:
            text = " ".join(sentences[:-1])
        else:
            words = text.rstrip(" ,;:-").split()
            while len(words) > 3 and words[-1].casefold().strip(",;:") in STOPWORDS:
                words.pop()  # "... between U.S. envoy Witkoff and" ends on the name
            text = " ".join(words).rstrip(" ,;:-") + "."
    return text


_TITLE_WORDS = frozenset(
    """president prime minister secretary general chancellor king queen pope senator governor mayor
    envoy special press spokesperson spokesman spokeswoman ceo chief director former vice deputy
    foreign defence defense state u.s. us uk eu un nato mr mrs ms dr sir lord premier minister's
    head leader official officials commissioner ambassador judge justice gen. col. lt. rep. sen.""".split()
)
_DEMONYM = re.compile(r"^[A-Z][a-z]+(?:ian|ese|ish|ean|an|i)$")


def person_name(value: str) -> str:
    """'Ukrainian President Volodymyr Zelensky' -> 'Volodymyr Zelensky': titles are not names."""
    tokens = value.replace("U. S.", "U.S.").split()
    while len(tokens) > 2 and (tokens[0].casefold().strip(",") in _TITLE_WORDS or _DEMONYM.match(tokens[0])):
        tokens.pop(0)
    while len(tokens) > 1 and tokens[0].casefold() in _TITLE_WORDS:
        tokens.pop(0)
    return " ".join(tokens)


_NAME_SUFFIX = frozenset("jr jr. sr sr. ii iii iv inc inc. ltd ltd. llc plc ag sa co co.".split())
_LIST_SEP = {"places": re.compile(r"\s*[;,/]\s*"), "people": re.compile(r"\s*(?:[;,]|\band\b|&)\s*"),
             "orgs": re.compile(r"\s*[;,]\s*")}


def split_names(value: str, kind: str) -> list[str]:
    """One list item that is really a list ("Copenhagen, Paris") as separate names.

    Split only when every part looks like a name of its own: capitalized, at most five
    words, not a suffix or code that qualifies the part before ("Washington, DC",
    "Martin Luther King, Jr.", "Acme, Inc."). Anything else stays one item.
    """
    sep = _LIST_SEP.get(kind)
    if sep is None:
        return [value]
    parts = [p.strip(" .") for p in sep.split(value)]
    parts = [p for p in parts if p]
    if len(parts) < 2:
        return [value]
    for i, part in enumerate(parts):
        words = part.split()
        if not part[0].isupper() or len(words) > 5 or part.casefold() in _NAME_SUFFIX:
            return [value]
        if kind == "places" and i and part.isupper() and len(part) <= 3:
            return [value]  # a state or country code qualifying the name before it
    return parts


_NAME_BEFORE = r"((?:[A-Z][\w’'\-]+\.? ){1,3})"


def full_name(name: str, text: str) -> str:
    """'Frederiksen' -> 'Mette Frederiksen' when the article writes the full name (titles dropped)."""
    if " " in name:
        return name
    for match in re.finditer(_NAME_BEFORE + re.escape(name) + r"\b", text):
        candidate = person_name(match.group(0))
        if " " in candidate and candidate.split()[-1] == name:
            return candidate
    return name


def clean_people(names: list[str], article: Article, not_people: list[str], limit: int = 8) -> list[str]:
    """People who act in the event: full names, no bylines, no titles alone, no places or orgs."""
    excluded = {n.casefold() for n in not_people}
    text = article.body  # not the title: headline case makes any run of words look like a name
    out = []
    for name in names:
        tokens = name.split()
        if not tokens or all(t.casefold().strip(",") in _TITLE_WORDS or _DEMONYM.match(t) for t in tokens):
            continue  # "Ukrainian President" is a title, not a person
        if name.casefold() in excluded or f"in {name}" in text:
            continue  # a place or an organization the model listed as a person ("Ukraine")
        if article.byline and name.casefold() in article.byline.casefold():
            continue  # small models copy bylines as people; the byline is metadata, not an actor
        out.append(full_name(name, text))
    return _clean_list(out, limit)


def _clean_list(values: list[str], limit: int, kind: str = "") -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for raw in values:
        for value in split_names(_WS.sub(" ", raw).strip(" .,;:-"), kind):
            value = value.strip(" .,;:-")
            key = value.casefold()
            if value and key not in seen:
                seen.add(key)
                out.append(value)
    return out[:limit]


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


def headline_style(text: str) -> str:
    """Headlines name people by surname: 'Ukrainian President Volodymyr Zelenskyy reaffirms …'
    becomes 'Zelenskyy reaffirms …' (the small model copies the body's full titles)."""
    tokens = text.split()
    i = 0
    while i < len(tokens) - 1 and (tokens[i].casefold().strip(",") in _TITLE_WORDS or _DEMONYM.match(tokens[i])):
        i += 1
    if i == 0:
        return text
    rest = tokens[i:]
    # "Volodymyr Zelenskyy reaffirms": a first name before the surname goes too.
    # Not in Title Case Headlines, where every word is capitalized and "Trump Plans" is no name.
    long_words = [t for t in rest[2:] if len(t) > 3]
    title_case = bool(long_words) and sum(t[:1].isupper() for t in long_words) / len(long_words) > 0.6
    if not title_case and len(rest) > 2 and rest[0][:1].isupper() and rest[1][:1].isupper() and rest[2][:1].islower():
        rest = rest[1:]
    return " ".join(rest) if rest and rest[0][:1].isupper() else text


HEADLINE_TARGET = 90


def shorten_headline(text: str) -> str:
    """A headline over ~90 characters keeps its main clause (before ', ' / ' as ' / ' amid ')."""
    if len(text) <= HEADLINE_TARGET:
        return text
    for sep in (", ", "; ", " as ", " amid ", " while ", " after "):
        head = text.split(sep, 1)[0]
        if sep in text and len(head.split()) >= 4 and len(head) <= HEADLINE_TARGET:
            return head
    return text


def _point_key(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", text.casefold())


LEDE_MIN_CHARS = 90
LEDE_MAX_CHARS = 420


def lede(article: Article) -> str:
    """The article's own opening: its first sentence, or two when the first is short.

    A news lede says what happened, when and where: the grounded stand-in when the model
    gives no summary.
    """
    out = ""
    for sentence in number_sentences(article):
        if out and len(out) + len(sentence.text) > LEDE_MAX_CHARS:
            break
        out = f"{out} {sentence.text}".strip()
        if len(out) >= LEDE_MIN_CHARS:
            break
    return out or article.title


def notes_to_summary(article: Article, notes: list[ArticleNotes], max_points: int) -> ArticleSummary:
    """Reduce the notes of an article's chunks into one ArticleSummary (no LLM)."""
    first = notes[0]
    foreign = _foreign_chars(article.title + article.body)
    # The model's one-sentence summary; the article's own lede when it wrote none.
    summary = tidy(first.summary, foreign) if first.summary.strip() else lede(article)
    points: list[KeyPoint] = []
    seen: set[str] = set()
    covered = [content_terms(summary)]
    spare: tuple[str, list[int]] | None = None
    # Round-robin over chunks so a long article keeps the top facts of every part.
    queues = [list(n.points) for n in notes]
    while any(queues) and len(points) < max_points * 2:
        for queue in queues:
            if not queue:
                continue
            note = queue.pop(0)
            text = tidy(note.text, foreign)
            key = _point_key(text)
            if not text or key in seen:
                continue
            if covers(text, covered):
                # Kept aside: a short article's only point may restate its lede, and a story
                # never ends with no key points.
                spare = spare or (text, note.refs)
                continue
            seen.add(key)
            covered.append(content_terms(text))
            refs = sorted({r for r in note.refs if r > 0})
            points.append(KeyPoint(text=text, evidence=[Evidence(article_id=article.id, sentences=refs)]))
    if not points and spare:
        points.append(KeyPoint(text=spare[0], evidence=[Evidence(article_id=article.id, sentences=sorted(set(spare[1])))]))
    orgs = _clean_list([o for n in notes for o in n.orgs], 8, "orgs")
    places = _clean_list([p for n in notes for p in n.places], 8, "places")
    people = clean_people(
        [person_name(q) for n in notes for p in n.people for q in split_names(p, "people")],
        article, not_people=orgs + places,
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
    )


def summarize_article(
    article: Article, chunks: list[Chunk], client: LLMClient, prompt: Prompt, *, max_points: int = 5
) -> ArticleSummary:
    """Summarize one article: one call per chunk, merged in code."""
    notes = []
    for chunk in chunks:
        messages = render_chunk_messages(prompt, article, chunk, max_points)
        notes.append(
            client.structured(
                task=prompt.name,
                messages=messages,
                schema=ArticleNotes,
                temperature=prompt.temperature,
                max_tokens=prompt.max_tokens,
                prompt_hash=prompt.hash,
                article_id=article.id,
            )
        )
    return notes_to_summary(article, notes, max_points)
