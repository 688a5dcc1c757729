"""The bad-input corpus: every input a user can hand briefgen by mistake, and what it does.

Each case is built together with one good article: the good one must still make the brief,
the bad one gets one line naming it exactly as given (no traceback, said once), and the run
ends within the bound its test states. Fixed files live in tests/fixtures/badinput/ (written
for this suite); large, special or racy ones are made in tmp_path.

The README's reliability table lists these classes; keep the two in step.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from fakeserver import FakeOpenAI
from scripted import notes_responder

from briefgen.cli import main
from briefgen.models import Brief
from briefgen.sources import ingest
from briefgen.text.sentences import split_sentences

CORPUS = Path(__file__).resolve().parent / "fixtures" / "badinput"
ROOT = Path(__file__).resolve().parent.parent

GOOD = """Library extends its opening hours

The city library of Ostend will open until 10 p.m. on weekdays from March, its director
said on Tuesday, after a survey of 3,400 readers asked for evening hours.

The change costs about 90,000 euros a year, paid by a grant from the regional government.
Two new staff will be hired for the evening shifts, the director said.
"""


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.txt"
    path.write_text(GOOD, encoding="utf-8")
    return path


def build(fake_llm: FakeOpenAI, *sources: str | Path) -> click.testing.Result:
    fake_llm.responder = notes_responder
    return CliRunner().invoke(main, ["build", *map(str, sources), "--base-url", fake_llm.base_url, "-f", "json"],
                              catch_exceptions=False)


def lines_naming(result: click.testing.Result, name: str) -> list[str]:
    return [line for line in result.stderr.splitlines() if name in line]


def assert_listed(result: click.testing.Result, name: str, reason: str) -> Brief:
    """Exit 3; the good article built; the bad one under failures with ``reason``, said once."""
    assert result.exit_code == 3, result.stderr
    assert "Traceback" not in result.stderr
    brief = Brief.model_validate_json(result.stdout)
    assert [s.articles[0].title for s in brief.stories] == ["Library extends its opening hours"]
    assert [f.source for f in brief.failures] == [name] and reason in brief.failures[0].reason, brief.failures
    said = lines_naming(result, name)
    assert said == [f"failed: {name}: {brief.failures[0].reason}"], result.stderr  # exactly as given, once
    return brief


def assert_read(result: click.testing.Result, title: str) -> Brief:
    """Exit 0; both the good article and this one are in the brief."""
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    brief = Brief.model_validate_json(result.stdout)
    assert not brief.failures
    titles = {s.articles[0].title for s in brief.stories}
    assert titles == {"Library extends its opening hours", title}, titles
    return brief


# ---- fixed files -----------------------------------------------------------------------------
@pytest.mark.parametrize("name,reason", [
    ("empty.txt", "empty file"),
    ("whitespace-only.txt", "empty file"),
    ("binary.txt", "binary file"),
    ("all-script.html", "no article text found"),
    ("wrong-shape-object.json", "JSON article has no body"),
    ("wrong-shape-scalar.json", "not an object"),
])
def test_unreadable_file_is_listed_and_the_rest_is_built(fake_llm: FakeOpenAI, good: Path, name: str,
                                                         reason: str) -> None:
    """Bound: 10 s."""
    started = time.monotonic()
    assert_listed(build(fake_llm, good, CORPUS / name), str(CORPUS / name), reason)
    assert time.monotonic() - started < 10


def test_json_of_the_wrong_shape_lists_each_item(fake_llm: FakeOpenAI, good: Path) -> None:
    """A list of non-articles: one failure per item, each named by its index. Bound: 10 s."""
    bad = CORPUS / "wrong-shape-list.json"
    result = build(fake_llm, good, bad)
    assert result.exit_code == 3 and "Traceback" not in result.stderr
    brief = Brief.model_validate_json(result.stdout)
    assert [f.source for f in brief.failures] == [f"{bad}[{i}]" for i in range(4)]
    assert len([line for line in result.stderr.splitlines() if line.startswith("failed:")]) == 4


@pytest.mark.parametrize("name", ["utf16-bom.txt", "latin1.txt", "truncated-utf8.txt"])
def test_other_encodings_are_read_with_their_letters_intact(fake_llm: FakeOpenAI, good: Path, name: str) -> None:
    """UTF-16 with a BOM, latin-1, and UTF-8 cut inside its last character all read as the
    words they are (not as a guessed code page's mojibake). Bound: 10 s."""
    result = build(fake_llm, good, CORPUS / name)
    brief = assert_read(result, "Café owners in Brügge protest a new terrace fee")
    cited = " ".join(p.text for s in brief.stories for p in s.key_points)
    assert "cafés" in cited or "Caf" not in cited, cited
    assert "Ã" not in result.stdout and "Ä\x8f" not in result.stdout  # no double-decoded UTF-8
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) <= 1, result.stderr  # at most one note on how it was decoded


def test_an_article_in_another_language_is_summarized(fake_llm: FakeOpenAI, good: Path) -> None:
    """German text goes to the model like any other (summarized, not translated). Bound: 10 s."""
    brief = assert_read(build(fake_llm, good, CORPUS / "other-language.txt"),
                        "Hafen von Kelmund nimmt den Betrieb wieder auf")
    german = [s for s in brief.stories if s.articles[0].title.startswith("Hafen")][0]
    assert german.key_points and all(p.verified for p in german.key_points)


def test_truncated_utf8_keeps_every_accent(tmp_path: Path) -> None:
    """The decoder itself: the cut character goes, nothing else changes. Bound: instant."""
    data = (CORPUS / "truncated-utf8.txt").read_bytes()
    assert ingest.decode(data, "x") == data[:-1].decode("utf-8")


# ---- made at test time ------------------------------------------------------------------------
def test_50_mb_text_hits_the_size_cap_without_being_read(fake_llm: FakeOpenAI, good: Path, tmp_path: Path) -> None:
    """Over ingest.MAX_BYTES (shared with page fetching): listed, in seconds, in little memory. Bound: 5 s, 20 MB."""
    big = tmp_path / "huge.txt"
    with open(big, "wb") as fh:
        line = b"The committee met again and again to discuss the budget of the harbour. " * 100 + b"\n"
        for _ in range(50_000_000 // len(line) + 1):
            fh.write(line)
    assert big.stat().st_size > 50_000_000
    tracemalloc.start()
    started = time.monotonic()
    result = build(fake_llm, good, big)
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert_listed(result, str(big), f"over the {ingest.MAX_BYTES / 1_000_000:.1f} MB limit")
    assert elapsed < 5 and peak < 20_000_000, (elapsed, peak)


def test_one_1_mb_line_is_split_and_built_in_bounded_time(fake_llm: FakeOpenAI, good: Path, tmp_path: Path) -> None:
    """A 1 MB paragraph used to take pysbd many minutes (quadratic); now windows. The bounds
    catch that, not a slow day: the split takes ~4 s on a quiet 2-core machine, the build ~11 s."""
    sentence = "The council of district {} voted on a new budget for schools and roads in the city."
    body = " ".join(sentence.format(i) for i in range(12_000))
    assert len(body) > 1_000_000 and "\n" not in body
    path = tmp_path / "one-line.txt"
    path.write_text("Council votes on the city budget\n\n" + body + "\n", encoding="utf-8")
    started = time.monotonic()
    split_started = time.monotonic()
    sentences = split_sentences(body)
    assert time.monotonic() - split_started < 20
    assert " ".join(sentences) == body  # nothing lost or doubled by the windows
    assert_read(build(fake_llm, good, path), "Council votes on the city budget")
    assert time.monotonic() - started < 90


def test_deeply_nested_html_is_read_or_listed(fake_llm: FakeOpenAI, good: Path, tmp_path: Path) -> None:
    """20,000 nested <div>s: no recursion error, no traceback. Bound: 15 s."""
    path = tmp_path / "nested.html"
    inner = ("<p>The bridge over the Vell river reopened on Monday after four months of repairs, the city said. "
             "Engineers replaced two of its steel beams and the whole deck.</p>")
    path.write_text("<html><body>" + "<div>" * 20_000 + inner + "</div>" * 20_000 + "</body></html>")
    started = time.monotonic()
    result = build(fake_llm, good, path)
    assert result.exit_code in (0, 3) and "Traceback" not in result.stderr, result.stderr
    if result.exit_code == 3:
        assert len(lines_naming(result, str(path))) == 1
    assert time.monotonic() - started < 15


def test_5000_tiny_files_are_read_in_seconds(tmp_path: Path) -> None:
    """Walking, opening and cleaning 5,000 one-line files. Bound: 15 s."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    for i in range(5000):
        (folder / f"{i:05d}.txt").write_text(f"Pump {i} at the north station was checked on day {i % 28 + 1}.\n")
    started = time.monotonic()
    articles, failures = ingest.load_sources([str(folder)])
    assert len(articles) == 5000 and not failures
    assert time.monotonic() - started < 15


def test_5000_tiny_files_make_one_brief(fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    """5,000 files, 50 distinct texts (wire copies): every file counted, one call per text. Bound: 45 s."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    for i in range(5000):
        n = i % 50
        (folder / f"{i:05d}.txt").write_text(f"Pump {n} at station {n} was repaired\n\nEngineers at pumping "
                                            f"station {n} replaced its {n + 2} valves on Monday, the water "
                                            f"board said.\n")
    started = time.monotonic()
    result = build(fake_llm, folder)
    assert result.exit_code == 0, result.stderr
    brief = Brief.model_validate_json(result.stdout)
    assert brief.stats.articles_in == 5000 and brief.stats.articles_unique == 50
    # One summarize call per distinct text (a story of two pumps may add its cross-check).
    assert len(fake_llm.article_requests) == 50
    assert time.monotonic() - started < 45


def test_a_fifo_is_listed_not_waited_on(fake_llm: FakeOpenAI, good: Path, tmp_path: Path) -> None:
    """Opening a FIFO would block for ever: it is refused by its type. Bound: 10 s."""
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    started = time.monotonic()
    assert_listed(build(fake_llm, good, fifo), str(fifo), "not a regular file (FIFO)")
    assert time.monotonic() - started < 10


def test_a_broken_symlink_is_listed(fake_llm: FakeOpenAI, good: Path, tmp_path: Path) -> None:
    """Bound: 10 s."""
    link = tmp_path / "gone.txt"
    link.symlink_to(tmp_path / "never-there.txt")
    assert_listed(build(fake_llm, good, link), str(link), "broken symbolic link")


def test_a_directory_loop_is_walked_once(fake_llm: FakeOpenAI, good: Path, tmp_path: Path) -> None:
    """A symlink back to its own folder: the folder's file is read once, no endless walk. Bound: 10 s."""
    folder = tmp_path / "loop"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(good, folder / "sub" / "good.txt")
    (folder / "sub" / "again").symlink_to(folder)
    started = time.monotonic()
    result = build(fake_llm, folder)
    assert result.exit_code == 0, result.stderr
    assert Brief.model_validate_json(result.stdout).stats.articles_in == 1
    assert time.monotonic() - started < 10


def test_a_file_that_disappears_mid_run_is_listed(fake_llm: FakeOpenAI, good: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by the folder walk, gone when it is read. Bound: 10 s."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(good, folder / "a-good.txt")
    vanishing = folder / "b-vanishing.txt"
    vanishing.write_text(GOOD.replace("Ostend", "Bruges"))
    real = ingest._read_bytes

    def read_after_it_went(path: Path, max_bytes: int) -> bytes:
        if path.name == vanishing.name:
            path.unlink()
        return real(path, max_bytes)

    monkeypatch.setattr(ingest, "_read_bytes", read_after_it_went)
    assert_listed(build(fake_llm, folder), str(vanishing), "No such file or directory")


def _without_root_powers() -> list[str]:
    """A prefix that runs a command as root without the capabilities that ignore file modes."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("root without setpriv: file modes cannot be tested")
    drop = "-dac_override,-dac_read_search"
    return ["setpriv", f"--inh-caps={drop}", f"--bounding-set={drop}"]


def _run(fake_llm: FakeOpenAI, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFGEN_", "OPENAI_"))}
    env.update(BRIEFGEN_HOME=str(home), PYTHONPATH=str(ROOT))
    fake_llm.responder = notes_responder
    return subprocess.run([*_without_root_powers(), sys.executable, "-m", "briefgen", "build", *args,
                           "--base-url", fake_llm.base_url, "-f", "json"],
                          env=env, capture_output=True, text=True, timeout=60)


def test_a_file_without_read_permission_is_listed(fake_llm: FakeOpenAI, good: Path, tmp_path: Path) -> None:
    """Mode 000 (root's override dropped): 'permission denied', the rest built. Bound: 20 s."""
    locked = tmp_path / "locked.txt"
    locked.write_text(GOOD)
    locked.chmod(0)
    done = _run(fake_llm, tmp_path / "home", str(good), str(locked))
    assert done.returncode == 3, done.stderr
    assert [line for line in done.stderr.splitlines() if "locked.txt" in line] == [
        f"failed: {locked}: permission denied"], done.stderr


def test_a_read_only_data_directory_is_one_line(fake_llm: FakeOpenAI, good: Path, tmp_path: Path) -> None:
    """The state cannot be created: exit 1, one line naming the file. Bound: 20 s."""
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o555)
    done = _run(fake_llm, home, str(good))
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: {home / 'state.sqlite3'}"), done.stderr
    assert "Traceback" not in done.stderr


def test_a_full_disk_is_one_line(fake_llm: FakeOpenAI, good: Path, tmp_path: Path) -> None:
    """A real full file system (a 256 KB tmpfs, filled) for the data dir: exit 1, one line. Bound: 20 s."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare for a private tmpfs")
    home = tmp_path / "full"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFGEN_", "OPENAI_"))}
    env.update(BRIEFGEN_HOME=str(home / "home"), PYTHONPATH=str(ROOT))
    fake_llm.responder = notes_responder
    script = (f"mount -t tmpfs -o size=256k tmpfs {home} || exit 99; "
              f"dd if=/dev/zero of={home}/filler bs=4k 2>/dev/null; "
              f"exec {sys.executable} -m briefgen build {good} --base-url {fake_llm.base_url} -q")
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    if done.returncode == 99:
        pytest.skip("cannot mount a tmpfs here")
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "full" in lines[0], done.stderr


def test_an_output_file_on_a_full_device_is_one_line(fake_llm: FakeOpenAI, good: Path) -> None:
    """-o /dev/full: exit 1, one line naming it and where the brief is kept. Bound: 10 s."""
    fake_llm.responder = notes_responder
    result = CliRunner().invoke(main, ["build", str(good), "--base-url", fake_llm.base_url, "-o", "/dev/full", "-q"],
                                catch_exceptions=False)
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: /dev/full: cannot write the brief: No space left"), lines
    assert "archive" in lines[0]


def _hold_lock(state: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process that takes SQLite's write lock on the state file and keeps it."""
    code = ("import sqlite3, sys, time; db = sqlite3.connect(sys.argv[1], isolation_level=None); "
            "db.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(float(sys.argv[2])); "
            "db.execute('COMMIT')")
    proc = subprocess.Popen([sys.executable, "-c", code, str(state), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def _state_of_one_run(fake_llm: FakeOpenAI, good: Path) -> Path:
    assert build(fake_llm, good).exit_code == 0
    state = Path(os.environ["BRIEFGEN_HOME"]) / "state.sqlite3"
    assert state.is_file()
    return state


def test_sqlite_busy_for_a_moment_is_waited_out(fake_llm: FakeOpenAI, good: Path) -> None:
    """Another process holds the write lock for 1 s: briefgen waits and builds. Bound: 15 s."""
    state = _state_of_one_run(fake_llm, good)
    holder = _hold_lock(state, 1.0)
    try:
        result = CliRunner().invoke(main, ["build", str(good), "--base-url", fake_llm.base_url, "-q", "--no-cache",
                                           "-f", "json"], catch_exceptions=False)
    finally:
        holder.wait(timeout=10)
    assert result.exit_code == 0, result.stderr
    with sqlite3.connect(state) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_sqlite_locked_past_the_timeout_is_one_line(fake_llm: FakeOpenAI, good: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Locked longer than the busy timeout (1 s here): exit 1, one line naming the state file. Bound: 15 s."""
    state = _state_of_one_run(fake_llm, good)
    monkeypatch.setattr("briefgen.store.BUSY_TIMEOUT_S", 1.0)
    holder = _hold_lock(state, 4.0)
    requests_before = len(fake_llm.chat_requests)
    try:
        result = CliRunner().invoke(main, ["build", str(good), "--base-url", fake_llm.base_url, "-q", "--no-cache"],
                                    catch_exceptions=False)
    finally:
        holder.wait(timeout=10)
    assert result.exit_code == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: {state}") and "locked" in lines[0], lines
    assert len(fake_llm.chat_requests) == requests_before  # stopped before paying for any call


def test_bracketed_names_are_printed_exactly(fake_llm: FakeOpenAI, good: Path, tmp_path: Path) -> None:
    """'in/[draft] x.txt' is a name, not console markup; each problem is said once. Bound: 10 s."""
    folder = tmp_path / "in"
    folder.mkdir()
    missing = str(folder / "[draft] x.txt")
    alone = CliRunner().invoke(main, ["build", missing, "--base-url", fake_llm.base_url], catch_exceptions=False)
    assert alone.exit_code == 1
    assert [line for line in alone.stderr.splitlines() if line.strip()] == [f"error: {missing}: no files match"]
    empty = folder / "[bold]empty.txt"
    empty.write_text("")
    assert_listed(build(fake_llm, good, empty), str(empty), "empty file")
    # A title that reads as markup ("[/x]") in the progress bar, which -q would hide.
    odd = folder / "odd.txt"
    odd.write_text(GOOD.replace("Library extends", "Library [/x] extends [bold]", 1))
    result = CliRunner().invoke(main, ["build", str(odd), "--base-url", fake_llm.base_url, "-o",
                                       str(tmp_path / "b.md")], catch_exceptions=False)
    assert result.exit_code == 0 and "MarkupError" not in result.stderr and "Traceback" not in result.stderr


def test_the_schedule_error_keeps_its_brackets() -> None:
    """'(sources and [smtp])' used to print as '(sources and )'. Bound: instant."""
    result = CliRunner().invoke(main, ["schedule", "--at", "07:00"], catch_exceptions=False)
    assert result.exit_code == 1
    assert [line for line in result.stderr.splitlines() if line.strip()] == [
        "error: no config file: the cron job needs one (sources and [smtp]); pass --config FILE"]
