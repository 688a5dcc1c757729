"""Who met whom: the participants a sentence gives to a meeting, a call or talks.

Every word of "Trump confirmed new sanctions despite his recent meeting with envoy Steve
Witkoff in Moscow" is found in "Despite Trump calling a recent meeting between envoy Steve
Witkoff and Russian President Vladimir Putin 'highly productive', the White House
confirmed…", and it is still wrong: Witkoff met Putin, Trump was not there. Word overlap
cannot see it; the pairs of participants can. :func:`meeting_pairs` reads them from the
common English shapes ("a meeting between A and B", "A's talks with B", "his call with B",
"A met B", "A and B met", "A will speak with B"), and grounding refuses a text that pairs
two people its evidence does not pair.
"""

from __future__ import annotations

import re
from functools import lru_cache

from briefgen.text.names import name_word, person_key

_REL_NOUN = r"(?:meeting|meetings|talks|summit|call|phone call|conversation|sit-down|encounter)"
_REL_VERB = (r"(?:met|meets|is meeting|will meet|to meet|would meet|is to meet|spoke|speaks|will speak|to speak|"
             r"talked|talks|held talks|phoned)")
# A stretch of words that can hold a name, up to punctuation or a clause word.
_SEG = r"([^,;:.!?()]{1,80}?)(?=[,;:.!?()]|\s(?:in|on|at|to|for|about|over|after|before|and|as|while|who|which|that)\s|$)"
_CAP = re.compile(r"(?<![\w'’-])[A-Z][\w'’-]*")

_BETWEEN = re.compile(rf"\b{_REL_NOUN}\s+between\s+([^,;.!?]{{1,80}}?)\s+and\s+{_SEG}", re.I)
_POSSESSIVE = re.compile(rf"((?:[A-Z][\w'’.-]*\s+){{0,3}}[A-Z][\w'-]*)['’]s\s+(?:\w+\s+){{0,2}}{_REL_NOUN}\s+with\s+{_SEG}")
_PRONOUN = re.compile(rf"\b(?:his|her)\s+(?:\w+\s+){{0,2}}{_REL_NOUN}\s+with\s+{_SEG}", re.I)
_VERB = re.compile(rf"((?:[A-Z][\w'’.-]*\s+){{0,3}}[A-Z][\w'-]*)\s+(?:[a-z]+\s+){{0,4}}?{_REL_VERB}\s+(?:with\s+|to\s+)?{_SEG}")
_AND_VERB = re.compile(r"((?:[A-Z][\w'’.-]*\s+){0,3}[A-Z][\w'-]*)\s+and\s+((?:[\w'’.-]+\s+){0,4}?[A-Z][\w'-]*)\s+"
                       r"(?:have\s+|had\s+|will\s+)?(?:met|meet|spoke|talked|held talks)\b(?:\s+(?:with\s+)?" + _SEG + ")?")
_RELATION_WORD = re.compile(rf"\b(?:{_REL_NOUN}|{_REL_VERB})\b", re.I)


def _runs(segment: str) -> list[list[str]]:
    """Runs of capitalized words (titles included: "Danish Prime Minister Mette Frederiksen")."""
    runs: list[list[str]] = [[]]
    for token in segment.split():
        word = token.strip(",;:.!?\"“”'’()")
        if word[:1].isupper():
            runs[-1].append(word)
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if r]


def _key(run: list[str]) -> str:
    """The surname key of a run of capitalized words: its last word that is a name."""
    names = [w for w in run if name_word(w)]
    return person_key(name_word(names[-1])) if names else ""


def _person(segment: str, last: bool = True) -> str:
    """The surname key of the last (or first) person named in ``segment``; '' when none."""
    keys = [k for k in (_key(r) for r in _runs(segment)) if k]
    if not keys:
        return ""
    return keys[-1] if last else keys[0]


# "U.S." and "U. S." (a small model's spacing) end no clause: their letters, dots and spaces out.
_ABBREVIATION = re.compile(r"\b[A-Z]\.(?: ?[A-Z]\.)+")


def meeting_pairs(text: str) -> set[frozenset[str]]:
    """Pairs of people (surname keys) that ``text`` says met, talked or spoke."""
    return set(_meeting_pairs(text))


@lru_cache(maxsize=1 << 16)  # grounding reads the same sentences for many points
def _meeting_pairs(text: str) -> frozenset[frozenset[str]]:
    text = _ABBREVIATION.sub(lambda m: re.sub(r"[. ]", "", m.group(0)), text)
    pairs: set[frozenset[str]] = set()
    subject = _person(text, last=False)

    def add(a: str, b: str) -> None:
        if a and b and a != b:
            pairs.add(frozenset((a, b)))

    for m in _BETWEEN.finditer(text):
        add(_person(m.group(1)), _person(m.group(2), last=False))
    for m in _POSSESSIVE.finditer(text):
        add(_person(m.group(1)), _person(m.group(2), last=False))
    for m in _PRONOUN.finditer(text):
        add(subject, _person(m.group(1), last=False))
    for m in _VERB.finditer(text):
        add(_person(m.group(1)), _person(m.group(2), last=False))
    for m in _AND_VERB.finditer(text):
        a, b = _person(m.group(1)), _person(m.group(2))
        other = _person(m.group(3), last=False) if m.group(3) else ""
        if other:  # "A and B met C": both met C, not each other
            add(a, other)
            add(b, other)
        else:
            add(a, b)
    return frozenset(pairs)


def pairs_agree(claim: str, evidence: str) -> bool:
    """False when ``claim`` pairs two people in a meeting, call or talks while ``evidence``
    pairs one of them with someone else (Witkoff met Putin, the claim says Trump met Witkoff).
    What the evidence's shapes do not tell (no pair read, or pairs of other people) passes:
    a sentence this reader cannot parse must not fail a correct point."""
    claimed = meeting_pairs(claim)
    if not claimed or not _RELATION_WORD.search(evidence):
        return True
    found = meeting_pairs(evidence)
    people = {p for pair in found for p in pair}
    return all(pair in found or not (pair & people) for pair in claimed)
