"""Normalization, tokens and content terms (briefgen.text.tokens): how every stage compares two texts."""

from __future__ import annotations

import pytest

from briefgen.text.tokens import (ascii_quotes, content_terms, content_words, covers, dice, fold, jaccard, normalize,
                                  stem, token_set, tokens, words)


def test_normalize_only_whitespace_quotes_dashes_case() -> None:
    assert normalize("“Nobody  trusts” — Putin’s") == normalize('"nobody trusts" - putin\'s')
    assert normalize("  “Nobody\n trusts” — Putin’s  ") == '"nobody trusts" - putin\'s'
    assert normalize("Putin") != normalize("Putn")


@pytest.mark.parametrize(("a", "b"), [
    ("Café", "Cafe"),  # accents are content: grounding quotes must be verbatim
    ("4.5%", "4.5 %"),
    ("U.S.", "US"),
    ("don't", "dont"),
    ("1,200", "1200"),
])
def test_normalize_keeps_everything_else(a: str, b: str) -> None:
    assert normalize(a) != normalize(b)


def test_ascii_quotes_turns_curly_quotes_and_dashes_only() -> None:
    assert ascii_quotes("“a” ‘b’ – — „c‚") == "\"a\" 'b' - - \"c'"
    assert ascii_quotes("Zürich, 5…6") == "Zürich, 5…6"


def test_fold_compares_spellings_of_one_name() -> None:
    assert fold("Zelenskyy") == fold("ZELENSKYY") == "zelenskyy"
    assert fold("Zélenský") == "zelensky"
    assert fold("Straße") == "strasse"  # casefold, not lower


def test_tokens_keep_inner_punctuation() -> None:
    assert tokens("U.S. officials don't co-op 4.5% flood-hit") == ["U.S", "officials", "don't", "co-op", "4.5",
                                                                   "flood-hit"]
    assert token_set("The the THE") == {"the"}


def test_stem_meets_word_forms_and_leaves_short_words() -> None:
    assert stem("sanctions") == stem("sanctioned") == "sancti"
    assert stem("Russia's") == "russia"
    assert stem("bus") == "bus" and stem("goes") == "goes"  # too short to cut


def test_content_terms_are_stemmed_words_and_figures_without_stopwords() -> None:
    terms = content_terms("The council approved 12 new levees, costing 4.5% more.")
    assert {"counci", "approv", "12", "4.5%", "cost"} <= terms
    assert not {"the", "new", "more"} & terms
    assert content_terms("“Levees” — levees") == content_terms('"levees" - levees')


def test_covers_measures_the_share_of_one_earlier_text() -> None:
    earlier = [content_terms("Voss said new levees are wanted on the east bank")]
    assert covers("Voss wants new levees", earlier, 0.75)
    assert not covers("The opposition wanted drainage works instead", earlier, 0.75)
    assert not covers("the and of", earlier, 0.1)  # no content terms: covers nothing
    # Terms split over two earlier texts do not add up: the share is of one text.
    split = [content_terms("Voss spoke"), content_terms("levees wanted")]
    assert not covers("Voss wants levees", split, 0.75)


def test_jaccard_and_dice() -> None:
    assert jaccard("a b c", "b c d") == 0.5
    assert jaccard("Dam opens", "dam OPENS") == 1.0
    assert jaccard("", "a") == 0.0
    assert dice({"a", "b"}, {"b", "c"}) == 0.5
    assert dice({"a"}, {"a"}) == 1.0
    assert dice(set(), set()) == 0.0


def test_clustering_words_skip_stopwords_event_neutral_words_and_short_ones() -> None:
    assert words("The Harbour tram was approved on Tuesday by 7 councillors") == [
        "harbour", "tram", "approved", "councillors"]
    assert content_words("The harbour tram was approved") == {"harbour", "tram", "approved"}
