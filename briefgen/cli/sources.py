"""`briefgen sources list|check|import`: the sources file without building a brief."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from briefgen.cli.common import EXIT_PARTIAL, err, handle_errors, settings_from

config_option = click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
                             help="Config file (default ./briefgen.toml, then the user config dir).")


@click.group()
def sources() -> None:
    """List, check and import the sources of the config file (feeds, pages, files)."""


@sources.command("list")
@config_option
@handle_errors
def list_cmd(config_path: Path | None) -> None:
    """Each configured source and what the last runs saw (fetched, items, errors, 304s)."""
    from briefgen.sources.catalog import as_source
    from briefgen.store import FetchCache, Store

    settings, _ = settings_from({"config_path": config_path})
    if not settings.sources:
        err.print("no `sources` in the config file", markup=False)
        return
    with Store(settings.state_file()) as store:
        cache = FetchCache(store)
        for entry in settings.sources:
            source = as_source(entry)
            if not source.remote:
                click.echo(f"{source.label}\tfiles")
                continue
            state = cache.state(source.key)
            if state is None:
                click.echo(f"{source.label}\t{source.spec.kind}\tnever fetched")
                continue
            line = (f"{source.label}\t{source.spec.kind}\tlast fetched {state['last_fetched']}\t"
                    f"{state['items']} items\t{state['not_modified']}/{state['fetches']} not modified")
            if state["last_error"]:
                line += f"\tlast error: {state['last_error']}"
            click.echo(line)


@sources.command("check")
@config_option
@click.option("-v", "--verbose", count=True, help="More log output on stderr.")
@handle_errors
def check_cmd(config_path: Path | None, verbose: int) -> None:
    """Fetch every remote source now (conditionally) and say what each holds; no brief, no model."""
    from briefgen.sources.catalog import split_sources
    from briefgen.sources.collect import Window, collect_remote, run_async

    settings, _ = settings_from({"config_path": config_path, "verbose": verbose})
    local, remote = split_sources(settings.sources)
    for source in local:
        click.echo(f"files\t{source.label}")
    if not remote:
        return

    class _Notes:
        def note(self, message: str) -> None:
            err.print(message, markup=False, soft_wrap=True)

        def start(self, stage: str, total: int) -> None:
            pass

        def advance(self, detail: str = "") -> None:
            pass

    got = run_async(collect_remote(remote, settings, Window(), _Notes(), fetch_pages=False))
    for r in got.results:
        if r.error:
            click.echo(f"FAILED\t{r.source.label}: {r.error}")
        else:
            origin = " (not modified)" if r.origin == "not_modified" else ""
            click.echo(f"ok\t{r.source.label}: {r.kind}, {r.offered or r.items} items{origin}")
    if any(r.error for r in got.results):
        sys.exit(EXIT_PARTIAL)


@sources.command("import")
@click.argument("opml", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@config_option
@handle_errors
def import_cmd(opml: Path, config_path: Path | None) -> None:
    """Add the feeds of an OPML file (a feed reader's export) to the config file's sources."""
    from briefgen.config import config_candidates
    from briefgen.sources.catalog import import_opml

    target = config_path or next((p for p in config_candidates(None) if p.is_file()), Path("briefgen.toml"))
    result = import_opml(opml, target)
    for spec in result.added:
        click.echo(f"added: {spec.label}")
    message: Any = f"{len(result.added)} feeds added to {result.config}"
    if result.skipped:
        message += f"; {len(result.skipped)} already there"
    err.print(message, markup=False, soft_wrap=True)
