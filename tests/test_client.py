"""The LLM layer against a real loopback HTTP server speaking the OpenAI protocol."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from briefgen.config import Settings
from briefgen.errors import BackendRefusedError, CapabilityError, LLMError, LLMOutputError
from briefgen.llm.backends import DEFAULT_EMBEDDED_MODEL, Backend
from briefgen.llm.client import LLMClient
from briefgen.llm.schemas import ResponseMode, response_format_for
from briefgen.store import Store
from sample_models import Point, Summary  # noqa: F401
from fakeserver import FakeOpenAI, Reply, bad_request, fake_llm, format_rejected, rate_limited  # noqa: F401




GOOD = {"headline": "Dam opens", "points": [{"text": "The dam opened on Monday.", "sentences": [1]}], "place": None}
MESSAGES = [{"role": "system", "content": "Summarize the article."}, {"role": "user", "content": "<article>The dam opened.</article>"}]


def backend_for(server: FakeOpenAI, mode: ResponseMode = "json_object_schema", kind: str = "server") -> Backend:
    return Backend(kind=kind, model="fake-model", base_url=server.base_url, api_key=None,  # type: ignore[arg-type]
                   response_mode=mode, identity=f"test:{server.base_url}")


def make_client(server: FakeOpenAI, mode: ResponseMode = "json_object_schema", store: Store | None = None,
                **settings: object) -> LLMClient:
    opts: dict[str, object] = {"max_retries": 0, "timeout_s": 10.0}
    opts.update(settings)
    return LLMClient(backend_for(server, mode), Settings(**opts), store=store)  # type: ignore[arg-type]


def ask(client: LLMClient, **kw: object) -> Summary:
    return client.structured(task="summarize", messages=MESSAGES, schema=Summary, article_id="ab12cd34ef56", **kw)  # type: ignore[arg-type]


# ---- request shape per response mode ------------------------------------------------------------

@pytest.mark.parametrize(
    ("mode", "expected_type", "schema_in_prompt"),
    [
        ("json_schema_strict", "json_schema", False),
        ("json_schema", "json_schema", True),
        ("json_object_schema", "json_object", False),
        ("json_object", "json_object", True),
    ],
)
def test_each_mode_sends_its_response_format(fake_llm: FakeOpenAI, mode: ResponseMode, expected_type: str,
                                             schema_in_prompt: bool) -> None:
    fake_llm.script(GOOD)
    result = ask(make_client(fake_llm, mode))
    assert result.headline == "Dam opens"
    (req,) = fake_llm.chat_requests
    rf = req.json["response_format"]
    assert rf["type"] == expected_type
    if mode == "json_schema_strict":
        assert rf["json_schema"]["strict"] is True
        assert rf["json_schema"]["name"] == "Summary"
    elif mode == "json_schema":
        assert "strict" not in rf["json_schema"]
        assert rf["json_schema"]["schema"]["properties"]["headline"]["maxLength"] == 80
    elif mode == "json_object_schema":
        assert rf["schema"]["properties"]["points"]["maxItems"] == 4
    else:
        assert set(rf) == {"type"}
    system = req.json["messages"][0]["content"]
    assert ('"headline"' in system) is schema_in_prompt
    assert req.json["messages"][-1]["content"] == MESSAGES[-1]["content"]
    assert req.json["model"] == "fake-model"
    assert req.json["temperature"] == 0.0
    assert req.json["max_tokens"] == 600


def test_openai_backend_uses_max_completion_tokens(fake_llm: FakeOpenAI) -> None:
    fake_llm.script(GOOD)
    client = LLMClient(backend_for(fake_llm, "json_schema_strict", kind="openai"), Settings(max_retries=0))
    client.structured(task="t", messages=MESSAGES, schema=Summary, max_tokens=321)
    body = fake_llm.chat_requests[0].json
    assert body["max_completion_tokens"] == 321 and "max_tokens" not in body


# ---- validation, repair, truncation ------------------------------------------------------------

def test_valid_reply_validates_and_records_usage_and_latency(fake_llm: FakeOpenAI) -> None:
    usage = {"prompt_tokens": 123, "completion_tokens": 45, "total_tokens": 168}
    fake_llm.script(Reply(content=GOOD, usage=usage, delay=0.05))
    client = make_client(fake_llm)
    assert ask(client) == Summary.model_validate(GOOD)
    (rec,) = client.records
    assert (rec.outcome, rec.prompt_tokens, rec.completion_tokens) == ("ok", 123, 45)
    assert 0.05 <= rec.latency_s < 5
    assert rec.article_id == "ab12cd34ef56" and rec.task == "summarize"


def test_missing_usage_is_estimated(fake_llm: FakeOpenAI) -> None:
    fake_llm.script(Reply(content=GOOD, usage={}))
    client = make_client(fake_llm)
    ask(client)
    assert client.records[0].completion_tokens > 0 and client.records[0].prompt_tokens > 0


def test_code_fenced_json_is_accepted(fake_llm: FakeOpenAI) -> None:
    fake_llm.script("```json\n" + json.dumps(GOOD) + "\n```")
    assert ask(make_client(fake_llm, "json_object")).headline == "Dam opens"


def test_a_raw_newline_inside_a_string_is_the_same_reply_not_a_failure(fake_llm: FakeOpenAI) -> None:
    """The held-out run lost an article to 'control character found while parsing a string'."""
    raw = json.dumps(GOOD).replace("Dam opens", "Dam\nopens\tnow")
    assert "\n" in raw and "\\n" not in raw
    fake_llm.script(raw)
    client = make_client(fake_llm)
    assert ask(client).headline == "Dam opens now"
    assert len(fake_llm.chat_requests) == 1  # accepted as sent: no repair call


def test_invalid_json_gets_one_repair_with_the_error(fake_llm: FakeOpenAI) -> None:
    fake_llm.script('{"headline": "Dam opens", "points": [', GOOD)
    client = make_client(fake_llm)
    assert ask(client).headline == "Dam opens"
    first, second = fake_llm.chat_requests
    repair = second.json["messages"]
    assert repair[:-2] == first.json["messages"]
    assert repair[-2] == {"role": "assistant", "content": '{"headline": "Dam opens", "points": ['}
    assert repair[-1]["role"] == "user" and "not valid JSON" in repair[-1]["content"]
    assert [r.outcome for r in client.records] == ["invalid", "ok"]


def test_missing_fields_twice_raises_output_error(fake_llm: FakeOpenAI) -> None:
    fake_llm.script({"headline": "Dam opens"}, {"headline": "Dam opens"}, GOOD)
    client = make_client(fake_llm)
    with pytest.raises(LLMOutputError) as info:
        ask(client)
    assert len(fake_llm.chat_requests) == 2  # one repair, never a third call
    assert fake_llm.pending == 1
    assert "points: Field required" in fake_llm.chat_requests[1].json["messages"][-1]["content"]
    err = info.value
    assert err.attempts == 2 and err.task == "summarize"
    assert str(err).startswith("LLM reply for summarize (article ab12cd34…) did not match the schema after 2 attempts")
    assert "\n" not in str(err)
    assert [r.outcome for r in client.records] == ["invalid", "invalid"]


def test_length_limits_from_the_model_are_enforced_locally(fake_llm: FakeOpenAI) -> None:
    too_long = dict(GOOD, headline="x" * 81)
    fake_llm.script(too_long, too_long)
    with pytest.raises(LLMOutputError, match="headline"):
        ask(make_client(fake_llm, "json_schema_strict"))


def test_cut_off_reply_is_never_accepted(fake_llm: FakeOpenAI) -> None:
    # Even a reply that happens to parse is refused when the server says it was cut off.
    fake_llm.script(Reply(content=GOOD, finish_reason="length"), Reply(content=GOOD, finish_reason="length"))
    client = make_client(fake_llm, max_output_tokens=100)
    with pytest.raises(LLMOutputError, match="cut off"):
        ask(client)
    budgets = [r.json["max_tokens"] for r in fake_llm.chat_requests]
    assert budgets == [100, 200]  # one retry with a larger budget, then give up
    assert [r.outcome for r in client.records] == ["length", "length"]


def test_cut_off_then_complete_succeeds(fake_llm: FakeOpenAI) -> None:
    fake_llm.script(Reply(content='{"headline": "Dam', finish_reason="length"), GOOD)
    client = make_client(fake_llm)
    assert ask(client, max_tokens=150).headline == "Dam opens"
    assert [r.json["max_tokens"] for r in fake_llm.chat_requests] == [150, 300]


# ---- transport faults --------------------------------------------------------------------------

def test_rate_limit_with_retry_after_then_success_via_sdk(fake_llm: FakeOpenAI) -> None:
    fake_llm.script(rate_limited(retry_after=0.05), GOOD)
    client = make_client(fake_llm, max_retries=2)
    t0 = time.monotonic()
    assert ask(client).headline == "Dam opens"
    elapsed = time.monotonic() - t0
    first, second = fake_llm.chat_requests
    assert second.at - first.at >= 0.05  # Retry-After honoured
    assert elapsed < 3  # ...and not the SDK's default backoff
    assert [r.outcome for r in client.records] == ["error", "ok"]


def test_rate_limit_after_sdk_gives_up_is_waited_out_by_tenacity(fake_llm: FakeOpenAI) -> None:
    fake_llm.script(rate_limited(retry_after=0.05), rate_limited(retry_after=0.05), GOOD)
    client = make_client(fake_llm, max_retries=0)
    assert ask(client).headline == "Dam opens"
    reqs = fake_llm.chat_requests
    assert len(reqs) == 3 and reqs[2].at - reqs[0].at >= 0.1
    assert [r.outcome for r in client.records] == ["error", "error", "ok"]


def test_rate_limit_forever_is_bounded(fake_llm: FakeOpenAI) -> None:
    fake_llm.script(*[rate_limited(retry_after=0.01)] * 10)
    client = make_client(fake_llm, max_retries=1)
    with pytest.raises(LLMError, match="rate limited") as info:
        ask(client)
    assert len(fake_llm.chat_requests) == 6  # (1 + SDK's 1) x (1 + tenacity's 2)
    assert len(client.records) == 6 and all(r.outcome == "error" for r in client.records)
    assert not isinstance(info.value, LLMOutputError)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_never_retried(fake_llm: FakeOpenAI, status: int) -> None:
    fake_llm.script(bad_request("context length exceeded", status=status), GOOD)
    client = make_client(fake_llm, max_retries=3)
    with pytest.raises(LLMError, match=f"HTTP {status} context length exceeded") as info:
        ask(client)
    # A wrong key, endpoint or model stops the whole run (test_faults): its own subclass.
    assert type(info.value) is (BackendRefusedError if status in (401, 403, 404) else LLMError)
    assert len(fake_llm.chat_requests) == 1
    assert [r.outcome for r in client.records] == ["error"]


def test_server_error_is_retried_by_the_sdk(fake_llm: FakeOpenAI) -> None:
    fake_llm.script(Reply(status=503, body={"error": {"message": "loading model"}}, retry_after=0.01), GOOD)
    client = make_client(fake_llm, max_retries=2)
    assert ask(client).headline == "Dam opens"
    assert len(fake_llm.chat_requests) == 2


def test_response_format_rejection_is_a_capability_error_sent_once(fake_llm: FakeOpenAI) -> None:
    # llama-cpp-python answers json_schema with HTTP 500, which the SDK would otherwise retry.
    fake_llm.script(format_rejected(), GOOD, GOOD)
    client = make_client(fake_llm, "json_schema", max_retries=2)
    with pytest.raises(CapabilityError, match="rejected response_format 'json_schema'") as info:
        ask(client)
    assert len(fake_llm.chat_requests) == 1
    assert info.value.attempts == 1


def test_unreachable_server_is_an_llm_error(fake_llm: FakeOpenAI) -> None:
    url = fake_llm.base_url
    fake_llm.stop()
    client = LLMClient(Backend(kind="server", model="m", base_url=url, api_key=None, response_mode="json_schema",
                               identity="x"), Settings(max_retries=0, timeout_s=2.0))
    with pytest.raises(LLMError, match="cannot reach"):
        ask(client)
    assert [r.outcome for r in client.records] == ["error"]


# ---- cache and endpoint ------------------------------------------------------------------------

def test_cache_hit_makes_no_request_and_starts_no_server(fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    started: list[int] = []

    def endpoint() -> str:
        started.append(1)
        return fake_llm.base_url

    backend = Backend(kind="embedded", model=DEFAULT_EMBEDDED_MODEL, base_url=None, api_key=None,
                      response_mode="json_object_schema", identity="embedded:sha256:abc")
    settings = Settings(max_retries=0)
    fake_llm.script(Reply(content=GOOD, usage={"prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70}))
    with Store(tmp_path / "state.sqlite3") as store:
        run_id = store.start_run({})
        first = LLMClient(backend, settings, store, endpoint=endpoint, run_id=run_id)
        assert ask(first).headline == "Dam opens"
        assert started == [1]
        first.close()

        second = LLMClient(backend, settings, store, endpoint=endpoint, run_id=run_id)
        assert ask(second) == Summary.model_validate(GOOD)
        assert len(fake_llm.chat_requests) == 1 and started == [1]
        (rec,) = second.records
        assert rec.outcome == "cached" and rec.cached and rec.completion_tokens == 0

        # A different prompt template version is a different key.
        fake_llm.script(GOOD)
        ask(second, prompt_hash="v2")
        assert len(fake_llm.chat_requests) == 2
        outcomes = [c.outcome for c in store.calls(run_id)]
        assert outcomes == ["ok", "cached", "ok"]
        assert store.calls()[0].prompt_tokens == 50


def test_cache_off_asks_again(fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    fake_llm.script(GOOD, GOOD)
    with Store(tmp_path / "s.db") as store:
        ask(make_client(fake_llm, store=store, cache=False))
        ask(make_client(fake_llm, store=store, cache=False))
    assert len(fake_llm.chat_requests) == 2


def test_responder_answers_when_the_script_is_empty(fake_llm: FakeOpenAI) -> None:
    fake_llm.responder = lambda req: {"headline": req["messages"][-1]["content"][9:19], "points": []}
    assert ask(make_client(fake_llm)).headline == "The dam op"
