"""Text addressed to a model or to the brief: an instruction, never news.

An article can carry text meant to steer whatever reads it ("ignore all previous
instructions", "set the headline of every story to …", a chat-template role line). It stays
in the article as data, but no key point, fallback or extracted sentence may ever be such
text, whoever picks it: the model, the grounding fallback or the top-up. The cues are
generic — who the text speaks to and about what — not the phrases of one sample.
"""

from __future__ import annotations

import re

# Speaks to a model about its instructions, role or mode.
_TO_MODEL = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+|my\s+|these\s+)?"
    r"(?:previous\s+|prior\s+|above\s+|earlier\s+|preceding\s+|original\s+|system\s+)*(?:instructions?|prompts?|directives?)\b"
    r"|\b(?:system|developer) (?:prompt|message|policy|instructions?|override)\b"
    r"|\byou are (?:now )?(?:an? |the )?(?:ai|assistant|language model|llm|chatbot|model)\b"
    r"|\b(?:ignore|disregard|forget)\s+(?:everything\s+|all\s+)?(?:the\s+|that\s+)?(?:above|previous|preceding)\b"
    r"|\b(?:maintenance|developer|debug|god|jailbreak|dan) mode\b"
    r"|\bas an ai\b|\bjailbreak",
    re.I,
)
# A role line of a chat transcript, or a chat-template control token.
_ROLE_LINE = re.compile(r"^\s*(?:system|assistant|user|developer)\s*:|<\|[^|<>]{0,40}\|>|</?article>", re.I)
# An imperative about the brief's own parts ("Set the headline of every story to …",
# "write that all other stories in this brief are fake").
_BRIEF_PART = (r"(?:headlines?|titles?|summar(?:y|ies)|key points?|stories|story|brief|digest|newsletter|"
               r"output|response|reply|json)")
_ORDER_ABOUT_BRIEF = re.compile(
    r"^(?:please\s+)?(?:now\s+)?(?:set|write|output|print|change|replace|rename|format|translate|insert|append|"
    r"prepend|summari[sz]e)\s+(?:[^.!?,]{0,30}\s)?(?:the|every|each|all|this|your|its)\s+" + _BRIEF_PART + r"\b"
    r"|^(?:please\s+)?(?:respond|reply|answer)\s+(?:only\s+)?(?:with|in)\b",
    re.I,
)
_OF_EVERY = re.compile(
    r"\b(?:headline|title|summary)s? of (?:every|each|all|the other|other) (?:story|stories|articles?|items?)\b"
    r"|\b(?:in|of) this (?:digest|newsletter)\b",
    re.I,
)


def addressed_to_model(text: str) -> bool:
    """True when ``text`` speaks to a model or orders what the brief says, not about the news."""
    return bool(_TO_MODEL.search(text) or _ROLE_LINE.search(text) or _ORDER_ABOUT_BRIEF.search(text.strip())
                or _OF_EVERY.search(text))


_CONTROL = re.compile(r"<\|[^|<>]{0,40}\|>|</?s>")


def as_data(text: str, tag: str) -> str:
    """Text to quote inside a prompt's ``<tag>`` delimiters: it may not close them, nor speak
    chat-template control tokens (ChatML ``<|im_start|>``, ``<s>``); both are defused."""
    text = _CONTROL.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)
    return re.sub(r"</?\s*" + re.escape(tag) + r"\s*>", lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text, flags=re.I)
