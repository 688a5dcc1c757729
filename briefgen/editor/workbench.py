"""The editor's workbench: list, show, render, check and copy prompts and output templates.

Nothing here calls a model. ``render_for_article`` goes through the same steps the pipeline
takes (chunk budget, ``chunk_article``, ``summarize.render_chunk_messages``, the backend's
response mode from ``llm.resolve_backend``) so what it shows is what would be sent; the
embedded backend is only resolved, never started.

``check`` loads nothing lazily: every file is parsed, its header read, its variables compared
with what the code passes, and it is rendered once against a small sample, so a typo in a
variable name fails here with its file and line, before any LLM call.
"""

from __future__ import annotations

import hashlib
import shutil
import traceback
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError, meta, nodes
from jinja2.exceptions import TemplateError
from jinja2.sandbox import SecurityError

from briefgen.notes import chunk as chunking
from briefgen.sources import ingest
from briefgen.config import Settings
from briefgen.errors import InputError, PromptError
from briefgen.llm.backends import Backend, resolve_backend
from briefgen.llm.client import LLMClient
from briefgen.models import Article, Brief, BriefStats, Evidence, KeyPoint, SourceRef, Story
from briefgen.llm.outputs import SCHEMAS
from briefgen.pipeline import chunk_budget, load_task_prompt  # the pipeline's own rules, not copies
from briefgen.llm.prompts import SUFFIX, Prompt, check_prompt_source, load_prompt, parse_header, prompt_names
from briefgen.resources import default_prompts_dir, default_templates_dir
from briefgen.llm.schemas import response_format_for
from briefgen.notes.summarize import render_chunk_messages

TEMPLATE_KEYS = ("name", "version", "description", "variables")
# A template header may use whitespace control ({#- … -#}): it must not print anything.
TEMPLATES_SUBDIR = "templates"


def short_hash(text: str) -> str:
    """The 12-hex content hash used for prompts (and templates) everywhere."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@dataclass
class Entry:
    """One row of ``prompts list``: a prompt or an output template, where it comes from."""

    kind: str  # "prompt" | "template"
    name: str
    version: str
    hash: str
    path: Path
    overridden: bool
    description: str = ""
    broken: str = ""  # the first problem, when the file does not load


def template_header(path: Path, source: str) -> dict[str, Any]:
    """The TOML header of an output template; PromptError (line 1) when missing or bad."""
    return parse_header(path, source, TEMPLATE_KEYS)


def template_files(templates_dir: Path | None = None) -> dict[str, tuple[Path, bool]]:
    """Every output template by name: the user's folder first, then the defaults."""
    found: dict[str, tuple[Path, bool]] = {
        p.name: (p, False) for p in sorted(default_templates_dir().iterdir()) if p.is_file()
    }
    if templates_dir is not None and Path(templates_dir).is_dir():
        for p in sorted(Path(templates_dir).iterdir()):
            if p.is_file():
                found[p.name] = (p, True)
    return found


def list_entries(prompts_dir: Path | None = None, templates_dir: Path | None = None) -> list[Entry]:
    """Every prompt and output template in effect, with version, hash and source folder."""
    entries: list[Entry] = []
    for name in prompt_names(prompts_dir):
        try:
            p = load_prompt(name, prompts_dir)
            entries.append(Entry("prompt", p.name, p.version, p.hash, p.path, p.overridden, p.description))
        except PromptError as exc:
            path = Path(exc.path)
            text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
            entries.append(Entry("prompt", name, "?", short_hash(text), path, path.parent != default_prompts_dir(),
                                 broken=str(exc)))
    for name, (path, overridden) in template_files(templates_dir).items():
        source = path.read_text(encoding="utf-8", errors="replace")
        try:
            head = template_header(path, source)
            entries.append(Entry("template", name, str(head["version"]), short_hash(source), path, overridden,
                                 str(head["description"])))
        except PromptError as exc:
            entries.append(Entry("template", name, "?", short_hash(source), path, overridden, broken=str(exc)))
    return entries


def show(name: str, prompts_dir: Path | None = None, templates_dir: Path | None = None) -> tuple[Path, bool, str]:
    """(path, overridden, source) of a prompt (``summarize``) or an output template (``brief.md``)."""
    templates = template_files(templates_dir)
    if name in templates:
        path, overridden = templates[name]
        return path, overridden, path.read_text(encoding="utf-8")
    prompt = load_prompt(name, prompts_dir)
    return prompt.path, prompt.overridden, prompt.source


# ---- render one prompt for one article ------------------------------------------------------


@dataclass
class RenderedCall:
    """One request the pipeline would send: for one chunk of the article."""

    part: int
    parts: int
    messages: list[dict[str, str]]
    tokens: list[int]  # per message, chunk.count_tokens
    response_format: dict[str, Any]
    temperature: float
    max_tokens: int


@dataclass
class Rendering:
    """What ``prompts render`` shows: the prompt, the article, the backend and every call."""

    prompt: Prompt
    article: Article
    backend: Backend
    budget: int
    calls: list[RenderedCall] = field(default_factory=list)


def load_article(source: str) -> Article:
    """The first article of one file (as the pipeline would read and clean it)."""
    articles, failures = ingest.load_sources([source])
    if not articles:
        reason = failures[0].reason if failures else "no article found"
        raise InputError(source, reason)
    return articles[0]


def render_for_article(name: str, source: str, settings: Settings) -> Rendering:
    """The exact requests prompt ``name`` makes for the article in ``source``: no LLM call, no server."""
    prompt = load_task_prompt(name, settings)
    if name in STORY_PROMPTS:
        raise PromptError(str(prompt.path), f"prompt {name!r} reads {STORY_PROMPTS[name]}, not one article; "
                          "`briefgen build -v` logs each of its calls, `prompts check` trial-renders it", 1)
    if prompt.schema not in SCHEMAS:
        raise PromptError(str(prompt.path), f"unknown output schema {prompt.schema!r}", 1)
    schema = SCHEMAS[prompt.schema]
    article = load_article(source)
    # Resolving the backend only reads settings: the embedded server is not started.
    backend = resolve_backend(settings, embedded_identity="not-started")
    # The client adds the schema to the system message for modes the server does not enforce;
    # asking it (not copying its rule) keeps this view exact. Building it opens no connection.
    client = LLMClient(backend, settings)
    budget = chunk_budget(prompt, settings)
    rendering = Rendering(prompt=prompt, article=article, backend=backend, budget=budget)
    for piece in chunking.chunk_news(article, budget):
        messages = client._messages_for(
            render_chunk_messages(prompt, article, piece, settings.points_per_article), schema)
        rendering.calls.append(RenderedCall(
            part=piece.index + 1, parts=piece.count, messages=messages,
            tokens=[chunking.count_tokens(m["content"]) for m in messages],
            response_format=response_format_for(schema, backend.response_mode),
            temperature=prompt.temperature, max_tokens=prompt.max_tokens,
        ))
    return rendering


# ---- check ------------------------------------------------------------------------------------

SAMPLE_BODY = (
    "The city council approved the budget on Monday. The mayor said the vote was close.\n\n"
    "Spending on parks rises by 4 percent."
)


def sample_article() -> Article:
    """A small article for trial renders (three sentences, two paragraphs, a dateline)."""
    return Article.create(source="sample.txt", title="Council approves budget", body=SAMPLE_BODY,
                          dateline="SPRINGFIELD", published=datetime(2025, 9, 3, tzinfo=timezone.utc))


class _Recorder:
    """Stands in for a Prompt to learn which variables the code passes to it."""

    def __init__(self) -> None:
        self.variables: set[str] = set()

    def render(self, **variables: Any) -> list[dict[str, str]]:
        self.variables = set(variables)
        return []


SAMPLE_PAIRS: list[dict[str, object]] = [
    {"n": 1, "a": "The city council approved the budget on Monday.", "b": "Councillors passed the budget on Monday by one vote."},
]


SAMPLE_JUDGED = (
    {"title": "Council approves budget", "lede": "The city council approved the budget on Monday.", "date": "2025-09-01"},
    {"title": "Budget passes by one vote", "lede": "Councillors passed the budget on Monday by one vote.", "date": ""},
)
# Prompts that read more than one article, with what they read.
STORY_PROMPTS = {"crosscheck": "a story's points", "judge": "two articles' titles and ledes"}


def _trial_render(name: str, prompt: Any) -> None:
    """Render prompt ``name`` (or a recorder standing in for it) the way the pipeline does."""
    if name == "crosscheck":
        from briefgen.dedupe.crosscheck import render_messages
        render_messages(prompt, SAMPLE_PAIRS)
        return
    if name == "judge":
        from briefgen.dedupe import judge
        judge.render_messages(prompt, *SAMPLE_JUDGED)
        return
    article = sample_article()
    piece = chunking.chunk_article(article, 1000)[0]
    render_chunk_messages(prompt, article, piece, 5)


def provided_variables(name: str = "summarize") -> set[str]:
    """The variables the pipeline passes to prompt ``name`` (an article's, or a story's lines)."""
    recorder = _Recorder()
    _trial_render(name, recorder)
    return recorder.variables


def _template_lineno(exc: BaseException) -> int | None:
    # Jinja rewrites tracebacks so template frames carry the template's own line numbers.
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == "<template>":
            return frame.lineno
    return None


def check_prompt_file(path: Path, default_names: set[str]) -> list[PromptError]:
    """Every problem in one prompt file, trial render included."""
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [PromptError(str(path), f"cannot read prompt: {exc}")]
    problems = check_prompt_source(path, source, set(SCHEMAS))
    stem = path.name[: -len(SUFFIX)]
    try:
        prompt = load_prompt(stem, path.parent)
    except PromptError:
        return problems  # it does not parse: check_prompt_source said why
    if stem not in default_names:
        problems.append(PromptError(str(path), f"briefgen uses no prompt named {stem!r}: this file is ignored "
                                               f"(prompts: {', '.join(sorted(default_names))})", 1))
        return problems
    if prompt.name != stem:
        problems.append(PromptError(str(path), f"header name {prompt.name!r} differs from the file name {stem!r}", 1))
    given = provided_variables(stem)
    for name in prompt.variables:
        if name not in given:
            problems.append(PromptError(str(path), f"header variable {name!r} is not one briefgen provides "
                                                   f"({', '.join(sorted(given))})", 1))
    if problems:
        return problems
    try:
        _trial_render(stem, prompt)
    except PromptError as exc:
        cause = exc.__cause__ or exc
        problems.append(PromptError(str(path), f"trial render failed: {cause}", _template_lineno(cause)))
    except (TemplateError, SecurityError, ArithmeticError, LookupError, TypeError, ValueError) as exc:
        problems.append(PromptError(str(path), f"trial render failed: {type(exc).__name__}: {exc}",
                                    _template_lineno(exc)))
    return problems


def sample_brief() -> Brief:
    """A one-story brief for trial renders of the output templates."""
    ref = SourceRef(id="a1", outlet="Example Post", title="Council approves budget", source="sample.txt",
                    url="https://example.com/a", published=datetime(2025, 9, 3, 8, tzinfo=timezone.utc))
    point = KeyPoint(text="The council approved the budget on Monday.", verified=True, status="verified",
                     evidence=[Evidence(article_id="a1", sentences=[1], quote="The city council approved the budget on Monday.")])
    story = Story(id="s1", headline="Council approves budget", summary="The budget passed.", key_points=[point],
                  articles=[ref], outlets=1, topics=["politics"])
    return Brief(date=date(2025, 9, 3), title="Sample brief", generated_at=datetime(2025, 9, 3, tzinfo=timezone.utc),
                 stories=[story], stats=BriefStats(articles_in=1, articles_unique=1, stories=1, stories_shown=1))


def template_context_keys(name: str) -> set[str] | None:
    """The variables briefgen passes to output template ``name`` (None: a partial, context unknown)."""
    from briefgen.editor import diff
    from briefgen.publish import render
    if name.startswith("brief.") and name.split(".", 1)[1] in ("md", "html", "txt"):
        return set(render.build_context(sample_brief()))
    if name == diff.TEMPLATE:
        return set(diff.CONTEXT_KEYS)
    return None


def check_template_file(path: Path, templates_dir: Path) -> list[PromptError]:
    """Problems in one output template: header, syntax, unknown/unused variables, trial render."""
    from briefgen.editor import diff
    from briefgen.publish import render
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [PromptError(str(path), f"cannot read template: {exc}")]
    env = render.make_environment(templates_dir)
    try:
        ast = env.parse(source)
    except TemplateSyntaxError as exc:
        return [PromptError(str(path), f"template syntax error: {exc.message}", exc.lineno)]
    known = template_context_keys(path.name)
    if known is None:
        return []  # a partial: its variables are its includer's
    try:
        head = template_header(path, source)
    except PromptError as exc:
        return [exc]
    problems: list[PromptError] = []
    declared = {str(v) for v in head["variables"]}
    used = meta.find_undeclared_variables(ast)
    first_line: dict[str, int] = {}
    for node in ast.find_all(nodes.Name):
        if node.ctx == "load":
            first_line.setdefault(node.name, node.lineno)
    for name in sorted(used - known):
        problems.append(PromptError(str(path), f"unknown variable {name!r} (briefgen passes: {', '.join(sorted(known))})",
                                    first_line.get(name)))
    for name in sorted((used & known) - declared):
        problems.append(PromptError(str(path), f"variable {name!r} is used but not in the header's variables",
                                    first_line.get(name)))
    for name in sorted(declared - used):
        problems.append(PromptError(str(path), f"variable {name!r} is declared but never used", 1))
    if problems:
        return problems
    try:
        if path.name == diff.TEMPLATE:
            diff.render_html(diff.diff_briefs(sample_brief(), sample_brief()), templates_dir=templates_dir)
        else:
            render.render(sample_brief(), path.name.split(".", 1)[1], templates_dir=templates_dir)
    except PromptError as exc:
        problems.append(PromptError(str(path), f"trial render failed: {exc}", exc.line))
    return problems


def check(prompts_dir: Path | None = None, templates_dir: Path | None = None) -> list[PromptError]:
    """Check every prompt in ``prompts_dir`` (default: the shipped ones) and every template."""
    default_names = set(prompt_names(None))
    folder = Path(prompts_dir) if prompts_dir is not None else default_prompts_dir()
    if not folder.is_dir():
        return [PromptError(str(folder), "not a folder")]
    problems: list[PromptError] = []
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        problems += check_prompt_file(path, default_names)
    if templates_dir is None:
        # `prompts init` puts templates in DIR/templates; the shipped ones when checking defaults.
        sub = folder / TEMPLATES_SUBDIR
        templates_dir = sub if sub.is_dir() else (default_templates_dir() if prompts_dir is None else None)
    if templates_dir is not None:
        tdir = Path(templates_dir)
        if not tdir.is_dir():
            return problems + [PromptError(str(tdir), "templates folder does not exist")]
        for path in sorted(p for p in tdir.iterdir() if p.is_file()):
            problems += check_template_file(path, tdir)
    return problems


def checked_files(prompts_dir: Path | None = None, templates_dir: Path | None = None) -> int:
    """How many files ``check`` looks at (for its summary line)."""
    folder = Path(prompts_dir) if prompts_dir is not None else default_prompts_dir()
    n = len(list(folder.glob(f"*{SUFFIX}"))) if folder.is_dir() else 0
    tdir = templates_dir or (folder / TEMPLATES_SUBDIR if (folder / TEMPLATES_SUBDIR).is_dir()
                             else (default_templates_dir() if prompts_dir is None else None))
    if tdir is not None and Path(tdir).is_dir():
        n += sum(1 for p in Path(tdir).iterdir() if p.is_file())
    return n


# ---- init -------------------------------------------------------------------------------------


def init(folder: Path, *, force: bool = False, templates: bool = True) -> list[Path]:
    """Copy the default prompts (and templates, into ``folder/templates``) to start editing."""
    folder = Path(folder)
    plan: list[tuple[Path, Path]] = [(p, folder / p.name) for p in sorted(default_prompts_dir().glob(f"*{SUFFIX}"))]
    if templates:
        plan += [(p, folder / TEMPLATES_SUBDIR / p.name)
                 for p in sorted(default_templates_dir().iterdir()) if p.is_file()]
    existing = [dst for _, dst in plan if dst.exists()]
    if existing and not force:
        raise PromptError(str(existing[0]), f"already exists ({len(existing)} file(s) would be overwritten); "
                                            "use --force to overwrite")
    for src, dst in plan:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
    return [dst for _, dst in plan]


__all__ = [
    "Entry", "Rendering", "RenderedCall", "check", "init", "list_entries", "load_article",
    "provided_variables", "render_for_article", "show", "template_header",
]
