"""Commands that build, send and schedule the brief, and check a built one."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from briefgen.cli.common import (EXIT_PARTIAL, RichProgress, backend_options, date_option, err, handle_errors,
                                 no_fetch_option, paid_api_options, settings_from, since_last_option, since_option)
from briefgen.errors import DeliveryError
from briefgen.publish import FORMATS


@click.command()
@click.argument("sources", nargs=-1)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write the brief here (default: stdout).")
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), help="Output format (default: from -o's suffix, else md).")
@date_option
@click.option("--title", help="Title of the brief.")
@click.option("--max-stories", type=int, help="Stories shown in md/html/txt (JSON keeps all).")
@click.option("--show-unverified", is_flag=True, help="Keep key points that failed verification, marked as such.")
@since_last_option
@since_option
@no_fetch_option
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary line.")
@click.option("--estimate", is_flag=True, help="Print the calls, tokens and cost the build would take; call no model.")
@paid_api_options
@backend_options
@handle_errors
def build(sources: tuple[str, ...], output: Path | None, fmt: str | None, brief_date: Any, quiet: bool,
          show_unverified: bool, since_last: bool, since: Any, estimate: bool, **opts: Any) -> None:
    """Build the brief of SOURCES (files, folders, globs, feed or page URLs, '-' for stdin).

    With no SOURCES, the config file's `sources` list is used. With --since-last the shown
    stories are also recorded as published, so the next --since-last build skips them.
    """
    from briefgen.publish.edition import build_edition
    from briefgen.publish.render import format_for, render

    if show_unverified:
        opts["unverified"] = "mark"
    settings, _ = settings_from(opts)
    if estimate:
        from briefgen.llm.estimate import estimate_brief

        est = estimate_brief(sources, settings, progress=RichProgress(quiet),
                             brief_date=brief_date.date() if brief_date else None, since=since)
        click.echo("\n".join(est.lines()))
        return
    fmt = format_for(output, fmt)
    progress = RichProgress(quiet)
    try:
        edition = build_edition(sources, settings, progress=progress,
                                brief_date=brief_date.date() if brief_date else None, since_last=since_last,
                                since=since)
    finally:
        progress.stop()
    brief = edition.brief
    text = render(brief, fmt, templates_dir=settings.templates_dir, max_key_points=settings.max_key_points,
                  show_unverified=settings.unverified == "mark")
    for warning in edition.warnings:
        err.print(f"warning: {warning}", markup=False, soft_wrap=True)
    if output:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text, encoding="utf-8")
        except OSError as exc:  # a full disk, a read-only folder: one line, and where the brief still is
            raise DeliveryError(f"{output}: cannot write the brief: {exc.strerror or exc}"
                                + (f"; it is kept in the archive under {settings.data_dir() / 'archive'}"
                                   if not edition.warnings else "")) from exc
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
            f"{s.tokens_in} tokens in / {s.tokens_out} out"
            + (f", ${s.cost_usd:.4f}" if s.cost_usd else "")
            + (f", {s.failed_attempts} failed attempts" if s.failed_attempts else "")
            + (f", {s.left_out} articles left out (--max-cost)" if s.left_out else "") + "; the model's key points verified "
            f"{g.verified + g.repaired}/{g.generated}" + (f" ({g.repaired} re-cited)" if g.repaired else "")
            + (f", {g.extracted} added from the articles" if g.extracted else "")
            + (f"; facts two outlets share: {g.crosschecked} of {g.crosscheck_proposed} proposed kept"
               if g.crosscheck_proposed else "")
            + (f", {g.flagged} with unsupported numbers/names" if g.flagged else "") + "; "
            f"{s.wall_time_s:.1f} s" + (f"; wrote {output}" if output else "")
        )
        for failure in brief.failures:
            err.print(f"failed: {failure.source}: {failure.reason}", markup=False, soft_wrap=True)
    if brief.failures:
        sys.exit(EXIT_PARTIAL)


@click.command()
@click.argument("sources", nargs=-1)
@click.option("--to", "to", multiple=True, help="Send to this address instead of the configured to/cc/bcc (repeatable).")
@date_option
@click.option("--title", help="Title of the brief (also its name in the outbox).")
@click.option("--dry-run", is_flag=True, help="Write the .eml file and print its path; send nothing.")
@click.option("--force", is_flag=True, help="Resend the stored message to every recipient, even those who got it.")
@click.option("--rebuild", is_flag=True, help="Build the brief again, replace the stored message and send it to all.")
@since_last_option
@since_option
@no_fetch_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar (cron).")
@paid_api_options
@backend_options
@handle_errors
def send(sources: tuple[str, ...], to: tuple[str, ...], brief_date: Any, dry_run: bool, force: bool,
         rebuild: bool, quiet: bool, since_last: bool, since: Any, **opts: Any) -> None:
    """Build the brief of SOURCES and email it (once per recipient and day).

    With no SOURCES, the config file's `sources` list is used. SMTP settings come from the
    [smtp] table of the config file; the password from env BRIEFGEN_SMTP_PASSWORD or
    smtp.password_file. A re-run resends the stored message only to whoever did not get it.
    """
    from datetime import datetime

    from briefgen.publish.edition import build_edition
    from briefgen.publish.email import send_brief
    from briefgen.publish.schedule import run_lock

    settings, _ = settings_from(opts)
    day = brief_date.date() if brief_date else date.today()
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    err.print(f"{stamp} briefgen send: {settings.title!r} of {day}", highlight=False, markup=False, soft_wrap=True)

    def build() -> Any:
        # Published (recorded for --since-last) once its message is in the outbox, by send_brief.
        progress = RichProgress(quiet)
        try:
            edition = build_edition(sources, settings, progress=progress, brief_date=day, since_last=since_last,
                                    record=False, since=since)
        finally:
            progress.stop()
        for warning in edition.warnings:
            err.print(f"warning: {warning}", markup=False, soft_wrap=True)
        return edition.brief

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


@click.command()
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

    if install and remove:
        raise click.UsageError("--install and --remove exclude each other")
    if remove:
        removed = sched.remove(user)
        click.echo("removed briefgen's crontab line" if removed else "no briefgen line in the crontab")
        return
    if not at:
        raise click.UsageError("--at HH:MM is required (or --remove)")
    plan = sched.plan_cron(at, tz, config_path)
    for warning in plan.warnings:
        err.print(f"warning: {warning}", markup=False, soft_wrap=True)
    if install:
        plan.log_path.parent.mkdir(parents=True, exist_ok=True)
        sched.install(plan.line, user)
        err.print(f"installed in the crontab of {user or 'the current user'}; output goes to {plan.log_path}",
                  markup=False, soft_wrap=True)
    click.echo(plan.line)


@click.command("check")
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
        err.print(f"error: {brief_json}: {report.verified_share:.0%} of key points verified, below {min_verified:.0%}",
                  markup=False, soft_wrap=True)
        sys.exit(1)


