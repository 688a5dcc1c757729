"""Who met whom: the participants a sentence gives to a meeting, a call or talks.

Every word of "Trump confirmed new sanctions despite his recent meeting with envoy Steve
Witkoff in Moscow" is found in "Despite Trump calling a recent meeting between envoy Steve
Witkoff and Russian President Vladimir Putin 'highly productive', the White House
confirmed…", and it is still wrong: Witkoff met Putin, Trump was not there. Word overlap
cannot see it; the pairs of participants can. :func:`meeting_pairs` reads them from the
common English shapes ("a meeting between A and B", "A's talks with B", "his call with B",
"A met B", "A and B met", "A will speak with B"), and grounding refuses a text that pairs
two people its evidence does not pair. :func:`roles_agree` does the same for who did what:
a verb given a subject the evidence names in another role ("Ushakov offered a moratorium"
of "Ushakov said Putin had offered …"; the seeds' "Trump has confirmed …" of "… the White
House confirmed …"), and :func:`tense_fits` refuses a past act in the future ("They met in
Abu Dhabi next week").
"""

from __future__ import annotations

import re
from functools import lru_cache

from briefgen.text.lexicon import STOPWORDS, WEEKDAYS
from briefgen.text.names import name_word, person_key
from briefgen.text.tokens import content_terms, stem

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


def _joined_initials(text: str) -> str:
    return _ABBREVIATION.sub(lambda m: re.sub(r"[. ]", "", m.group(0)), text)


def meeting_pairs(text: str) -> set[frozenset[str]]:
    """Pairs of people (surname keys) that ``text`` says met, talked or spoke."""
    return set(_meeting_pairs(text))


@lru_cache(maxsize=1 << 16)  # grounding reads the same sentences for many points
def _meeting_pairs(text: str) -> frozenset[frozenset[str]]:
    text = _joined_initials(text)
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


# Who did it: the subject a sentence gives to its verb. "Ushakov offered a moratorium" is made
# of the words of "Kremlin aide Yuri Ushakov said Putin had offered a 30-day moratorium", and
# the army did not order anything in "Prime Minister Chinh ordered the army and police to …".
# Read only where it is plain: a claim whose first finite verb (a past tense, "says") is in the
# active voice, against the evidence's active uses of that verb; the subject is the content
# words before the verb, back to a comma or a clause word.
_IRREGULAR = frozenset("""
    said met won beat cut hit made took gave set put left led told held kept sold paid spent lost fell
    rose ran saw sent brought bought found struck shot sank broke began chose drew drove flew froze
    grew knew threw wrote says""".split())
_PASSIVE = frozenset("was were been be being is are get got gets".split())
# A participle followed by one of these, in a text that opens without an article, is a
# headline's passive ("Two men arrested over the heist", "Three killed in floods"), not a
# subject's act ("The premier confirmed on Monday that …" is one).
_AFTER_PARTICIPLE = frozenset("over in at by after for on near during amid following from into".split())
_AUXILIARIES = frozenset("has have had will would could should may might must can did do does also then".split())
_DETERMINERS = frozenset("the a an this that these those his her its their our".split())
_CLAUSE_WORDS = frozenset("that said says told which who whom whose after before when while as because "
                          "where if though although since until than according".split())
_EDGE = re.compile(r"[,;:()\[\]—–]|\s-\s")


@lru_cache(maxsize=1 << 16)  # an evidence sentence is read for many claims
def _tokens(text: str) -> tuple[tuple[str, bool], ...]:
    """(word, a clause boundary comes right before it) for each word of ``text``."""
    out: list[tuple[str, bool]] = []
    boundary = True
    for piece in re.split(r"(\s+)", _EDGE.sub(lambda m: " , ", _joined_initials(text))):
        if not piece.strip():
            continue
        if piece == ",":
            boundary = True
            continue
        word = piece.strip("\"“”‘’'.!?")
        if word:
            out.append((word, boundary))
            boundary = False
    return tuple(out)


def _is_finite(word: str) -> bool:
    return word.islower() and (word.endswith("ed") and len(word) > 4 or word in _IRREGULAR)


def _subject(tokens: tuple[tuple[str, bool], ...], i: int, *, named: bool = False) -> set[str]:
    """Content terms of the words before token ``i``, back to a clause boundary (none when the
    verb follows one: "Kaya, head of the agency, said" puts the subject out of reach). The
    initials of its capitalized words count too: "the European Central Bank" is the ECB.
    ``named`` (the evidence's side): a group for subject, a plural noun up to its first "of"
    ("Leaders of Europe have met"), is no one's in particular: a member's act may be its."""
    if tokens[i][1]:
        return set()
    words: list[str] = []
    j = i - 1
    while j >= 0 and tokens[j][0].casefold() not in _CLAUSE_WORDS:
        words.append(tokens[j][0])
        if tokens[j][1]:
            break
        j -= 1
    words.reverse()
    before_of = words[:words.index("of")] if "of" in words else words
    head = next((w for w in reversed(before_of) if w.casefold() not in _AUXILIARIES), "")
    if named and head.endswith("s") and not head.endswith("ss") and (head.islower() or head == words[0]):
        return set()
    caps = [w for w in words if w[:1].isupper() and w.casefold() not in STOPWORDS]
    terms = {t.rstrip("'’") for t in content_terms(" ".join(words))}
    return terms | ({"".join(w[0] for w in caps).casefold()} if len(caps) > 1 else set())


def roles_agree(claim: str, evidence: str) -> bool:
    """False when ``claim`` gives its verb a subject that ``evidence`` names, but in another
    role: every active use of that verb in the evidence has another subject. What cannot be
    read plainly (a passive, a pronoun, a verb the evidence does not use) passes."""
    ct = _tokens(claim)
    verb = next((i for i, (w, _) in enumerate(ct) if i and _is_finite(w)), None)
    if verb is None or ct[verb - 1][0].casefold() in _PASSIVE or \
            ct[0][0].casefold() not in _DETERMINERS and (verb + 1 == len(ct) or ct[verb + 1][0].casefold() in _AFTER_PARTICIPLE):
        return True
    subject = _subject(ct, verb)
    if not subject:
        return True
    key = stem(ct[verb][0])
    if key[:4] not in evidence:
        return True  # the evidence does not use the verb (the cheap test, before reading it)
    et = _tokens(evidence)
    uses = [i for i, (w, _) in enumerate(et) if i and w.islower() and stem(w) == key and et[i - 1][0].casefold() not in _PASSIVE]
    subjects = [_subject(et, i, named=True) for i in uses]
    if not subjects or any(not s or s & subject for s in subjects):
        return True
    # The claim's subject must be in the evidence, in another role: a synonym ("policymakers"
    # for "the bank") is not read as a disagreement.
    return not subject & content_terms(evidence)


# A past act in the future: "They met in Abu Dhabi next week" (of "… agreed that their teams
# would meet in Abu Dhabi next week") is a small model's wrong verb, whatever its words.
_FUTURE_TIME = re.compile(r"\b(?:next (?:week|month|year|" + "|".join(WEEKDAYS) + r")|"
                          r"tomorrow|later this (?:week|month|year)|in the coming (?:days|weeks|months))\b", re.I)
_MODAL = frozenset("will would shall to could may might can must should".split())


def tense_fits(claim: str) -> bool:
    """False when a past-tense verb is followed, in its clause, by a time still to come with
    no modal between ("met … next week"); a reported plan ("agreed the teams would meet next
    week") fits."""
    m = _FUTURE_TIME.search(claim)
    if m is None:
        return True
    before = _tokens(claim[:m.start()])
    for k in range(len(before) - 1, -1, -1):
        word, boundary = before[k]
        if word.casefold() in _MODAL or word.casefold() in _CLAUSE_WORDS:
            return True
        if _is_finite(word) and word != "says":
            # A participle: "talks scheduled for next week", "results expected next week".
            after = before[k + 1][0].casefold() if k + 1 < len(before) else ""
            return after in ("", "for", "until", "by", "as")
        if boundary:
            return True
    return True
