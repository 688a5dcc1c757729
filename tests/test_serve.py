"""Tests for briefgen.llm.serve: llama-cpp-python's server with the grammar applied lazily.

The fast tests check the wiring; the slow one runs the real model on two seeds through the
stock server and through briefgen's (lazy) server and requires byte-identical replies.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import platformdirs
import pytest

from briefgen.config import Settings
from briefgen.llm import server as srv

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
REAL_CACHE = platformdirs.user_cache_dir("briefgen")

needs_llama = pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python not installed")


def test_local_server_runs_the_lazy_module(tmp_path: Path) -> None:
    cmd = srv.LocalServer(Settings(home=tmp_path)).command(Path("/m/x.gguf"), 4242)
    assert cmd[1:3] == ["-m", "briefgen.llm.serve"]
    # The same flags llama_cpp.server takes: serve hands them to its main unchanged.
    assert "--model" in cmd and "--logits_all" in cmd


@needs_llama
def test_serve_takes_llama_cpp_server_flags() -> None:
    out = subprocess.run([sys.executable, "-m", "briefgen.llm.serve", "--help"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "--n_ctx" in out.stdout and "--logits_all" in out.stdout


@needs_llama
def test_install_patches_only_init_sampler() -> None:
    from llama_cpp.llama import Llama

    from briefgen.llm import serve

    before = Llama._init_sampler
    try:
        serve.install()
        assert Llama._init_sampler is serve._init_sampler
    finally:
        Llama._init_sampler = before  # type: ignore[method-assign]


# ---- the real model (slow) ---------------------------------------------------------------------


class _StockServer(srv.LocalServer):
    """briefgen's server lifecycle and flags, but the stock ``llama_cpp.server`` module."""

    def command(self, model: Path, port: int) -> list[str]:
        cmd = super().command(model, port)
        cmd[cmd.index(srv.SERVER_MODULE)] = "llama_cpp.server"
        return cmd


def _summarize_requests(settings: Settings, names: list[str]) -> list[dict]:
    from briefgen.editor.workbench import render_for_article

    bodies = []
    for name in names:
        rendering = render_for_article("summarize", str(SEEDS / name), settings)
        for call in rendering.calls:
            bodies.append({"model": rendering.backend.model, "messages": call.messages,
                           "response_format": call.response_format, "temperature": call.temperature,
                           "max_tokens": call.max_tokens})
    return bodies


def _replies(server: srv.LocalServer, bodies: list[dict]) -> list[str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    out = []
    with server:
        for body in bodies:
            req = urllib.request.Request(f"{server.base_url}/chat/completions", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
            with opener.open(req, timeout=900) as resp:
                out.append(json.loads(resp.read())["choices"][0]["message"]["content"])
    return out


@pytest.mark.slow
def test_lazy_grammar_replies_are_byte_identical_to_stock(tmp_path: Path) -> None:
    from briefgen.llm.outputs import ArticleNotes

    settings = Settings(home=tmp_path / "home", model_dir=Path(REAL_CACHE))
    # The two shortest seeds: two different articles, about a minute of generation each way.
    bodies = _summarize_requests(settings, ["004_dd258f67d9e21616.txt", "000_57f1031dc5b4a3a3.txt"])
    assert all(b["temperature"] == 0.0 and b["response_format"]["type"] == "json_object" for b in bodies)
    stock = _replies(_StockServer(settings), bodies)
    lazy_server = srv.LocalServer(settings)
    lazy = _replies(lazy_server, bodies)
    assert [s.encode() for s in lazy] == [s.encode() for s in stock]
    for text in lazy:
        ArticleNotes.model_validate_json(text)
    assert lazy_server.log_path is not None
    log = lazy_server.log_path.read_text()
    assert "lazy grammar sampling on" in log and "resampled under the grammar" in log
