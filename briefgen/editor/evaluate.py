"""Evaluate the current prompts on a fixed set of articles with expectations (a TOML file).

::

    articles = "../seeds"          # folder the article names are relative to (default: the file's)

    [[expect]]
    kind = "same_story"            # these articles end up in one story
    articles = ["000_….txt", "004_….txt"]

    [[expect]]
    kind = "point_mentions"        # a key point of that article's story mentions the text
    article = "000_….txt"
    text = "Copenhagen"

Kinds: same_story, separate_stories, point_mentions, no_point_mentions, headline_max_chars
(``max``; one ``article``'s story, else every story), min_verified_share (``min``, 0–1).
The brief is built once, with whatever backend and prompt folder the settings select.
"""

from __future__ import annotations

import re

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from briefgen.config import Settings
from briefgen.errors import ConfigError
from briefgen.models import Brief, Story


class EvalFileError(ConfigError):
    """The eval file is missing, not TOML, or an expectation is malformed."""


@dataclass
class Expectation:
    """One ``[[expect]]`` entry."""

    index: int  # 1-based, in file order
    kind: str
    spec: dict[str, Any]

    @property
    def label(self) -> str:
        """A short, readable name for reports."""
        parts = [self.kind]
        if "articles" in self.spec:
            parts.append(" + ".join(_short(a) for a in self.spec["articles"]))
        if "article" in self.spec:
            parts.append(_short(self.spec["article"]))
        if "text" in self.spec:
            parts.append(repr(self.spec["text"]))
        for key in ("max", "min"):
            if key in self.spec:
                parts.append(f"{key}={self.spec[key]}")
        return " ".join(parts)


@dataclass
class Outcome:
    """Whether one expectation held, and why (or why not)."""

    expectation: Expectation
    passed: bool
    detail: str


@dataclass
class EvalSet:
    """A parsed eval file: where its articles are and what to expect of them."""

    path: Path
    articles_dir: Path
    expectations: list[Expectation]

    def article_paths(self) -> list[Path]:
        """Every article the expectations name, in first-mention order."""
        names: list[str] = []
        for e in self.expectations:
            for name in e.spec.get("articles", []) + ([e.spec["article"]] if "article" in e.spec else []):
                if name not in names:
                    names.append(name)
        return [self.articles_dir / n for n in names]


def _short(name: str) -> str:
    stem = Path(name).name
    return stem[:12] + "…" if len(stem) > 14 else stem


# Required keys per kind, with their types.
KINDS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "same_story": {"articles": list},
    "separate_stories": {"articles": list},
    "point_mentions": {"article": str, "text": str},
    "no_point_mentions": {"article": str, "text": str},
    "headline_max_chars": {"max": int},
    "min_verified_share": {"min": (int, float)},
    "no_story_text_matches": {"article": str, "pattern": str},
}


def load_eval(path: Path, articles_dir: Path | None = None) -> EvalSet:
    """Parse and validate an eval file; every article it names must exist."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise EvalFileError(f"{path}: eval file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalFileError(f"{path}: cannot read eval file: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise EvalFileError(f"{path}: not valid TOML: {exc}") from exc
    base = articles_dir or (path.parent / str(data.get("articles", "."))).resolve()
    raw = data.get("expect")
    if not isinstance(raw, list) or not raw:
        raise EvalFileError(f"{path}: no [[expect]] entries")
    expectations = []
    for i, spec in enumerate(raw, start=1):
        where = f"{path}: expectation {i}"
        kind = spec.get("kind")
        if kind not in KINDS:
            raise EvalFileError(f"{where}: unknown kind {kind!r} (known: {', '.join(KINDS)})")
        for key, typ in KINDS[kind].items():
            if not isinstance(spec.get(key), typ) or isinstance(spec.get(key), bool):
                raise EvalFileError(f"{where} ({kind}): needs {key!r}")
        if "articles" in spec and (len(spec["articles"]) < 2 or not all(isinstance(a, str) for a in spec["articles"])):
            raise EvalFileError(f"{where} ({kind}): 'articles' needs two or more file names")
        for name in spec.get("articles", []) + ([spec["article"]] if "article" in spec else []):
            if not (base / name).is_file():
                raise EvalFileError(f"{where}: article {name!r} not found in {base}")
        expectations.append(Expectation(i, kind, {k: v for k, v in spec.items() if k != "kind"}))
    return EvalSet(path=path, articles_dir=base, expectations=expectations)


def _story_of(brief: Brief, name: str) -> Story | None:
    for story in brief.stories:
        if any(Path(r.source).name == Path(name).name for r in story.articles):
            return story
    return None


def _mentions(story: Story, text: str) -> list[str]:
    needle = text.casefold()
    return [kp.text for kp in story.key_points if needle in kp.text.casefold()]


def _same_story(brief: Brief, spec: dict[str, Any]) -> tuple[bool, str]:
    stories = {name: _story_of(brief, name) for name in spec["articles"]}
    ids = {s.id if s else None for s in stories.values()}
    if None in ids:
        missing = [_short(n) for n, s in stories.items() if s is None]
        return False, f"not in the brief (failed?): {', '.join(missing)}"
    if len(ids) == 1:
        story = next(iter(stories.values()))
        assert story is not None
        return True, f"one story: {story.headline!r}"
    return False, f"split across {len(ids)} stories: " + "; ".join(
        f"{_short(n)} in {s.headline!r}" for n, s in stories.items() if s)


def _separate(brief: Brief, spec: dict[str, Any]) -> tuple[bool, str]:
    stories = {name: _story_of(brief, name) for name in spec["articles"]}
    if any(s is None for s in stories.values()):
        return False, "not in the brief (failed?): " + ", ".join(_short(n) for n, s in stories.items() if s is None)
    by_story: dict[str, list[str]] = {}
    for name, story in stories.items():
        assert story is not None
        by_story.setdefault(story.id, []).append(_short(name))
    merged = [names for names in by_story.values() if len(names) > 1]
    if merged:
        return False, "merged into one story: " + "; ".join(" + ".join(m) for m in merged)
    return True, f"{len(by_story)} separate stories"


def _point_mentions(brief: Brief, spec: dict[str, Any], want: bool) -> tuple[bool, str]:
    story = _story_of(brief, spec["article"])
    if story is None:
        return False, f"{_short(spec['article'])} is not in the brief (failed?)"
    hits = _mentions(story, spec["text"])
    if want:
        return (True, f"“{hits[0]}”") if hits else (False, f"none of {len(story.key_points)} key points mention it")
    return (False, f"mentioned in “{hits[0]}”") if hits else (True, f"none of {len(story.key_points)} key points")


def _headline_max(brief: Brief, spec: dict[str, Any]) -> tuple[bool, str]:
    if "article" in spec:
        story = _story_of(brief, spec["article"])
        stories = [story] if story else []
    else:
        stories = brief.stories
    if not stories:
        return False, "no story to check"
    too_long = [s.headline for s in stories if len(s.headline) > spec["max"]]
    if too_long:
        return False, f"{len(too_long)} too long, e.g. {len(too_long[0])} chars: {too_long[0]!r}"
    return True, f"longest {max(len(s.headline) for s in stories)} chars"


def _no_text_matches(brief: Brief, spec: dict[str, Any]) -> tuple[bool, str]:
    """A wrong reading (a regular expression, case-insensitive) in no shown text of the story:
    its headline, summary and key points ("a call reported as a meeting")."""
    story = _story_of(brief, spec["article"])
    if story is None:
        return False, f"{_short(spec['article'])} is not in the brief (failed?)"
    try:
        pattern = re.compile(spec["pattern"], re.I)
    except re.error as exc:
        return False, f"pattern is not a regular expression: {exc}"
    for text in [story.headline, story.summary, *(kp.text for kp in story.key_points if kp.verified)]:
        if pattern.search(text):
            return False, f"matched in “{text[:120]}”"
    return True, f"headline, summary and {len(story.key_points)} key points clear"


def _verified(brief: Brief, spec: dict[str, Any]) -> tuple[bool, str]:
    share = brief.stats.grounding.verified_share
    return share >= float(spec["min"]), f"verified share {share:.0%} (min {float(spec['min']):.0%})"


CHECKS: dict[str, Callable[[Brief, dict[str, Any]], tuple[bool, str]]] = {
    "same_story": _same_story,
    "separate_stories": _separate,
    "point_mentions": lambda b, s: _point_mentions(b, s, True),
    "no_point_mentions": lambda b, s: _point_mentions(b, s, False),
    "headline_max_chars": _headline_max,
    "min_verified_share": _verified,
    "no_story_text_matches": _no_text_matches,
}


def check_brief(brief: Brief, evalset: EvalSet) -> list[Outcome]:
    """Judge every expectation against one brief."""
    outcomes = []
    for e in evalset.expectations:
        passed, detail = CHECKS[e.kind](brief, e.spec)
        outcomes.append(Outcome(e, passed, detail))
    return outcomes


def run_eval(evalset: EvalSet, settings: Settings, progress: Any = None) -> tuple[Brief, list[Outcome]]:
    """Build the brief of the eval's articles with the current prompts and judge it."""
    from briefgen.pipeline import build_brief

    brief = build_brief([str(p) for p in evalset.article_paths()], settings, progress=progress)
    return brief, check_brief(brief, evalset)


def format_outcomes(outcomes: list[Outcome], brief: Brief) -> str:
    """One line per expectation and a summary line."""
    lines = [f"{'PASS' if o.passed else 'FAIL'}  {o.expectation.index:>2}. {o.expectation.label}: {o.detail}"
             for o in outcomes]
    passed = sum(o.passed for o in outcomes)
    prompts = ", ".join(brief.stats.prompt_versions.values()) or "–"
    lines.append(f"{passed}/{len(outcomes)} passed ({len(outcomes) - passed} failed); prompts {prompts}; "
                 f"{brief.stats.llm_calls} LLM calls ({brief.stats.cache_hits} cached)")
    return "\n".join(lines) + "\n"


__all__ = ["EvalFileError", "EvalSet", "Expectation", "KINDS", "Outcome", "check_brief", "format_outcomes",
           "load_eval", "run_eval"]
