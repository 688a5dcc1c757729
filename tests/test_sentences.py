"""Sentence splitting and the lede (briefgen.text.sentences)."""

from __future__ import annotations

from briefgen.text.sentences import LEDE_MAX_CHARS, LEDE_MIN_CHARS, lede, split_sentences


def test_titles_and_abbreviations_do_not_end_a_sentence() -> None:
    text = "Speaking in Kyiv, U.S. President Donald Trump said talks would go on. Gen. Smith agreed. Mr. Jones did not."
    assert split_sentences(text) == [
        "Speaking in Kyiv, U.S. President Donald Trump said talks would go on.",
        "Gen. Smith agreed.",
        "Mr. Jones did not.",
    ]
    assert split_sentences("Prices rose 4.5 percent in March. The bank meets on Sept. 18 to decide.") == [
        "Prices rose 4.5 percent in March.", "The bank meets on Sept. 18 to decide."]


def test_a_sentence_never_spans_a_paragraph() -> None:
    text = "The first paragraph ends without a stop\n\nThe second begins here. It has two sentences."
    assert split_sentences(text) == ["The first paragraph ends without a stop", "The second begins here.",
                                     "It has two sentences."]
    # Blank lines with spaces in them still separate paragraphs.
    assert split_sentences("Heading of a list\n  \nThe list follows.") == ["Heading of a list", "The list follows."]


def test_a_wrapped_line_is_one_sentence_and_spacing_is_tidied() -> None:
    assert split_sentences("The line\nwraps here.   Next one.") == ["The line wraps here.", "Next one."]
    assert split_sentences("  \n\n  ") == []
    assert split_sentences("") == []


def test_quotes_stay_with_their_sentence() -> None:
    text = "“We will rebuild,” the mayor said. Residents applauded."
    assert split_sentences(text) == ["“We will rebuild,” the mayor said.", "Residents applauded."]


def test_lede_is_the_first_sentence_or_two_when_it_is_short() -> None:
    long_first = "The Riverton council approved a flood budget of 12 million euros on Tuesday after a long debate."
    assert len(long_first) >= LEDE_MIN_CHARS
    assert lede([long_first, "Work starts in May."]) == long_first
    assert lede(["The new dam opened on Monday.", "Crowds cheered on both banks of the river as it opened in the morning."]) \
        == "The new dam opened on Monday. Crowds cheered on both banks of the river as it opened in the morning."


def test_lede_never_grows_past_its_maximum_and_falls_back() -> None:
    assert lede(["Tiny.", "B" * LEDE_MAX_CHARS + "."]) == "Tiny."
    assert lede([], "Fallback title") == "Fallback title"
    assert lede([]) == ""


def test_lede_skips_the_labels_and_page_instructions_at_the_top() -> None:
    lines = ["Refresh for the latest updates.", "Times are GMT.",
             "The Federal Reserve held its policy rate at 4.5 percent on Wednesday, Chair Jerome Powell said.",
             "Markets rose."]
    assert lede(lines) == lines[2]
    assert lede(["Short.", "Also short."]) == "Short. Also short."  # nothing longer: as before


def test_tighten_drops_an_aside_between_dashes_not_the_verb_after_it() -> None:
    from briefgen.text.sentences import tighten

    long = ("He has mentioned several instances where proposed meeting places – including Turkey, Saudi Arabia "
            "and Switzerland – were agreed upon, only to be undermined by late demands and changed conditions "
            "that made any talks impossible for Kyiv to accept in the end.")
    short = tighten(long)
    assert "were agreed upon" in short and "including Turkey" not in short
    assert all(w in long.split() for w in short.split())  # deletions only
    # A single dash still ends the main clause.
    one = ("The bank raised rates by a quarter point on Tuesday in a widely expected move that lifted the main rate "
           "to its highest level in years – a step that economists said would slow growth further next year.")
    assert tighten(one) == ("The bank raised rates by a quarter point on Tuesday in a widely expected move that lifted "
                            "the main rate to its highest level in years.")
    # A dashed aside with a figure stays: figures are facts.
    fig = ("Officials said the storm – the 14th of the year – had killed dozens of people in three provinces and cut "
           "power to hundreds of thousands of homes across the region, officials said on Tuesday evening.")
    assert "14th" in tighten(fig)


def test_a_body_is_split_paragraph_by_paragraph_and_given_splits_are_taken() -> None:
    from briefgen.text.sentences import given_splits, splits_of

    body = "The council met on Monday. It approved the plan.\n\nResidents objected. A vote follows in May."
    assert split_sentences(body) == [s for para in body.split("\n\n") for s in split_sentences(para)]
    assert list(splits_of(body).values()) == [("The council met on Monday.", "It approved the plan."),
                                              ("Residents objected.", "A vote follows in May.")]
    # Splits made in another process are used instead of segmenting again (a text not yet seen here).
    unseen = "Zorblat Quux ran first. Then Quux Zorblat ran second."
    with given_splits({unseen: ("as the sender split it",)}):
        assert split_sentences(unseen) == ["as the sender split it"]
    assert split_sentences("Another unseen text here. Two sentences.") == ["Another unseen text here.",
                                                                            "Two sentences."]


def test_a_heading_line_is_not_the_first_half_of_a_lede() -> None:
    """A press release's heading above its dateline was joined to it as one summary ("…by 25
    basis points Frankfurt am Main, 5 June 2025 - At its meeting…"); a line without a
    sentence's end is skipped when a sentence follows."""
    from briefgen.text.sentences import lede

    lines = ["City council approves new transit budget for next year",
             "SPRINGFIELD, 3 March - The city council approved a transit budget of $40 million on Monday.",
             "The vote was 7 to 2."]
    assert lede(lines) == lines[1]
    assert lede(["Storm warning issued for coastal districts tonight"]) == "Storm warning issued for coastal districts tonight"


def test_a_participle_clause_is_cut_before_the_attribution() -> None:
    """A tune point ran 36 words: "…at Liverpool, ending months of uncertainty over …, a source
    close to the club said on Friday." The participle's clause goes, who said it stays."""
    from briefgen.text.sentences import tighten

    long = ("The striker Ana Costa is set to sign a new three-year contract with Porto, ending months of talk "
            "about a move abroad and a possible fee of 60 million euros, a source close to the club said on Friday.")
    assert len(long.split()) > 35
    assert tighten(long) == "The striker Ana Costa is set to sign a new three-year contract with Porto, " \
                            "a source close to the club said on Friday."


def test_the_splits_are_pysbds_own_without_its_second_search() -> None:
    """The processed sentences are taken without segment()'s second search of the text (a regex
    compiled per sentence): the splits are the ones segment() gives, on hard cases too."""
    from briefgen.text import sentences as s

    windows = ["Speaking in Kyiv, U.S. President Donald Trump said talks would go on. Gen. Smith agreed.",
               "He said: “We will not cede.” Then he left… Mr.?! No.. Shares fell 3.2% to $41.50 on Tuesday.",
               "The bank (the ECB) cut rates. (It was the eighth cut.) Next: 1. growth 2. prices. Done!",
               "Visit www.example.com. Email a.b@example.org today. The report is on p. 4 of the PDF.",
               "Zelensky said the same thing twice. Zelensky said the same thing twice. And again."]
    seg = s._segmenter()
    for w in windows:
        assert s._align(w, s._pieces(w)) == s._align(w, seg.segment(w)), w
