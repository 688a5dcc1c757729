"""Commands about briefgen itself: its configuration and the embedded model."""

from __future__ import annotations

import json
from pathlib import Path

import click

from briefgen.cli.common import (handle_errors)
from briefgen.config import load_settings


@click.group()
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


@click.group()
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


