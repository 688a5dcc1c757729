"""Compare two briefs of the same inputs: two prompt folders, or two saved JSON briefs.

Stories are matched across the two by member overlap (SPEC: "across runs stories are matched
by member overlap"): the pair with the largest Jaccard overlap of member article ids first,
greedily, so a story that gained or lost a source still pairs with its old self. For each
pair the report says what a reader would notice — headline, key points added and removed,
verified share, length — and what the editor pays: tokens and cost.

When both briefs are built here, tokens count cached calls too (from the cache's own record
of what the call once cost): otherwise the side built second would look free.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefgen.notes import chunk as chunking
from briefgen.config import Settings, SourceSpec
from briefgen.errors import InputError, PromptError
from briefgen.models import Brief, CallRecord, Story
from briefgen.publish.history import match_stories
from briefgen.store import Store

TEMPLATE = "diff.html"
CONTEXT_KEYS = ("title", "label_a", "label_b", "totals", "stories")


@dataclass
class Side:
    """One brief and what building it cost, per article where known."""

    label: str
    brief: Brief
    tokens_in: int
    tokens_out: int
    article_tokens: dict[str, int] | None = None  # article id -> tokens in+out (built here only)
    cost_per_token: tuple[float, float] | None = None


@dataclass
class StoryChange:
    """One story in A, B or both, and what changed."""

    status: str  # "changed" | "same" | "only_a" | "only_b"
    a: Story | None
    b: Story | None
    shared_members: int
    members: int
    headline_changed: bool
    points_added: list[str]
    points_removed: list[str]
    points_kept: int
    verified_a: float | None
    verified_b: float | None
    words_a: int
    words_b: int
    tokens_a: int  # tokens of the story's text
    tokens_b: int
    llm_tokens_a: int | None
    llm_tokens_b: int | None
    cost_a: float | None
    cost_b: float | None
    sources: list[str] = field(default_factory=list)

    @property
    def headline(self) -> str:
        """The story's headline in B, else in A."""
        story = self.b or self.a
        return story.headline if story else ""


@dataclass
class BriefDiff:
    """Everything the terminal report and the HTML show."""

    a: Side
    b: Side
    stories: list[StoryChange]
    totals: list[tuple[str, str, str]]


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.casefold()).strip()


def _text(story: Story) -> str:
    return " ".join([story.headline, story.summary, *(kp.text for kp in story.key_points)])


def _share(story: Story | None) -> float | None:
    if story is None or not story.key_points:
        return None
    return sum(kp.verified for kp in story.key_points) / len(story.key_points)


def _llm_tokens(side: Side, story: Story | None) -> tuple[int | None, float | None]:
    if story is None or side.article_tokens is None:
        return None, None
    tokens = sum(side.article_tokens.get(r.id, 0) for r in story.articles)
    if side.cost_per_token is None or side.tokens_in + side.tokens_out == 0:
        return tokens, None
    # The brief's blended price per token, applied to this story's share of the tokens.
    cin, cout = side.cost_per_token
    blended = (side.tokens_in * cin + side.tokens_out * cout) / (side.tokens_in + side.tokens_out)
    return tokens, tokens * blended


def _change(a: Story | None, b: Story | None, shared: int, side_a: Side, side_b: Side) -> StoryChange:
    pa = {_norm(kp.text): kp.text for kp in (a.key_points if a else [])}
    pb = {_norm(kp.text): kp.text for kp in (b.key_points if b else [])}
    added = [t for k, t in pb.items() if k not in pa]
    removed = [t for k, t in pa.items() if k not in pb]
    members = {r.id: r.label for s in (a, b) if s for r in s.articles}
    headline_changed = bool(a and b and a.headline.strip() != b.headline.strip())
    if a is None:
        status = "only_b"
    elif b is None:
        status = "only_a"
    elif headline_changed or added or removed or a.summary != b.summary or shared != len(members):
        status = "changed"
    else:
        status = "same"
    ta, ca = _llm_tokens(side_a, a)
    tb, cb = _llm_tokens(side_b, b)
    return StoryChange(
        status=status, a=a, b=b, shared_members=shared, members=len(members),
        headline_changed=headline_changed, points_added=added, points_removed=removed,
        points_kept=len(set(pa) & set(pb)), verified_a=_share(a), verified_b=_share(b),
        words_a=len(_text(a).split()) if a else 0, words_b=len(_text(b).split()) if b else 0,
        tokens_a=chunking.count_tokens(_text(a)) if a else 0, tokens_b=chunking.count_tokens(_text(b)) if b else 0,
        llm_tokens_a=ta, llm_tokens_b=tb, cost_a=ca, cost_b=cb, sources=sorted(members.values()),
    )


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _totals(a: Side, b: Side) -> list[tuple[str, str, str]]:
    def row(label: str, fn: Any) -> tuple[str, str, str]:
        return label, fn(a), fn(b)

    def prompts(s: Side) -> str:
        return ", ".join(s.brief.stats.prompt_versions.values()) or "–"

    def cost(s: Side) -> str:
        c = s.brief.stats.cost_estimate_usd
        if c is None:
            return "–"
        return f"${c:.4f}"

    return [
        row("prompts", prompts),
        row("stories (shown)", lambda s: f"{len(s.brief.stories)} ({len(s.brief.shown_stories)})"),
        row("key points", lambda s: str(sum(len(st.key_points) for st in s.brief.stories))),
        row("verified share", lambda s: _pct(s.brief.stats.grounding.verified_share)),
        row("words", lambda s: str(sum(len(_text(st).split()) for st in s.brief.stories))),
        row("LLM calls (cached)", lambda s: f"{s.brief.stats.llm_calls} ({s.brief.stats.cache_hits})"),
        row("tokens in / out", lambda s: f"{s.tokens_in:,} / {s.tokens_out:,}"),
        row("cost", cost),
    ]


def diff_sides(a: Side, b: Side) -> BriefDiff:
    """Match the stories of two sides and say what changed in each."""
    pairs = match_stories(a.brief.stories, b.brief.stories)
    changes = [
        _change(a.brief.stories[i] if i is not None else None, b.brief.stories[j] if j is not None else None, shared, a, b)
        for i, j, shared in pairs
    ]
    return BriefDiff(a=a, b=b, stories=changes, totals=_totals(a, b))


def diff_briefs(a: Brief, b: Brief, label_a: str = "brief A", label_b: str = "brief B") -> BriefDiff:
    """Diff two briefs as they are (tokens as each run reported them)."""
    return diff_sides(Side(label_a, a, a.stats.tokens_in, a.stats.tokens_out),
                      Side(label_b, b, b.stats.tokens_in, b.stats.tokens_out))


def load_brief(path: Path) -> Brief:
    """A brief saved with ``build --format json``."""
    try:
        return Brief.model_validate_json(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(str(path), f"cannot read brief: {exc.strerror or exc}") from exc
    except ValueError as exc:
        first = str(exc).splitlines()[0]
        raise InputError(str(path), f"not a briefgen JSON brief: {first}") from exc


class _CountingStore(Store):
    """The state file, remembering what each cache hit once cost (in order of the hits)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.hits: list[tuple[int, int]] = []

    def cache_get(self, key: str) -> str | None:
        row = self._exec("SELECT response, prompt_tokens, completion_tokens FROM llm_cache WHERE key = ?",
                         (key,)).fetchone()
        if row is None:
            return None
        self.hits.append((int(row[1]), int(row[2])))
        return str(row[0])


def _side(label: str, brief: Brief, records: list[CallRecord], hits: list[tuple[int, int]], settings: Settings) -> Side:
    cached = [r for r in records if r.cached]
    tin = sum(r.prompt_tokens for r in records if not r.cached) + sum(h[0] for h in hits)
    tout = sum(r.completion_tokens for r in records if not r.cached) + sum(h[1] for h in hits)
    per_article: dict[str, int] = {}
    for r in records:
        if not r.cached and r.article_id:
            per_article[r.article_id] = per_article.get(r.article_id, 0) + r.prompt_tokens + r.completion_tokens
    # The client records a hit right after the store served it, one call at a time; should
    # that ever stop holding (parallel calls), per-story tokens are left out, not guessed.
    matched = len(cached) == len(hits)
    for r, (p, c) in zip(cached, hits) if matched else ():
        if r.article_id:
            per_article[r.article_id] = per_article.get(r.article_id, 0) + p + c
    rates = None
    if settings.cost_per_million_in is not None and settings.cost_per_million_out is not None:
        rates = (settings.cost_per_million_in / 1e6, settings.cost_per_million_out / 1e6)
        brief.stats.cost_estimate_usd = round(tin * rates[0] + tout * rates[1], 6)
    return Side(label, brief, tin, tout, per_article if matched else None, rates)


def diff_builds(sources: Sequence[str | SourceSpec], settings: Settings, dir_a: Path | None, dir_b: Path | None,
                progress: Any = None) -> BriefDiff:
    """Build the brief of ``sources`` with prompt folders A and B (one client, one cache) and diff them."""
    from briefgen.pipeline import _Silent, build_brief, open_client

    for folder in (dir_a, dir_b):
        if folder is not None and not Path(folder).is_dir():
            raise PromptError(str(folder), "prompts folder does not exist")
    sides = []
    with contextlib.ExitStack() as stack:
        store = _CountingStore(settings.state_file())
        stack.enter_context(store)
        progress = progress or _Silent()
        # One client for both sides: the embedded server starts once, on the first miss.
        client = stack.enter_context(open_client(settings, store, progress))
        for label, folder in (("A", dir_a), ("B", dir_b)):
            before, store.hits = len(client.records), []
            # One call at a time: what each cache hit once cost is paired with its record by order.
            side_settings = settings.model_copy(update={"prompts_dir": folder, "concurrency": 1})
            brief = build_brief(list(sources), side_settings, client=client, progress=progress)
            name = str(folder) if folder is not None else "the shipped prompts"
            sides.append(_side(name, brief, client.records[before:], store.hits, settings))
    return diff_sides(sides[0], sides[1])


# ---- output ---------------------------------------------------------------------------------


def _arrow(a: str, b: str) -> str:
    return a if a == b else f"{a} → {b}"


def format_report(d: BriefDiff) -> str:
    """The diff as a plain terminal report."""
    width = max([len(va) for _, va, _ in d.totals] + [12])
    lines = [f"A: {d.a.label}", f"B: {d.b.label}", ""]
    lines.append(f"{'':<20}  {'A':<{width}}  B")
    for label, va, vb in d.totals:
        mark = " " if va == vb else "*"
        lines.append(f"{mark}{label:<19}  {va:<{width}}  {vb}")
    counts = {k: sum(1 for s in d.stories if s.status == k) for k in ("changed", "same", "only_a", "only_b")}
    lines += ["", f"stories: {counts['changed']} changed, {counts['same']} unchanged, "
                  f"{counts['only_b']} only in B, {counts['only_a']} only in A", ""]
    symbol = {"changed": "~", "same": "=", "only_a": "-", "only_b": "+"}
    for s in d.stories:
        where = {"only_a": " (only in A)", "only_b": " (only in B)"}.get(s.status, "")
        lines.append(f"{symbol[s.status]} {s.headline}{where}")
        lines.append(f"    sources: {', '.join(s.sources)}"
                     + (f"; members shared {s.shared_members}/{s.members}" if s.a and s.b else ""))
        if s.status in ("only_a", "only_b"):
            story = s.a or s.b
            assert story is not None
            lines += [f"    • {kp.text}" for kp in story.key_points]
            lines.append("")
            continue
        if s.headline_changed and s.a and s.b:
            lines += [f"    headline A: {s.a.headline}", f"    headline B: {s.b.headline}"]
        lines += [f"    + {t}" for t in s.points_added]
        lines += [f"    - {t}" for t in s.points_removed]
        figures = [f"points {s.points_kept} kept, +{len(s.points_added)} -{len(s.points_removed)}",
                   f"verified {_arrow(_pct(s.verified_a), _pct(s.verified_b))}",
                   f"words {_arrow(str(s.words_a), str(s.words_b))}",
                   f"text tokens {_arrow(str(s.tokens_a), str(s.tokens_b))}"]
        if s.llm_tokens_a is not None and s.llm_tokens_b is not None:
            figures.append(f"LLM tokens {_arrow(f'{s.llm_tokens_a:,}', f'{s.llm_tokens_b:,}')}")
        if s.cost_a is not None and s.cost_b is not None:
            figures.append(f"cost {_arrow(f'${s.cost_a:.4f}', f'${s.cost_b:.4f}')}")
        lines.append("    " + "; ".join(figures))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_html(d: BriefDiff, *, templates_dir: Path | None = None, title: str = "Brief diff") -> str:
    """The diff as a standalone HTML page (templates/diff.html, overridable like the brief's)."""
    import jinja2
    from jinja2.sandbox import SecurityError

    from briefgen.publish.render import make_environment

    env = make_environment(templates_dir)
    try:
        template = env.get_template(TEMPLATE)
        return template.render(title=title, label_a=d.a.label, label_b=d.b.label, totals=d.totals, stories=d.stories)
    except jinja2.TemplateSyntaxError as exc:
        raise PromptError(exc.filename or TEMPLATE, exc.message or str(exc), exc.lineno) from exc
    except jinja2.TemplateNotFound as exc:
        raise PromptError(TEMPLATE, f"template not found: {exc}") from exc
    except (jinja2.TemplateError, SecurityError, LookupError, TypeError, ValueError) as exc:
        raise PromptError(TEMPLATE, f"{type(exc).__name__}: {exc}") from exc


__all__ = ["BriefDiff", "Side", "StoryChange", "diff_briefs", "diff_builds", "format_report", "load_brief",
           "render_html"]
