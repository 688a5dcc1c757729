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


LINE = re.compile(r"^\[(\d+)\] \(([A-Z])\) (.+)$", re.M)


def is_crosscheck(request: dict[str, Any]) -> bool:
    """A cross-check request (one story's lines of several outlets), not an article."""
    return "<lines>" in user_text(request)


def same_for(request: dict[str, Any]) -> dict[str, Any]:
    """SameFacts JSON: lines of different outlets that share a figure or 3 longer words."""
    lines = [(int(n), o, t) for n, o, t in LINE.findall(user_text(request))]
    pairs = []
    for i, (n, o, t) in enumerate(lines):
        for m, p, u in lines[i + 1:]:
            shared = set(re.findall(r"[a-z]{6,}|\d+", t.lower())) & set(re.findall(r"[a-z]{6,}|\d+", u.lower()))
            if o != p and len(shared) >= 3:
                pairs.append([n, m])
    return {"same": pairs[:6]}


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
