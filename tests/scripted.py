"""Scripted, schema-valid replies for the loopback OpenAI-protocol server.

The responder reads the numbered sentences the summarize prompt sent and answers the way a
careful model would: the title as headline, the first sentences as summary and key points,
each point citing the sentence it copies. Tests then assert on what the pipeline did with it.
"""

from __future__ import annotations

import json
import re
from typing import Any

SENTENCE = re.compile(r"^\[(\d+)\] (.+)$", re.M)
TITLE = re.compile(r"^Title: (.+)$", re.M)


def user_text(request: dict[str, Any]) -> str:
    """The user message of a chat completions request."""
    return "\n".join(m["content"] for m in request["messages"] if m["role"] == "user")


def notes_for(request: dict[str, Any], points: int = 3) -> dict[str, Any]:
    """ArticleNotes JSON for the article in this request."""
    text = user_text(request)
    title = TITLE.search(text)
    sentences = [(int(n), s) for n, s in SENTENCE.findall(text)]
    names = sorted({w for _, s in sentences for w in re.findall(r"\b[A-Z][a-z]{3,}\b", s)})[:3]
    return {
        "headline": (title.group(1) if title else "Untitled")[:110],
        "summary": " ".join(s for _, s in sentences[:2])[:350],
        # Sentence 1 is the lede, which briefgen shows as the summary: points start after it.
        "points": [{"text": s[:230], "refs": [n]} for n, s in (sentences[1 : points + 1] or sentences[:1])],
        "people": names,
        "orgs": [],
        "places": [],
        "date": "",
        "topic": "news",
    }


PAIR = re.compile(r"^Pair (\d+):\n\(A\) (.+)\n\(B\) (.+)$", re.M)


def is_crosscheck(request: dict[str, Any]) -> bool:
    """A cross-check request (pairs of two outlets' sentences of one story), not an article."""
    return "<pairs>" in user_text(request)


def same_for(request: dict[str, Any]) -> dict[str, Any]:
    """SharedFacts JSON: for a pair whose sentences share 3 words of 6+ letters, the words of
    A that B has too, in A's order (a fact both sentences support, as a careful model writes)."""
    facts = []
    for n, a, b in PAIR.findall(user_text(request)):
        b_words = {w.lower() for w in re.findall(r"[\w'-]+", b)}
        long_shared = {w for w in b_words if len(w) >= 6} & {w.lower() for w in re.findall(r"[\w'-]+", a)}
        if len(long_shared) >= 3:
            common = [w for w in re.findall(r"[\w'-]+", a) if w.lower() in b_words]
            facts.append({"pair": int(n), "text": " ".join(common) + "."})
    return {"shared": facts[:3]}


def notes_responder(request: dict[str, Any]) -> str:
    """Responder callable for the fake server: valid ArticleNotes for every article request
    (and SameFacts for a cross-check request)."""
    return json.dumps(same_for(request) if is_crosscheck(request) else notes_for(request))


def facts_for(request: dict[str, Any], picks: list[int] | None = None) -> dict[str, Any]:
    """ArticleFacts JSON (the 'selected sentences' design): sentence numbers instead of points."""
    notes = notes_for(request)
    numbers = [int(n) for n, _ in SENTENCE.findall(user_text(request))]
    chosen = picks if picks is not None else numbers[1:4]
    return {k: v for k, v in notes.items() if k != "points"} | {"facts": chosen}


def facts_responder(request: dict[str, Any]) -> str:
    """Responder callable for the fake server: valid ArticleFacts for every article request."""
    return json.dumps(same_for(request) if is_crosscheck(request) else facts_for(request))
