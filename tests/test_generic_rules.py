"""Generic cleaning, name and headline rules must not damage other news (issue 13's list).

Each case is a sentence of business, sports or politics news that an earlier rule, written
for one sample article, deleted or mangled; each is run through the real function.
"""

from __future__ import annotations

import pytest

from briefgen.dedupe.stories import compare_points, union_people
from briefgen.sources.clean import clean_text
from briefgen.text.fixups import clean_people, headline_style, person_name


def _article(*paragraphs: str) -> str:
    filler = [f"Paragraph {i} of the report adds context about the market, the season and the people involved."
              for i in range(8)]
    return "Company results and sports news of the day\n\n" + "\n\n".join([*filler[:4], *paragraphs, *filler[4:]])


@pytest.mark.parametrize("sentence", [
    "Netflix said subscriber growth was strongest where it offered cheaper ad-supported options.",
    "Tesla said it was disabling adaptive cruise control on older cars until a fix is ready.",
    "Hackers disabled the administrator accounts before encrypting the company's servers.",
    "Haaland is set to sign up for two more years.",
    "Shareholders can subscribe to the rights issue until Friday, the bank said.",
    "Fans who follow the live coverage on the club's channel saw the goal twice.",
])
def test_news_sentences_survive_cleaning(sentence: str) -> None:
    body = clean_text(_article(sentence)).body
    assert sentence in body


@pytest.mark.parametrize("position", [0, 3, 6, 9])
def test_a_short_article_is_not_all_edge(position: int) -> None:
    # Ten paragraphs: a long punctuated notice-like sentence in the middle is prose, not an edge notice.
    paragraphs = [f"Paragraph {i} reports what the council decided and what the mayor said about it." for i in range(10)]
    paragraphs[position] = "Officials said cookies and pastries sold at the fair raised 4,000 euros for the flood fund."
    body = clean_text("Council news\n\n" + "\n\n".join(paragraphs)).body
    assert paragraphs[position] in body


@pytest.mark.parametrize("furniture", [
    "WATCH: Powell says the Fed has not made up its mind about December (2:11)",
    "> Related: Who is the new chief negotiator?",
    "Associated Press writer Ana Ruiz in Madrid contributed.",
    "Media contact: Press Office, tel. +49 69 0000 0000",
    "Follow the Daily Ledger on Google News",
    "Disclaimer: This article is for information only and is not financial advice.",
    "Follow our live coverage of the storm as it crosses the coast.",
    "Read our live blog for the latest from the summit.",
])
def test_furniture_of_other_sites_is_removed(furniture: str) -> None:
    body = clean_text(_article("The central bank left its rate unchanged on Thursday.", furniture)).body
    assert furniture not in body and "left its rate unchanged" in body


@pytest.mark.parametrize(("headline", "expected"), [
    ("Dubai Airshow opens with record orders", "Dubai Airshow opens with record orders"),
    ("Nairobi Securities Exchange halts trading", "Nairobi Securities Exchange halts trading"),
    ("Chinese Premier Li Qiang says growth target is within reach", "Li Qiang says growth target is within reach"),
    ("Ukrainian President Volodymyr Zelenskyy reaffirms Ukraine will not give up territory",
     "Volodymyr Zelenskyy reaffirms Ukraine will not give up territory"),
])
def test_headline_style_keeps_names_and_places(headline: str, expected: str) -> None:
    assert headline_style(headline) == expected


def test_a_name_is_what_follows_the_last_title() -> None:
    assert person_name("Goldman Sachs chief executive David Solomon") == "David Solomon"
    assert person_name("Danish Prime Minister Mette Frederiksen") == "Mette Frederiksen"
    assert person_name("Li Qiang") == "Li Qiang"


def test_a_first_name_ending_in_in_does_not_make_the_surname_a_place() -> None:
    text = "Kevin Costner arrived on the red carpet on Saturday. Costner's film premiered in Cannes."
    assert clean_people(["Costner"], text, None, not_people=["Cannes"]) == ["Kevin Costner"]
    assert clean_people(["Cannes"], text, None, not_people=[]) == []  # "in Cannes": a place


def test_people_who_share_a_surname_stay_two_people() -> None:
    assert union_people([["Marc Marquez"], ["Alex Marquez", "Marquez"]]) == ["Marc Marquez", "Alex Marquez"]
    assert union_people([["Venus Williams", "Serena Williams"]]) == ["Venus Williams", "Serena Williams"]
    # A bare surname still joins the one full name it can belong to.
    assert union_people([["Zelensky"], ["Volodymyr Zelenskyy"]]) == ["Volodymyr Zelenskyy"]


def test_a_capitalised_first_word_is_not_an_actor() -> None:
    assert compare_points("After the vote, the council approved the 12 million dollar budget.",
                          "The council approved the 12 million dollar budget.") == "same"
    assert compare_points("Putin said the talks would continue next week.",
                          "Zelensky said the talks would continue next week.") == "conflict"


def test_a_first_name_the_evidence_omits_passes_only_for_the_same_person() -> None:
    """News names a person in full once and by surname after; grounding accepts that, but
    never lets one Marquez's first name ride on another's sentence."""
    from briefgen.notes.ground import support

    context = ("U.S. President Donald Trump spoke on Monday. Later Trump said he would meet Putin next week. "
               "Marc Marquez won in Jerez. Alex Marquez finished second in Jerez behind him.")
    assert support("Aides say Donald Trump will meet Putin next week.", "Later Trump said he would meet Putin next week.",
                   context).names_ok
    assert not support("Aides say Donald Trump will meet Putin next week.", "Later Trump said he would meet Putin next week.").names_ok
    assert not support("In Jerez, Marc Marquez finished second.", "Alex Marquez finished second in Jerez behind him.",
                       context).names_ok
    # A first name the article never puts before the evidence's surname does not pass either.
    assert not support("Aides say Melania Trump will meet Putin next week.", "Later Trump said he would meet Putin next week.",
                       context).names_ok


def test_the_title_the_article_gives_a_person_passes_with_the_surname() -> None:
    """'ECB President Christine Lagarde said ...' on a sentence that says 'Lagarde said ...':
    the article gave her that title and name once; not an organisation merely written nearby."""
    from briefgen.notes.ground import support

    context = ("The decision was unanimous, ECB President Christine Lagarde told reporters in Frankfurt. "
               "At the bank, Goldman Sachs chief executive David Solomon listened. "
               "Talks between Siemens and Alstom chief Henri Lafarge went on.")
    evidence = '"We are in a good place," Lagarde said on the day, and she would not commit to a path for rates.'
    point = "Then ECB President Christine Lagarde said she would not commit to a path for rates."
    assert support(point, evidence, context).names_ok
    assert not support(point, evidence).names_ok  # without the article: ECB and Christine unsupported
    assert support("Then Goldman Sachs chief executive David Solomon said profit rose.",
                   "Later Solomon said profit rose.", context).names_ok
    # "Siemens and Alstom chief Henri Lafarge": Siemens is not part of his title.
    assert not support("Then Siemens chief Henri Lafarge said profit rose.", "Later Lafarge said profit rose.",
                       context).names_ok


def test_a_name_after_a_quotation_closed_by_a_comma_is_a_name() -> None:
    from briefgen.text.names import proper_names

    assert proper_names('"We are in a good place," Lagarde said.') == {"lagarde"}
    assert proper_names("“We are in a good place,” Lagarde said.") == {"lagarde"}
    assert proper_names('"It is over." Then they left.') == set()  # a sentence ended: grammar capitalized it


def test_who_met_whom_must_agree_with_the_evidence() -> None:
    """Every word of the wrong summary is in its sentence; the pairs of participants are not."""
    from briefgen.notes.ground import support
    from briefgen.text.actors import meeting_pairs

    evidence = ("Despite President Donald Trump calling a recent meeting between U.S. special envoy Steve Witkoff "
                "and Russian President Vladimir Putin “highly productive,” the White House confirmed that a new "
                "round of sanctions against Russia will take effect on Friday as planned.")
    wrong = ("President Donald Trump has confirmed that a new round of sanctions against Russia will take effect "
             "on Friday as planned, despite his recent meeting with U.S. special envoy Steve Witkoff in Moscow.")
    right = "Trump called the meeting between envoy Steve Witkoff and Vladimir Putin highly productive."
    assert not support(wrong, evidence).ok and support(right, evidence).ok
    assert meeting_pairs("Witkoff met Putin in Moscow on Wednesday.") == {frozenset({"p:witkof", "p:putin"})}
    assert meeting_pairs("Zelensky plans to meet with U.S. President Trump on Thursday.") == \
        {frozenset({"p:zelens", "p:trump"})}
    assert meeting_pairs("The meeting between Ukrainian President Volodymyr Zelensky and Danish Prime Minister "
                         "Mette Frederiksen was held in Copenhagen.") == {frozenset({"p:zelens", "p:freder"})}
    # Not about people meeting: nothing to check.
    assert meeting_pairs("The Chelsea manager said the team met expectations.") == set()
    assert meeting_pairs("Goldman Sachs chief executive David Solomon told analysts on a call that deals were back.") == set()
