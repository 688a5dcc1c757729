"""What every command shares: the error handler, progress on stderr, backend options, settings."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from briefgen.config import Settings, load_settings
from briefgen.errors import BriefgenError

err = Console(stderr=True, highlight=False)
EXIT_PARTIAL = 3


class RichProgress:
    """Progress on stderr: a bar per stage, notes as plain lines."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self._bar: Progress | None = None
        self._task: Any = None

    def note(self, message: str) -> None:
        if not self.quiet:
            err.print(message, markup=False, soft_wrap=True)

    def start(self, stage: str, total: int) -> None:
        self.stop()
        if self.quiet:
            return
        self._bar = Progress(
            # markup off: the detail is an article title, and "[/x]" in one raised MarkupError
            TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}", markup=False), TimeElapsedColumn(), console=err, transient=True,
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
            # markup off: a bracketed file name ("in/[draft] x.txt") is text, not a style tag
            err.print(f"error: {exc}", markup=False, soft_wrap=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            err.print("interrupted", markup=False)
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


def paid_api_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Concurrency, rate limits, budget and batch: options for paid and remote backends."""
    options = [
        click.option("--concurrency", type=click.IntRange(1, 256),
                     help="LLM requests in flight (server backends; the embedded model runs one; default 8)."),
        click.option("--rpm", "requests_per_minute", type=click.FloatRange(min=0, min_open=True),
                     help="The provider's requests-per-minute limit: calls are spread to stay under it."),
        click.option("--tpm", "tokens_per_minute", type=click.FloatRange(min=0, min_open=True),
                     help="The provider's tokens-per-minute limit (prompt + max_tokens a call)."),
        click.option("--max-cost", type=click.FloatRange(min=0),
                     help="USD budget: articles whose calls would pass it are left out (listed)."),
        click.option("--batch", is_flag=True, default=None,
                     help="Summarize through the Batch API (OpenAI: half price, results within 24 h; resumable)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


# Options that build and send share, written once.
date_option = click.option("--date", "brief_date", type=click.DateTime(["%Y-%m-%d"]),
                           help="Date of the brief (default: today).")


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    from briefgen.sources.collect import parse_since

    try:
        return parse_since(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc).removeprefix(f"--since {value!r}: ")) from None


since_option = click.option("--since", callback=_since, metavar="SPAN|DATE",
                            help="Dated feed items from then on: 24h, 2d, 2026-12-01 "
                                 "(default: the brief's day and the day before; local files always).")
no_fetch_option = click.option("--no-fetch", is_flag=True,
                               help="Keep feed snippets; do not fetch the pages they link to.")
since_last_option = click.option("--since-last", is_flag=True,
                                 help="Skip stories an earlier brief sent, unless they have new articles (shown as updates).")


def settings_from(opts: dict[str, Any]) -> tuple[Settings, dict[str, str]]:
    """Settings with flags on top of config file and environment."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(opts.pop("verbose", 0) or 0, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    config_path = opts.pop("config_path", None)
    if opts.pop("no_cache", False):
        opts["cache"] = False
    if opts.pop("no_fetch", False):
        opts["fetch_pages"] = False
    return load_settings(opts, config_path)


