"""The editor's workbench: prompts init/check/list/show/render, and what an edit re-runs."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from fakeserver import FakeOpenAI
from scripted import notes_responder

from briefgen.cli import main
from briefgen.llm.prompts import load_prompt

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SEED_000 = SEEDS / "000_57f1031dc5b4a3a3.txt"
SYSTEM = "{#- system -#}\n"  # the marker every prompt has; edits go right after it


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def init(folder: Path) -> None:
    result = run("prompts", "init", folder)
    assert result.exit_code == 0, result.stderr


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), start=1) if needle in line)


# ---- init / list / show --------------------------------------------------------------------


def test_init_copies_prompts_and_templates_and_refuses_to_overwrite(tmp_path: Path) -> None:
    my = tmp_path / "my"
    init(my)
    assert (my / "summarize.j2").read_text() == load_prompt("summarize").source
    assert {p.name for p in (my / "templates").iterdir()} >= {"brief.md", "brief.html", "brief.txt", "diff.html"}
    edit(my / "summarize.j2", SYSTEM, SYSTEM + "You write careful notes.\n")
    again = run("prompts", "init", my)
    assert again.exit_code == 1 and again.stderr.startswith("error:") and "--force" in again.stderr
    assert "careful notes" in (my / "summarize.j2").read_text(), "init overwrote an edit without --force"
    assert run("prompts", "init", my, "--force").exit_code == 0
    assert (my / "summarize.j2").read_text() == load_prompt("summarize").source


def test_list_names_version_hash_folder_and_override(tmp_path: Path) -> None:
    my = tmp_path / "my"
    init(my)
    default = run("prompts", "list").stdout
    row = next(line for line in default.splitlines() if line.startswith("prompt") and "summarize" in line)
    default = load_prompt("summarize")
    default_hash = default.hash
    assert f"#{default_hash}" in row and "default" in row and f"v{default.version}" in row
    edit(my / "summarize.j2", f'version = "{default.version}"', 'version = "99"')
    listed = run("prompts", "list", "--prompts-dir", my, "--templates-dir", my / "templates").stdout
    row = next(line for line in listed.splitlines() if line.startswith("prompt") and "summarize" in line)
    assert "overridden" in row and "v99" in row and str(my) in row
    assert f"#{load_prompt('summarize', my).hash}" in row and default_hash not in row
    assert all("overridden" in line for line in listed.splitlines() if line.startswith("template"))


def test_show_prints_the_effective_source(tmp_path: Path) -> None:
    my = tmp_path / "my"
    init(my)
    edit(my / "summarize.j2", SYSTEM, SYSTEM + "EDITED notes.\n")
    shown = run("prompts", "show", "summarize", "--prompts-dir", my)
    assert shown.exit_code == 0 and "EDITED notes" in shown.stdout and "overridden" in shown.stderr
    assert "EDITED" not in run("prompts", "show", "summarize").stdout
    missing = run("prompts", "show", "nosuch")
    assert missing.exit_code == 1 and "no prompt named 'nosuch'" in missing.stderr


# ---- check --------------------------------------------------------------------------------


def test_shipped_prompts_and_templates_check_clean() -> None:
    result = run("prompts", "check")
    assert result.exit_code == 0, result.stdout
    assert result.stdout == "" and "ok:" in result.stderr


def test_variable_typo_is_caught_with_file_and_line_before_any_llm_call(tmp_path: Path, fake_llm: FakeOpenAI) -> None:
    fake_llm.responder = notes_responder
    my = tmp_path / "my"
    init(my)
    prompt = my / "summarize.j2"
    edit(prompt, "{{ max_points }}", "{{ max_pointz }}")
    result = run("prompts", "check", my)
    assert result.exit_code == 1
    assert f"{prompt}:{line_of(prompt, 'max_pointz')}: unknown variable 'max_pointz'" in result.stdout
    # A build with it fails on the prompt, naming it, and sends nothing.
    build = run("build", SEEDS, "--base-url", fake_llm.base_url, "--prompts-dir", my)
    assert build.exit_code == 1 and "summarize.j2" in build.stderr and "Traceback" not in build.stderr
    assert fake_llm.chat_requests == []


def test_trial_render_catches_a_bad_attribute_with_its_line(tmp_path: Path) -> None:
    my = tmp_path / "my"
    init(my)
    prompt = my / "summarize.j2"
    edit(prompt, "{{ s.text }}", "{{ s.txt }}")
    out = run("prompts", "check", my).stdout
    assert f"{prompt}:{line_of(prompt, 's.txt')}: trial render failed" in out and "txt" in out


def test_check_reports_schema_header_stray_file_and_templates(tmp_path: Path) -> None:
    my = tmp_path / "my"
    init(my)
    edit(my / "summarize.j2", 'schema = "ArticleNotes"', 'schema = "ArticleNotez"')
    (my / "sumarize.j2").write_text((my / "summarize.j2").read_text())
    edit(my / "summarize.j2", '"max_points"]', '"max_points", "author"]')
    brief_md = my / "templates" / "brief.md"
    edit(brief_md, "{{ title|md }}", "{{ titel|md }}")
    (my / "templates" / "brief.txt").write_text("{% for x in groups %}\nno end\n")
    result = run("prompts", "check", my)
    out = result.stdout.splitlines()
    assert result.exit_code == 1
    assert f"{my / 'summarize.j2'}:1: unknown output schema 'ArticleNotez'" in out
    assert any(line.startswith(f"{my / 'sumarize.j2'}:1: briefgen uses no prompt named 'sumarize'") for line in out)
    assert any(line.startswith(f"{brief_md}:{line_of(brief_md, 'titel')}: unknown variable 'titel'") for line in out)
    assert any(line.startswith(f"{my / 'templates' / 'brief.txt'}:") and "syntax error" in line for line in out)
    assert any("'author' is declared but never used" in line for line in out)
    # Every problem is one line "file:line: message" (or "file: message").
    assert all(line.startswith(str(my)) for line in out)


def test_template_without_header_is_reported(tmp_path: Path) -> None:
    tdir = tmp_path / "t"
    tdir.mkdir()
    (tdir / "brief.md").write_text("# {{ title }}\n")
    result = run("prompts", "check", "--templates-dir", tdir)
    assert result.exit_code == 1 and f"{tdir / 'brief.md'}:1: no metadata header" in result.stdout


# ---- render ----------------------------------------------------------------------------------


def test_render_shows_exactly_what_build_sends(tmp_path: Path, fake_llm: FakeOpenAI) -> None:
    fake_llm.responder = notes_responder
    rendered = run("prompts", "render", "summarize", SEED_000, "--base-url", fake_llm.base_url, "--json")
    assert rendered.exit_code == 0, rendered.stderr
    assert fake_llm.requests == [], "render must not call the model"
    calls = json.loads(rendered.stdout)
    assert run("build", SEED_000, "--base-url", fake_llm.base_url, "-q").exit_code == 0
    sent = [r.json for r in fake_llm.chat_requests]
    assert len(sent) == len(calls) == 1
    assert sent[0]["messages"] == calls[0]["messages"]
    assert sent[0]["response_format"] == calls[0]["response_format"]
    assert sent[0]["max_tokens"] == calls[0]["max_tokens"] and sent[0]["temperature"] == calls[0]["temperature"]


def test_render_text_has_token_counts_per_message_and_the_backend_mode(fake_llm: FakeOpenAI) -> None:
    out = run("prompts", "render", "summarize", SEED_000, "--base-url", fake_llm.base_url).stdout
    assert "response mode json_schema" in out and "<article>" in out
    assert out.count("--- system (") == 1 and out.count("--- user (") == 1 and "tokens) ---" in out


def test_render_for_the_embedded_backend_starts_no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    from briefgen.llm import model as local
    from briefgen.llm import server
    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("the embedded model was touched")

    monkeypatch.setattr(local, "ensure_model", boom)
    monkeypatch.setattr(server.LocalServer, "start", boom)
    result = run("prompts", "render", "summarize", SEED_000, "--json")
    assert result.exit_code == 0, result.stderr
    fmt = json.loads(result.stdout)[0]["response_format"]
    assert fmt["type"] == "json_object" and "schema" in fmt


def test_render_long_article_shows_every_chunk(tmp_path: Path, fake_llm: FakeOpenAI) -> None:
    long = tmp_path / "long.txt"
    long.write_text("A long report\n\n" + "\n\n".join(
        f"Paragraph {i} says the council met on day {i} and voted {i} to {i + 1} on the plan." for i in range(300)))
    (tmp_path / "briefgen.toml").write_text("context_tokens = 2048\n")
    rendered = run("prompts", "render", "summarize", long, "--base-url", fake_llm.base_url, "--json")
    calls = json.loads(rendered.stdout)
    assert len(calls) > 1
    assert f"Part 2 of {len(calls)}" in calls[1]["messages"][-1]["content"]
    assert fake_llm.requests == []


# ---- overrides and the cache: an edit re-runs exactly what depended on it -----------------------


def test_editing_a_prompt_resends_exactly_its_calls_and_templates_resend_none(tmp_path: Path, fake_llm: FakeOpenAI) -> None:
    fake_llm.responder = notes_responder
    base = ["build", SEEDS, "--base-url", fake_llm.base_url, "-q"]
    assert run(*base, "-o", tmp_path / "0.md").exit_code == 0
    first = len(fake_llm.chat_requests)
    assert first == 6  # one summarize call per seed, one cross-check of the story of 000 and 004

    my = tmp_path / "my"
    init(my)
    overrides = ["--prompts-dir", my, "--templates-dir", my / "templates"]
    # Copies of the defaults are the same prompts: nothing to re-run.
    assert run(*base, *overrides, "-o", tmp_path / "1.md").exit_code == 0
    assert len(fake_llm.chat_requests) == first

    # An output template is not part of any LLM call: the output changes, no call is made.
    edit(my / "templates" / "brief.md", "# {{ title|md }}", "# EDITED {{ title|md }}")
    assert run(*base, *overrides, "-o", tmp_path / "2.md").exit_code == 0
    assert len(fake_llm.chat_requests) == first
    assert (tmp_path / "2.md").read_text().startswith("# EDITED")

    # Editing the prompt re-sends exactly its calls, each with the edit in it.
    prompt = my / "summarize.j2"
    original = prompt.read_text()
    edit(prompt, SYSTEM, SYSTEM + "You write terse notes.\n")
    result = run(*base, *overrides, "--format", "json")
    assert result.exit_code == 0, result.stderr
    resent = fake_llm.chat_requests[first:]
    assert len(resent) == 5
    assert all("terse notes" in r.json["messages"][0]["content"] for r in resent)
    assert json.loads(result.stdout)["stats"]["prompt_versions"]["summarize"] == load_prompt("summarize", my).label

    # Putting it back costs nothing: the old results were never thrown away.
    prompt.write_text(original)
    assert run(*base, *overrides).exit_code == 0
    assert len(fake_llm.chat_requests) == first + 5
