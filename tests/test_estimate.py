"""briefgen.llm.estimate: --estimate counts the calls and tokens a build would make, and makes none."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest
from click.testing import CliRunner
from fakeserver import FakeOpenAI
from scripted import notes_responder

from briefgen.cli import main
from briefgen.config import Price, load_settings
from briefgen.llm.estimate import estimate_brief
from briefgen.llm import server as local_server
from briefgen.llm.cost import cost_usd
from briefgen.models import Brief


@pytest.fixture(autouse=True)
def _summarize_calls_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests count summarize calls; the cross-check's bound is tested in test_crosscheck.py."""
    monkeypatch.setenv("BRIEFGEN_CROSSCHECK", "false")


SEEDS = Path(__file__).resolve().parent.parent / "seeds"
GGUF = Path(platformdirs.user_cache_dir("briefgen")) / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
# What the embedded model's server reported for a cold seeds build (prompt summarize v6, background not sent): 5 calls.
SEEDS_PROMPT_TOKENS = 6378


def _settings(**flags: object):
    return load_settings(flags)[0]


@pytest.mark.skipif(not GGUF.is_file(), reason="the embedded model file is not assembled")
def test_estimate_of_the_seeds_is_within_10_percent_of_what_the_server_counted() -> None:
    pytest.importorskip("llama_cpp")
    est = estimate_brief([str(SEEDS)], _settings(model_dir=str(GGUF.parent)))
    assert est.calls == 5 and est.cached == 0
    assert abs(est.prompt_tokens - SEEDS_PROMPT_TOKENS) <= 0.10 * SEEDS_PROMPT_TOKENS, est.prompt_tokens
    assert est.cost_max_usd == 0.0 and "tokenizer" in est.counting
    assert not local_server._live, "the estimate started a model server"


def test_estimate_makes_no_call_and_counts_cache_hits(fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    fake_llm.responder = notes_responder
    runner = CliRunner()
    args = ["build", str(SEEDS), "--base-url", fake_llm.base_url, "--model", "gpt-4o-mini"]
    cold = runner.invoke(main, [*args, "--estimate"])
    assert cold.exit_code == 0, cold.output
    assert fake_llm.requests == [], "--estimate sent a request"
    assert "5 to make, 0 answered from the cache" in cold.output
    assert "at most $" in cold.output and "4 characters a token" in cold.output
    built = runner.invoke(main, [*args, "-f", "json", "-q"])
    assert built.exit_code == 0, built.output
    brief = Brief.model_validate_json(built.stdout)
    assert brief.stats.cost_usd == pytest.approx(cost_usd(Price(input=0.15, cached_input=0.075, output=0.6),
                                                          brief.stats.tokens_in, brief.stats.tokens_out), abs=1e-6)
    warm = runner.invoke(main, [*args, "--estimate"])
    assert "0 to make, 5 answered from the cache" in warm.output
    assert len(fake_llm.article_requests) == 5
