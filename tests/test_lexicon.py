"""The word lists (briefgen.text.lexicon) as data: lowercase, written once, no overlap their uses forbid."""

from __future__ import annotations

import calendar

import pytest

from briefgen.text import lexicon
from briefgen.text.lexicon import (AFFILIATIONS, BYLINE_ROLES, DEMONYMS, EVENT_NEUTRAL, FURNITURE_WORDS, GENERIC_PLACE, MONTH_NAMES,
                                   MONTHS, NAME_SUFFIXES, NON_TERMINAL_ABBREVIATIONS, NUMBER_WORDS, STOPWORDS,
                                   TITLE_CASE_SMALL, TITLE_WORDS, WEEKDAYS, is_demonym, is_title_word)

WORD_LISTS = {
    "STOPWORDS": STOPWORDS, "EVENT_NEUTRAL": EVENT_NEUTRAL, "TITLE_WORDS": TITLE_WORDS, "AFFILIATIONS": AFFILIATIONS,
    "BYLINE_ROLES": BYLINE_ROLES, "FURNITURE_WORDS": FURNITURE_WORDS, "TITLE_CASE_SMALL": TITLE_CASE_SMALL,
    "GENERIC_PLACE": GENERIC_PLACE, "NAME_SUFFIXES": NAME_SUFFIXES, "DEMONYMS": DEMONYMS,
}


@pytest.mark.parametrize("name", sorted(WORD_LISTS))
def test_each_word_list_is_lowercase_single_words(name: str) -> None:
    words = WORD_LISTS[name]
    assert words, name
    assert all(w == w.lower() and w.strip() == w and " " not in w for w in words), name
    assert isinstance(words, frozenset), name  # data, not something a stage can append to


def test_a_title_is_never_a_stopword() -> None:
    # A stopword is skipped as glue; a title word is dropped from names. A word in both would
    # make "President" vanish as glue before the title rule sees it.
    assert not STOPWORDS & TITLE_WORDS
    # "us" is the pronoun and the short form of U.S.; no other affiliation is a function word.
    assert STOPWORDS & AFFILIATIONS <= {"us"}
    # Clustering drops both lists; nothing needs to be written twice.
    assert not STOPWORDS & EVENT_NEUTRAL
    # A nationality is a title word through is_demonym; listing it twice would let the copies drift.
    assert not DEMONYMS & (TITLE_WORDS | STOPWORDS)


def test_the_lists_hold_the_words_their_stages_rely_on() -> None:
    assert {"the", "said", "according", "and"} <= STOPWORDS
    assert {"president", "minister", "chancellor", "envoy"} <= TITLE_WORDS
    assert {"monday", "sunday", "percent", "yesterday"} <= EVENT_NEUTRAL
    assert {"u.s.", "eu", "nato"} <= AFFILIATIONS
    assert {"jr.", "inc.", "ltd"} <= NAME_SUFFIXES
    # Content words that carry events are in no list that discards them.
    for word in ("flood", "strike", "sanctions", "budget", "earthquake"):
        assert word not in STOPWORDS | EVENT_NEUTRAL, word


def test_months_maps_all_twelve_and_their_abbreviations() -> None:
    assert MONTH_NAMES == tuple(m.lower() for m in calendar.month_name[1:])
    for number in range(1, 13):
        full = calendar.month_name[number].lower()
        assert MONTHS[full] == number
        assert MONTHS[calendar.month_abbr[number].lower()] == number
    assert MONTHS["sept"] == 9
    assert set(MONTHS.values()) == set(range(1, 13))
    assert len(MONTHS) == 12 + 11 + 1  # "may" is its own abbreviation


def test_weekdays_count_like_date_weekday() -> None:
    assert [d for d, _ in sorted(WEEKDAYS.items(), key=lambda kv: kv[1])] == [
        d.lower() for d in calendar.day_name]
    assert WEEKDAYS["monday"] == 0 and WEEKDAYS["sunday"] == 6


def test_number_words_have_their_values() -> None:
    assert [NUMBER_WORDS[w] for w in ("zero", "one", "four", "twelve", "twenty", "forty", "ninety", "dozen")] == [
        0, 1, 4, 12, 20, 40, 90, 12]
    assert all(w == w.lower() for w in NUMBER_WORDS)


def test_non_terminal_abbreviations_are_written_once() -> None:
    assert len(NON_TERMINAL_ABBREVIATIONS) == len(set(NON_TERMINAL_ABBREVIATIONS))
    assert {"Mr", "Dr", "Gen", "Sept"} <= set(NON_TERMINAL_ABBREVIATIONS)
    assert not any(a.endswith(".") for a in NON_TERMINAL_ABBREVIATIONS)  # the pattern adds the dot


def test_no_list_is_defined_twice_under_two_names() -> None:
    frozen = {name: value for name, value in vars(lexicon).items() if isinstance(value, frozenset)}
    values = list(frozen.values())
    assert len(values) == len({v for v in values}), "two names for one list"


@pytest.mark.parametrize("word", ["Ukrainian", "Danish", "Japanese", "Israeli", "German", "Italian", "Canadian",
                                  "Polish", "British", "Chinese", "Thai"])
def test_demonyms(word: str) -> None:
    assert is_demonym(word)
    assert is_title_word(word)


# Names that end like a nationality word ("-ian", "-an", "-i") but are none.
@pytest.mark.parametrize("word", ["Paris", "Monday", "Trump", "Mette", "Sweden", "ukrainian", "Copenhagen", "Brian",
                                  "Christian", "Dubai", "Nairobi", "Goldman", "Sudan"])
def test_not_demonyms(word: str) -> None:
    assert not is_demonym(word)


@pytest.mark.parametrize("word", ["President", "president,", "Minister", "U.S.", "EU", "Gen.", "minister's", "Former",
                                  "Secretary"])
def test_title_words(word: str) -> None:
    assert is_title_word(word)


@pytest.mark.parametrize("word", ["Volodymyr", "Zelensky", "Copenhagen", "said", "Council", "March"])
def test_not_title_words(word: str) -> None:
    assert not is_title_word(word)
