"""Backends (briefgen.llm.backends): which endpoint and model, what it can do, and the cache key."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from briefgen.config import load_settings
from briefgen.llm.backends import (CAPABILITIES, DEFAULT_EMBEDDED_MODEL, DEFAULT_OPENAI_MODEL, PROMPT_SCHEMA_MODES,
                                   Backend, cache_key, resolve_backend)
from briefgen.llm.schemas import RESPONSE_MODES, response_format_for

MESSAGES = [{"role": "system", "content": "Summarize the article."}, {"role": "user", "content": "<article>The dam opened.</article>"}]


class Summary(BaseModel):
    headline: str = Field(max_length=80)


def test_cache_key_ignores_the_embedded_port_but_not_the_model() -> None:
    a = Backend(kind="embedded", model="m", base_url="http://127.0.0.1:1111/v1", api_key=None,
                response_mode="json_object_schema", identity="embedded:sha256:abc")
    b = Backend(kind="embedded", model="m", base_url="http://127.0.0.1:2222/v1", api_key=None,
                response_mode="json_object_schema", identity="embedded:sha256:abc")
    c = Backend(kind="embedded", model="m", base_url=None, api_key=None,
                response_mode="json_object_schema", identity="embedded:sha256:def")
    rf = response_format_for(Summary, "json_object_schema")
    key = cache_key(a, MESSAGES, rf, 0.0, 600, "")
    assert key == cache_key(b, MESSAGES, rf, 0.0, 600, "")
    assert key != cache_key(c, MESSAGES, rf, 0.0, 600, "")
    assert key != cache_key(a, MESSAGES, rf, 0.2, 600, "")


def test_resolve_backend_defaults_to_embedded() -> None:
    settings, _ = load_settings(env={})
    b = resolve_backend(settings)
    assert (b.kind, b.model, b.base_url, b.response_mode) == ("embedded", DEFAULT_EMBEDDED_MODEL, None, "json_object_schema")
    assert b.identity.startswith("embedded:sha256:cc324af0")
    assert resolve_backend(settings, embedded_identity="f00").identity == "embedded:sha256:f00"


def test_resolve_backend_openai_from_key() -> None:
    settings, _ = load_settings(env={"OPENAI_API_KEY": "sk-test"})
    b = resolve_backend(settings)
    assert (b.kind, b.model, b.response_mode, b.api_key) == ("openai", DEFAULT_OPENAI_MODEL, "json_schema_strict", "sk-test")


def test_resolve_backend_base_url_wins_over_key_and_flags_win_over_env() -> None:
    env = {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": "http://env:1/v1", "BRIEFGEN_MODEL": "llama3"}
    settings, _ = load_settings(env=env)
    b = resolve_backend(settings)
    assert (b.kind, b.base_url, b.model, b.response_mode) == ("server", "http://env:1/v1", "llama3", "json_schema")
    assert b.identity == "server:http://env:1/v1:llama3"

    env["BRIEFGEN_BASE_URL"] = "http://briefgen:2/v1"  # BRIEFGEN_* beats OPENAI_*
    assert resolve_backend(load_settings(env=env)[0]).base_url == "http://briefgen:2/v1"

    flagged, _ = load_settings(flags={"base_url": "http://flag:3/v1/", "response_format": "json_object"}, env=env)
    b = resolve_backend(flagged)
    assert (b.base_url, b.response_mode) == ("http://flag:3/v1", "json_object")


def test_resolve_backend_custom_local_model_identity(tmp_path: Path) -> None:
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF")
    settings, _ = load_settings(flags={"local_model": gguf}, env={})
    b = resolve_backend(settings)
    assert b.kind == "embedded" and b.model == "tiny"
    assert str(gguf.resolve()) in b.identity
    assert resolve_backend(settings, embedded_identity="deadbeef").identity == "embedded:deadbeef"


def test_cache_key_covers_everything_that_determines_a_reply() -> None:
    a = Backend(kind="server", model="m", base_url="http://h:1/v1", api_key=None, response_mode="json_schema",
                identity="server:http://h:1/v1:m")
    rf = response_format_for(Summary, "json_schema")
    key = cache_key(a, MESSAGES, rf, 0.0, 600, "p1")
    assert key != cache_key(a, MESSAGES, rf, 0.0, 601, "p1")
    assert key != cache_key(a, MESSAGES, rf, 0.0, 600, "p2")
    assert key != cache_key(a, MESSAGES[:1], rf, 0.0, 600, "p1")
    assert key != cache_key(a, MESSAGES, response_format_for(Summary, "json_object"), 0.0, 600, "p1")
    # The API key is not part of a reply's identity: rotating it keeps the cache.
    rotated = Backend(kind="server", model="m", base_url="http://h:1/v1", api_key="sk-new", response_mode="json_schema",
                      identity="server:http://h:1/v1:m")
    assert key == cache_key(rotated, MESSAGES, rf, 0.0, 600, "p1")


def test_the_capability_table_names_a_known_mode_for_every_kind() -> None:
    assert set(CAPABILITIES) == {"openai", "server", "embedded"}
    assert all(cap.response_mode in RESPONSE_MODES for cap in CAPABILITIES.values())
    assert CAPABILITIES["openai"].max_tokens_param == "max_completion_tokens"
    # The server enforces the schema itself in strict and grammar modes; only the others need it in the prompt.
    assert PROMPT_SCHEMA_MODES == {"json_schema", "json_object"}
