"""The command line: parse options, call the library, print. Nothing else lives here.

Exit codes: 0 ok; 1 an error (bad config, unreadable input, nothing could be built);
2 a usage error (click's own); 3 a brief was built but some articles failed.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import __version__
from .config import Settings, load_settings
from .errors import BriefgenError

err = Console(stderr=True, highlight=False)
FORMATS = ("md", "html", "txt", "json")
EXIT_PARTIAL = 3


class RichProgress:
    """Progress on stderr: a bar per stage, notes as plain lines."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self._bar: Progress | None = None
        self._task: Any = None

    def note(self, message: str) -> None:
        if not self.quiet:
            err.print(message)

    def start(self, stage: str, total: int) -> None:
        self.stop()
        if self.quiet:
            return
        self._bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), console=err, transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task(stage, total=total, detail="")

    def advance(self, detail: str = "") -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=1, detail=detail)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """The one place a BriefgenError becomes a one-line message and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BriefgenError as exc:
            err.print(f"[bold red]error:[/] {exc}", markup=True, soft_wrap=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            err.print("interrupted")
            sys.exit(130)

    return wrapper


def backend_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by every command that talks to a model."""
    options = [
        click.option("--config", "config_path", type=click.Path(path_type=Path), help="Config file (default ./briefgen.toml, then the user config dir)."),
        click.option("--base-url", help="OpenAI-compatible endpoint (env BRIEFGEN_BASE_URL / OPENAI_BASE_URL)."),
        click.option("--model", help="Model name on that endpoint."),
        click.option("--api-key", help="API key (better: env OPENAI_API_KEY)."),
        click.option("--local-model", type=click.Path(path_type=Path, dir_okay=False), help="Serve this GGUF instead of the embedded model."),
        click.option("--prompts-dir", type=click.Path(path_type=Path, file_okay=False), help="Folder of prompt overrides."),
        click.option("--templates-dir", type=click.Path(path_type=Path, file_okay=False), help="Folder of output template overrides."),
        click.option("--no-cache", is_flag=True, help="Ignore cached LLM replies (they are still stored)."),
        click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def settings_from(opts: dict[str, Any]) -> tuple[Settings, dict[str, str]]:
    """Settings with flags on top of config file and environment."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(opts.pop("verbose", 0) or 0, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    config_path = opts.pop("config_path", None)
    if opts.pop("no_cache", False):
        opts["cache"] = False
    return load_settings(opts, config_path)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="briefgen")
def main() -> None:
    """briefgen: turn a day's news from many outlets into one short, source-cited brief."""


@main.command()
@click.argument("sources", nargs=-1)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write the brief here (default: stdout).")
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), help="Output format (default: from -o's suffix, else md).")
@click.option("--date", "brief_date", type=click.DateTime(["%Y-%m-%d"]), help="Date of the brief (default: today).")
@click.option("--title", help="Title of the brief.")
@click.option("--max-stories", type=int, help="Stories shown in md/html/txt (JSON keeps all).")
@click.option("--show-unverified", is_flag=True, help="Keep key points that failed verification, marked as such.")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary line.")
@backend_options
@handle_errors
def build(sources: tuple[str, ...], output: Path | None, fmt: str | None, brief_date: Any, quiet: bool,
          show_unverified: bool, **opts: Any) -> None:
    """Build the brief of SOURCES (files, folders, globs, '-' for stdin).

    With no SOURCES, the config file's `sources` list is used.
    """
    from .pipeline import build_brief
    from .render import render

    if show_unverified:
        opts["unverified"] = "mark"
    settings, _ = settings_from(opts)
    sources = sources or tuple(settings.sources)
    if not sources:
        raise click.UsageError("no SOURCES given and no `sources` in the config file")
    if fmt is None:
        suffix = output.suffix.lstrip(".").lower() if output else ""
        fmt = {"markdown": "md", "htm": "html", "text": "txt"}.get(suffix, suffix) if suffix in FORMATS + ("markdown", "htm", "text") else "md"
    progress = RichProgress(quiet)
    try:
        brief = build_brief(sources, settings, progress=progress,
                            brief_date=brief_date.date() if brief_date else None)
    finally:
        progress.stop()
    text = render(brief, fmt, templates_dir=settings.templates_dir, max_key_points=settings.max_key_points,
                  show_unverified=settings.unverified == "mark")
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=not text.endswith("\n"))
    s = brief.stats
    if not quiet:
        g = s.grounding
        err.print(
            f"{s.articles_in} articles ({s.articles_unique} unique, {s.articles_failed} failed) → "
            f"{s.stories} stories; {s.llm_calls} LLM calls ({s.cache_hits} cached), "
            f"{s.tokens_in} tokens in / {s.tokens_out} out; key points verified {g.verified}/{g.generated}; "
            f"{s.wall_time_s:.1f} s" + (f"; wrote {output}" if output else "")
        )
        for failure in brief.failures:
            err.print(f"[yellow]failed:[/] {failure.source}: {failure.reason}", markup=True, soft_wrap=True)
    if brief.failures:
        sys.exit(EXIT_PARTIAL)


@main.group()
def model() -> None:
    """The embedded model: where it is and whether it verifies."""


@model.command("info")
@click.option("--config", "config_path", type=click.Path(path_type=Path))
@click.option("--local-model", type=click.Path(path_type=Path, dir_okay=False))
@handle_errors
def model_info(config_path: Path | None, local_model: Path | None) -> None:
    """Show where the model is, its size, hash and state."""
    from . import local

    settings, _ = load_settings({"local_model": local_model}, config_path)
    for key, value in local.model_info(settings).items():
        click.echo(f"{key:>14}: {value}")


@model.command("path")
@click.option("--config", "config_path", type=click.Path(path_type=Path))
@handle_errors
def model_path(config_path: Path | None) -> None:
    """Print the GGUF path (assembling and verifying it first if needed)."""
    from . import local

    settings, _ = load_settings({}, config_path)
    click.echo(str(local.ensure_model(settings)))


@main.group()
def config() -> None:
    """Configuration."""


@config.command("show")
@click.option("--config", "config_path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def config_show(config_path: Path | None, as_json: bool) -> None:
    """Print each effective setting and where it came from."""
    settings, origins = load_settings({}, config_path)
    values = settings.model_dump(mode="json")
    if settings.api_key:
        values["api_key"] = "***"
    if as_json:
        click.echo(json.dumps({k: {"value": v, "from": origins[k]} for k, v in values.items()}, indent=2))
        return
    for key, value in values.items():
        click.echo(f"{key:>20} = {value!r:<40} ({origins[key]})")


if __name__ == "__main__":  # pragma: no cover
    main()
