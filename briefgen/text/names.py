"""Proper names in running text, and the keys that compare them across articles.

One detector serves grounding (a point's names must be in its source), clustering (the
names an article's text mentions) and story merging (who did it): a capitalized word is a
name unless grammar capitalized it (the first word of a sentence, a Title Case heading) or
it is a title, a month, a weekday or a stopword.
"""

from __future__ import annotations

import re
from functools import lru_cache

from briefgen.text.lexicon import FURNITURE_WORDS, GENERIC_PLACE, MONTH_NAMES, TITLE_WORDS
from briefgen.text.tokens import CLUSTER_STOPWORDS, LETTER_WORD, ascii_quotes, fold

# Capitalized words that are titles, months or page furniture: never anyone's or anywhere's name.
NOT_NAMES = TITLE_WORDS | FURNITURE_WORDS | frozenset(MONTH_NAMES)

_CAPWORD = re.compile(r"(?<![\w'’-])[A-Z][\w'’-]*[\w]")
_SENTENCE_END = frozenset(".!?:;\"“”‘'«»—–-•|>*#")
# A quotation closed after a comma goes on: the word after it ('"...," Lagarde said') is not
# capitalized by grammar.
_QUOTE_GOES_ON = re.compile(r",\s*[\"”’']$")


def name_word(token: str) -> str:
    """A capitalized token as a folded name word, possessive cut; '' when it names no one."""
    t = fold(token)
    for suffix in ("'s", "’s"):
        if t.endswith(suffix):
            t = t[: -len(suffix)]
    t = t.strip("'’-")
    if len(t) < 3 or t in CLUSTER_STOPWORDS or t in NOT_NAMES or t.rstrip("s") in NOT_NAMES:
        return ""
    return t


def _is_heading(line: str, caps: list[str]) -> bool:
    long_words = [w for w in LETTER_WORD.findall(line) if len(w) >= 4]
    return line.rstrip()[-1:] not in ".!?\"”’)" and len(caps) >= 0.6 * max(1, len(long_words))


def proper_names(text: str, *, headings: bool = False, sentence_start: bool = False) -> set[str]:
    """Folded proper-name words of ``text``: capitalized words that grammar did not capitalize.

    A sentence's first word is capitalized by grammar, so it counts only with
    ``sentence_start`` (for one-sentence key points, whose subject is often a name: it still
    is not when it is a stopword or title, "After the vote, ..."). A Title Case line (a
    heading, a caption) capitalizes everything, so it counts only with ``headings``.
    """
    return set(_proper_names(text, headings, sentence_start))


@lru_cache(maxsize=1 << 16)  # grounding reads the same sentences for many points
def _proper_names(text: str, headings: bool, sentence_start: bool) -> frozenset[str]:
    out: set[str] = set()
    for line in ascii_quotes(text).splitlines():
        caps = _CAPWORD.findall(line)
        if not caps or (not headings and _is_heading(line, caps)):
            continue
        for m in _CAPWORD.finditer(line):
            before = line[: m.start()].rstrip()
            if not sentence_start and (not before or (before[-1] in _SENTENCE_END and not _QUOTE_GOES_ON.search(before))):
                continue
            if word := name_word(m.group(0)):
                out.add(word)
    return frozenset(out)


# Transliteration writes one Slavic surname's ending several ways: Zelensky, Zelenskyy,
# Zelenskiy; Dmitry, Dmitriy. Only the ending's y/i/j letters vary, after a root of 4+ letters.
_TRANSLIT_END = re.compile(r"[yij]+$")


@lru_cache(maxsize=1 << 14)
def _spelled_alike(name: str) -> re.Pattern[str] | None:
    root = _TRANSLIT_END.sub("", name)
    if root == name or len(root) < 4:
        return None
    return re.compile(r"\b" + re.escape(root) + r"[yij]*\b")


# A country and its people's adjective share a root: Ukraine/Ukrainian, Russia/Russian,
# China/Chinese, Canada/Canadian, Britain/British (4+ letters of root).
_PEOPLE_ENDS = ("ian", "ean", "an", "ese", "ish")


@lru_cache(maxsize=1 << 14)
def _demonym_root(name: str) -> re.Pattern[str] | None:
    roots = [name[: -len(end)] for end in _PEOPLE_ENDS if name.endswith(end)]
    if roots:
        other = r"(?:e|a)?"
    elif name.endswith(("e", "a")):
        roots, other = [name[:-1]], "(?:" + "|".join(_PEOPLE_ENDS) + ")"
    roots = [r for r in roots if len(r) >= 4]
    if not roots:
        return None
    return re.compile(r"\b(?:" + "|".join(map(re.escape, roots)) + ")" + other + r"\b")


def name_in(name: str, folded_text: str) -> bool:
    """Whether the folded name word ``name`` is in ``folded_text``: spelled as written, with
    another transliteration of its ending (a point's "Zelenskyy" in an outlet's "Zelensky"),
    or as the country's or its people's word (a point's "Ukraine" in "Ukrainian forces")."""
    if name in folded_text:
        return True
    return any(p is not None and p.search(folded_text) is not None
               for p in (_spelled_alike(name), _demonym_root(name)))


_LINK_WORDS = frozenset({"of", "for", "and", "the", "on", "de", "du", "des", "la"})


_ACRONYM_PLURAL = re.compile(r"[A-Z]{2,6}s")


def acronym_plural_in(written: str, folded_text: str) -> bool:
    """Whether an acronym's plural as written ("SUVs", "NGOs") stands in ``folded_text`` in the
    singular ("84,000 Vela SUV"): one name. Only for capitals: "Williams" is not "William"."""
    return bool(_ACRONYM_PLURAL.fullmatch(written)) and re.search(
        r"\b" + re.escape(written[:-1].casefold()) + r"\b", folded_text) is not None


def acronym_in(acronym: str, text: str) -> bool:
    """Whether ``text`` writes out ``acronym`` (2-6 capitals, e.g. "ECB"): capitalized words
    whose initials spell it, linking words between them skipped ("European Central Bank",
    "Disaster and Emergency Management Authority" for AFAD)."""
    if not (2 <= len(acronym) <= 6 and acronym.isalpha() and acronym.isupper()):
        return False
    words = re.findall(r"[\w'’-]+", ascii_quotes(text))
    caps = [w for w in words if w.casefold() not in _LINK_WORDS]
    initials = "".join(w[0] if w[0].isupper() else " " for w in caps)
    return acronym in initials


def name_key(token: str) -> str:
    """A proper-name token's clustering key: its first six letters (Zelensky/Zelenskyy), or ''."""
    word = name_word(token)
    return "n:" + word[:6] if word else ""


def text_names(text: str) -> set[str]:
    """Clustering keys of the proper names of running text."""
    return {"n:" + w[:6] for w in proper_names(text)}


def person_key(name: str) -> str:
    """A surname key robust to transliteration endings (Zelensky/Zelenskiy/Zelenskyy)."""
    toks = re.findall(r"[a-z]+", fold(name))
    return "p:" + toks[-1][:6] if toks else ""


def org_keys(name: str) -> set[str]:
    """The folded name plus its acronym, so 'European Central Bank' meets 'ECB'."""
    toks = re.findall(r"[a-z0-9]+", fold(name))
    if not toks:
        return set()
    keys = {"o:" + " ".join(t for t in toks if t != "the")}
    caps = [t for t in toks if t not in {"of", "the", "and", "for"}]
    if len(caps) >= 2:
        keys.add("o:" + "".join(t[0] for t in caps))
    return keys


def place_keys(name: str) -> set[str]:
    """Place tokens without generic words ('Izmir province' -> {'izmir'})."""
    return {"l:" + t for t in re.findall(r"[a-z]+", fold(name)) if t not in GENERIC_PLACE and len(t) >= 3}
