"""The archive: every built brief kept as md/html/json in a dated folder of the data dir."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner
from fakeserver import FakeOpenAI
from scripted import notes_responder
from smtpserver import Server, smtp_server  # noqa: F401
from test_email import DAY, send, write_config

from briefgen.cli import main
from briefgen.models import Brief
from briefgen.store import Store

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def test_build_archives_md_html_and_json(fake_llm: FakeOpenAI) -> None:
    fake_llm.responder = notes_responder
    result = CliRunner().invoke(main, ["build", str(SEEDS), "--base-url", fake_llm.base_url, "--date", DAY,
                                       "--title", "Évening brief", "-q", "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    folder = Path(os.environ["BRIEFGEN_HOME"]) / "archive" / DAY
    assert sorted(p.name for p in folder.iterdir()) == ["evening-brief.html", "evening-brief.json", "evening-brief.md"]
    archived = Brief.model_validate_json((folder / "evening-brief.json").read_text())
    assert archived.model_dump(exclude={"generated_at"}) == Brief.model_validate_json(result.stdout).model_dump(
        exclude={"generated_at"})
    assert (folder / "evening-brief.html").read_text().lstrip().lower().startswith("<!doctype html")
    assert archived.stories[0].headline in (folder / "evening-brief.md").read_text()


def test_send_archives_and_records_the_published_stories(
    fake_llm: FakeOpenAI, smtp_server: Server, tmp_path: Path
) -> None:
    fake_llm.responder = notes_responder
    assert send(write_config(tmp_path, smtp_server.port), fake_llm).exit_code == 0
    home = Path(os.environ["BRIEFGEN_HOME"])
    assert (home / "archive" / DAY / "morning-brief.json").is_file()
    with Store(home / "state.sqlite3") as store:
        published = store.published_stories()
    brief = Brief.model_validate_json((home / "archive" / DAY / "morning-brief.json").read_text())
    assert {p[0] for p in published} == {s.id for s in brief.shown_stories}
    assert {p[2].isoformat() for p in published} == {DAY}
