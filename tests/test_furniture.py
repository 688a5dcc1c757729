"""The furniture classifier (briefgen.sources.furniture): line rules on one paragraph, context rules on its neighbours.

Every line here is written for this test. ``test_clean.py`` judges the whole cleaner against
the hand-labeled fixtures; these pin each rule: what it removes and what prose it must leave.
"""

from __future__ import annotations

import pytest

from briefgen.sources.furniture import Unit, context_rules, ends_sentence, line_rule, title_case_share, unit_core

# A unit in the middle of a 40-unit page: no edge position helps or hurts it.
MIDDLE = (10, 40)

FURNITURE = {
    "Advertisement": "label",
    "Sponsored content": "label",
    "5 min read": "label",
    "Breaking News": "label",
    "Share on Facebook": "share",
    "Share this:": "share",
    "Tweet Email Print": "share",
    "Home » World » Europe": "breadcrumb",
    "Read more: Dam costs double the estimate": "related link",
    "You may also like": "related link",
    "Related stories": "related link",
    "Leave a Reply": "comment form",
    "Please enter your name here": "comment form",
    "12 Comments": "comment form",
    "Tell us what you think in the comments below.": "reader engagement",
    "Did you know? The first dam on this river was built in 1910.": "tip box",
    "Tags: floods, Riverton, council": "tags",
    "Photo: Anna Berg / Valley Courier": "photo credit",
    "Please disable your ad blocker to keep reading.": "ad-block notice",
    "We use cookies to improve your experience. Accept all": "cookie banner",
    "Get breaking news alerts on your phone": "notification prompt",
    "Sign up for our morning newsletter": "newsletter pitch",
    "(Reporting by Anna Berg; Editing by Tom Hale)": "agency boilerplate",
    "© 2026 Valley Courier. All rights reserved.": "agency boilerplate",
}

# Prose that shares a word with some furniture rule.
BODY = [
    "The council voted 7 to 2 on Tuesday to approve the flood budget.",
    "Readers of the Valley Courier had asked the mayor to explain the cost.",
    "Residents shared photos of the flooded street on social media.",
    "The newspaper's cookie stall at the fair raised 400 euros for the shelter.",
    "Related costs, such as new pumps, were not in the budget, the mayor said.",
    "Subscribers to the water service will pay 3 percent more from May.",
    "The mayor said she would sign up to the regional flood plan next week.",
    "\u201cShare the burden fairly,\u201d the opposition leader told the council.",
    "Advertising revenue at the broadcaster fell by a fifth last year.",
    "Home owners along the river will get grants of up to 5,000 euros.",
]


@pytest.mark.parametrize(("text", "kind"), FURNITURE.items())
def test_line_rules_name_the_kind_of_furniture(text: str, kind: str) -> None:
    assert line_rule(Unit(text), *MIDDLE) == kind


@pytest.mark.parametrize("text", BODY)
def test_line_rules_leave_prose_alone(text: str) -> None:
    assert line_rule(Unit(text), *MIDDLE) is None


@pytest.mark.xfail(strict=True, reason="a short sentence opening with 'Copyright' reads as a copyright notice")
def test_a_sentence_about_copyright_is_prose() -> None:
    assert line_rule(Unit("Copyright lawyers for the broadcaster said the footage was used without permission."),
                     *MIDDLE) is None


def test_a_long_notice_counts_at_the_edges_only() -> None:
    notice = ("Our reporting is free to read because readers like you sign up to support it, "
              "and you can subscribe to our daily newsletter in one click.")
    assert line_rule(Unit(notice), 38, 40) == "newsletter pitch"
    assert line_rule(Unit(notice), *MIDDLE) is None


def test_a_line_telling_the_reader_to_follow_an_outlet_on_a_platform_is_a_pitch() -> None:
    # No "our" or "you" in it: the imperative and the platform make it one (a reprint's last line).
    pitch = "*Follow Harbor Times Sports on WhatsApp and Telegram for every match-day update from the region.*"
    assert line_rule(Unit(pitch), 38, 40) == "newsletter pitch"
    for news in ("Followers of the club on Instagram doubled after the signing, the club said.",
                 "Follow the money: investigators traced the payments through channels on Telegram, police said."):
        assert line_rule(Unit(news), 38, 40) is None


def test_features_of_one_unit() -> None:
    assert title_case_share("Council Approves the Flood Budget".split()) == 1.0
    assert title_case_share("the of and".split()) == 0.0
    assert ends_sentence('He left."') and ends_sentence("Really?") and not ends_sentence("Trending News")
    assert unit_core("• Share this — ") == "share this"
    assert unit_core("Editor’s Picks") == "editor's picks"


def _run(*texts: str) -> list[Unit]:
    units = [Unit(t) for t in texts]
    for i, u in enumerate(units):
        if kind := line_rule(u, i, len(units)):
            u.label, u.reason = "furniture", kind
    context_rules(units)
    return units


LONG = "The council voted on Tuesday to approve a flood budget of 12 million euros for new levees on the east bank."


def test_items_under_a_link_list_header_are_furniture_until_prose_resumes() -> None:
    units = _run(LONG, "You may also like", "Dam costs double the estimate", "Mayor opens new bridge",
                 "The levees will be built by a firm from the region, which won the tender against three rivals last month.")
    assert [u.label for u in units] == ["body", "furniture", "furniture", "furniture", "body"]
    assert units[2].reason == "link list item"


def test_an_faq_is_furniture_only_when_it_restates_the_article() -> None:
    restating = _run(LONG, "The levees on the east bank will be built from next spring.",
                     "Frequently Asked Questions",
                     "What did the council approve? A flood budget of 12 million euros for new levees.",
                     "When will the levees be built? From next spring on the east bank.")
    assert [u.label for u in restating[2:]] == ["furniture"] * 3
    adding = _run(LONG, "Frequently Asked Questions",
                  "Who pays for the work? A regional fund covers two thirds, households none of it.",
                  "Can residents object? Yes, at a hearing in the town hall on June 3.")
    assert [u.label for u in adding] == ["body"] * 4


def test_a_question_to_the_reader_goes_but_an_answered_question_stays() -> None:
    units = _run(LONG, "Will the budget cover the pumps as well?",
                 "It does not: the pumps need a separate vote by the regional assembly next year.",
                 "What do you think the council should do next?")
    assert [u.label for u in units] == ["body", "body", "body", "furniture"]


def test_short_unpunctuated_lines_after_tail_furniture_are_a_menu() -> None:
    units = _run(LONG, "Share on Facebook", "World", "Sport and Leisure")
    assert [u.label for u in units] == ["body", "furniture", "furniture", "furniture"]
    assert units[2].reason == "tail menu"
    # Without furniture before them, short lines after the prose are not judged a menu.
    assert [u.label for u in _run(LONG, "World")] == ["body", "body"]
