"""text/actors: who met, talked or spoke with whom, read from common English shapes."""

from __future__ import annotations

from briefgen.text.actors import meeting_pairs, pairs_agree


def test_the_shapes_of_a_meeting() -> None:
    assert meeting_pairs("Trump and Putin spoke by phone for two hours.") == {frozenset({"p:trump", "p:putin"})}
    assert meeting_pairs("Putin's talks with Witkoff lasted three hours.") == {frozenset({"p:witkof", "p:putin"})}
    assert meeting_pairs("Zelensky will speak with Trump on Thursday.") == {frozenset({"p:zelens", "p:trump"})}
    assert meeting_pairs("Macron said his call with Xi Jinping went well.") == {frozenset({"p:macron", "p:jinpin"})}


def test_a_claim_pairs_only_people_its_evidence_pairs() -> None:
    evidence = "Envoy Steve Witkoff met Vladimir Putin in the Kremlin on Wednesday."
    assert pairs_agree("Witkoff met Putin on Wednesday.", evidence)
    assert not pairs_agree("Trump met Putin on Wednesday.", evidence)
    # Evidence that speaks of no meeting cannot judge: the claim passes (other checks apply).
    assert pairs_agree("Trump met Putin on Wednesday.", "Trump imposed new sanctions on Russia.")


def test_a_sentence_the_reader_cannot_parse_does_not_fail_a_correct_point() -> None:
    """Held-out: 'Witkoff and Kushner met Putin' against an appositive ('Kushner, Trump's
    son-in-law, met Putin') was refused; 'A and B met C' also read as A meeting B."""
    claim = "Steve Witkoff and Jared Kushner met Russian President Vladimir Putin in the Kremlin."
    assert meeting_pairs(claim) == {frozenset({"p:witkof", "p:putin"}), frozenset({"p:kushne", "p:putin"})}
    evidence = ("U.S. special envoy Steve Witkoff and Jared Kushner, President Donald Trump's son-in-law, met "
                "Russian President Vladimir Putin in the Kremlin on Friday.")
    assert pairs_agree(claim, evidence)
    # Pairs of other people in the evidence say nothing about the claim's.
    assert pairs_agree(claim, "The longest meeting between the Russian and American delegations ran five hours.")
    # But the evidence pairing one of them with someone else refuses it.
    assert not pairs_agree("Trump met Putin in Moscow.", "Envoy Steve Witkoff met Vladimir Putin in Moscow.")


def test_spaced_initials_end_no_clause() -> None:
    """The 1.5B model writes "U. S." as two initials with a space. Read as "U." ending the
    clause, the seeds' wrong summary ("…despite his recent meeting with U. S. special envoy
    Steve Witkoff in Moscow") gave no pair and passed its check, as it did in the brief."""
    evidence = ("Despite President Donald Trump calling a recent meeting between U.S. special envoy Steve Witkoff "
                "and Russian President Vladimir Putin “highly productive,” the White House confirmed that a new "
                "round of sanctions against Russia will take effect on Friday as planned.")
    claim = ("President Donald Trump has confirmed that a new round of sanctions against Russia will take effect "
             "on Friday as planned, despite his recent meeting with U. S. special envoy Steve Witkoff in Moscow.")
    assert meeting_pairs(claim) == {frozenset({"p:trump", "p:witkof"})}
    assert not pairs_agree(claim, evidence)
    assert meeting_pairs("J. K. Rowling met Emma Watson.") == {frozenset({"p:rowlin", "p:watson"})}
