"""The sources file: strings and [[sources]] tables, OPML import, and `briefgen sources` commands."""

from __future__ import annotations

from pathlib import Path

import click
import newsfeeds as nf
import pytest
from click.testing import CliRunner
from feedserver import FeedServer, feed_server  # noqa: F401
from pydantic import ValidationError

from briefgen.cli import main
from briefgen.config import SourceSpec, load_settings, split_env_list
from briefgen.errors import ConfigError, InputError
from briefgen.sources.catalog import as_source, import_opml, matches_filters, parse_opml, split_sources

OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>My feeds</title></head><body>
<outline text="Local">
  <outline text="Harbour Gazette" type="rss" xmlUrl="https://harbour.example/rss.xml" htmlUrl="https://harbour.example/"/>
  <outline text="Valley Courier" title="Valley Courier" type="rss" xmlUrl="https://valley.example/atom.xml"/>
</outline>
<outline text="A folder without feeds"/>
<outline text="Northern Wire" type="rss" xmlUrl="https://north.example/feed.json"/>
</body></opml>"""


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_strings_with_a_scheme_are_remote_everything_else_local() -> None:
    local, remote = split_sources(["seeds/", "in/*.txt", "https://a.example/rss", "file:///etc/passwd",
                                   SourceSpec(name="Desk", path="desk/")])
    assert [s.key for s in local] == ["seeds/", "in/*.txt", "desk/"]
    assert [s.key for s in remote] == ["https://a.example/rss", "file:///etc/passwd"]
    assert as_source(SourceSpec(name="Desk", path="desk/")).label == "Desk (desk/)"


def test_a_table_needs_exactly_one_place() -> None:
    with pytest.raises(ValidationError, match="exactly one of url or path"):
        SourceSpec(name="x")
    with pytest.raises(ValidationError, match="exactly one of url or path"):
        SourceSpec(url="https://a", path="b")


def test_keywords_include_and_exclude() -> None:
    spec = SourceSpec(url="https://a", include=["Bridge", "rail"], exclude=["sport"])
    assert matches_filters(spec, "Rail bridge closed") and not matches_filters(spec, "Rail sport day")
    assert not matches_filters(spec, "Harvest news")


def test_the_config_file_takes_tables_and_mixed_lists(tmp_path: Path) -> None:
    config = tmp_path / "conf" / "briefgen.toml"
    config.parent.mkdir()
    config.write_text('sources = ["seeds/", { url = "https://a.example/rss", max_items = 5 }]\n')
    settings, _ = load_settings({}, config)
    assert settings.sources[0] == "seeds/"
    assert isinstance(settings.sources[1], SourceSpec) and settings.sources[1].max_items == 5
    config.write_text('[[sources]]\nname = "Desk"\npath = "inbox"\n\n[[sources]]\nurl = "https://b.example/"\n'
                      'kind = "page"\n')
    settings, _ = load_settings({}, config)
    desk = settings.sources[0]
    assert isinstance(desk, SourceSpec) and desk.path == str(config.parent / "inbox")  # relative to the file
    config.write_text('[[sources]]\nname = "x"\nurl = "https://b.example/"\nkind = "podcast"\n')
    with pytest.raises(ConfigError, match="sources"):
        load_settings({}, config)


def test_urls_in_the_environment_are_not_split_at_their_colon() -> None:
    assert split_env_list("seeds:https://a.example/rss:http://b.example:8080/x") == [
        "seeds", "https://a.example/rss", "http://b.example:8080/x"]
    settings, _ = load_settings({}, None, env={"BRIEFGEN_SOURCES": "https://a.example/rss:in/"})
    assert settings.sources == ["https://a.example/rss", "in/"]


def test_opml_outlines_become_feed_tables() -> None:
    specs = parse_opml(OPML.encode())
    assert [(s.name, s.url, s.kind) for s in specs] == [
        ("Harbour Gazette", "https://harbour.example/rss.xml", "feed"),
        ("Valley Courier", "https://valley.example/atom.xml", "feed"),
        ("Northern Wire", "https://north.example/feed.json", "feed")]
    with pytest.raises(InputError, match="not valid OPML"):
        parse_opml(b"<opml><body><outline")
    with pytest.raises(InputError, match="no feed subscriptions"):
        parse_opml(b"<opml><body><outline text='x'/></body></opml>")


def test_import_keeps_the_file_and_its_comments_and_skips_known_feeds(tmp_path: Path) -> None:
    opml = tmp_path / "subs.opml"
    opml.write_text(OPML)
    config = tmp_path / "briefgen.toml"
    config.write_text('# my brief\ntitle = "Morning"\nsources = ["seeds/"]  # local files too\n\n[smtp]\nhost = "mx"\n')
    first = import_opml(opml, config)
    assert len(first.added) == 3 and not first.skipped
    text = config.read_text()
    assert "# my brief" in text and "# local files too" in text
    settings, _ = load_settings({}, config)
    assert settings.sources[0] == "seeds/" and len(settings.sources) == 4 and settings.smtp.host == "mx"
    again = import_opml(opml, config)
    assert not again.added and len(again.skipped) == 3 and config.read_text() == text


def test_import_into_tables_or_a_new_file(tmp_path: Path) -> None:
    opml = tmp_path / "subs.opml"
    opml.write_text(OPML)
    fresh = tmp_path / "new" / "briefgen.toml"
    import_opml(opml, fresh)
    assert "[[sources]]" in fresh.read_text() and len(load_settings({}, fresh)[0].sources) == 3
    tables = tmp_path / "t.toml"
    tables.write_text('[[sources]]\nurl = "https://harbour.example/rss.xml"\n')
    result = import_opml(opml, tables)
    assert len(result.added) == 2 and len(load_settings({}, tables)[0].sources) == 3


def test_sources_commands_list_check_and_import(feed_server: FeedServer, tmp_path: Path) -> None:
    good = feed_server.route("/rss.xml", nf.rss20("Harbour Gazette", feed_server.url("/"), [
        (nf.FERRY, feed_server.url("/ferry"))], full=True), content_type="application/rss+xml")
    config = tmp_path / "briefgen.toml"
    config.write_text(f'fetch_allow_hosts = ["127.0.0.1"]\n[[sources]]\nname = "Harbour"\nurl = "{good}"\n'
                      f'[[sources]]\nurl = "{feed_server.url("/missing.xml")}"\n[[sources]]\npath = "seeds"\n')
    listed = run("sources", "list", "--config", str(config))
    assert listed.exit_code == 0 and "never fetched" in listed.stdout
    checked = run("sources", "check", "--config", str(config))
    assert checked.exit_code == 3
    assert f"ok\tHarbour ({good}): feed, 1 items" in checked.stdout
    assert f"FAILED\t{feed_server.url('/missing.xml')}: HTTP 404 Not Found" in checked.stdout
    assert "Traceback" not in checked.stderr
    rechecked = run("sources", "check", "--config", str(config))
    assert "(not modified)" in rechecked.stdout
    listed = run("sources", "list", "--config", str(config)).stdout
    assert "1 items\t1/2 not modified" in listed and "last error: HTTP 404 Not Found" in listed
    opml = tmp_path / "subs.opml"
    opml.write_text(OPML)
    imported = run("sources", "import", str(opml), "--config", str(config))
    assert imported.exit_code == 0 and "3 feeds added" in imported.stderr
    assert run("sources", "--help").exit_code == 0
