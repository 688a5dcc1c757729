"""Loading sources: every kind of input, and every kind of bad input as a one-line Failure."""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path

from briefgen.sources.ingest import load_sources
from briefgen.models import ContentKind

ARTICLE = (
    "Harbour Bridge Reopens After Repairs\n\n"
    "The Harbour Bridge reopened to traffic on Monday after eight months of repairs to its steel deck, "
    "the city transport department said. Engineers replaced 40 expansion joints and repainted the main span. "
    "Officials said the work cost 12 million euros, less than the 15 million first budgeted, and finished "
    "two weeks early. Buses that had been diverted through the old town return to their usual routes on "
    "Wednesday, and cyclists get a separated lane on the eastern side for the first time.\n\n"
    "Share this:\n"
)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def reasons(failures) -> dict[str, str]:
    return {f.source: f.reason for f in failures}


def test_plain_text_has_no_invented_metadata(tmp_path: Path) -> None:
    p = write(tmp_path / "bridge.txt", ARTICLE)
    arts, fails = load_sources([str(p)])
    assert fails == []
    (a,) = arts
    assert a.title == "Harbour Bridge Reopens After Repairs"
    assert a.outlet is None and a.url is None and a.published is None
    assert a.furniture_removed == 1 and "Share this" not in a.body
    assert a.content_kind is ContentKind.FULL
    assert a.raw_path == str(p.resolve()) and a.source == str(p)
    assert a.ref().label == "bridge.txt (outlet unknown)"


def test_folder_recursive_sorted_skips_unsupported(tmp_path: Path) -> None:
    write(tmp_path / "in" / "b.txt", ARTICLE.replace("Harbour", "North"))
    write(tmp_path / "in" / "sub" / "a.md", ARTICLE.replace("Harbour", "South"))
    write(tmp_path / "in" / "notes.pdf", b"%PDF-1.4")
    write(tmp_path / "in" / ".hidden.txt", ARTICLE)
    arts, fails = load_sources([str(tmp_path / "in")])
    assert fails == []
    assert [Path(a.source).name for a in arts] == ["b.txt", "a.md"]  # sorted by path
    assert arts[1].title == "South Bridge Reopens After Repairs"


def test_glob_and_duplicate_paths_load_once(tmp_path: Path) -> None:
    write(tmp_path / "d" / "one.txt", ARTICLE)
    write(tmp_path / "d" / "two.txt", ARTICLE.replace("Harbour", "River"))
    arts, fails = load_sources([str(tmp_path / "d" / "*.txt"), str(tmp_path / "d"), str(tmp_path / "d" / "one.txt")])
    assert fails == []
    assert sorted(Path(a.source).name for a in arts) == ["one.txt", "two.txt"]


def test_glob_without_match_is_a_failure(tmp_path: Path) -> None:
    arts, fails = load_sources([str(tmp_path / "*.txt")])
    assert arts == [] and reasons(fails) == {str(tmp_path / "*.txt"): "no files match"}


def test_stdin_text_and_json() -> None:
    arts, fails = load_sources(["-"], stdin=io.StringIO(ARTICLE))
    assert fails == [] and arts[0].source == "-" and arts[0].raw_path is None
    doc = json.dumps({"title": "Bridge reopens", "body": ARTICLE.split("\n\n")[1], "outlet": "City Post"})
    arts, fails = load_sources(["-"], stdin=io.StringIO(doc))
    assert fails == [] and arts[0].outlet == "City Post" and arts[0].title == "Bridge reopens"


def test_yaml_and_toml_front_matter(tmp_path: Path) -> None:
    body = ARTICLE.split("\n\n", 1)[1]
    yaml_fm = ("---\ntitle: Bridge reopens early\noutlet: City Post\nurl: https://citypost.example/bridge\n"
               "published: 2025-03-03T08:00:00+01:00\nauthor: Ana Ruiz\n---\n" + body)
    toml_fm = ('+++\ntitle = "Bridge reopens early"\noutlet = "Harbour Times"\npublished = 2025-03-03\n'
               'author = "Li Wei"\n+++\n' + body)
    toml_dash = '---\ntitle = "Bridge reopens early"\noutlet = "Dash Daily"\n---\n' + body
    arts, fails = load_sources([str(write(tmp_path / "y.md", yaml_fm)), str(write(tmp_path / "t.md", toml_fm)),
                                str(write(tmp_path / "d.txt", toml_dash))])
    assert fails == []
    y, t, d = arts
    assert (y.title, y.outlet, y.url, y.byline) == ("Bridge reopens early", "City Post",
                                                    "https://citypost.example/bridge", "Ana Ruiz")
    assert y.published is not None and y.published.isoformat() == "2025-03-03T08:00:00+01:00"
    assert t.outlet == "Harbour Times" and t.published is not None and t.published.date().isoformat() == "2025-03-03"
    assert t.byline == "Li Wei" and d.outlet == "Dash Daily"
    assert "title" not in y.body and "outlet" not in t.body


def test_json_list_with_a_bad_item(tmp_path: Path) -> None:
    items = [
        {"title": "Bridge reopens", "content": ARTICLE.split("\n\n")[1], "source": {"id": None, "name": "City Post"},
         "link": "https://citypost.example/b", "publishedAt": "2025-03-03T08:00:00Z", "byline": "Ana Ruiz"},
        {"title": "No body here"},
        {"headline": "Short one", "description": "Fares rise by 4% in April, the operator said."},
        "not an object",
    ]
    p = write(tmp_path / "feed.json", json.dumps(items))
    arts, fails = load_sources([str(p)])
    assert [a.title for a in arts] == ["Bridge reopens", "Short one"]
    assert arts[0].outlet == "City Post" and arts[0].url == "https://citypost.example/b"
    assert arts[0].published is not None and arts[0].published.year == 2025 and arts[0].byline == "Ana Ruiz"
    assert arts[1].content_kind is ContentKind.SNIPPET
    assert reasons(fails) == {
        f"{p}[1]": "JSON article has no body (expected body, text or content)",
        f"{p}[3]": "JSON article is a str, not an object",
    }


def test_malformed_json(tmp_path: Path) -> None:
    p = write(tmp_path / "bad.json", '[\n  {"title": "x",\n    "body" "y"}\n]')
    arts, fails = load_sources([str(p)])
    assert arts == []
    assert reasons(fails)[str(p)] == "invalid JSON at line 3 column 12: Expecting ':' delimiter"


def test_every_bad_input_is_a_one_line_failure_and_good_files_still_load(tmp_path: Path) -> None:
    good = write(tmp_path / "good.txt", ARTICLE)
    empty = write(tmp_path / "empty.txt", "  \n\n")
    binary = write(tmp_path / "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:  # sparse: 20 MB on paper, instant to make
        fh.truncate(20_000_000)
    # Unreadable paths: we run as root, so chmod 000 would not stop us. A broken symlink and a
    # FIFO (opening it would block forever) are unreadable for every user.
    broken = tmp_path / "gone.txt"
    broken.symlink_to(tmp_path / "missing-target.txt")
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    empty_dir = tmp_path / "nothing"
    write(empty_dir / "readme.pdf", b"%PDF")
    unsupported = write(tmp_path / "report.docx", b"PK")
    missing = tmp_path / "missing.txt"
    sources = [str(p) for p in (empty, good, binary, big, broken, fifo, empty_dir, unsupported, missing)]
    arts, fails = load_sources(sources)
    assert [a.title for a in arts] == ["Harbour Bridge Reopens After Repairs"]
    assert reasons(fails) == {
        str(empty): "empty file",
        str(binary): "binary file (contains NUL bytes)",
        str(big): "file is 20.0 MB, over the 5.0 MB limit",
        str(broken): "broken symbolic link",
        str(fifo): "not a regular file (FIFO)",
        str(empty_dir): "no .txt/.md/.html/.htm/.json files",
        str(unsupported): "unsupported file type '.docx'; expected one of .txt, .md, .html, .htm, .json",
        str(missing): "no such file or directory",
    }
    assert all("\n" not in f.reason for f in fails)


def test_non_utf8_legacy_text_is_decoded_with_a_warning(tmp_path: Path, caplog) -> None:
    text = ("Café Owners Protest Rent Rise\n\nThe owners of a café on the old square said on Monday that a "
            "naïve reading of the new lease – which doubles the rent – would close them by summer.\n")
    p = write(tmp_path / "legacy.txt", text.encode("cp1252"))
    with caplog.at_level(logging.WARNING, logger="briefgen.sources.ingest"):
        arts, fails = load_sources([str(p)])
    assert fails == []
    assert arts[0].title == "Café Owners Protest Rent Rise" and "naïve reading" in arts[0].body
    assert "not UTF-8; decoded as cp1252" in caplog.text


def test_undecodable_bytes_are_a_failure(tmp_path: Path) -> None:
    # Bytes no text encoding makes sense of (no NULs, so not caught as binary first).
    data = bytes((i * 97 + 13) % 255 + 1 for i in range(4000))
    p = write(tmp_path / "noise.txt", data)
    arts, fails = load_sources([str(p)])
    assert arts == []
    assert fails[0].reason.startswith(("not UTF-8 text", "binary file"))


def test_html_file_via_trafilatura(tmp_path: Path) -> None:
    fixture = Path(__file__).parent / "fixtures" / "furniture" / "html_news.html"
    arts, fails = load_sources([str(fixture)])
    assert fails == []
    (a,) = arts
    assert a.outlet == "Valley Courier" and a.byline == "Tomasz Wrona" and a.language == "en"
    assert a.title == "Flooding Forces Thousands From Homes Along the Oder"
    assert "cookies" not in a.body and a.body.startswith("More than 4,000 people")


def test_content_kinds(tmp_path: Path) -> None:
    snippet = write(tmp_path / "s.txt", "Fares Rise in April\n\nFares rise by 4% in April, the operator said.\n")
    title_only = write(tmp_path / "t.txt", "Fares Rise in April\n")
    arts, fails = load_sources([str(snippet), str(title_only)])
    assert fails == []
    assert [a.content_kind for a in arts] == [ContentKind.SNIPPET, ContentKind.TITLE_ONLY]
    assert arts[1].body == "Fares Rise in April"


def test_file_of_only_furniture_is_a_failure(tmp_path: Path) -> None:
    p = write(tmp_path / "junk.txt", "Share this:\n\nAdvertisement\n\nLeave a Reply\n")
    arts, fails = load_sources([str(p)])
    assert arts == [] and reasons(fails)[str(p)].startswith("no article text found")
