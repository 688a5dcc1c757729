"""Render a Brief as Markdown, email-safe HTML, plain text or JSON.

Templates are Jinja files named ``brief.<fmt>``. They are looked up in the user's folder
first, then in briefgen's own ``templates/``, so a user may override one format (or one
partial) and inherit the rest. Because that folder is not ours, templates run in a
``SandboxedEnvironment`` with ``StrictUndefined`` (a misspelt variable is an error, not an
empty string); autoescaping is on for HTML only.

Templates do not compute citations themselves: :func:`build_context` turns the brief into
plain view objects (numbered sources, each key point's citation numbers and quotes, the
cut to ``max_key_points``, the hiding of unverified points), so every format cites the same
numbers and a user's template cannot get them wrong. The models stay available as
``brief`` and ``story.model`` for templates that want more.
"""

from __future__ import annotations

import logging
import re
import textwrap
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from briefgen.errors import ConfigError, PromptError
from briefgen.models import Brief, ContentKind, KeyPoint, Story
from briefgen.publish import FORMATS
from briefgen.publish.rank import independent_outlets, point_limit
from briefgen.resources import default_templates_dir

log = logging.getLogger(__name__)

_SUFFIX_FORMATS = {"md": "md", "markdown": "md", "html": "html", "htm": "html", "txt": "txt", "text": "txt", "json": "json"}


def format_for(output: Path | None, fmt: str | None) -> str:
    """The format asked for, else the one the output file's suffix names, else Markdown."""
    if fmt:
        return fmt
    suffix = output.suffix.lstrip(".").lower() if output else ""
    return _SUFFIX_FORMATS.get(suffix, "md")
TEXT_WIDTH = 72
KIND_NOTES = {ContentKind.SNIPPET: "from the feed summary", ContentKind.TITLE_ONLY: "title only"}
# Only these schemes become links: an article URL from a feed could be "javascript:…".
LINK_SCHEMES = ("http", "https")


@dataclass
class Cite:
    """A citation of one numbered source; ``url`` is None when the source has no safe link."""

    n: int
    url: str | None


@dataclass
class QuoteView:
    text: str
    cite: Cite


@dataclass
class PointView:
    text: str
    cites: list[Cite]
    verified: bool
    quotes: list[QuoteView]


@dataclass
class SourceView:
    n: int
    label: str
    title: str
    url: str | None
    outlet_known: bool
    wire_copy: bool
    wire_of: int | None  # number of the source it copies, when that source is in the list
    published: str | None
    # "from the feed summary" / "title only": the brief was written from less than the article
    kind_note: str | None = None
    same_link: bool = False  # a copy that is the very same page, listed by another feed


@dataclass
class ClaimView:
    text: str
    cites: list[Cite]


@dataclass
class DisagreementView:
    fact: str
    claims: list[ClaimView]


@dataclass
class StoryView:
    rank: int
    id: str
    headline: str
    summary: str
    outlets: int
    wire_copies: int
    points: list[PointView]
    points_cut: int  # visible points left out by max_key_points
    sources: list[SourceView]
    disagreements: list[DisagreementView]
    model: Story


@dataclass
class GroupView:
    name: str | None
    stories: list[StoryView] = field(default_factory=list)


def _squash(text: str) -> str:
    return " ".join(text.split()).strip("“”\" ").casefold()


def safe_url(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) link, else None (shown as text, never linked)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc:
        return None
    # Spaces, quotes and angle brackets percent-encoded: "<https://x/?q=<y>>" would end a
    # Markdown link early, and no format's link may carry raw markup.
    return quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%~")


def _story_view(rank: int, story: Story, *, max_key_points: int, show_unverified: bool) -> StoryView:
    numbers = {ref.id: i for i, ref in enumerate(story.articles, start=1)}
    urls = {ref.id: safe_url(ref.url) for ref in story.articles}
    by_id = {ref.id: ref.url for ref in story.articles}

    def cites(article_ids: list[str]) -> list[Cite]:
        out: list[Cite] = []
        for aid in article_ids:
            if aid not in numbers:
                # Evidence must point inside the story; an outside id is an upstream bug, not a source.
                log.warning("story %s cites article %s that is not among its sources", story.id, aid)
                continue
            if all(c.n != numbers[aid] for c in out):
                out.append(Cite(numbers[aid], urls[aid]))
        return sorted(out, key=lambda c: c.n)

    visible: list[KeyPoint] = [kp for kp in story.key_points if kp.verified or show_unverified]
    limit = point_limit(story, max_key_points)
    points = [
        PointView(
            text=kp.text,
            cites=cites(kp.article_ids),
            verified=kp.verified,
            quotes=[
                # The template adds the quotation marks; a point that *is* its cited sentence
                # (a grounding fallback) needs no second copy of it as evidence.
                QuoteView(ev.quote.strip().strip("“”\"").strip(), c[0])
                for ev in kp.evidence
                if ev.quote.strip() and _squash(ev.quote) != _squash(kp.text) and (c := cites([ev.article_id]))
            ],
        )
        for kp in visible[:limit]
    ]
    sources = [
        SourceView(
            n=i,
            label=ref.label,
            title=ref.title,
            url=safe_url(ref.url),
            outlet_known=bool(ref.outlet),
            wire_copy=bool(ref.wire_copy_of),
            wire_of=numbers.get(ref.wire_copy_of) if ref.wire_copy_of else None,
            published=ref.published.strftime("%Y-%m-%d %H:%M %Z").strip() if ref.published else None,
            kind_note=KIND_NOTES.get(ref.content_kind),
            same_link=bool(ref.wire_copy_of and ref.url and ref.url == by_id.get(ref.wire_copy_of)),
        )
        for i, ref in enumerate(story.articles, start=1)
    ]
    disagreements = [
        DisagreementView(d.fact, [ClaimView(c.text, cites(c.article_ids)) for c in d.claims])
        for d in story.disagreements
    ]
    return StoryView(
        rank=rank,
        id=story.id,
        headline=story.headline,
        summary=story.summary,
        outlets=independent_outlets(story),
        wire_copies=sum(1 for s in sources if s.wire_copy),
        points=points,
        points_cut=max(len(visible) - limit, 0),
        sources=sources,
        disagreements=disagreements,
        model=story,
    )


def _footer(brief: Brief) -> list[tuple[str, str]]:
    """The stats line items, as (label, value), the same in every format."""
    st = brief.stats
    articles = f"{st.articles_in} in"
    if st.articles_unique and st.articles_unique != st.articles_in:
        articles += f", {st.articles_unique} unique"
    if st.articles_failed or brief.failures:
        articles += f", {st.articles_failed or len(brief.failures)} failed"
    total = st.stories or len(brief.stories)
    shown = st.stories_shown or len(brief.shown_stories)
    items = [
        ("Articles", articles),
        ("Stories", f"{shown} shown of {total}" if shown != total else str(total)),
        ("LLM calls", f"{st.llm_calls:,}" + (f" ({st.cache_hits:,} cached)" if st.cache_hits else "")),
        ("Tokens", f"{st.tokens_in:,} in / {st.tokens_out:,} out"),
        ("Time", f"{st.wall_time_s:.1f} s"),
        ("Model", (st.model or "unknown") + (f" ({st.backend})" if st.backend else "")),
    ]
    if st.cost_estimate_usd is not None:
        items.append(("Cost", f"${st.cost_estimate_usd:.4f}"))
    return items


def build_context(
    brief: Brief, *, email: bool = False, max_key_points: int = 5, show_unverified: bool = False
) -> dict[str, Any]:
    """The variables every brief template receives."""
    shown = {s.id: s for s in brief.shown_stories}
    # Group first, then number: the numbers follow the order a reader meets the stories in.
    order: list[tuple[str | None, list[Story]]] = []
    placed: set[str] = set()
    for section in brief.sections:
        members = [shown[sid] for sid in section.story_ids if sid in shown and sid not in placed]
        placed.update(s.id for s in members)
        if members:
            order.append((section.name, members))
    rest = [s for s in shown.values() if s.id not in placed]
    if rest:
        # Stories no section claims (or a brief without sections) go last, under no heading.
        order.append((None, rest))
    groups: list[GroupView] = []
    views: list[StoryView] = []
    for name, members in order:
        group = GroupView(name)
        for story in members:
            view = _story_view(len(views) + 1, story, max_key_points=max_key_points, show_unverified=show_unverified)
            group.stories.append(view)
            views.append(view)
        groups.append(group)
    return {
        "brief": brief,
        "title": brief.title,
        "date_iso": brief.date.isoformat(),
        "date_long": f"{brief.date:%A}, {brief.date.day} {brief.date:%B %Y}",
        "groups": groups,
        "stories": views,
        "has_sections": any(g.name for g in groups),
        "footer": _footer(brief),
        "failures": brief.failures,
        "email": email,
        "show_unverified": show_unverified,
        "max_key_points": max_key_points,
    }


def _wrap(text: str, width: int = TEXT_WIDTH, indent: str = "", hang: str | None = None) -> str:
    # URLs are never split: a broken URL cannot be clicked or copied.
    return textwrap.fill(
        re.sub(r"\s+", " ", str(text)).strip(),
        width=width,
        initial_indent=indent,
        subsequent_indent=indent if hang is None else hang,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _md(text: str) -> str:
    # Escape only "<": raw HTML is what a Markdown renderer would pass through unchanged.
    # Escaping more (*, _, #) would clutter the text people also read as plain text.
    return str(text).replace("<", "\\<")


def _md_text(text: str) -> str:
    # Link text additionally must not close the brackets early.
    return _md(text).replace("[", "\\[").replace("]", "\\]")


def _md_url(url: str) -> str:
    return f"<{url}>" if re.search(r"[\s()<>]", url) else url


def make_environment(templates_dir: Path | None = None) -> SandboxedEnvironment:
    """The sandboxed Jinja environment: the user's folder first, then briefgen's templates."""
    loaders: list[jinja2.BaseLoader] = []
    if templates_dir is not None:
        if not Path(templates_dir).is_dir():
            raise PromptError(str(templates_dir), "templates folder does not exist")
        loaders.append(jinja2.FileSystemLoader(str(templates_dir)))
    loaders.append(jinja2.FileSystemLoader(str(default_templates_dir())))
    env = SandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "htm"), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(wrap=_wrap, md=_md, md_text=_md_text, md_url=_md_url)
    return env


def _template_line(exc: BaseException, env: SandboxedEnvironment, name: str) -> tuple[str, int | None]:
    """Which template file and line a render-time error came from (Jinja rewrites tracebacks)."""
    files = _template_files(env)
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename in files:
            return frame.filename, frame.lineno
    return name, None


def _template_files(env: SandboxedEnvironment) -> set[str]:
    loader = env.loader
    assert isinstance(loader, jinja2.ChoiceLoader)
    files: set[str] = set()
    for sub in loader.loaders:
        assert isinstance(sub, jinja2.FileSystemLoader)
        for base in sub.searchpath:
            files.update(str(p) for p in Path(base).rglob("*") if p.is_file())
    return files


def render(
    brief: Brief,
    fmt: str,
    *,
    templates_dir: Path | None = None,
    email: bool = False,
    max_key_points: int = 5,
    show_unverified: bool = False,
) -> str:
    """The brief rendered as md, html, txt (through templates) or json (the public contract)."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    if fmt == "json":
        return brief.model_dump_json(indent=2)
    env = make_environment(templates_dir)
    name = f"brief.{fmt}"
    try:
        template = env.get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        raise PromptError(exc.filename or exc.name or name, exc.message or str(exc), exc.lineno) from exc
    except jinja2.TemplateNotFound as exc:
        raise PromptError(name, f"template not found: {exc}") from exc
    context = build_context(brief, email=email, max_key_points=max_key_points, show_unverified=show_unverified)
    try:
        out = template.render(context)
    except jinja2.TemplateSyntaxError as exc:  # an {% include %}d partial that does not parse
        raise PromptError(exc.filename or exc.name or name, exc.message or str(exc), exc.lineno) from exc
    except (jinja2.TemplateError, SecurityError, ArithmeticError, LookupError, TypeError, ValueError) as exc:
        # A user's template can fail at run time too (a misspelt variable, a bad filter
        # argument); the editor needs the file and line, not a traceback.
        path, line = _template_line(exc, env, template.filename or name)
        raise PromptError(path, f"{type(exc).__name__}: {exc}", line) from exc
    if fmt in ("md", "txt"):
        # Templates stay readable with generous blank lines; the output gets at most one.
        out = re.sub(r"[ \t]+\n", "\n", out)
        out = re.sub(r"\n{3,}", "\n\n", out).strip() + "\n"
    return out
