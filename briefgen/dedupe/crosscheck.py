"""Cross-check: short calls per story of several outlets write the facts they share.

Two outlets rarely word a fact alike, so word overlap (:func:`stories.corroborate`) finds few
shared facts, and a story of two sources read as two articles stapled together. Code pairs
two outlets' sentences that share the most specific words (:func:`candidate_pairs`: from all
their sentences, at most four pairs), and the model is asked, for each pair, the one fact both
sentences state, if any (prompt ``crosscheck``, schema ``SharedFacts``): a server model all
pairs in one call, the embedded 1.5B model one pair a call (shown several, it mixed them up).

What the model writes is checked like any key point, and harder: a shared fact stays only
when both sentences of a pair support it as written (names, figures, quoted words, half its
content words: :func:`briefgen.notes.ground.support`) and it has no content word that neither
sentence has; it then cites each of them (their quotes: each article's own words), and the
points those sentences backed go: one point, every outlet. A proposal that fails changes
nothing; it is counted apart (``grounding.crosscheck_proposed`` against ``crosschecked``), not
as a key point dropped. (Earlier designs let the model find the pairs among the story's
lines: the 1.5B model answered a pattern, [1, 2], [3, 4], …, or copied one outlet's sentence;
48 of 50 such pairs on the tune part failed the check; bench/RESULTS.md.)

Cost: per story of two or more independent outlets with a candidate pair, one call of at most
four pairs (server) or one call a pair (embedded, about 250 prompt tokens each, most of them
the system prompt the server keeps cached); replies are a short sentence a pair; cached like
every call. A failed call leaves the story as it was.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Iterable

from briefgen.dedupe.stories import demote_repeats
from briefgen.errors import LLMError
from briefgen.llm.backends import Backend
from briefgen.llm.client import LLMClient
from briefgen.llm.outputs import SharedFact, SharedFacts
from briefgen.llm.pool import map_ordered
from briefgen.llm.prompts import Prompt
from briefgen.models import Article, Evidence, KeyPoint, Story
from briefgen.text.addressed import addressed_to_model, as_data
from briefgen.text.sentences import split_sentences, tighten
from briefgen.text.tokens import content_terms, covers, fold

log = logging.getLogger(__name__)

# Sentences of one article the pairs are drawn from: news states its facts early.
SENTENCES_PER_ARTICLE = 30
LINE_WORDS = 45
MAX_PAIRS = 4
ARTICLES_PAIRED = 4
_QUOTE_OPENERS = frozenset('"“‘«\'')
MIN_SHARED_TERMS = 2
# Weighted share of their specific words two sentences must have in common (measured on the
# labeled set's multi-outlet stories: below it, pairs share a name and a verb, not a fact).
MIN_PAIR_SCORE = 0.15

# One sentence of one article: (article id, sentence number, text).
Line = tuple[str, int, str]
# One cross-check call: the pairs, and the messages of a second try after the first reply.
Ask = Callable[[list[dict[str, object]], list[dict[str, str]] | None], SharedFacts]


def candidate_pairs(story: Story, articles: dict[str, Article]) -> list[tuple[Line, Line]]:
    """The pairs of two outlets' sentences most likely to state one fact, best first.

    Drawn from every member's evidence sentences (its first SENTENCES_PER_ARTICLE), not only
    the points the story shows: the facts two outlets share are often in sentences neither
    one's budget shows. Scored by the specific words they share: each word weighted by how
    rare it is among the story's sentences (the main actor's name, in most of them, says
    little), the shared weight over the geometric mean of the two sentences' weights; at least
    MIN_SHARED_TERMS words and MIN_PAIR_SCORE; each sentence in one pair at most; MAX_PAIRS in
    all. The model then says the fact each pair states, if any: a narrow question a small
    model answers far better than "find the pairs".
    """
    from briefgen.notes.ground import evidence_sentences

    outlet_of = {ref.id: (ref.outlet or ref.id) for ref in story.articles}
    lines: list[Line] = []
    outlets: set[str] = set()
    for ref in story.articles:
        # The first articles of ARTICLES_PAIRED outlets (the lead first): pairs grow with the
        # square of the sentences, and a story of 20 outlets needs no more than four of them.
        if (art := articles.get(ref.id)) is not None and outlet_of[ref.id] not in outlets \
                and len(outlets) < ARTICLES_PAIRED:
            outlets.add(outlet_of[ref.id])
            sents = list(evidence_sentences(art).items())[:SENTENCES_PER_ARTICLE]
            # A question states no fact, and a quotation is one outlet's words: pairs of them
            # gave the model nothing both sides say (bench/RESULTS.md).
            lines += [(ref.id, n, tighten(text, LINE_WORDS)) for n, text in sents
                      if not text.rstrip().endswith("?") and text.lstrip()[:1] not in _QUOTE_OPENERS]
    terms = [content_terms(text) for _, _, text in lines]
    df: dict[str, int] = {}
    for ts in terms:
        for t in ts:
            df[t] = df.get(t, 0) + 1
    weight = {t: math.log(len(lines) / c) for t, c in df.items()}
    mass = [sum(weight[t] for t in ts) for ts in terms]
    scored = []
    for i, (aid, _, text) in enumerate(lines):
        for j in range(i + 1, len(lines)):
            bid = lines[j][0]
            if bid == aid or outlet_of[bid] == outlet_of[aid] or not mass[i] or not mass[j]:
                continue
            shared = terms[i] & terms[j]
            if len(shared) < MIN_SHARED_TERMS or fold(text) == fold(lines[j][2]):
                continue  # a wire copy's sentence: corroborate() cites both without a call
            score = sum(weight[t] for t in shared) / math.sqrt(mass[i] * mass[j])
            if score >= MIN_PAIR_SCORE:
                scored.append((-score, i, j))
    used: set[int] = set()
    out: list[tuple[Line, Line]] = []
    for _, i, j in sorted(scored):
        if i in used or j in used:
            continue
        used |= {i, j}
        out.append((lines[i], lines[j]))
        if len(out) >= MAX_PAIRS:
            break
    return out


# Words a shared fact has at least: who did what takes three or more.
MIN_FACT_WORDS = 3
# Share of a backed point's content words a second try's shared fact must hold to replace it.
REPLACE_COVERAGE = 0.6


def _backs(point: KeyPoint, line: Line) -> bool:
    return bool(point.evidence) and point.evidence[0].article_id == line[0] and line[1] in point.evidence[0].sentences


def apply_shared(story: Story, pairs: list[tuple[Line, Line]], shared: list[SharedFact],
                 *, replace_all: bool = True) -> tuple[Story, int, int]:
    """Add every shared fact that both sentences of a pair support, first, in place of the
    one-outlet points those sentences backed; returns the story, the facts proposed and kept."""
    done: set[int] = set()
    new_points: list[KeyPoint] = []
    used: list[Line] = []
    proposed = kept = 0
    for fact in shared:
        proposed += 1
        found = match_fact(fact, pairs, done)
        if found is None:
            log.info("story %s: shared fact %r is not supported by both sentences of a pair; dropped",
                     story.id, fact.text)
            continue
        text, k = found
        done.add(k)
        kept += 1
        a, b = pairs[k - 1]
        used += [a, b]
        new_points.append(KeyPoint(text=text, verified=True, status="verified", evidence=[
            Evidence(article_id=aid, sentences=[n], quote=quote) for aid, n, quote in (a, b)]))
    if not new_points:
        return story, proposed, 0
    # The points its two sentences backed go: one point, both outlets. Not with replace_all
    # off (a second try's fact, shortened on request): then a point it does not mostly hold
    # stays (the seeds' "Kyiv will not give up any territory …" lede under "… security
    # guarantees").
    said = [content_terms(kp.text) for kp in new_points]
    rest = [kp for kp in story.key_points if not any(_backs(kp, line) for line in used)
            or (not replace_all and not covers(kp.text, said, REPLACE_COVERAGE))]
    points = new_points + rest
    # Facts more outlets state first; otherwise the story's order.
    order = sorted(range(len(points)), key=lambda i: (-len(points[i].article_ids), i))
    return story.model_copy(update={"key_points": demote_repeats([points[i] for i in order])}), proposed, kept


def match_fact(fact: SharedFact, pairs: list[tuple[Line, Line]], done: set[int]) -> tuple[str, int] | None:
    """(text, pair number) of a shared fact both sentences of a pair support, or None.

    The 1.5B model often numbers a fact one pair off, or writes two sentences (one of each
    side): each sentence of the text is tried against its own pair first, then the others
    not yet used."""
    from briefgen.notes.ground import support

    order = [fact.pair] + [k for k in range(1, len(pairs) + 1) if k != fact.pair]
    for sentence in split_sentences(_BOTH_SAY.sub("", fact.text.strip())) or [""]:
        text = tighten(sentence)
        text = text[:1].upper() + text[1:]
        if len(text.split()) < MIN_FACT_WORDS or addressed_to_model(text):
            continue  # a name ("Empress Eugenie") is no fact
        for k in order:
            if not 1 <= k <= len(pairs) or k in done:
                continue
            a, b = pairs[k - 1]
            # Every content word from one of the two sentences: a word neither has is the
            # model's ("Plemons was nominated for Best Actor" of two lines saying he won it).
            if content_terms(text) <= content_terms(a[2]) | content_terms(b[2]) and \
                    support(text, a[2]).ok and support(text, b[2]).ok:
                return text, k
    return None


# A small model often opens with the question's words: "Both sentences state that ...".
_BOTH_SAY = re.compile(r"^(?:both (?:sentences|outlets|reports)|the two (?:sentences|outlets|reports))"
                       r"\s+(?:state|say|report|mention|agree)s?\s+(?:that\s+)?", re.I)


def call_bound(articles: list[Article], prompt: Prompt, counter: Callable[[list[dict[str, str]]], int],
               per_call: int = MAX_PAIRS) -> tuple[int, int]:
    """(calls, prompt tokens) the cross-check can make at most on these articles, before
    clustering says which stories have several outlets: at most one story of two or more per
    two articles, each MAX_PAIRS pairs of the longest lines, ``per_call`` pairs a call (one
    a call: a second try each, at most)."""
    from briefgen.notes.ground import evidence_sentences

    stories = len(articles) // 2
    if not stories:
        return 0, 0
    per_call = max(1, min(per_call, MAX_PAIRS))
    lines = sorted((tighten(t, LINE_WORDS) for a in articles for t in evidence_sentences(a).values()),
                   key=len, reverse=True)[: 2 * per_call]
    pairs = [{"n": i + 1, "a": lines[2 * i], "b": lines[2 * i + 1]} for i in range(len(lines) // 2)]
    calls = stories * -(-MAX_PAIRS // per_call)
    one = counter(render_messages(prompt, pairs))
    # Asked one pair a call, each may take a second try: its first messages, the reply
    # (at most max_tokens) and the feedback line (under 80 tokens).
    retries = calls if per_call == 1 else 0
    return calls + retries, calls * one + retries * (one + prompt.max_tokens + 80)


def render_messages(prompt: Prompt, pairs: list[dict[str, object]]) -> list[dict[str, str]]:
    """The exact messages of one cross-check call: each pair is ``{"n", "a", "b"}``."""
    return prompt.render(pairs=[{"n": p["n"], "a": as_data(str(p["a"]), "pairs"), "b": as_data(str(p["b"]), "pairs")}
                                for p in pairs])


def crosscheck_story(story: Story, articles: dict[str, Article], ask: Ask,
                     pairs_per_call: int = MAX_PAIRS) -> tuple[Story, int, int]:
    """Ask which candidate pairs of a multi-outlet story state one fact; keep the supported.

    ``pairs_per_call`` pairs a call: the embedded 1.5B model is asked one pair at a time (it
    mixes pairs up when shown several: 30 of 56 pairs' facts kept one at a time, 18 of 56
    three at a time, on the labeled set's tune part); a server model gets them all at once.
    Asked one pair at a time, a story that kept no fact gets second tries: the model is told
    the words of its fact that each sentence does not have (:func:`feedback`), and its second
    answer is checked the same way."""
    pairs = candidate_pairs(story, articles)
    proposed = kept = 0
    refused = []
    for start in range(0, len(pairs), max(1, pairs_per_call)):
        chunk = pairs[start:start + max(1, pairs_per_call)]
        sent = [{"n": i, "a": a[2], "b": b[2]} for i, (a, b) in enumerate(chunk, start=1)]
        reply = ask(sent, None)
        story, p, k = apply_shared(story, chunk, reply.shared)
        proposed, kept = proposed + p, kept + k
        if len(chunk) == 1 and reply.shared and not k:
            refused.append((sent, chunk, reply.shared[0].text))
    # A story none of whose pairs gave a fact both outlets support reads as two articles
    # stapled together: its refused pairs get a second try, in order, until one is kept. (Given
    # to every refused pair, the second tries made more shared points but shorter ones, in place
    # of sentences that carried more: tune recall 0.847 -> 0.824; bench/RESULTS.md.)
    for sent, chunk, text in refused if not kept else []:
        if (why := feedback(text, *chunk[0])) is None:
            continue
        first = json.dumps({"shared": [{"pair": 1, "text": text}]}, ensure_ascii=False)
        again = ask(sent, [{"role": "assistant", "content": first}, {"role": "user", "content": why}])
        story, p, k = apply_shared(story, chunk, again.shared[:1], replace_all=False)
        proposed, kept = proposed + p, kept + k
        if k:
            break
    return story, proposed, kept


# The model's words a sentence does not have, as the second try names them.
_WORD = re.compile(r"[\w'’.%$€£-]*\w[\w'’%]*")


def feedback(fact: str, a: Line, b: Line) -> str | None:
    """What to tell the model of a refused shared fact: the words of it that sentence (A) or
    (B) does not have (content words and figures, as it wrote them); None when it has none
    (refused for another reason: a quotation, a who-met-whom)."""
    text = _BOTH_SAY.sub("", fact.strip())
    missing = []
    for side in (a[2], b[2]):
        have = content_terms(side)
        words = []
        for w in _WORD.findall(text):
            if (t := content_terms(w)) and not t <= have and w not in words:
                words.append(w)
        missing.append(words)
    if not any(missing):
        return None
    return (f"Sentence (A) does not say: {', '.join(missing[0]) or '-'}. Sentence (B) does not say: "
            f"{', '.join(missing[1]) or '-'}. Write the fact again, shorter, with none of those words: "
            "only what both sentences say.")


def pairs_per_call(backend: Backend, configured: int | None = None) -> int:
    """Candidate pairs a cross-check call holds: as configured, else one for the embedded
    model and all for a server (a small model on a server may want 1: the setting)."""
    if configured is not None:
        return max(1, min(configured, MAX_PAIRS))
    return 1 if backend.kind == "embedded" else MAX_PAIRS


class _OverBudget(Exception):
    pass


def crosscheck_stories(stories: Iterable[Story], articles: dict[str, Article], client: LLMClient, prompt: Prompt,
                       advance: Callable[[str], object] | None = None, workers: int = 1,
                       reserve: Callable[[list[dict[str, str]], int], bool] | None = None,
                       pairs_per_call: int = MAX_PAIRS) -> tuple[list[Story], int, int]:
    """Cross-check every story of two or more outlets; returns the stories and the shared
    facts proposed and kept. ``workers`` calls in flight (server backends: the configured
    concurrency, under the client's shared gate); the stories keep their order. ``stories``
    may be a generator: each story is sent as it is made. ``advance`` is told of every story.
    ``reserve(messages, max_tokens)`` (--max-cost) must accept a call before it is made; a
    story whose call does not fit keeps its points as they were."""

    def check(story: Story) -> tuple[Story, int, int]:
        if story.outlets < 2:
            return story, 0, 0

        def ask(pairs: list[dict[str, object]], retry: list[dict[str, str]] | None) -> SharedFacts:
            messages = render_messages(prompt, pairs) + (retry or [])
            if reserve is not None and not reserve(messages, prompt.max_tokens):
                raise _OverBudget
            return client.structured(task=prompt.name, messages=messages, schema=SharedFacts,
                                     temperature=prompt.temperature, max_tokens=prompt.max_tokens,
                                     prompt_hash=prompt.hash, article_id=story.id)

        try:
            return crosscheck_story(story, articles, ask, pairs_per_call)
        except _OverBudget:
            log.warning("story %s: cross-check left out: its call would take the build past --max-cost", story.id)
            return story, 0, 0
        except LLMError as exc:
            log.warning("story %s: cross-check failed (%s); its points stay as they were", story.id, exc)
            return story, 0, 0

    def done(_: int, result: tuple[Story, int, int]) -> None:
        if advance is not None:
            advance(result[0].headline[:60])

    results = map_ordered(check, stories, workers, on_done=done)
    return [r[0] for r in results], sum(r[1] for r in results), sum(r[2] for r in results)
