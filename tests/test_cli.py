"""The CLI: exit codes, one-line errors naming the input, output formats, help everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from fakeserver import FakeOpenAI
from scripted import notes_responder

from briefgen.cli import main
from briefgen.models import Brief

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def one_line_error(result: click.testing.Result, name: str) -> None:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr
    assert any(name in line and line.startswith("error:") for line in lines), result.stderr
    assert len([line for line in lines if line.startswith("error:")]) == 1


def test_build_json_to_stdout(fake_llm: FakeOpenAI) -> None:
    fake_llm.responder = notes_responder
    result = run("build", str(SEEDS), "--base-url", fake_llm.base_url, "--format", "json")
    assert result.exit_code == 0, result.stderr
    brief = Brief.model_validate_json(result.stdout)
    assert brief.schema_version == "1" and brief.stats.articles_in == 5
    assert "5 articles" in result.stderr and "LLM calls" in result.stderr


def test_format_follows_output_suffix(fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    fake_llm.responder = notes_responder
    out = tmp_path / "b.html"
    result = run("build", str(SEEDS), "--base-url", fake_llm.base_url, "-o", str(out), "--title", "Morning")
    assert result.exit_code == 0, result.stderr
    html = out.read_text()
    assert html.lstrip().lower().startswith("<!doctype html") and "Morning" in html


def make_bad(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"bad-{kind}.txt"
    if kind == "empty":
        path.write_text("")
    elif kind == "binary":
        path = tmp_path / "bad-binary.txt"
        path.write_bytes(bytes(range(256)) * 20)
    elif kind == "huge":
        path.write_bytes(b"word " * (4 * 1024 * 1024))  # 20 MB
    elif kind == "missing":
        path = tmp_path / "missing.txt"
    elif kind == "folder":
        path = tmp_path / "empty-folder"
        path.mkdir()
        (path / "image.png").write_bytes(b"\x89PNG")
    elif kind == "json":
        path = tmp_path / "bad.json"
        path.write_text('{"title": "x", "body": ')
    elif kind == "dangling":
        path = tmp_path / "dangling.txt"
        path.symlink_to(tmp_path / "gone.txt")
    return path


BAD = ["empty", "binary", "huge", "missing", "folder", "json", "dangling"]


@pytest.mark.parametrize("kind", BAD)
def test_bad_input_alone_is_a_one_line_error(fake_llm: FakeOpenAI, tmp_path: Path, kind: str) -> None:
    bad = make_bad(tmp_path, kind)
    result = run("build", str(bad), "--base-url", fake_llm.base_url)
    assert result.exit_code == 1, (result.exit_code, result.stderr)
    one_line_error(result, bad.name)
    assert not fake_llm.chat_requests


@pytest.mark.parametrize("kind", BAD)
def test_bad_input_among_good_ones_is_listed_under_failures(fake_llm: FakeOpenAI, tmp_path: Path, kind: str) -> None:
    fake_llm.responder = notes_responder
    bad = make_bad(tmp_path, kind)
    good = SEEDS / "004_dd258f67d9e21616.txt"
    result = run("build", str(good), str(bad), "--base-url", fake_llm.base_url, "--format", "json")
    assert result.exit_code == 3, result.stderr
    brief = Brief.model_validate_json(result.stdout)
    assert [Path(f.source).name for f in brief.failures] == [bad.name]
    assert len(brief.stories) == 1 and "Traceback" not in result.stderr


def test_non_utf8_text_is_read_or_named(fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    fake_llm.responder = notes_responder
    path = tmp_path / "latin1.txt"
    path.write_bytes("Café owners protest\n\nCafé owners in Zürich protested on Monday against a new tax of 5 francs.\n".encode("latin-1"))
    result = run("build", str(path), "--base-url", fake_llm.base_url, "--format", "json")
    if result.exit_code == 0:
        assert "Café" in result.stdout
    else:
        one_line_error(result, "latin1.txt")


def test_stdin_source(fake_llm: FakeOpenAI) -> None:
    fake_llm.responder = notes_responder
    text = (SEEDS / "004_dd258f67d9e21616.txt").read_text()
    result = CliRunner().invoke(main, ["build", "-", "--base-url", fake_llm.base_url, "--format", "json"], input=text)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["stats"]["articles_in"] == 1


def test_bad_config_is_exit_1(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("nonsense = 1\n")
    result = run("build", str(SEEDS), "--config", str(cfg))
    assert result.exit_code == 1 and "nonsense" in result.stderr and "Traceback" not in result.stderr


def test_usage_error_is_exit_2() -> None:
    assert run("build", "--format", "pdf", str(SEEDS)).exit_code == 2
    assert run("build").exit_code == 2


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, cmd in group.commands.items():
        out.append(prefix + (name,))
        if isinstance(cmd, click.Group):
            out += all_commands(cmd, prefix + (name,))
    return out


@pytest.mark.parametrize("path", all_commands(main), ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = run(*path, "--help")
    assert result.exit_code == 0 and "Usage:" in result.stdout
    cmd = main
    for name in path:
        cmd = cmd.commands[name]  # type: ignore[attr-defined]
    assert cmd.help and len(cmd.help.strip()) > 10
