"""The editor's commands: prompts and templates, diffs of two prompt versions, evaluations."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from briefgen.cli.common import (RichProgress, backend_options, err, handle_errors,
                                 settings_from)
from briefgen.config import Settings


@click.group()
def prompts() -> None:
    """The prompts and output templates: list, show, render for an article, check, copy to edit."""


def _folders(opts: dict[str, Any]) -> tuple[Settings, Path | None, Path | None]:
    settings, _ = settings_from(opts)
    return settings, settings.prompts_dir, settings.templates_dir


@prompts.command("list")
@backend_options
@handle_errors
def prompts_list(**opts: Any) -> None:
    """List every prompt and output template: version, content hash, folder, overridden or default."""
    from briefgen.editor.workbench import list_entries

    _, prompts_dir, templates_dir = _folders(opts)
    for e in list_entries(prompts_dir, templates_dir):
        origin = "overridden" if e.overridden else "default"
        note = f"  BROKEN: {e.broken}" if e.broken else ""
        click.echo(f"{e.kind:<8}  {e.name:<12}  v{e.version:<4}  #{e.hash}  {origin:<10}  {e.path.parent}{note}")


@prompts.command("show")
@click.argument("name")
@backend_options
@handle_errors
def prompts_show(name: str, **opts: Any) -> None:
    """Print prompt (or template) NAME as it is in effect, with where it comes from."""
    from briefgen.editor.workbench import show

    _, prompts_dir, templates_dir = _folders(opts)
    path, overridden, source = show(name, prompts_dir, templates_dir)
    err.print(f"{path} ({'overridden' if overridden else 'default'})", highlight=False, markup=False)
    click.echo(source, nl=not source.endswith("\n"))


@prompts.command("render")
@click.argument("name")
@click.argument("article")
@click.option("--json", "as_json", is_flag=True, help="Print the request bodies as JSON.")
@backend_options
@handle_errors
def prompts_render(name: str, article: str, as_json: bool, **opts: Any) -> None:
    """Show the exact messages and response_format prompt NAME sends for ARTICLE (no LLM call)."""
    from briefgen.editor.workbench import render_for_article

    settings, _, _ = _folders(opts)
    r = render_for_article(name, article, settings)
    if as_json:
        click.echo(json.dumps([{"messages": c.messages, "response_format": c.response_format,
                                "temperature": c.temperature, "max_tokens": c.max_tokens} for c in r.calls],
                              indent=2, ensure_ascii=False))
        return
    click.echo(f"# prompt {r.prompt.label} ({r.prompt.path})")
    click.echo(f"# article {r.article.source}: {r.article.title}")
    click.echo(f"# backend {r.backend.kind} ({r.backend.model}), response mode {r.backend.response_mode}; "
               f"{len(r.calls)} call(s), chunk budget {r.budget} tokens")
    for c in r.calls:
        click.echo(f"\n## call {c.part}/{c.parts}: {sum(c.tokens)} tokens in, max_tokens {c.max_tokens}, "
                   f"temperature {c.temperature:g}")
        for m, n in zip(c.messages, c.tokens):
            click.echo(f"\n--- {m['role']} ({n} tokens) ---\n{m['content']}")
        click.echo(f"\n--- response_format ---\n{json.dumps(c.response_format, indent=2)}")


@prompts.command("check")
@click.argument("folder", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--templates-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Also check these output templates (default: FOLDER/templates when it exists).")
@handle_errors
def prompts_check(folder: Path | None, templates_dir: Path | None) -> None:
    """Check the prompts in FOLDER (default: the shipped ones) and templates; exit 1 on any problem."""
    from briefgen.editor.workbench import check, checked_files

    problems = check(folder, templates_dir)
    for problem in problems:
        click.echo(str(problem))
    n = checked_files(folder, templates_dir)
    if problems:
        err.print(f"{len(problems)} problem(s) in {n} file(s)", highlight=False)
        sys.exit(1)
    err.print(f"ok: {n} file(s) checked", highlight=False)


@prompts.command("init")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
@click.option("--no-templates", is_flag=True, help="Copy the prompts only.")
@handle_errors
def prompts_init(folder: Path, force: bool, no_templates: bool) -> None:
    """Copy the default prompts (and templates, into FOLDER/templates) to start editing."""
    from briefgen.editor.workbench import init

    for path in init(folder, force=force, templates=not no_templates):
        click.echo(str(path))
    hint = f" --templates-dir {folder / 'templates'}" if not no_templates else ""
    err.print(f"edit them, then: briefgen prompts check {folder} && briefgen build SOURCES "
              f"--prompts-dir {folder}{hint}", highlight=False, markup=False, soft_wrap=True)


@click.command()
@click.argument("sources", nargs=-1)
@click.option("--a", "dir_a", type=click.Path(path_type=Path, file_okay=False), help="Prompt folder A (default: the shipped prompts).")
@click.option("--b", "dir_b", type=click.Path(path_type=Path, file_okay=False), help="Prompt folder B.")
@click.option("--briefs", nargs=2, type=click.Path(path_type=Path, dir_okay=False), help="Compare two saved JSON briefs instead.")
@click.option("--html", "html_out", type=click.Path(path_type=Path, dir_okay=False), help="Also write the diff as HTML here.")
@backend_options
@handle_errors
def diff(sources: tuple[str, ...], dir_a: Path | None, dir_b: Path | None, briefs: tuple[Path, Path] | None,
         html_out: Path | None, **opts: Any) -> None:
    """Compare the briefs two prompt folders make of SOURCES (--a DIR --b DIR), or two saved briefs."""
    from briefgen.editor import diff as diffing
    settings, _ = settings_from(opts)
    if briefs:
        if sources or dir_a or dir_b:
            raise click.UsageError("--briefs compares two saved briefs: give no SOURCES, --a or --b")
        result = diffing.diff_briefs(diffing.load_brief(briefs[0]), diffing.load_brief(briefs[1]),
                                     str(briefs[0]), str(briefs[1]))
    else:
        if dir_a is None and dir_b is None:
            raise click.UsageError("give --a DIR and/or --b DIR (prompt folders), or --briefs A.json B.json")
        progress = RichProgress()
        try:
            result = diffing.diff_builds(list(sources) or settings.sources, settings, dir_a, dir_b, progress)
        finally:
            progress.stop()
    click.echo(diffing.format_report(result), nl=False)
    if html_out:
        html_out.parent.mkdir(parents=True, exist_ok=True)
        html_out.write_text(diffing.render_html(result, templates_dir=settings.templates_dir), encoding="utf-8")
        err.print(f"wrote {html_out}", highlight=False, markup=False)


@click.command("eval")
@click.argument("evalfile", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--articles", "articles_dir", type=click.Path(path_type=Path, file_okay=False), help="Folder the article names are relative to (default: the file's `articles`).")
@backend_options
@handle_errors
def eval_cmd(evalfile: Path | None, articles_dir: Path | None, **opts: Any) -> None:
    """Run the current prompts over EVALFILE's articles (default evals/seeds.toml); exit 1 if any expectation fails."""
    from briefgen.editor.evaluate import format_outcomes, load_eval, run_eval

    settings, _ = settings_from(opts)
    evalset = load_eval(evalfile or Path("evals/seeds.toml"), articles_dir)
    progress = RichProgress()
    try:
        brief, outcomes = run_eval(evalset, settings, progress)
    finally:
        progress.stop()
    click.echo(format_outcomes(outcomes, brief), nl=False)
    if not all(o.passed for o in outcomes):
        sys.exit(1)
