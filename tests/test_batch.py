"""Batch mode against a loopback server with the Files and Batches endpoints (tests/batchserver.py)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from batchserver import FakeBatchOpenAI, fake_batch_llm  # noqa: F401
from click.testing import CliRunner
from fakeserver import server_error
from scripted import notes_responder

from briefgen.cli import main
from briefgen.models import Brief


@pytest.fixture(autouse=True)
def _summarize_calls_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests count summarize calls; the story cross-check (one more call per story of
    several outlets, on for server backends) has its own tests in test_crosscheck.py."""
    monkeypatch.setenv("BRIEFGEN_CROSSCHECK", "false")

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _build(server: FakeBatchOpenAI, *extra: str):
    return CliRunner().invoke(main, ["build", str(SEEDS), "--base-url", server.base_url, "--model", "gpt-4o-mini",
                                     "--batch", "-f", "json", *extra], env={"BRIEFGEN_BATCH_POLL_S": "0.01"})


def test_batch_answers_every_summarize_call_at_half_price(fake_batch_llm: FakeBatchOpenAI) -> None:
    fake_batch_llm.responder = notes_responder
    result = _build(fake_batch_llm)
    assert result.exit_code == 0, result.output
    brief = Brief.model_validate_json(result.stdout)
    assert fake_batch_llm.article_requests == []  # nothing went the direct way
    (batch,) = fake_batch_llm.batches.values()
    assert batch["endpoint"] == "/v1/chat/completions" and batch["request_counts"]["completed"] == 5
    lines = [json.loads(x) for x in fake_batch_llm.files[batch["input_file_id"]][1].decode().splitlines()]
    assert len({x["custom_id"] for x in lines}) == 5
    body = lines[0]["body"]
    assert body["response_format"]["type"] == "json_schema" and "<article>" in body["messages"][-1]["content"]
    assert brief.stats.llm_calls == 5 and brief.stats.cache_hits == 0 and len(brief.stories) >= 3
    full = (brief.stats.tokens_in * 0.15 + brief.stats.tokens_out * 0.60) / 1e6
    assert brief.stats.cost_usd == pytest.approx(full / 2, abs=1e-6)
    assert "batch: batch_1 completed (5/5)" in result.stderr
    # A re-run: all cached, no batch, no call.
    again = _build(fake_batch_llm)
    assert again.exit_code == 0 and len(fake_batch_llm.batches) == 1 and fake_batch_llm.article_requests == []


def test_failed_and_invalid_lines_go_the_normal_way(fake_batch_llm: FakeBatchOpenAI) -> None:
    # Line 1 fails (an error line), line 2 is not JSON: both are asked directly, the rest are not.
    fake_batch_llm.script(server_error(), "not json at all")
    fake_batch_llm.responder = notes_responder
    result = _build(fake_batch_llm)
    assert result.exit_code == 0, result.output
    brief = Brief.model_validate_json(result.stdout)
    assert len(fake_batch_llm.article_requests) == 2 and not brief.failures
    assert "2 of 5 calls not answered; asking them directly" in result.stderr
    assert brief.stats.failed_attempts == 2 and brief.stats.llm_calls == 7


def test_a_failed_batch_falls_back_to_direct_calls(fake_batch_llm: FakeBatchOpenAI) -> None:
    fake_batch_llm.responder = notes_responder
    fake_batch_llm.fail_batch = True
    result = _build(fake_batch_llm)
    assert result.exit_code == 0, result.output
    assert len(fake_batch_llm.article_requests) == 5 and "batch_1 failed" in result.stderr


def test_an_interrupted_batch_is_resumed_not_paid_again(fake_batch_llm: FakeBatchOpenAI, tmp_path: Path) -> None:
    """Interrupted while polling: the batch id is in the state file, and the next run polls it."""
    fake_batch_llm.responder = notes_responder
    fake_batch_llm.polls_to_finish = 10_000  # never finishes while the first run polls
    from briefgen.config import load_settings
    from briefgen.pipeline import build_brief

    settings, _ = load_settings({"base_url": fake_batch_llm.base_url, "model": "gpt-4o-mini", "batch": True,
                                 "batch_poll_s": 0.01})
    polls = 0

    class Interrupt(Exception):
        pass

    class Watch:
        def note(self, message: str) -> None:
            nonlocal polls
            if "in_progress" in message:
                polls += 1
                if polls == 3:
                    raise Interrupt  # as Ctrl-C would, mid-poll

        def start(self, stage: str, total: int) -> None: ...
        def advance(self, detail: str = "") -> None: ...

    with pytest.raises(Interrupt):
        build_brief([str(SEEDS)], settings, progress=Watch())
    with sqlite3.connect(settings.state_file()) as db:
        assert db.execute("SELECT id, status FROM batches").fetchall() == [("batch_1", "in_progress")]
    fake_batch_llm.polls_to_finish = 0
    result = _build(fake_batch_llm)
    assert result.exit_code == 0, result.output
    assert "resuming batch_1" in result.stderr
    assert len(fake_batch_llm.batches) == 1 and fake_batch_llm.article_requests == []
    assert Brief.model_validate_json(result.stdout).stats.llm_calls == 5


def test_batch_with_the_embedded_model_is_one_line() -> None:
    import platformdirs

    if not (Path(platformdirs.user_cache_dir("briefgen")) / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf").is_file():
        pytest.skip("the embedded model file is not assembled")
    from briefgen.llm import server as local_server

    result = CliRunner().invoke(main, ["build", str(SEEDS), "--batch", "-q"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip() == ("error: --batch needs OpenAI or a server with the Batch API; "
                                     "the embedded model has none")
    assert not local_server._live  # refused before any server started
