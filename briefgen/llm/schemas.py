"""One pydantic model per LLM output, rendered three ways (SPEC "Schemas per backend").

* ``json_schema_strict`` (OpenAI): every property required, ``additionalProperties: false``
  on every object, and none of the keywords strict mode refuses or ignores (``default``,
  string/array length bounds). Lengths are still enforced: pydantic validates the reply.
* ``json_schema`` (OpenAI-compatible servers, non-strict): the schema as pydantic writes it,
  bounds kept so a grammar-constrained server (vLLM, Ollama, llama-server) limits output.
* ``json_object_schema`` (llama-cpp-python's server): ``{"type": "json_object", "schema": …}``;
  its grammar honours ``maxItems``/``maxLength``, which is what stops a small model from
  repeating itself inside an array.
* ``json_object``: no schema in the request at all; the client describes it in the prompt.

All renderings inline ``$ref``/``$defs``: every server we target accepts a self-contained
schema, not all of them resolve references, and inlining makes the cache key independent of
pydantic's definition naming. Titles are dropped (tokens in the prompt, no meaning to a grammar).
"""

from __future__ import annotations

import copy
import functools
import json
import re
from typing import Any, Literal

from pydantic import BaseModel

ResponseMode = Literal["json_schema_strict", "json_schema", "json_object_schema", "json_object"]
RESPONSE_MODES: tuple[ResponseMode, ...] = ("json_schema_strict", "json_schema", "json_object_schema", "json_object")

# Keywords OpenAI strict mode rejects ("'default' is not permitted") or that are outside the
# subset every strict provider accepts; pydantic validation enforces the bounds instead.
_STRICT_DROP = frozenset({"default", "minLength", "maxLength", "minItems", "maxItems", "title", "examples"})
_LOOSE_DROP = frozenset({"title", "examples"})


def _inline(node: Any, defs: dict[str, Any], stack: tuple[str, ...] = ()) -> Any:
    """Replace every local ``$ref`` with its definition (recursive models are refused)."""
    if isinstance(node, list):
        return [_inline(v, defs, stack) for v in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        name = ref.rsplit("/", 1)[-1]
        if not ref.startswith(("#/$defs/", "#/definitions/")) or name not in defs:
            raise ValueError(f"unsupported schema reference {ref!r}")
        if name in stack:
            raise ValueError(f"recursive schema through {name!r} cannot be inlined")
        target = _inline(copy.deepcopy(defs[name]), defs, stack + (name,))
        siblings = {k: _inline(v, defs, stack) for k, v in node.items() if k != "$ref"}
        return {**target, **siblings}
    return {k: _inline(v, defs, stack) for k, v in node.items() if k not in ("$defs", "definitions")}


def _transform(node: Any, *, drop: frozenset[str], strict: bool) -> Any:
    if isinstance(node, list):
        return [_transform(v, drop=drop, strict=strict) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in drop:
            continue
        if key == "properties" and isinstance(value, dict):
            # Property names are data here, not keywords: never drop a field called "title".
            out[key] = {name: _transform(sub, drop=drop, strict=strict) for name, sub in value.items()}
        else:
            out[key] = _transform(value, drop=drop, strict=strict)
    if out.get("type") == "object" or "properties" in out:
        # A dict field keeps its value schema; records get no extra keys (a grammar can't invent any).
        out.setdefault("additionalProperties", False)
        if strict:
            out["required"] = list(out.get("properties", {}))
    return out


def schema_for(model: type[BaseModel], mode: ResponseMode) -> dict[str, Any]:
    """The JSON schema of ``model`` rendered for one response mode (self-contained, no $refs)."""
    # Built once per (model, mode): pydantic's schema generation cost ~1.4 ms a call, every call.
    return copy.deepcopy(_schema_for(model, mode))


@functools.lru_cache(maxsize=64)
def _schema_for(model: type[BaseModel], mode: ResponseMode) -> dict[str, Any]:
    raw = model.model_json_schema()
    inlined = _inline(raw, raw.get("$defs", {}) | raw.get("definitions", {}))
    if mode == "json_schema_strict":
        return _transform(inlined, drop=_STRICT_DROP, strict=True)
    return _transform(inlined, drop=_LOOSE_DROP, strict=False)


def schema_name(model: type[BaseModel]) -> str:
    """A response_format name OpenAI accepts (``^[a-zA-Z0-9_-]{1,64}$``)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", model.__name__)[:64] or "output"


def response_format_for(model: type[BaseModel], mode: ResponseMode) -> dict[str, Any]:
    """The ``response_format`` request field for ``model`` in ``mode``."""
    if mode == "json_object":
        return {"type": "json_object"}
    schema = schema_for(model, mode)
    if mode == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    spec: dict[str, Any] = {"name": schema_name(model), "schema": schema}
    if mode == "json_schema_strict":
        spec["strict"] = True
    return {"type": "json_schema", "json_schema": spec}


@functools.lru_cache(maxsize=64)
def shared_response_format(model: type[BaseModel], mode: ResponseMode) -> dict[str, Any]:
    """:func:`response_format_for`, built once and shared by every call (read only: the client
    serializes it into the request and the cache key). Its deep copy was 0.8 ms of every call's
    preparation, in the thread that sends the calls (issue 16)."""
    return response_format_for(model, mode)


@functools.lru_cache(maxsize=64)
def describe_schema(model: type[BaseModel]) -> str:
    """The schema as compact prompt text, for backends that do not enforce it (built once per model)."""
    schema = _schema_for(model, "json_schema")
    return json.dumps(schema, separators=(",", ":"), ensure_ascii=False)
