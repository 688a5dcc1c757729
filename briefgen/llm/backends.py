"""Backends: which endpoint and model a client talks to, what it can do, and the cache key.

One table (:data:`CAPABILITIES`) holds what each kind of backend supports; nothing else in
briefgen knows it. Chosen by config: a base URL > an API key (OpenAI) > the embedded model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from briefgen.config import Settings
from briefgen.llm.schemas import ResponseMode
from briefgen.models import sha256_hex

BackendKind = Literal["openai", "server", "embedded"]

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
OPENAI_BASE_URL = "https://api.openai.com/v1"
DEFAULT_EMBEDDED_MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"
# sha256 of the official qwen2.5-coder-1.5b-instruct-q4_k_m.gguf (SPEC): the embedded cache identity.
DEFAULT_EMBEDDED_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
# Servers often serve one model and ignore the name; vLLM and Ollama need the real one.
SERVER_DEFAULT_MODEL = "default"

@dataclass(frozen=True)
class Capability:
    """What one kind of backend can do; the only place such knowledge lives."""

    response_mode: ResponseMode
    reports_usage: bool
    max_tokens_param: str  # OpenAI deprecates max_tokens; local servers only know max_tokens


CAPABILITIES: dict[BackendKind, Capability] = {
    "openai": Capability("json_schema_strict", True, "max_completion_tokens"),
    # Non-strict json_schema is what Ollama, vLLM, LM Studio and llama-server accept.
    "server": Capability("json_schema", True, "max_tokens"),
    # llama-cpp-python's server rejects json_schema (HTTP 500) but builds a grammar from this.
    "embedded": Capability("json_object_schema", True, "max_tokens"),
}

# Modes whose request does not make the server enforce the schema: describe it in the prompt.
PROMPT_SCHEMA_MODES: frozenset[ResponseMode] = frozenset({"json_schema", "json_object"})


@dataclass(frozen=True)
class Backend:
    """Which endpoint and model a client talks to, and how it asks for structured output."""

    kind: BackendKind
    model: str
    base_url: str | None  # None for embedded until its server starts
    api_key: str | None = field(repr=False)  # never in a log line or traceback
    response_mode: ResponseMode
    identity: str  # cache identity: base URL + model, or the model file's sha256; never a port
    reports_usage: bool = True
    context_tokens: int = 4096


def _file_identity(path: Path) -> str:
    """Cheap stand-in for a GGUF's sha256 when the caller has not verified one."""
    try:
        st = path.stat()
        return f"file:{path.resolve()}:{st.st_size}:{st.st_mtime_ns}"
    except OSError:
        return f"file:{path}"


def resolve_backend(settings: Settings, *, embedded_identity: str | None = None) -> Backend:
    """Pick the backend: base URL > API key (OpenAI) > embedded model; response format from the table."""
    kind: BackendKind
    if settings.base_url:
        kind = "server"
        base_url: str | None = settings.base_url.rstrip("/")
        model = settings.model or SERVER_DEFAULT_MODEL
        identity = f"server:{base_url}:{model}"
    elif settings.api_key_value():
        kind = "openai"
        base_url = OPENAI_BASE_URL
        model = settings.model or DEFAULT_OPENAI_MODEL
        identity = f"openai:{model}"
    else:
        kind = "embedded"
        base_url = None
        if settings.local_model:
            model = settings.model or Path(settings.local_model).stem
            identity = f"embedded:{embedded_identity or _file_identity(Path(settings.local_model))}"
        else:
            model = settings.model or DEFAULT_EMBEDDED_MODEL
            identity = f"embedded:sha256:{embedded_identity or DEFAULT_EMBEDDED_SHA256}"
    cap = CAPABILITIES[kind]
    mode: ResponseMode = cap.response_mode if settings.response_format == "auto" else settings.response_format
    return Backend(
        kind=kind,
        model=model,
        base_url=base_url,
        api_key=settings.api_key_value(),
        response_mode=mode,
        identity=identity,
        reports_usage=cap.reports_usage,
        context_tokens=settings.context_tokens,
    )


def cache_key(backend: Backend, messages: list[dict[str, str]], response_format: dict[str, Any],
              temperature: float, max_tokens: int, prompt_hash: str) -> str:
    """sha256 over everything that determines a reply (never the embedded server's port)."""
    payload = {
        "identity": backend.identity,
        "messages": messages,
        "response_format": response_format,
        "temperature": temperature,
        "max_tokens": max_tokens,
        "prompt_hash": prompt_hash,
    }
    return sha256_hex(json.dumps(payload, sort_keys=True, ensure_ascii=False))
