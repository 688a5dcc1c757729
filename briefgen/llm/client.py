"""The LLM layer: one OpenAI-protocol client for OpenAI, compatible servers and the embedded model.

How a call is retried, from the wire up:

1. The SDK (``max_retries``) retries connection errors, 408/409/429/5xx with backoff and
   honours ``Retry-After``. A response_format rejection is marked ``x-should-retry: false``
   on its way in (llama-cpp-python answers it with HTTP 500), so it is never retried.
2. Rate limits still failing after the SDK: tenacity waits (honouring ``Retry-After``,
   bounded) and tries again, a couple of times.
3. A reply that fails validation gets at most one repair attempt (the validation error is
   sent back briefly); a reply cut off by ``max_tokens`` gets one retry with a larger budget.
   Half an object is never accepted.
4. 400/401/403/404/422 are never retried.

Every HTTP attempt is recorded in ``LLMClient.records`` (and the store's call log), failed
ones included, with tokens, latency and outcome (ok | cached | invalid | length | error).

Thread-safe (the pipeline calls it from a pool of workers). With a :class:`~briefgen.llm.pool.Gate`
every HTTP attempt, SDK retries included, waits for the run's shared limits; a 429 pauses all
workers. One request in flight in two threads is sent once: the second waits for its stored reply.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Iterator, NamedTuple, TypeVar

import httpx2
import openai
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError
from tenacity import RetryCallState, Retrying, retry_if_exception, retry_if_exception_type, stop_after_attempt, wait_none

from briefgen.config import Settings
from briefgen.errors import BackendRefusedError, CapabilityError, LLMError, LLMOutputError
from briefgen.models import CallRecord
from briefgen.llm.backends import CAPABILITIES, PROMPT_SCHEMA_MODES, Backend, cache_key
from briefgen.llm.pool import retry_after_s
from briefgen.llm.schemas import describe_schema, shared_response_format

if TYPE_CHECKING:
    from briefgen.llm.cost import Budget
    from briefgen.llm.pool import Gate
    from briefgen.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)
REPAIR_ATTEMPTS = 1  # at most one repair call for a reply that fails validation
LENGTH_RETRIES = 1  # at most one retry with a larger max_tokens for a cut-off reply
LENGTH_GROWTH = 2  # ...which doubles the budget, up to the cap below
RATE_LIMIT_WAITS = 2  # tenacity's extra tries once the SDK has given up on a 429
RATE_LIMIT_MAX_WAIT_S = 60.0
NEVER_RETRY = frozenset({400, 401, 403, 404, 422})
BACKEND_REFUSED = frozenset({401, 403, 404})
_CAPABILITY_HINT = re.compile(r"response_format|json_schema|'text' or 'json_object'", re.IGNORECASE)


def is_capability_rejection(status: int, text: str) -> bool:
    """A server refusing the response_format it was sent (llama-cpp-python says so with HTTP 500)."""
    return status in (400, 422, 500, 501) and bool(_CAPABILITY_HINT.search(text))


def _server_message(exc: openai.APIStatusError, secret: str | None = None) -> str:
    body = exc.body
    msg = body.get("message") if isinstance(body, dict) else None
    text = str(msg or body or exc.message)
    if secret:  # a server that echoes the key it was sent ("Incorrect API key provided: sk-…")
        text = text.replace(secret, "***")
    return " ".join(text.split())[:300]


class _DeadlineStream(httpx2.SyncByteStream):
    """A reply body that must be complete by a deadline: httpx's timeout is per read, so a
    server trickling a byte a second would otherwise hold a call for ever."""

    def __init__(self, inner: httpx2.SyncByteStream, deadline: float, total_s: float, request: httpx2.Request) -> None:
        self._inner, self._deadline, self._total_s, self._request = inner, deadline, total_s, request

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            if time.monotonic() > self._deadline:
                raise httpx2.ReadTimeout(f"reply not complete within {self._total_s:g}s", request=self._request)
            yield chunk

    def close(self) -> None:
        self._inner.close()


class _DeadlineTransport(httpx2.HTTPTransport):
    """Each HTTP attempt gets ``total_s`` from sending to the reply's last byte."""

    def __init__(self, total_s: float) -> None:
        super().__init__()
        self.total_s = total_s

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        deadline = time.monotonic() + self.total_s
        response = super().handle_request(request)
        assert isinstance(response.stream, httpx2.SyncByteStream)
        response.stream = _DeadlineStream(response.stream, deadline, self.total_s, request)
        return response


def _estimate_tokens(text: str) -> int:
    # ~4 characters a token: only used when a server does not report usage.
    return (len(text) + 3) // 4


_CONTROL_CHARS = re.compile(r"[\x00-\x1f]")
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


def _strip_fences(content: str) -> str:
    # Small models wrap JSON in a code fence, or put a raw newline in a string: a space there is the same reply.
    m = _FENCE.match(text := _CONTROL_CHARS.sub(" ", content).strip())
    return m.group(1) if m else text


def _summarize_validation(exc: ValidationError) -> tuple[str, str]:
    """(kind of failure, brief error text) for messages and the repair prompt."""
    errors = exc.errors()
    if errors and errors[0]["type"] == "json_invalid":
        return "was not valid JSON", str(errors[0].get("ctx", {}).get("error") or errors[0]["msg"])[:200]
    parts = []
    for err in errors[:4]:
        loc = ".".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"{loc}: {err['msg']}")
    more = f" (+{len(errors) - 4} more)" if len(errors) > 4 else ""
    return "did not match the schema", "; ".join(parts) + more


class _BadReply(Exception):
    """A reply we will not accept; ``retryable`` says whether the budget allows another go."""

    def __init__(self, what: str, detail: str, retryable: bool) -> None:
        super().__init__(detail)
        self.what = what
        self.detail = detail
        self.retryable = retryable


def _wait_rate_limit(state: RetryCallState) -> float:
    """Honour Retry-After on a 429 (bounded); otherwise back off exponentially."""
    exc = state.outcome.exception() if state.outcome else None
    seconds = retry_after_s(exc.response.headers) if isinstance(exc, openai.APIStatusError) else None
    return min(max(2.0 ** state.attempt_number if seconds is None else seconds, 0.0), RATE_LIMIT_MAX_WAIT_S)


class Prepared(NamedTuple):
    """One call as it would be sent: messages (schema note included), response_format, parameters, cache key."""

    messages: list[dict[str, str]]
    response_format: dict[str, Any]
    temperature: float
    max_tokens: int
    key: str


class LLMClient:
    """Structured calls with cache, validation, bounded repair and a record of every attempt."""

    def __init__(self, backend: Backend, settings: Settings, store: Store | None = None,
                 endpoint: Callable[[], str] | None = None, *, run_id: int | None = None) -> None:
        self.backend = backend
        self.settings = settings
        self.store = store
        self.run_id = run_id
        self.records: list[CallRecord] = []
        self._endpoint = endpoint
        self._sdk: openai.OpenAI | None = None
        self._http: Any = None
        self._lock = threading.Lock()
        self._tls = threading.local()  # per-thread context of the call in flight (for HTTP hooks)
        self.gate: Gate | None = None  # the run's shared limits (server backends)
        self.budget: Budget | None = None  # --max-cost: repairs and retries must fit it too
        self._inflight: dict[str, threading.Event] = {}  # cache keys being asked right now
        self.prefilled: set[str] = set()  # keys the Batch API answered (recorded there, not as cache hits)

    # ---- plumbing -----------------------------------------------------------------------
    def _client(self) -> openai.OpenAI:
        with self._lock:
            if self._sdk is None:
                # The embedded server starts here, on the first cache miss, never before.
                base_url = self._endpoint() if self._endpoint is not None else self.backend.base_url
                if not base_url:
                    raise LLMError(f"no endpoint for the {self.backend.kind} backend (its server was not started)")
                self._http = openai.DefaultHttpxClient(
                    event_hooks={"request": [self._on_request], "response": [self._on_response]},
                    transport=_DeadlineTransport(self.settings.timeout_s),
                )
                self._sdk = openai.OpenAI(
                    base_url=base_url,
                    api_key=self.backend.api_key or "sk-no-key",
                    max_retries=self.settings.max_retries,
                    timeout=self.settings.timeout_s,
                    http_client=self._http,
                )
            return self._sdk

    def _on_request(self, request: Any) -> None:
        if self.gate is not None:
            # Every attempt, the SDK's retries too: they count against the provider's limits.
            self.gate.admit(getattr(self._tls, "admit_tokens", 0))
        self._tls.started = time.perf_counter()
        self._tls.http_attempts = getattr(self._tls, "http_attempts", 0) + 1

    def _on_response(self, response: Any) -> None:
        """Record failed HTTP attempts (the SDK retries them out of our sight) and stop capability retries."""
        if self.gate is not None:
            if response.status_code == 429:
                self.gate.rate_limited(retry_after_s(response.headers))
            elif response.status_code in BACKEND_REFUSED:
                self.gate.close(f"not sent: the backend refused an earlier call (HTTP {response.status_code})")
            elif response.status_code < 400:
                self.gate.succeeded()
        if response.status_code < 400:
            return
        response.read()
        text = response.text
        if is_capability_rejection(response.status_code, text):
            response.headers["x-should-retry"] = "false"
        ctx = getattr(self._tls, "ctx", None)
        if ctx is not None:
            started = getattr(self._tls, "started", time.perf_counter())
            self._record(CallRecord(task=ctx[0], model=self.backend.model, article_id=ctx[1],
                                    latency_s=time.perf_counter() - started, outcome="error"))

    def _record(self, record: CallRecord) -> None:
        with self._lock:
            self.records.append(record)
        # Logged as it happens (a crash keeps what was paid for) once the caller has opened a run.
        if self.store is not None and self.run_id is not None:
            try:
                self.store.log_call(self.run_id, record)
            except Exception:  # the call log must never sink a paid-for reply
                log.warning("could not log an LLM call to the state file", exc_info=True)

    def close(self) -> None:
        """Close the HTTP client (the embedded server's lifecycle belongs to its owner)."""
        with self._lock:
            if self._sdk is not None:
                self._sdk.close()
                self._sdk = None

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- one request --------------------------------------------------------------------
    def _send(self, where: str, task: str, article_id: str | None, messages: list[dict[str, str]],
              response_format: dict[str, Any], temperature: float, max_tokens: int) -> tuple[Any, float]:
        """One completion through the SDK, with tenacity's bounded rate-limit waits; errors translated."""
        params = self.request_body(messages, response_format, temperature, max_tokens)
        retrying = Retrying(
            retry=retry_if_exception_type(openai.RateLimitError),
            wait=_wait_rate_limit,
            stop=stop_after_attempt(1 + RATE_LIMIT_WAITS),
            reraise=True,
            before_sleep=lambda s: log.info("%s: rate limited, waiting %.1fs", where, s.upcoming_sleep),
        )
        self._tls.http_attempts = 0
        # What the provider's token limit counts for this request: the prompt and max_tokens.
        self._tls.admit_tokens = _estimate_tokens(json.dumps(messages)) + max_tokens
        try:
            for attempt in retrying:
                with attempt, (self.gate.slot() if self.gate is not None else contextlib.nullcontext()):
                    # The SDK's POST (retries, hooks, errors); create() would re-walk this plain dict.
                    completion = self._client().post("/chat/completions", body=params, cast_to=ChatCompletion)
                    started = getattr(self._tls, "started", time.perf_counter())
                    return completion, time.perf_counter() - started
        except openai.APIStatusError as exc:
            tries = max(1, self._tls.http_attempts)
            msg = _server_message(exc, self.backend.api_key)
            if is_capability_rejection(exc.status_code, msg):
                raise CapabilityError(
                    f"{self.backend.kind} backend rejected response_format {response_format.get('type')!r} "
                    f"for {where} (set response_format to another mode): HTTP {exc.status_code} {msg}",
                    attempts=tries, task=task,
                ) from exc
            if isinstance(exc, openai.RateLimitError):
                raise LLMError(f"LLM call for {where} still rate limited after {tries} attempts: {msg}",
                               attempts=tries, task=task) from exc
            # A wrong key, endpoint or model fails every article alike: one line, not one per article.
            error = BackendRefusedError if exc.status_code in BACKEND_REFUSED else LLMError
            raise error(f"LLM call for {where} failed: HTTP {exc.status_code} {msg}", attempts=tries, task=task) from exc
        except openai.APITimeoutError as exc:
            tries = max(1, self._tls.http_attempts)
            self._record(CallRecord(task=task, model=self.backend.model, outcome="error",
                                    latency_s=self.settings.timeout_s, article_id=article_id))
            raise LLMError(f"LLM call for {where} timed out after {self.settings.timeout_s:g}s", attempts=tries, task=task) from exc
        except openai.APIConnectionError as exc:
            tries = max(1, self._tls.http_attempts)
            self._record(CallRecord(task=task, model=self.backend.model, outcome="error", article_id=article_id))
            raise LLMError(f"LLM call for {where}: cannot reach {self._sdk.base_url if self._sdk else '?'}: {exc}",
                           attempts=tries, task=task) from exc
        raise AssertionError("unreachable")  # pragma: no cover - Retrying either returns or raises

    # ---- the public call ----------------------------------------------------------------
    def _messages_for(self, messages: list[dict[str, str]], schema: type[BaseModel]) -> list[dict[str, str]]:
        if self.backend.response_mode not in PROMPT_SCHEMA_MODES:
            return [dict(m) for m in messages]
        # The schema goes into the system message: a fixed prefix the server's prompt cache reuses.
        note = f"Reply with one JSON object only, matching this JSON Schema:\n{describe_schema(schema)}"
        out = [dict(m) for m in messages]
        if out and out[0].get("role") == "system":
            out[0]["content"] = f"{out[0]['content']}\n\n{note}"
        else:
            out.insert(0, {"role": "system", "content": note})
        return out

    def request_body(self, messages: list[dict[str, str]], response_format: dict[str, Any], temperature: float,
                     max_tokens: int) -> dict[str, Any]:
        """The chat completions body of one attempt (also a Batch API line's body)."""
        return {"model": self.backend.model, "messages": messages, "response_format": response_format,
                "temperature": temperature, CAPABILITIES[self.backend.kind].max_tokens_param: max_tokens}

    def prepare(self, *, messages: list[dict[str, str]], schema: type[BaseModel], temperature: float | None = None,
                max_tokens: int | None = None, prompt_hash: str = "") -> Prepared:
        """What :meth:`structured` would send for these arguments, and its cache key; sends nothing."""
        # The caller's (the prompt's) temperature, else the configured override, else deterministic.
        temp = temperature if temperature is not None else (self.settings.temperature or 0.0)
        budget = max_tokens or self.settings.max_output_tokens
        sent = self._messages_for(messages, schema)
        response_format = shared_response_format(schema, self.backend.response_mode)
        return Prepared(sent, response_format, temp, budget,
                        cache_key(self.backend, sent, response_format, temp, budget, prompt_hash))

    def structured(self, *, task: str, messages: list[dict[str, str]], schema: type[T],
                   temperature: float | None = None, max_tokens: int | None = None,
                   prompt_hash: str = "", article_id: str | None = None, prepared: Prepared | None = None) -> T:
        """Ask for one ``schema`` object (``prepared``: :meth:`prepare` of these arguments, when a plan made it);
        cached, validated, repaired at most once; raises LLMError subclasses."""
        sent, response_format, temp, budget, key = prepared or self.prepare(
            messages=messages, schema=schema, temperature=temperature, max_tokens=max_tokens, prompt_hash=prompt_hash)
        where = f"{task} (article {article_id[:8]}…)" if article_id else task
        model = self.backend.model

        while True:
            if self.store is not None and self.settings.cache:
                cached = self.store.cache_get(key)
                if cached is not None:
                    try:
                        value = schema.model_validate_json(cached)
                    except ValidationError:
                        log.warning("%s: cached reply no longer validates; asking again", where)
                    else:
                        if key not in self.prefilled:
                            self._record(CallRecord(task=task, model=model, outcome="cached", cached=True,
                                                    article_id=article_id))
                        self.prefilled.discard(key)
                        return value
            with self._lock:
                other = self._inflight.get(key)
                if other is None:
                    self._inflight[key] = threading.Event()
                    break
            other.wait()  # the same request in another worker: its stored reply serves this one too
        try:
            return self._ask(task=task, where=where, sent=sent, schema=schema, response_format=response_format,
                             temp=temp, budget=budget, key=key, article_id=article_id)
        finally:
            with self._lock:
                self._inflight.pop(key).set()

    def _ask(self, *, task: str, where: str, sent: list[dict[str, str]], schema: type[T],
             response_format: dict[str, Any], temp: float, budget: int, key: str, article_id: str | None) -> T:
        """The uncached path of :meth:`structured`: attempts, validation, repair, cache write."""
        model = self.backend.model
        cap = max(budget, min(budget * LENGTH_GROWTH ** LENGTH_RETRIES, self.backend.context_tokens // 2))
        state = {"max_tokens": budget, "repairs": REPAIR_ATTEMPTS, "length_retries": LENGTH_RETRIES}
        convo = list(sent)
        self._tls.ctx = (task, article_id)
        retrying = Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, _BadReply) and e.retryable),
            stop=stop_after_attempt(1 + REPAIR_ATTEMPTS + LENGTH_RETRIES),
            wait=wait_none(),
            reraise=True,
        )
        attempts = 0
        try:
            for attempt in retrying:
                with attempt:
                    attempts += 1
                    if attempts > 1 and self.budget is not None and not self.budget.reserve(
                            _estimate_tokens(json.dumps(convo)), state["max_tokens"]):
                        raise _BadReply("needed another attempt", "no budget left for it (--max-cost)", False)
                    completion, latency = self._send(where, task, article_id, convo, response_format, temp, state["max_tokens"])
                    choice = completion.choices[0] if completion.choices else None
                    content = (choice.message.content if choice else None) or ""
                    refusal = getattr(choice.message, "refusal", None) if choice else None
                    finish = choice.finish_reason if choice else None
                    usage = completion.usage
                    p_tok = usage.prompt_tokens if usage else _estimate_tokens(json.dumps(convo))
                    c_tok = usage.completion_tokens if usage else _estimate_tokens(content)
                    details = getattr(usage, "prompt_tokens_details", None) if usage else None
                    rec = CallRecord(task=task, model=model, prompt_tokens=p_tok, completion_tokens=c_tok,
                                     latency_s=latency, article_id=article_id,
                                     cached_tokens=int(getattr(details, "cached_tokens", 0) or 0))
                    if refusal and not content.strip():
                        # A decision, not a malformed reply: asking again to "repair" it pays twice.
                        self._record(replace_outcome(rec, "refused"))
                        raise _BadReply("was a refusal", " ".join(str(refusal).split())[:200], False)
                    if finish == "length":
                        self._record(replace_outcome(rec, "length"))
                        grow = state["length_retries"] > 0 and state["max_tokens"] < cap
                        if grow:
                            state["length_retries"] -= 1
                            state["max_tokens"] = min(cap, state["max_tokens"] * LENGTH_GROWTH)
                        raise _BadReply("was cut off at max_tokens", f"no complete object within {state['max_tokens']} tokens", grow)
                    try:
                        value = schema.model_validate_json(_strip_fences(content))
                    except ValidationError as exc:
                        self._record(replace_outcome(rec, "invalid"))
                        what, detail = _summarize_validation(exc)
                        repair = state["repairs"] > 0
                        if repair:
                            state["repairs"] -= 1
                            convo = convo + [
                                {"role": "assistant", "content": content[:2000]},
                                {"role": "user", "content": f"That reply {what}: {detail}. "
                                                            "Reply again with only the corrected JSON object."},
                            ]
                        raise _BadReply(what, detail, repair) from None
                    self._record(rec)
        except _BadReply as exc:
            raise LLMOutputError(f"LLM reply for {where} {exc.what} after {attempts} attempts: {exc.detail}",
                                 attempts=attempts, task=task) from None
        finally:
            self._tls.ctx = None

        if self.store is not None:
            self.store.cache_put(key, task=task, model=model, response=value.model_dump_json(),
                                 prompt_tokens=rec.prompt_tokens, completion_tokens=rec.completion_tokens)
        return value


def replace_outcome(record: CallRecord, outcome: str) -> CallRecord:
    """A copy of ``record`` with another outcome."""
    return record.model_copy(update={"outcome": outcome})


__all__ = ["LLMClient", "Prepared", "is_capability_rejection", "replace_outcome"]
