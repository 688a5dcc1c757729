"""Prompt files: Jinja templates with a TOML metadata header, rendered into chat messages.

A prompt file is a valid Jinja template. It starts with a Jinja comment holding TOML::

    {#
    name = "summarize"
    version = "3"
    description = "..."
    schema = "ArticleNotes"
    temperature = 0.0
    max_tokens = 450
    variables = ["title", "sentences"]
    #}
    {#- system -#}
    ...the system message...
    {#- user -#}
    ...the user message, with the article delimited as data...

Messages are split on the *source* (the ``{#- role -#}`` marker comments), then each part is
rendered on its own: text inside an article can never open a new message. Rendering is
sandboxed with ``StrictUndefined`` because an editor's folder may override any prompt.
"""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from briefgen.errors import PromptError
from briefgen.resources import default_prompts_dir

SUFFIX = ".j2"
ROLES = ("system", "user", "assistant")
_HEADER = re.compile(r"\A\s*\{#-?(?P<toml>.*?)-?#\}", re.S)
_MARKER = re.compile(r"^\{#-?\s*(system|user|assistant)\s*-?#\}[ \t]*\n?", re.M)
REQUIRED_KEYS = ("name", "version", "description", "schema", "temperature", "max_tokens", "variables")

_env = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False)


@dataclass
class Prompt:
    """One prompt file, parsed and compiled."""

    name: str
    version: str
    description: str
    schema: str
    temperature: float
    max_tokens: int
    variables: list[str]
    path: Path
    source: str
    overridden: bool = False
    sections: list[tuple[str, Any]] = field(default_factory=list)  # (role, compiled template)

    @functools.cached_property
    def hash(self) -> str:
        """Content hash of the file: part of every LLM cache key that used this prompt (hashed
        once: every call's key reads it, and a day of 1,000 articles hashed the file 1,000 times)."""
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()[:12]

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}#{self.hash}"

    def render(self, **variables: Any) -> list[dict[str, str]]:
        """The chat messages this prompt produces for these variables."""
        missing = [v for v in self.variables if v not in variables]
        if missing:
            raise PromptError(str(self.path), f"missing variable(s): {', '.join(missing)}")
        messages = []
        for role, template in self.sections:
            try:
                text = template.render(**variables).strip()
            except UndefinedError as exc:
                raise PromptError(str(self.path), str(exc)) from exc
            except (TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as exc:
                # The sandbox's SecurityError is a TemplateError: a user folder's template that
                # reaches for __class__ is one line naming the file, not a traceback.
                raise PromptError(str(self.path), f"{type(exc).__name__}: {exc}") from exc
            if text:
                messages.append({"role": role, "content": text})
        return messages


def parse_header(path: Path, source: str, required: tuple[str, ...] = REQUIRED_KEYS) -> dict[str, Any]:
    """The TOML metadata header of a prompt or output template; PromptError (line 1) when missing or bad."""
    match = _HEADER.match(source)
    if not match or _MARKER.match(source.lstrip()):
        raise PromptError(str(path), "no metadata header: the file must start with a {# TOML #} comment", 1)
    try:
        data = tomllib.loads(match.group("toml"))
    except tomllib.TOMLDecodeError as exc:
        raise PromptError(str(path), f"metadata header is not valid TOML: {exc}", 1) from exc
    missing = [k for k in required if k not in data]
    if missing:
        raise PromptError(str(path), f"metadata header lacks {', '.join(missing)}", 1)
    return data


def _parse(path: Path, source: str) -> Prompt:
    meta_data = parse_header(path, source)
    try:
        _env.parse(source)
    except TemplateSyntaxError as exc:
        raise PromptError(str(path), f"template syntax error: {exc.message}", exc.lineno) from exc
    markers = list(_MARKER.finditer(source))
    if not markers:
        raise PromptError(str(path), "no message marker ({#- system -#} or {#- user -#})")
    sections = []
    for i, marker in enumerate(markers):
        end = markers[i + 1].start() if i + 1 < len(markers) else len(source)
        body = source[marker.end() : end]
        # Pad with newlines so Jinja's line numbers are the file's line numbers.
        line_offset = source.count("\n", 0, marker.end())
        try:
            template = _env.from_string("\n" * line_offset + body)
        except TemplateSyntaxError as exc:
            raise PromptError(str(path), f"template syntax error: {exc.message}", exc.lineno) from exc
        sections.append((marker.group(1), template))
    return Prompt(
        name=str(meta_data["name"]),
        version=str(meta_data["version"]),
        description=str(meta_data["description"]),
        schema=str(meta_data["schema"]),
        temperature=float(meta_data["temperature"]),
        max_tokens=int(meta_data["max_tokens"]),
        variables=[str(v) for v in meta_data["variables"]],
        path=path,
        source=source,
        sections=sections,
    )


def prompt_path(name: str, prompts_dir: Path | None = None) -> tuple[Path, bool]:
    """The file for prompt ``name``: the editor's folder first, else the default (and whether overridden)."""
    if prompts_dir is not None:
        candidate = Path(prompts_dir) / f"{name}{SUFFIX}"
        if candidate.is_file():
            return candidate, True
    return default_prompts_dir() / f"{name}{SUFFIX}", False


def load_prompt(name: str, prompts_dir: Path | None = None) -> Prompt:
    """Load and compile one prompt by name (editor override first, then the default)."""
    path, overridden = prompt_path(name, prompts_dir)
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise PromptError(str(path), f"no prompt named {name!r}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptError(str(path), f"cannot read prompt: {exc}") from exc
    prompt = _parse(path, source)
    prompt.overridden = overridden
    return prompt


def prompt_names(prompts_dir: Path | None = None) -> list[str]:
    """Names of every prompt: the defaults plus any extra ones in the editor's folder."""
    names = {p.name[: -len(SUFFIX)] for p in default_prompts_dir().glob(f"*{SUFFIX}")}
    if prompts_dir is not None and Path(prompts_dir).is_dir():
        names |= {p.name[: -len(SUFFIX)] for p in Path(prompts_dir).glob(f"*{SUFFIX}")}
    return sorted(names)


def check_prompt_source(path: Path, source: str, known_schemas: set[str]) -> list[PromptError]:
    """Problems in one prompt file: syntax, metadata, unknown/unused variables, unknown schema."""
    try:
        prompt = _parse(path, source)
    except PromptError as exc:
        return [exc]
    problems: list[PromptError] = []
    if prompt.schema not in known_schemas:
        problems.append(PromptError(str(path), f"unknown output schema {prompt.schema!r}", 1))
    ast = _env.parse(source)
    used = meta.find_undeclared_variables(ast)
    declared = set(prompt.variables)
    first_line: dict[str, int] = {}
    for node in ast.find_all(nodes.Name):
        if node.ctx == "load":
            first_line.setdefault(node.name, node.lineno)
    for name in sorted(used - declared):
        problems.append(PromptError(str(path), f"unknown variable {name!r} (not in the header's variables)", first_line.get(name)))
    for name in sorted(declared - used):
        problems.append(PromptError(str(path), f"variable {name!r} is declared but never used", 1))
    return problems
