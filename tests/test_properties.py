"""Property tests (hypothesis) of the text stages every brief depends on.

- cleaning never adds text (every letter and digit of the cleaned title and body was in the input);
- sentence splitting and chunking lose and duplicate no text, and number sentences 1..n once each;
- the evidence checker never accepts a quote that is not in the source, whatever the model
  wrote (any text, any sentence numbers, any quote it claims).

Articles are generated from a small vocabulary with the things that trip segmenters (titles
with dots, decimals, quotes, initials) and from arbitrary Unicode. Bound: ~15 s in all
(max_examples below; no deadline, the machine is shared).
"""

from __future__ import annotations

import re
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefgen.models import Article, ArticleSummary, Evidence, KeyPoint
from briefgen.notes.chunk import chunk_article, number_sentences
from briefgen.notes.ground import ground_summary
from briefgen.sources.clean import clean_text
from briefgen.text.sentences import split_sentences
from briefgen.text.tokens import normalize

WORDS = ["the", "council", "said", "on", "Monday", "Dr.", "U.S.", "3.5", "percent", "Mr.", "J.", "Smith", "mayor",
         "budget", "of", "\u201cno\u201d", "'yes'", "St.", "Jan.", "1,200", "euros", "e.g.", "Zürich", "naïve",
         "(AP)", "—", "a", "vote", "Ltd.", "No.", "7", "p.m.", "Inc.", "said:", "well...", "why?", "now!"]
ENDS = [".", ".", ".", "!", "?", ".\u201d", "", "...", "?!"]

word = st.sampled_from(WORDS)
sentence = st.builds(lambda ws, end: " ".join(ws) + end, st.lists(word, min_size=1, max_size=14), st.sampled_from(ENDS))
space = st.sampled_from([" ", "  ", "\n", " \t "])
paragraph = st.builds(lambda ss, sp: sp.join(ss), st.lists(sentence, min_size=1, max_size=8), space)
news_body = st.builds(lambda ps: "\n\n".join(ps), st.lists(paragraph, min_size=1, max_size=6))
any_body = st.text(min_size=1, max_size=800).filter(lambda t: t.strip() != "")
bodies = st.one_of(news_body, news_body, any_body)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def article(body: str) -> Article:
    return Article.create(source="prop.txt", title="A title for the test", body=body)


def alnum(text: str) -> Counter[str]:
    return Counter(c for c in text.casefold() if c.isalnum())


@FAST
@given(st.one_of(st.builds(lambda t, b: f"{t}\n\n{b}", sentence, news_body), any_body))
def test_cleaning_never_adds_text(raw: str) -> None:
    cleaned = clean_text(raw)
    added = alnum((cleaned.title or "") + " " + cleaned.body) - alnum(raw)
    # The title may repeat in the body: compare each against the input on its own.
    assert not (alnum(cleaned.body) - alnum(raw)), cleaned.body
    assert not (alnum(cleaned.title or "") - alnum(raw)), cleaned.title
    assert not added or set(added) <= set(alnum(raw)), added


@FAST
@given(bodies)
def test_sentence_splitting_loses_and_duplicates_nothing(body: str) -> None:
    assert squeeze("".join(split_sentences(body))) == squeeze(body)


@FAST
@given(bodies, st.sampled_from([40, 64, 150, 600, 3000]))
def test_chunking_loses_and_duplicates_no_text(body: str, budget: int) -> None:
    chunks = chunk_article(article(body), budget)
    sentences = [s for c in chunks for s in c.sentences]
    assert [s.n for s in sentences] == list(range(1, len(sentences) + 1))  # each number once, in order
    assert squeeze("".join(s.text for s in sentences)) == squeeze(body)
    assert [c.index for c in chunks] == list(range(len(chunks))) and all(c.count == len(chunks) for c in chunks)


claimed_point = st.builds(
    lambda text, refs, quote, status: KeyPoint(text=text, evidence=[Evidence(article_id="x", sentences=refs, quote=quote)],
                                               verified=True, status=status),
    st.one_of(sentence, st.text(max_size=120)),
    st.lists(st.integers(min_value=-2, max_value=40), max_size=4),
    st.one_of(st.just(""), sentence, st.text(max_size=80)),
    st.sampled_from(["verified", "selected", "repaired", "fallback"]),
)


@FAST
@given(news_body, st.lists(claimed_point, max_size=6), st.booleans())
def test_the_evidence_checker_never_accepts_a_quote_not_in_the_source(body: str, points: list[KeyPoint],
                                                                      keep: bool) -> None:
    art = article(body)
    summary = ArticleSummary(article_id=art.id, headline="A headline", summary="A summary.", key_points=points)
    grounded, _ = ground_summary(summary, art, keep_unverified=keep)
    source = normalize(body)
    numbers = {s.n for s in number_sentences(art)}
    for point in grounded.key_points:
        if not point.verified:
            assert point.status == "unverified" and keep
            continue
        assert point.evidence, point
        for ev in point.evidence:
            assert ev.quote.strip() and normalize(ev.quote) in source, (ev.quote, body)
            assert ev.sentences and set(ev.sentences) <= numbers, ev.sentences
