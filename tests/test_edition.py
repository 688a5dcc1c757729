"""briefgen.publish.edition: one function builds and publishes, for both build and send."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from briefgen.config import load_settings
from briefgen.errors import MissingSourcesError
from briefgen.publish.edition import build_edition, publish, resolve_sources
from briefgen.store import Store
from fakeserver import FakeOpenAI, fake_llm  # noqa: F401
from scripted import notes_responder

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def settings_for(fake: FakeOpenAI, **extra: object):  # type: ignore[no-untyped-def]
    settings, _ = load_settings({"base_url": fake.base_url, "model": "m", **extra})
    return settings


def test_no_sources_anywhere_is_a_usage_error(fake_llm: FakeOpenAI) -> None:
    settings = settings_for(fake_llm)
    with pytest.raises(MissingSourcesError) as info:
        resolve_sources([], settings)
    assert info.value.exit_code == 2 and "no SOURCES" in str(info.value)
    assert not fake_llm.chat_requests


def test_config_sources_are_used_when_none_are_given(fake_llm: FakeOpenAI) -> None:
    settings = settings_for(fake_llm, sources=[str(SEEDS)])
    assert resolve_sources([], settings) == [str(SEEDS)]
    assert resolve_sources(["x.txt"], settings) == ["x.txt"]


def test_build_edition_archives_and_records_only_when_asked(fake_llm: FakeOpenAI) -> None:
    fake_llm.responder = notes_responder
    settings = settings_for(fake_llm)
    edition = build_edition([str(SEEDS)], settings, brief_date=date(2025, 9, 3))
    assert edition.warnings == []
    archive = settings.data_dir() / "archive" / "2025-09-03"
    assert sorted(p.suffix for p in archive.iterdir()) == [".html", ".json", ".md"]
    with Store(settings.state_file()) as store:
        assert store.published_members(before=date(2025, 9, 4)) == []  # a plain build publishes nothing
    build_edition([str(SEEDS)], settings, brief_date=date(2025, 9, 3), since_last=True)
    with Store(settings.state_file()) as store:
        published = store.published_members(before=date(2025, 9, 4))
    assert len(published) == sum(s.shown for s in edition.brief.stories)


def test_an_archive_that_cannot_be_written_is_a_warning_not_a_lost_brief(fake_llm: FakeOpenAI) -> None:
    fake_llm.responder = notes_responder
    settings = settings_for(fake_llm)
    edition = build_edition([str(SEEDS)], settings, brief_date=date(2025, 9, 3))
    (settings.data_dir() / "archive").rename(settings.data_dir() / "archive.old")
    (settings.data_dir() / "archive").write_text("a file where the folder should be")
    warnings = publish(edition.brief, settings, record=False)
    assert len(warnings) == 1 and "cannot archive" in warnings[0]
