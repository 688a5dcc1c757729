"""Repairs of a small model's output, each rule with what it fixes.

The embedded 1.5B model drifts into other scripts, runs out of characters mid-sentence,
copies full titles into headlines and lists bylines, titles and places as people. These
rules undo that, in one place, so each can be judged (and removed) on its own.
"""

from __future__ import annotations

import re

from briefgen.text.lexicon import NAME_PARTICLES, NAME_SUFFIXES, STOPWORDS, is_title_word
from briefgen.text.sentences import split_sentences

_WS = re.compile(r"\s+")
_SPACED_INITIALS = re.compile(r"\b([A-Z])\. (?=[A-Z]\.)")

HEADLINE_TARGET = 90


def foreign_chars(source: str) -> re.Pattern[str] | None:
    """Characters of scripts the article does not use (small models drift into CJK mid-sentence)."""
    if any(ord(c) >= 0x2E80 for c in source):
        return None
    return re.compile(r"[\u2e80-\U0010ffff]+")


def close_initials(text: str) -> str:
    """The 1.5B model's tokenizer writes "U. S. President": the initials as articles write them."""
    return _SPACED_INITIALS.sub(r"\1.", text)


def tidy(text: str, foreign: re.Pattern[str] | None) -> str:
    """One clean sentence: foreign-script drift removed, "U. S." closed up, a fragment cut off
    by maxLength dropped."""
    if foreign is not None:
        text = foreign.sub("", text)
    text = _WS.sub(" ", text).strip()
    text = close_initials(text)
    if text and text[-1] not in ".!?\"”’)":
        # Cut off by the schema's maxLength: keep the complete sentences, if there are any
        # (a real segmenter: "U.S. special envoy" is not a sentence end).
        sentences = split_sentences(text)
        if len(sentences) > 1:
            text = " ".join(sentences[:-1])
        else:
            words = text.rstrip(" ,;:-").split()
            while len(words) > 3 and words[-1].casefold().strip(",;:") in STOPWORDS:
                words.pop()  # "... between U.S. envoy Witkoff and" ends on the name
            text = " ".join(words).rstrip(" ,;:-") + "."
    return text


def person_name(value: str) -> str:
    """A person's name without the titles and affiliations written around it.

    'Ukrainian President Volodymyr Zelensky' -> 'Volodymyr Zelensky'; 'Goldman Sachs chief
    executive David Solomon' -> 'David Solomon' (the name follows the last title word);
    'President' alone stays as it is (nothing follows).
    """
    tokens = close_initials(value).split()
    last_title = max((i for i, tok in enumerate(tokens) if is_title_word(tok)), default=-1)
    rest = tokens[last_title + 1:]
    if last_title >= 0 and rest and rest[0][:1].isupper() and all(
            tok[:1].isupper() or tok.casefold() in NAME_PARTICLES for tok in rest):
        return " ".join(rest)
    return " ".join(tokens)


_LIST_SEP = {"places": re.compile(r"\s*[;,/]\s*"), "people": re.compile(r"\s*(?:[;,]|\band\b|&)\s*"),
             "orgs": re.compile(r"\s*[;,]\s*")}


def split_names(value: str, kind: str) -> list[str]:
    """One list item that is really a list ("Copenhagen, Paris") as separate names.

    Split only when every part looks like a name of its own: capitalized, at most five
    words, not a suffix or code that qualifies the part before ("Washington, DC",
    "Martin Luther King, Jr.", "Acme, Inc."). Anything else stays one item.
    """
    sep = _LIST_SEP.get(kind)
    if sep is None:
        return [value]
    parts = [p.strip(" .") for p in sep.split(value)]
    parts = [p for p in parts if p]
    if len(parts) < 2:
        return [value]
    for i, part in enumerate(parts):
        words = part.split()
        if not part[0].isupper() or len(words) > 5 or part.casefold() in NAME_SUFFIXES:
            return [value]
        if kind == "places" and i and part.isupper() and len(part) <= 3:
            return [value]  # a state or country code qualifying the name before it
    return parts


_NAME_BEFORE = r"((?:[A-Z][\w’'\-]+\.? ){1,3})"


def full_name(name: str, text: str) -> str:
    """'Frederiksen' -> 'Mette Frederiksen' when the text writes the full name (titles dropped)."""
    if " " in name:
        return name
    for match in re.finditer(_NAME_BEFORE + re.escape(name) + r"\b", text):
        candidate = person_name(match.group(0))
        if " " in candidate and candidate.split()[-1] == name:
            return candidate
    return name


def clean_list(values: list[str], limit: int, kind: str = "") -> list[str]:
    """A model's name list: whitespace tidied, real lists split, case-insensitive duplicates out."""
    seen: set[str] = set()
    out: list[str] = []
    for raw in values:
        for value in split_names(_WS.sub(" ", raw).strip(" .,;:-"), kind):
            value = value.strip(" .,;:-")
            key = value.casefold()
            if value and key not in seen:
                seen.add(key)
                out.append(value)
    return out[:limit]


def clean_people(names: list[str], text: str, byline: str | None, not_people: list[str], limit: int = 8) -> list[str]:
    """People who act in the event: full names, no bylines, no titles alone, no places or orgs.

    ``text`` is the article body, not its title: headline case makes any run of words look
    like a name.
    """
    excluded = {n.casefold() for n in not_people}
    out = []
    for name in names:
        tokens = name.split()
        if not tokens or all(is_title_word(t) for t in tokens):
            continue  # "Ukrainian President" is a title, not a person
        if name.casefold() in excluded or re.search(r"\bin " + re.escape(name) + r"\b", text):
            continue  # a place or an organization the model listed as a person ("Ukraine")
        if byline and name.casefold() in byline.casefold():
            continue  # small models copy bylines as people; the byline is metadata, not an actor
        out.append(full_name(name, text))
    return clean_list(out, limit)


def headline_style(text: str) -> str:
    """A headline without the titles the small model copies from the body before a name:
    'Ukrainian President Volodymyr Zelenskyy reaffirms …' -> 'Volodymyr Zelenskyy reaffirms …'.

    Only titles and nationality words go, never a word of the name itself: a first name
    cannot be told from a family name written first ('Li Qiang says'), nor a place from a
    person ('Dubai Airshow opens').
    """
    tokens = text.split()
    i = 0
    while i < len(tokens) - 1 and is_title_word(tokens[i]):
        i += 1
    if i == 0:
        return text
    rest = tokens[i:]
    return " ".join(rest) if rest and rest[0][:1].isupper() else text


def shorten_headline(text: str) -> str:
    """A headline over ~90 characters keeps its main clause (before ', ' / ' as ' / ' amid ')."""
    if len(text) <= HEADLINE_TARGET:
        return text
    for sep in (", ", "; ", " as ", " amid ", " while ", " after "):
        head = text.split(sep, 1)[0]
        if sep in text and len(head.split()) >= 4 and len(head) <= HEADLINE_TARGET:
            return head
    return text
