"""The small-model fix-up rules (briefgen.text.fixups), each on what it repairs and what it must leave alone."""

from __future__ import annotations

from briefgen.models import Article
from briefgen.text.fixups import (clean_list, clean_people, foreign_chars, full_name, headline_style, person_name,
                                  shorten_headline, split_names, tidy)

def test_tidy_drops_script_drift_and_cut_off_fragments() -> None:
    foreign = foreign_chars("Only Latin text here.")
    assert tidy("Washington can provide足够的 missiles", foreign) == "Washington can provide missiles."
    assert tidy("Zelensky asked for sanctions. This call for action", foreign) == "Zelensky asked for sanctions."
    assert tidy("Prices rose 5%.", foreign) == "Prices rose 5%."
    assert foreign_chars("东京 Tokyo") is None


def test_person_names_lose_titles_but_keep_short_names() -> None:
    assert person_name("Ukrainian President Volodymyr Zelensky") == "Volodymyr Zelensky"
    assert person_name("U. S. President Donald Trump") == "Donald Trump"
    assert person_name("NATO Secretary General Mark Rutte") == "Mark Rutte"
    assert person_name("Brian Smith") == "Brian Smith"
    assert person_name("Trump") == "Trump"


def test_tidy_does_not_cut_at_abbreviations() -> None:
    cut = tidy("Trump confirmed new sanctions on Friday. He praised the meeting between U.S. envoy Witkoff and", None)
    assert cut == "Trump confirmed new sanctions on Friday."
    assert tidy("Sanctions start Friday despite a meeting between U.S. envoy Witkoff and", None).endswith("envoy Witkoff.")


def test_people_are_full_names_and_never_titles_places_or_bylines() -> None:
    art = Article.create(source="a.txt", title="Talks in Copenhagen", byline="James Carter",
                         body="Danish Prime Minister Mette Frederiksen met Ukrainian President Volodymyr Zelenskyy "
                              "in Copenhagen. The war in Ukraine was discussed.")
    people = clean_people(["Frederiksen", "Ukrainian President", "Ukraine", "James Carter", "Zelenskyy", "NATO"],
                          art.body, art.byline, not_people=["NATO"])
    assert people == ["Mette Frederiksen", "Volodymyr Zelenskyy"]


def test_headlines_drop_the_titles_before_a_name_but_never_a_word_of_the_name() -> None:
    # A first name cannot be told from a family name written first ("Li Qiang"): it stays.
    assert headline_style("Ukrainian President Volodymyr Zelenskyy reaffirms Ukraine will not give up territory") == \
        "Volodymyr Zelenskyy reaffirms Ukraine will not give up territory"
    assert headline_style("U.S. President Trump Plans to Meet Putin and Zelensky Next Week") == \
        "Trump Plans to Meet Putin and Zelensky Next Week"
    assert headline_style("Riverton council approves flood budget") == "Riverton council approves flood budget"
    assert headline_style("President says no") == "President says no"


def test_long_headlines_keep_their_main_clause() -> None:
    long = "Zelenskyy reaffirms Ukraine will not give up territory, calls for binding security guarantees"
    assert shorten_headline(long) == "Zelenskyy reaffirms Ukraine will not give up territory"
    short = "Trump Plans to Meet Putin and Zelensky Next Week"
    assert shorten_headline(short) == short
    assert shorten_headline("A" * 95) == "A" * 95  # nothing to cut at: kept whole, never mid-word



def test_foreign_script_is_kept_when_the_article_uses_it() -> None:
    assert foreign_chars("Der Bürgermeister sprach.") is not None  # Latin with accents: drift is still removable
    assert foreign_chars("Сьогодні Київ") is not None  # Cyrillic is below the CJK range
    assert tidy("Tokyo 东京 opened the line.", foreign_chars("东京 Tokyo")) == "Tokyo 东京 opened the line."
    assert tidy("Tokyo 东京 opened the line.", foreign_chars("Tokyo opened the line.")) == "Tokyo opened the line."


def test_tidy_ends_a_single_cut_off_sentence_on_a_content_word() -> None:
    assert tidy("Officials met in Paris on", None) == "Officials met in Paris."
    assert tidy("The vote was 7 to 2,", None) == "The vote was 7 to 2."
    assert tidy("  The dam   opened on Monday.  ", None) == "The dam opened on Monday."
    assert tidy('He said "we will stay."', None) == 'He said "we will stay."'


def test_titles_alone_are_not_shortened_to_nothing() -> None:
    assert person_name("Prime Minister") == "Prime Minister"  # nothing follows the titles: kept as written
    assert person_name("Mr Smith") == "Smith"
    assert person_name("EU Commissioner Ursula von der Leyen") == "Ursula von der Leyen"


def test_a_list_in_one_item_is_split_only_when_every_part_is_a_name() -> None:
    assert split_names("Copenhagen, Paris", "places") == ["Copenhagen", "Paris"]
    assert split_names("Anna Berg and Janis Ozols", "people") == ["Anna Berg", "Janis Ozols"]
    assert split_names("Washington, DC", "places") == ["Washington, DC"]
    assert split_names("Martin Luther King, Jr.", "people") == ["Martin Luther King, Jr."]
    assert split_names("Acme, Inc.", "orgs") == ["Acme, Inc."]
    assert split_names("the mayor, Paris", "places") == ["the mayor, Paris"]
    assert split_names("Copenhagen, Paris", "topics") == ["Copenhagen, Paris"]  # unknown kind: never split


def test_a_surname_gets_the_full_name_the_text_writes() -> None:
    text = "Danish Prime Minister Mette Frederiksen spoke first. Frederiksen then left."
    assert full_name("Frederiksen", text) == "Mette Frederiksen"
    assert full_name("Rutte", "Rutte spoke.") == "Rutte"
    assert full_name("Mark Rutte", text) == "Mark Rutte"


def test_clean_list_drops_case_duplicates_and_keeps_the_limit() -> None:
    assert clean_list(["  NATO ", "nato", "EU; UN"], 8, "orgs") == ["NATO", "EU", "UN"]
    assert clean_list(["Paris.", "Lyon", "Nice"], 2) == ["Paris", "Lyon"]
    assert clean_list(["", " ; "], 8, "orgs") == []


def test_headline_style_leaves_a_title_case_headline_its_first_name() -> None:
    # In a Title Case headline every word is capitalized: "Trump Plans" is not a first name.
    assert headline_style("President Trump Plans Visit To Kyiv Next Month") == "Trump Plans Visit To Kyiv Next Month"
    assert headline_style("Prime Minister Mette Frederiksen opens the new bridge") == "Mette Frederiksen opens the new bridge"


def test_shorten_headline_cuts_at_the_first_clause_that_fits() -> None:
    long = ("Central bank holds its main rate at 4.5 percent for a third month as inflation stays stubbornly "
            "above target")
    assert shorten_headline(long) == "Central bank holds its main rate at 4.5 percent for a third month"
    too_short_head = "Rates held, " + "as the bank waits for clearer signs that inflation is falling in every region now"
    assert len(too_short_head) > 90 and shorten_headline(too_short_head) != "Rates held"


def test_spaced_initials_are_closed_up() -> None:
    """The 1.5B model writes "U. S. President"; the reader sees "U.S. President"."""
    from briefgen.text.fixups import tidy

    assert tidy("U. S. President Donald Trump plans to meet Putin next week.", None) == \
        "U.S. President Donald Trump plans to meet Putin next week."
    assert tidy("The envoy met A. Smith in Rome.", None) == "The envoy met A. Smith in Rome."
