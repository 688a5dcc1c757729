"""Crash and resume: SIGKILL at random points, then a re-run finishes the brief.

Each round starts from a fresh data dir, runs ``briefgen build`` of the seeds against the
loopback OpenAI-protocol server (each reply delayed a little, so kills land in every
phase: start-up, calls, archive, output), kills it with SIGKILL at a random moment, checks
the SQLite state with ``PRAGMA integrity_check`` and every archived file for a torn write,
then re-runs to the end. Counted on the server: a request sent again after a kill must have
been in flight when that kill came — no call that had returned is paid twice.

Also: two runs at once on one state file, and two ``send`` at once (one email). The embedded
server's orphan rule, with kills of a real-model run, is the slow test at the end.
"""

from __future__ import annotations

import hashlib
import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import os
import pytest
from crashkit import alive, briefgen_env, children_of, integrity, run, run_killed, run_killed_when
from fakeserver import FakeOpenAI, Reply
from scripted import notes_responder
from smtpserver import Server, smtp_server  # noqa: F401

from briefgen.models import Brief


@pytest.fixture(autouse=True)
def _summarize_calls_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests count summarize calls; the story cross-check (one more call per story of
    several outlets, on for server backends) has its own tests in test_crosscheck.py."""
    monkeypatch.setenv("BRIEFGEN_CROSSCHECK", "false")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
ROUNDS = 6
# Per call: 5 seeds ≈ 1.25 s of calls in a ~3.7 s run whose first ~1.2 s is imports.
REPLY_DELAY_S = 0.25
GRACE_S = 0.5  # a reply that arrived this long before the kill may not have been stored yet


def body_key(request: dict) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


def slow_notes(request: dict) -> Reply:
    return Reply(content=notes_responder(request), delay=REPLY_DELAY_S)


def check_kept_files(home: Path) -> None:
    """Nothing torn: every archive JSON parses, no temporary file is mistaken for a brief."""
    for path in (home / "archive").rglob("*.json"):
        Brief.model_validate_json(path.read_text(encoding="utf-8"))


def test_sigkill_at_random_points_resumes_n_of_n(fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    """6 rounds of kill -9 + re-run: state sound after every kill, the brief finished every time,
    no returned call paid twice. Bound: 60 s."""
    fake_llm.responder = slow_notes
    rng = random.Random(20261201)
    args = ["build", str(SEEDS), "--base-url", fake_llm.base_url, "-f", "json", "-q", "--date", "2026-12-01"]
    # A reference run for the length of one build (and the number of calls it makes).
    ref_home = tmp_path / "ref"
    started = time.monotonic()
    ref = run([*args, "-o", str(tmp_path / "ref.json")], briefgen_env(ref_home))
    full_s = time.monotonic() - started
    assert ref.returncode == 0, ref.stderr
    calls_per_build = len(fake_llm.article_requests)
    fake_llm.requests.clear()

    resumed = killed_mid_run = 0
    kills: list[float] = []
    rounds_started = time.monotonic()
    for i in range(ROUNDS):
        home = tmp_path / f"round-{i}"
        env = briefgen_env(home)
        first = len(fake_llm.article_requests)
        outcome = run_killed([*args, "-o", str(tmp_path / f"out-{i}.json")], env, rng.uniform(0.3, 0.95) * full_s)
        killed_mid_run += outcome.killed
        if outcome.killed:
            kills.append(outcome.at)
        state = home / "state.sqlite3"
        if state.exists():
            assert integrity(state) == "ok", f"round {i}: corrupt state after SIGKILL"
        check_kept_files(home)
        again = run([*args, "-o", str(tmp_path / f"out-{i}.json")], env)
        assert again.returncode == 0, (i, again.stderr)
        brief = Brief.model_validate_json((tmp_path / f"out-{i}.json").read_text())
        assert brief.stats.articles_in == 5 and not brief.failures
        assert integrity(state) == "ok"
        resumed += 1
        # Counted on the server, for this round's two runs.
        sent: dict[str, list[float]] = defaultdict(list)
        for r in fake_llm.article_requests[first:]:
            sent[body_key(r.json)].append(r.at)
        assert len(sent) == calls_per_build
        for key, times in sent.items():
            for t in times[:-1]:  # each earlier send of a repeated request...
                assert outcome.killed and t <= outcome.at <= t + REPLY_DELAY_S + GRACE_S, (
                    f"round {i}: a call that had returned was paid again")  # ...was cut off by the kill
    assert resumed == ROUNDS
    assert killed_mid_run >= ROUNDS - 2, "the random points missed the runs; widen them"
    repaid = len(fake_llm.article_requests) - ROUNDS * calls_per_build
    assert repaid <= killed_mid_run  # at most the one call in flight per kill
    print(f"\nkill -9: {killed_mid_run} of {ROUNDS} rounds killed mid-run, {resumed} of {ROUNDS} resumed, "
          f"{repaid} in-flight calls re-sent, 0 returned calls paid twice")
    assert time.monotonic() - rounds_started < 60


def test_two_builds_at_once_share_one_sound_state(fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    """Two builds of the same seeds on one state file at the same time: both finish, state sound. Bound: 30 s."""
    fake_llm.responder = notes_responder
    env = briefgen_env(tmp_path / "home")
    procs = [subprocess.Popen([sys.executable, "-m", "briefgen", "build", str(SEEDS), "--base-url", fake_llm.base_url,
                               "-f", "json", "-q", "-o", str(tmp_path / f"b{i}.json")], env=env,
                              stderr=subprocess.PIPE, text=True) for i in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=30)
        assert p.returncode == 0, err
    for i in range(2):
        assert Brief.model_validate_json((tmp_path / f"b{i}.json").read_text()).stats.articles_in == 5
    assert integrity(tmp_path / "home" / "state.sqlite3") == "ok"
    # A third run is served entirely from what the two stored.
    before = len(fake_llm.article_requests)
    assert run(["build", str(SEEDS), "--base-url", fake_llm.base_url, "-q"], env).returncode == 0
    assert len(fake_llm.article_requests) == before


def test_two_sends_at_once_send_one_email(fake_llm: FakeOpenAI, smtp_server: Server, tmp_path: Path) -> None:
    """Two `send` of the same brief at the same time: one email per recipient, never two. Bound: 30 s."""
    fake_llm.responder = notes_responder
    config = tmp_path / "briefgen.toml"
    config.write_text(f'sources = ["{SEEDS}"]\n[smtp]\nhost = "127.0.0.1"\nport = {smtp_server.port}\n'
                      'security = "none"\nfrom = "b@example.org"\nto = ["r@example.org", "s@example.org"]\n',
                      encoding="utf-8")
    env = briefgen_env(tmp_path / "home")
    cmd = [sys.executable, "-m", "briefgen", "send", "--config", str(config), "--base-url", fake_llm.base_url, "-q",
           "--date", "2026-12-01"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [(p.wait(timeout=30), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    assert sorted(rc for rc, _, _ in results) in ([0, 0], [0, 1]), results
    for rc, _, err in results:
        if rc == 1:
            assert "another briefgen run is in progress" in err, err
    delivered = [r for m in smtp_server.recorder.messages for r in m.rcpt_tos]
    assert sorted(delivered) == ["r@example.org", "s@example.org"]  # each exactly once
    assert integrity(tmp_path / "home" / "state.sqlite3") == "ok"
    # And again later: nobody gets it twice.
    assert run(["send", "--config", str(config), "--base-url", fake_llm.base_url, "-q", "--date", "2026-12-01"],
               env).returncode == 0
    assert sorted(r for m in smtp_server.recorder.messages for r in m.rcpt_tos) == ["r@example.org", "s@example.org"]


def test_killed_with_8_calls_in_flight_resumes_and_pays_nothing_twice(fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    """40 articles at concurrency 8, SIGKILL while 8 calls are in flight, then a re-run: counted on the
    server, no request whose reply had come back is sent again, and the re-run sends only what was
    missing. Bound: 30 s."""
    from synthetic import write_articles

    delay = 0.3
    fake_llm.responder = lambda request: Reply(content=notes_responder(request), delay=delay)
    folder = tmp_path / "articles"
    write_articles(folder, 40, seed=8)
    home = tmp_path / "home"
    env = briefgen_env(home, BRIEFGEN_CROSSCHECK="false")  # summarize calls counted; the cross-check has its own tests
    args = ["build", str(folder), "--base-url", fake_llm.base_url, "--concurrency", "8", "-f", "json", "-q",
            "--date", "2026-12-01", "-o", str(tmp_path / "brief.json")]
    started = time.monotonic()

    def mid_run() -> bool:  # some replies stored, and at least 6 calls in flight right now
        sent = list(fake_llm.article_requests)
        now = time.monotonic()
        return len(sent) >= 12 and sum(r.at > now - delay + 0.02 for r in sent) >= 6

    outcome = run_killed_when(args, env, mid_run)
    assert outcome.killed, outcome.stderr
    first = list(fake_llm.article_requests)
    in_flight = [r for r in first if r.at <= outcome.at < r.at + delay]
    assert len(in_flight) >= 5, f"only {len(in_flight)} calls in flight at the kill"
    # A reply that came back just before the kill may not have been stored yet.
    cut_off = [r for r in first if r.at <= outcome.at < r.at + delay + GRACE_S]
    state = home / "state.sqlite3"
    assert integrity(state) == "ok"
    with sqlite3.connect(state) as db:
        stored = db.execute("SELECT COUNT(*) FROM llm_cache").fetchone()[0]
    assert stored >= 8  # what came back before the kill was kept

    again = run(args, env)
    assert again.returncode == 0, again.stderr
    brief = Brief.model_validate_json((tmp_path / "brief.json").read_text())
    assert brief.stats.articles_in == 40 and not brief.failures
    second = fake_llm.article_requests[len(first):]
    assert len(second) == brief.stats.llm_calls == 40 - stored  # only the missing calls
    answered = {body_key(r.json) for r in first if r.at + delay + GRACE_S < outcome.at}
    repeated = [r for r in second if body_key(r.json) in answered]
    assert not repeated, f"{len(repeated)} calls answered before the kill were paid again"
    assert len({body_key(r.json) for r in first + second}) == 40  # one call per article, all of them made
    # Sent twice at most: once cut off by the kill (in flight), once by the re-run.
    assert len(first) + len(second) - 40 <= len(cut_off)
    assert time.monotonic() - started < 30


# ---- the embedded server never outlives a killed run (real model: the lead runs it) ------------
def _llama_children(pid: int) -> list[int]:
    found = []
    for child in children_of(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"llama_cpp.server" in cmdline or b"briefgen.llm.serve" in cmdline:
            found.append(child)
    return found


@pytest.mark.slow
def test_killed_real_model_runs_leave_no_server(tmp_path: Path) -> None:
    """Three builds with the embedded model, each SIGKILLed at a random moment after its server
    started (loading, prompt processing, generating): the server is gone within 15 s every time.
    Bound: 3 × (server start + 20 s + 15 s)."""
    import platformdirs

    rng = random.Random(7)
    for i in range(3):
        env = briefgen_env(tmp_path / f"home-{i}", BRIEFGEN_MODEL_DIR=platformdirs.user_cache_dir("briefgen"))
        proc = subprocess.Popen([sys.executable, "-m", "briefgen", "build", str(SEEDS), "-q", "--no-cache",
                                 "-o", str(tmp_path / f"b{i}.md")], env=env, stderr=subprocess.PIPE, text=True)
        servers: list[int] = []
        deadline = time.monotonic() + 120
        while not servers and time.monotonic() < deadline and proc.poll() is None:
            servers = _llama_children(proc.pid)
            time.sleep(0.2)
        assert servers, f"round {i}: no embedded server appeared: {proc.stderr.read() if proc.stderr else ''}"
        time.sleep(rng.uniform(0.5, 20.0))
        proc.send_signal(signal.SIGKILL)  # briefgen alone: the server is in its own process group
        proc.wait()
        deadline = time.monotonic() + 15
        while any(alive(s) for s in servers) and time.monotonic() < deadline:
            time.sleep(0.2)
        orphans = [s for s in servers if alive(s)]
        for s in orphans:  # never leave one behind a failed test
            os.kill(s, signal.SIGKILL)
        assert not orphans, f"round {i}: the embedded server outlived its killed run"
