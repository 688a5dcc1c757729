"""Cost: a price table per model, offline token counts, the estimate and the budget of a build.

Prices are USD per 1M tokens (input, output, and input the provider served from its prompt
cache), from the shipped table below, overridden by ``[prices."<model>"]`` in the config
file, overridden for the model in use by ``cost_per_million_in/out``. The embedded model
costs nothing; a server model with no price is reported as "no price" (cost unknown), never
as free. The Batch API bills half (OpenAI's published batch discount).

Token counts never need the network (SPEC "Offline text tools"):

* embedded model: the model's own tokenizer, loaded vocab-only (no weights for inference,
  ~0.3 s), over the prompt exactly as the server formats it with the chat template the GGUF
  carries; equal to the server's own ``prompt_tokens`` on the seeds (6,946 of 6,946);
* every other model: an approximation, 4 characters a token plus 4 tokens a message and 3
  for the reply's priming (OpenAI's documented chat overhead); on English news text it is
  within ~10 % of o200k/cl100k counts, erring high on digits and punctuation.

Output tokens cannot be counted before the call: the estimate gives the upper bound
(``max_tokens`` per call, what a budget must assume) and the expected figure from the
average of replies recorded in the state file for that task and model, when there are any.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel

from briefgen.config import Price, Settings
from briefgen.llm.backends import Backend
from briefgen.errors import ConfigError
from briefgen.models import Article, CallRecord, Failure

log = logging.getLogger(__name__)

BATCH_DISCOUNT = 0.5
# USD per 1M tokens (input, cached input, output) as OpenAI lists them for its standard tier.
# Prices change: override them in the config file ([prices."<model>"]) rather than trust these.
DEFAULT_PRICES: dict[str, Price] = {
    name: Price(input=i, cached_input=c, output=o) for name, (i, c, o) in {
        "gpt-4o-mini": (0.15, 0.075, 0.60),
        "gpt-4o": (2.50, 1.25, 10.00),
        "gpt-4.1": (2.00, 0.50, 8.00),
        "gpt-4.1-mini": (0.40, 0.10, 1.60),
        "gpt-4.1-nano": (0.10, 0.025, 0.40),
        "o4-mini": (1.10, 0.275, 4.40),
        "gpt-5": (1.25, 0.125, 10.00),
        "gpt-5-mini": (0.25, 0.025, 2.00),
        "gpt-5-nano": (0.05, 0.005, 0.40),
    }.items()
}
FREE = Price(input=0.0, output=0.0, cached_input=0.0)
# Per message ("<|im_start|>role ... <|im_end|>") and for the reply's priming, OpenAI's chat format.
MESSAGE_OVERHEAD = 4
REPLY_PRIMING = 3

Messages = list[dict[str, str]]
Counter = Callable[[Messages], int]


def price_for(settings: Settings, backend: Backend) -> Price | None:
    """The price of the model in use: flags > config table > shipped table; the embedded model is free."""
    if backend.kind == "embedded":
        return FREE
    if settings.cost_per_million_in is not None and settings.cost_per_million_out is not None:
        return Price(input=settings.cost_per_million_in, output=settings.cost_per_million_out)
    model = backend.model
    table = {**DEFAULT_PRICES, **settings.prices}
    if model in table:
        return table[model]
    # "gpt-4o-mini-2024-07-18" is priced as "gpt-4o-mini": the longest listed prefix.
    prefixes = sorted((m for m in table if model.startswith(m + "-")), key=len, reverse=True)
    return table[prefixes[0]] if prefixes else None


def cost_usd(price: Price | None, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0,
             *, batch: bool = False) -> float | None:
    """USD for one call's tokens (None without a price)."""
    if price is None:
        return None
    cached = min(cached_tokens, prompt_tokens)
    cached_rate = price.input if price.cached_input is None else price.cached_input
    usd = ((prompt_tokens - cached) * price.input + cached * cached_rate + completion_tokens * price.output) / 1e6
    return usd * (BATCH_DISCOUNT if batch else 1.0)


# ---- offline token counts ------------------------------------------------------------------
def approx_count(messages: Messages) -> int:
    """~4 characters a token, plus the chat format's per-message overhead (no tokenizer)."""
    return REPLY_PRIMING + sum(MESSAGE_OVERHEAD + (len(m.get("content", "")) + 3) // 4 for m in messages)


class VocabCounter:
    """Prompt tokens as llama-cpp-python's server counts them: the GGUF's chat template, its tokenizer.

    Loads the model file vocab-only (``Llama(vocab_only=True)``: the tokenizer and metadata,
    no weights for inference), so it is cheap and may run beside a model server.
    """

    def __init__(self, model_path: Path) -> None:
        import llama_cpp
        from llama_cpp._utils import suppress_stdout_stderr
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        with suppress_stdout_stderr(disable=False):  # llama.cpp prints its loading log on fd 2
            self._llm = llama_cpp.Llama(model_path=str(model_path), vocab_only=True, verbose=False)
        template = self._llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ValueError(f"{model_path}: no chat template in the model file")
        eos = self._llm.metadata.get("tokenizer.ggml.eos_token_id")
        bos = self._llm.metadata.get("tokenizer.ggml.bos_token_id")
        # As llama_cpp.Llama builds its chat handler from the GGUF's template.
        self._format = Jinja2ChatFormatter(
            template=template, eos_token=self._token_text(eos), bos_token=self._token_text(bos),
            add_generation_prompt=True)
        self._lock = threading.Lock()

    def _token_text(self, token_id: Any) -> str:
        if token_id is None:
            return ""
        return self._llm._model.token_get_text(int(token_id))

    def __call__(self, messages: Messages) -> int:
        with self._lock:
            prompt = self._format(messages=messages).prompt  # type: ignore[arg-type]
            return len(self._llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))


def counter_for(settings: Settings, backend: Backend) -> tuple[Counter, str]:
    """(count prompt tokens of a call's messages, how): the model's tokenizer when embedded, else approx."""
    if backend.kind == "embedded":
        try:
            from briefgen.llm import model as local

            return VocabCounter(local.ensure_model(settings)), "the model's tokenizer (vocab-only) and chat template"
        except Exception as exc:  # noqa: BLE001 - no llama_cpp, no model file: an estimate is still useful
            log.warning("cannot load the model's tokenizer (%s); counting ~4 characters a token", exc)
    return approx_count, "approximation: 4 characters a token + 4 a message"


# ---- the estimate and the budget -------------------------------------------------------------
class Estimate(BaseModel):
    """What a build would cost, before any call (``briefgen build --estimate``)."""

    model: str
    backend: str
    articles: int = 0
    calls: int = 0  # calls the build would make (cache misses)
    cached: int = 0  # calls the state file already answers
    prompt_tokens: int = 0
    output_tokens_max: int = 0  # max_tokens of every call: the most it can be
    output_tokens_expected: int | None = None  # recorded average reply × calls
    output_basis: str = ""
    counting: str = ""
    price: Price | None = None
    batch: bool = False
    cost_max_usd: float | None = None
    cost_expected_usd: float | None = None
    # Calls that depend on clustering (cross-check, judge): their most, counted in cost_max_usd.
    story_calls_max: int = 0
    story_prompt_tokens_max: int = 0
    story_output_tokens_max: int = 0

    def lines(self) -> list[str]:
        """The report, one line each."""
        def usd(v: float | None) -> str:
            return "no price for this model (set [prices] in the config file)" if v is None else f"${v:.4f}"
        out = [f"estimate for {self.articles} articles on {self.backend} model {self.model}"
               + (" through the Batch API (half price)" if self.batch else "") + ":",
               f"  LLM calls: {self.calls} to make, {self.cached} answered from the cache",
               f"  prompt tokens: {self.prompt_tokens:,} (counted with {self.counting})",
               f"  output tokens: at most {self.output_tokens_max:,} (max_tokens of every call)"
               + (f", expected ~{self.output_tokens_expected:,} ({self.output_basis})"
                  if self.output_tokens_expected is not None else f" ({self.output_basis})"),
               *([f"  calls after clustering (cross-check, judge): at most {self.story_calls_max}, "
                  f"{self.story_prompt_tokens_max:,} prompt / {self.story_output_tokens_max:,} output tokens"]
                 if self.story_calls_max else []),
               f"  cost: at most {usd(self.cost_max_usd)}"
               + (f", expected ~{usd(self.cost_expected_usd)}" if self.cost_expected_usd is not None else "")]
        return out


@dataclass
class Budget:
    """--max-cost: every call is reserved at its most (prompt + max_tokens) before it is made."""

    limit_usd: float
    price: Price
    batch: bool = False
    reserved_usd: float = 0.0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def cost(self, prompt_tokens: int, max_tokens: int) -> float:
        return cost_usd(self.price, prompt_tokens, max_tokens, batch=self.batch) or 0.0

    def reserve_usd(self, usd: float) -> bool:
        """Reserve ``usd`` when it fits in what is left; False (and nothing reserved) when not."""
        with self._lock:
            if self.reserved_usd + usd > self.limit_usd + 1e-12:
                return False
            self.reserved_usd += usd
            return True

    def reserve(self, prompt_tokens: int, max_tokens: int) -> bool:
        """Reserve one more attempt (a repair, a longer retry)."""
        return self.reserve_usd(self.cost(prompt_tokens, max_tokens))


class PlannedCalls(Protocol):
    """One article's calls as the pipeline plans them (pipeline.Planned)."""

    article: Article
    calls: list[Any]  # llm.client.Prepared: messages, max_tokens
    cached: list[bool]


def reserve_plan(plan: Sequence[PlannedCalls], backend: Backend, settings: Settings,
                 failures: list[Failure]) -> tuple[Budget, set[str]]:
    """--max-cost: reserve each article's calls at their most, in order; the budget, and the
    ids of the articles that do not fit (each listed in ``failures``)."""
    assert settings.max_cost is not None
    price = price_for(settings, backend)
    if price is None:
        raise ConfigError(f"--max-cost needs a price for model {backend.model!r}: "
                          f"set [prices.\"{backend.model}\"] input/output in the config file")
    counter, _ = counter_for(settings, backend)
    budget = Budget(settings.max_cost, price, batch=settings.batch)
    left_out: set[str] = set()
    for p in plan:
        usd = sum(budget.cost(counter(c.messages), c.max_tokens) for c, hit in zip(p.calls, p.cached) if not hit)
        if not budget.reserve_usd(usd):
            left_out.add(p.article.id)
            failures.append(Failure(source=p.article.source, article_id=p.article.id, stage="budget",
                                    reason=f"left out: its calls (up to ${usd:.4f}) would take the build past "
                                           f"--max-cost ${settings.max_cost:g} (${budget.reserved_usd:.4f} reserved)"))
    return budget, left_out


def call_stats(records: list[CallRecord], price: Price | None) -> dict[str, object]:
    """Calls, tokens and cost of a run's records, failed attempts and repairs included."""
    paid = [r for r in records if not r.cached]
    costs = [cost_usd(price, r.prompt_tokens, r.completion_tokens, r.cached_tokens, batch=r.batch) for r in paid]
    cost = None if price is None else round(sum(c or 0.0 for c in costs), 6)
    return {"llm_calls": len(paid), "cache_hits": len(records) - len(paid),
            "tokens_in": sum(r.prompt_tokens for r in paid), "tokens_out": sum(r.completion_tokens for r in paid),
            "llm_seconds": round(sum(r.latency_s for r in paid), 2), "cost_usd": cost, "cost_estimate_usd": cost,
            "failed_attempts": sum(r.outcome != "ok" for r in paid),
            "repairs": sum(r.outcome in ("invalid", "length") for r in paid)}


__all__ = ["Budget", "DEFAULT_PRICES", "Estimate", "FREE", "VocabCounter", "approx_count", "cost_usd", "reserve_plan",
           "call_stats", "counter_for", "price_for"]
