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

from briefgen import __version__
from briefgen.config import Settings, load_settings
from briefgen.errors import BriefgenError

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


# Options that build and send share, written once.
date_option = click.option("--date", "brief_date", type=click.DateTime(["%Y-%m-%d"]),
                           help="Date of the brief (default: today).")
since_last_option = click.option("--since-last", is_flag=True,
                                 help="Skip stories an earlier brief sent, unless they have new articles (shown as updates).")


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
@date_option
@click.option("--title", help="Title of the brief.")
@click.option("--max-stories", type=int, help="Stories shown in md/html/txt (JSON keeps all).")
@click.option("--show-unverified", is_flag=True, help="Keep key points that failed verification, marked as such.")
@since_last_option
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary line.")
@backend_options
@handle_errors
def build(sources: tuple[str, ...], output: Path | None, fmt: str | None, brief_date: Any, quiet: bool,
          show_unverified: bool, since_last: bool, **opts: Any) -> None:
    """Build the brief of SOURCES (files, folders, globs, '-' for stdin).

    With no SOURCES, the config file's `sources` list is used. With --since-last the shown
    stories are also recorded as published, so the next --since-last build skips them.
    """
    from briefgen.pipeline import build_brief
    from briefgen.publish.render import render

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
                            brief_date=brief_date.date() if brief_date else None, since_last=since_last)
    finally:
        progress.stop()
    if since_last:
        from briefgen.publish.history import record_published

        record_published(brief, settings)
    text = render(brief, fmt, templates_dir=settings.templates_dir, max_key_points=settings.max_key_points,
                  show_unverified=settings.unverified == "mark")
    from briefgen.publish.archive import archive_brief

    try:
        archive_brief(brief, settings)  # every built brief is also kept under <data>/archive/<date>/
    except BriefgenError as exc:
        err.print(f"warning: {exc}", markup=False, soft_wrap=True)
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
            f"{s.stories} stories"
            + (f" ({s.already_sent} skipped as already sent, {s.updates} shown as updates)" if since_last else "")
            + f"; {s.llm_calls} LLM calls ({s.cache_hits} cached), "
            f"{s.tokens_in} tokens in / {s.tokens_out} out; the model's key points verified "
            f"{g.verified}/{g.generated}" + (f", {g.extracted} added from the articles" if g.extracted else "")
            + (f", {g.flagged} with unsupported numbers/names" if g.flagged else "") + "; "
            f"{s.wall_time_s:.1f} s" + (f"; wrote {output}" if output else "")
        )
        for failure in brief.failures:
            err.print(f"[yellow]failed:[/] {failure.source}: {failure.reason}", markup=True, soft_wrap=True)
    if brief.failures:
        sys.exit(EXIT_PARTIAL)


@main.command()
@click.argument("sources", nargs=-1)
@click.option("--to", "to", multiple=True, help="Send to this address instead of the configured to/cc/bcc (repeatable).")
@date_option
@click.option("--title", help="Title of the brief (also its name in the outbox).")
@click.option("--dry-run", is_flag=True, help="Write the .eml file and print its path; send nothing.")
@click.option("--force", is_flag=True, help="Resend the stored message to every recipient, even those who got it.")
@click.option("--rebuild", is_flag=True, help="Build the brief again, replace the stored message and send it to all.")
@since_last_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar (cron).")
@backend_options
@handle_errors
def send(sources: tuple[str, ...], to: tuple[str, ...], brief_date: Any, dry_run: bool, force: bool,
         rebuild: bool, quiet: bool, since_last: bool, **opts: Any) -> None:
    """Build the brief of SOURCES and email it (once per recipient and day).

    With no SOURCES, the config file's `sources` list is used. SMTP settings come from the
    [smtp] table of the config file; the password from env BRIEFGEN_SMTP_PASSWORD or
    smtp.password_file. A re-run resends the stored message only to whoever did not get it.
    """
    from datetime import datetime

    from briefgen.publish.email import send_brief
    from briefgen.errors import DeliveryError
    from briefgen.pipeline import build_brief
    from briefgen.publish.schedule import run_lock

    settings, _ = settings_from(opts)
    day = brief_date.date() if brief_date else date.today()
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    err.print(f"{stamp} briefgen send: {settings.title!r} of {day}", highlight=False, markup=False, soft_wrap=True)

    def build() -> Any:
        chosen = sources or tuple(settings.sources)
        if not chosen:
            raise click.UsageError("no SOURCES given and no `sources` in the config file")
        progress = RichProgress(quiet)
        try:
            return build_brief(chosen, settings, progress=progress, brief_date=day, since_last=since_last)
        finally:
            progress.stop()

    with run_lock(settings.data_dir()):
        report = send_brief(settings, build, brief_date=day, to=list(to) or None, force=force,
                            rebuild=rebuild, dry_run=dry_run)
    if report.dry_run:
        click.echo(str(report.path))
        err.print("dry run: would send to " + (", ".join(report.pending) or "nobody (all got it)"), markup=False, soft_wrap=True)
        return
    err.print(("built and stored" if report.built else "stored message reused:") + f" {report.path}", markup=False, soft_wrap=True)
    if since_last and report.brief is not None:
        s = report.brief.stats
        err.print(f"since last: {s.already_sent} stories skipped as already sent, {s.stories_shown} shown "
                  f"({s.updates} as updates)", markup=False, soft_wrap=True)
    for rcpt in report.already:
        click.echo(f"already sent: {rcpt}")
    for rcpt in report.sent:
        click.echo(f"sent: {rcpt} {report.message_id}")
    for rcpt, why in report.failed.items():
        click.echo(f"not sent: {rcpt}: {why}")
    if report.failed:
        raise DeliveryError(f"not delivered to {len(report.failed)} of {len(report.failed) + len(report.sent)} "
                            f"recipient(s); the message is kept at {report.path}; run `briefgen send` again to deliver it")
    if not report.sent:
        err.print("nothing to send: every recipient already got this brief (--force resends)", markup=False, soft_wrap=True)
    if report.brief is not None and report.brief.failures:
        for failure in report.brief.failures:
            err.print(f"failed: {failure.source}: {failure.reason}", markup=False, soft_wrap=True)
        sys.exit(EXIT_PARTIAL)


@main.command()
@click.option("--at", "at", help="Local time to send the brief, HH:MM (24-hour).")
@click.option("--tz", help="Time zone of --at, e.g. Europe/Berlin (default: the system zone).")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Config file the cron job uses (default: the one briefgen finds now).")
@click.option("--install", is_flag=True, help="Put the line in the crontab (replacing briefgen's earlier one).")
@click.option("--remove", is_flag=True, help="Take briefgen's line out of the crontab.")
@click.option("--user", help="Edit this user's crontab (crontab -u; needs root).")
@handle_errors
def schedule(at: str | None, tz: str | None, config_path: Path | None, install: bool, remove: bool,
             user: str | None) -> None:
    """Print, install or remove the crontab line that runs `briefgen send` every morning.

    Cron ignores CRON_TZ, so --at/--tz are converted to the system zone (a warning says when
    DST shifts it). The job logs to logs/cron.log in the data dir.
    """
    from briefgen.publish import schedule as sched
    from briefgen.config import config_candidates
    from briefgen.errors import DeliveryError

    if install and remove:
        raise click.UsageError("--install and --remove exclude each other")
    if remove:
        removed = sched.remove(user)
        click.echo("removed briefgen's crontab line" if removed else "no briefgen line in the crontab")
        return
    if not at:
        raise click.UsageError("--at HH:MM is required (or --remove)")
    found = next((p for p in config_candidates(config_path) if p.is_file()), None)
    if found is None:
        raise DeliveryError("no config file: the cron job needs one (sources and [smtp]); pass --config FILE")
    settings, _ = load_settings({}, found)  # a broken config fails now, not at 7 a.m.
    for missing, what in ((not settings.sources, "`sources`"), (not settings.smtp.to, "[smtp] `to`"),
                          (not settings.smtp.sender, "[smtp] `from`")):
        if missing:
            err.print(f"warning: {found} has no {what}; the cron job will fail until it does", markup=False, soft_wrap=True)
    log_path = sched.cron_log_path(settings.data_dir())
    line = sched.cron_line(at, tz, found, log_path)
    for warning in line.warnings:
        err.print(f"note: {warning}", markup=False, soft_wrap=True)
    if install:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        sched.install(line.line, user)
        err.print(f"installed in the crontab of {user or 'the current user'}; output goes to {log_path}", markup=False, soft_wrap=True)
    click.echo(line.line)


@main.command("check")
@click.argument("brief_json", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--min-verified", type=float, default=None, help="Exit 1 when fewer key points are verified (0–1).")
@handle_errors
def check(brief_json: Path, min_verified: float | None) -> None:
    """Report how trustworthy a built brief is (verified points, flags, single sources)."""
    from briefgen.editor.check import load_brief, quality_report

    report = quality_report(load_brief(brief_json))
    for line in report.lines():
        click.echo(line)
    if min_verified is not None and report.verified_share < min_verified:
        err.print(f"error: {brief_json}: {report.verified_share:.0%} of key points verified, below {min_verified:.0%}")
        sys.exit(1)


@main.group()
def model() -> None:
    """The embedded model: where it is and whether it verifies."""


@model.command("info")
@click.option("--config", "config_path", type=click.Path(path_type=Path))
@click.option("--local-model", type=click.Path(path_type=Path, dir_okay=False))
@handle_errors
def model_info(config_path: Path | None, local_model: Path | None) -> None:
    """Show where the model is, its size, hash and state."""
    from briefgen.llm import model as local
    settings, _ = load_settings({"local_model": local_model}, config_path)
    for key, value in local.model_info(settings).items():
        click.echo(f"{key:>14}: {value}")


@model.command("path")
@click.option("--config", "config_path", type=click.Path(path_type=Path))
@handle_errors
def model_path(config_path: Path | None) -> None:
    """Print the GGUF path (assembling and verifying it first if needed)."""
    from briefgen.llm import model as local
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


# ---- the editor's workbench -----------------------------------------------------------------


@main.group()
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


@main.command()
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


@main.command("eval")
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


if __name__ == "__main__":  # pragma: no cover
    main()
