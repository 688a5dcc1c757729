"""Prices, offline token counts and --max-cost (loopback server; the model's vocab only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakeserver import FakeOpenAI
from scripted import notes_responder

from briefgen.cli import main
from briefgen.config import Price, load_settings
from briefgen.llm.backends import resolve_backend
from briefgen.llm.cost import Budget, approx_count, cost_usd, price_for
from briefgen.models import Brief


@pytest.fixture(autouse=True)
def _summarize_calls_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests count summarize calls; the story cross-check (one more call per story of
    several outlets, on for server backends) has its own tests in test_crosscheck.py."""
    monkeypatch.setenv("BRIEFGEN_CROSSCHECK", "false")

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _settings(**flags: object):
    return load_settings(flags)[0]


def test_prices_come_from_flags_then_config_then_the_table() -> None:
    embedded = _settings()
    assert price_for(embedded, resolve_backend(embedded)) == Price(input=0, output=0, cached_input=0)
    openai = _settings(api_key="sk-test", model="gpt-4o-mini-2024-07-18")
    assert price_for(openai, resolve_backend(openai)) == Price(input=0.15, cached_input=0.075, output=0.60)
    custom = _settings(base_url="http://127.0.0.1:9/v1", model="mine", prices={"mine": {"input": 1, "output": 2}})
    assert price_for(custom, resolve_backend(custom)) == Price(input=1, output=2)
    unknown = _settings(base_url="http://127.0.0.1:9/v1", model="nobody-knows")
    assert price_for(unknown, resolve_backend(unknown)) is None
    flagged = _settings(api_key="sk-test", cost_per_million_in=3, cost_per_million_out=4)
    assert price_for(flagged, resolve_backend(flagged)) == Price(input=3, output=4)


def test_cost_counts_cached_input_and_the_batch_discount() -> None:
    price = Price(input=1.0, cached_input=0.25, output=4.0)
    assert cost_usd(price, 1_000_000, 0) == pytest.approx(1.0)
    assert cost_usd(price, 1_000_000, 500_000, cached_tokens=400_000) == pytest.approx(0.6 + 0.1 + 2.0)
    assert cost_usd(price, 1_000_000, 0, batch=True) == pytest.approx(0.5)
    assert cost_usd(None, 10, 10) is None


def test_approximate_count_is_four_characters_a_token_plus_the_chat_overhead() -> None:
    assert approx_count([{"role": "user", "content": "x" * 400}]) == 3 + 4 + 100


def test_budget_refuses_what_does_not_fit() -> None:
    budget = Budget(0.001, Price(input=1.0, output=1.0))
    assert budget.reserve(500, 400)  # $0.0009
    assert not budget.reserve(100, 100)  # would make $0.0011
    assert budget.reserved_usd == pytest.approx(0.0009)


def test_max_cost_leaves_articles_out_and_builds_from_the_rest(fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    fake_llm.responder = notes_responder
    config = tmp_path / "briefgen.toml"
    # $1 per 1,000 tokens either way: one seed call costs ~$0.3 + 0.48 at most.
    config.write_text('[prices.priced]\ninput = 1000.0\noutput = 1000.0\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(SEEDS), "--base-url", fake_llm.base_url, "--model", "priced",
                                       "--config", str(config), "--max-cost", "2.5", "-f", "json"])
    assert result.exit_code == 3, result.output
    brief = Brief.model_validate_json(result.stdout)
    left = [f for f in brief.failures if f.stage == "budget"]
    assert left and brief.stats.left_out == len(left)
    assert all("left out" in f.reason and "--max-cost $2.5" in f.reason for f in left)
    assert len(fake_llm.article_requests) == 5 - len(left) and brief.stories
    assert brief.stats.cost_usd is not None and brief.stats.cost_usd <= 2.5
    assert "left out" in result.stderr


def test_max_cost_without_a_price_is_one_line(fake_llm: FakeOpenAI) -> None:
    result = CliRunner().invoke(main, ["build", str(SEEDS), "--base-url", fake_llm.base_url, "--model", "x",
                                       "--max-cost", "1"])
    assert result.exit_code == 1
    assert "needs a price for model 'x'" in result.stderr and "Traceback" not in result.output
    assert fake_llm.article_requests == []
    json.dumps(result.stderr)
