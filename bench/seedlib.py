"""Shared by the seeds benchmarks: the exact summarize requests, the server log's timings,
a short calibration of the bare server.

* :func:`seed_requests` renders the five seeds' summarize requests the way the pipeline does
  (``editor.workbench.render_for_article``: the pipeline's chunk budget, ``chunk_article``,
  ``render_chunk_messages`` with the prompt from ``load_prompt``, the response_format from
  ``llm.schemas`` for the embedded backend, the prompt's temperature and max_tokens).
* :func:`parse_perf` reads the ``llama_perf_context_print`` block llama-cpp-python's server
  prints after every completion (prompt tokens evaluated and their time, generated tokens and
  the decode time, the total time of the completion).
* :class:`StockServer` starts ``python -m llama_cpp.server`` (or, for comparisons, another
  module taking its flags) with briefgen's server settings frozen on 2026-12-01.
* :func:`calibrate` asks a bare server for one fixed, unconstrained completion and returns its
  prompt and generation speed: record it next to any absolute figure (machines of one kind
  differ 3-4x from day to day).

Loopback only; nothing here downloads anything.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy


def model_env() -> None:
    """Point settings at an assembled model (BRIEFGEN_MODEL_DIR, else the user cache) before load_settings."""
    if "BRIEFGEN_MODEL_DIR" not in os.environ:
        import platformdirs

        os.environ["BRIEFGEN_MODEL_DIR"] = platformdirs.user_cache_dir("briefgen")


def stock_command(model: Path, port: int, threads: int, module: str = "llama_cpp.server") -> list[str]:
    """The stock server with briefgen's settings of 2026-12-01 (frozen here on purpose).

    ``module`` lets the benchmarks start briefgen's patched server with the very
    same flags; the baseline itself always runs ``llama_cpp.server``.
    """
    return [
        sys.executable, "-m", module,
        "--model", str(model),
        "--model_alias", model.stem,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--n_ctx", "4096",
        "--n_batch", "512",
        "--n_threads", str(threads),
        "--n_threads_batch", str(threads),
        "--logits_all", "false",
        "--cache", "false",
        "--interrupt_requests", "false",
    ]


class StockServer:
    """``python -m llama_cpp.server`` on a free loopback port, for as long as the ``with`` lasts."""

    def __init__(self, model: Path, log_path: Path | None = None, threads: int | None = None,
                 module: str = "llama_cpp.server") -> None:
        self.model = model
        self.module = module
        self.threads = threads or len(os.sched_getaffinity(0))
        self.log_path = log_path or Path(tempfile.mkstemp(prefix="stock-server-", suffix=".log")[1])
        self.base_url = ""
        self.start_seconds = 0.0
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> StockServer:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        # The server reads HOST, PORT, N_CTX, ... from the environment over its flags: pass a clean one.
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR", "PYTHONPATH")}
        env.update(HOST="127.0.0.1", PORT=str(port), PYTHONUNBUFFERED="1")
        from briefgen.llm.server import _parent_death_hook  # SIGTERM the server if this process dies

        started = time.perf_counter()
        with open(self.log_path, "wb") as log:
            self._proc = subprocess.Popen(stock_command(self.model, port, self.threads, self.module), stdin=subprocess.DEVNULL,
                                          stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
                                          preexec_fn=_parent_death_hook())
        self.base_url = f"http://127.0.0.1:{port}/v1"
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + 120
        while True:
            if self._proc.poll() is not None:
                raise RuntimeError(f"stock server exited with {self._proc.returncode}: see {self.log_path}")
            try:
                with opener.open(f"{self.base_url}/models", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"stock server did not answer in 120 s: see {self.log_path}")
            time.sleep(0.2)
        self.start_seconds = time.perf_counter() - started
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None and self._proc.poll() is None:
            os.killpg(self._proc.pid, 15)
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, 9)
                self._proc.wait()
        self._proc = None


def seed_requests(folder: Path = SEEDS) -> list[tuple[str, dict[str, Any]]]:
    """(name, chat-completion body) for every chunk of every seed, exactly as briefgen sends it."""
    from briefgen.config import load_settings
    from briefgen.editor.workbench import render_for_article

    settings, _ = load_settings({}, env={k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "BRIEFGEN_BASE", "BRIEFGEN_API"))})
    out = []
    for path in sorted(folder.glob("*.txt")):
        rendering = render_for_article("summarize", str(path), settings)
        assert rendering.backend.kind == "embedded", rendering.backend.kind
        for call in rendering.calls:
            out.append((f"{path.stem[:3]}#{call.part}", {
                "model": rendering.backend.model,
                "messages": call.messages,
                "response_format": call.response_format,
                "temperature": call.temperature,
                "max_tokens": call.max_tokens,
            }))
    return out


def post(base_url: str, body: dict[str, Any], timeout: float = 900) -> tuple[dict[str, Any], float]:
    """POST /chat/completions; (reply, client-side seconds)."""
    data = json.dumps(body).encode()
    req = urllib.request.Request(f"{base_url}/chat/completions", data=data, headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    with _OPENER.open(req, timeout=timeout) as resp:
        reply = json.loads(resp.read())
    return reply, time.perf_counter() - started


@dataclass
class Perf:
    """One completion as the server's log reports it (milliseconds, tokens)."""

    reused: int  # prompt tokens whose KV state was kept from the previous request
    prompt_tokens: int  # prompt tokens evaluated
    prompt_ms: float
    gen_tokens: int  # decode runs (generated tokens)
    eval_ms: float  # decode time of the generated tokens (the model itself)
    total_ms: float  # reset_timings .. print_timings in Llama._create_completion

    @property
    def other_ms(self) -> float:
        """Inside the completion but outside the model: sampling (grammar), detokenizing, Python."""
        return self.total_ms - self.prompt_ms - self.eval_ms


_PREFIX = re.compile(r"Llama\.generate: (\d+) prefix-match hit")
_PROMPT = re.compile(r"prompt eval time =\s*([\d.]+) ms /\s*(\d+) tokens")
_EVAL = re.compile(r"\beval time =\s*([\d.]+) ms /\s*(\d+) runs")
_TOTAL = re.compile(r"total time =\s*([\d.]+) ms")


def parse_perf(text: str) -> list[Perf]:
    """Every completion's timing block in a llama-cpp-python server log, in order."""
    out: list[Perf] = []
    reused = 0
    prompt = (0.0, 0)
    gen = (0.0, 0)
    for line in text.splitlines():
        if m := _PREFIX.search(line):
            reused = int(m.group(1))
        elif m := _PROMPT.search(line):
            prompt = (float(m.group(1)), int(m.group(2)))
        elif "prompt eval" not in line and (m := _EVAL.search(line)):
            gen = (float(m.group(1)), int(m.group(2)))
        elif m := _TOTAL.search(line):
            out.append(Perf(reused, prompt[1], prompt[0], gen[1], gen[0], float(m.group(1))))
            reused, prompt, gen = 0, (0.0, 0), (0.0, 0)
    return out


def wait_perf(log_path: Path, count: int, timeout: float = 10.0) -> list[Perf]:
    """The log's timing blocks once at least ``count`` are written (the server flushes per line)."""
    deadline = time.monotonic() + timeout
    while True:
        perf = parse_perf(log_path.read_text(encoding="utf-8", errors="replace"))
        if len(perf) >= count or time.monotonic() > deadline:
            return perf
        time.sleep(0.1)


CALIBRATION_MAX_TOKENS = 96


def calibration_body(model: str) -> dict[str, Any]:
    """A fixed, unconstrained request: ~600 prompt tokens (the first seed as filler), 96 tokens out."""
    filler = sorted(SEEDS.glob("*.txt"))[0].read_text(encoding="utf-8")
    return {
        "model": model,
        "messages": [{"role": "user", "content": f"{filler}\n\nIgnore the text above. Count from 1 to 300, "
                                                 "one number per line, nothing else."}],
        "temperature": 0.0,
        "max_tokens": CALIBRATION_MAX_TOKENS,
    }


def calibrate(base_url: str, log_path: Path, model: str = "local") -> dict[str, float]:
    """Prompt and generation tokens/s of the bare server (no grammar), from its own log."""
    before = len(parse_perf(log_path.read_text(encoding="utf-8", errors="replace")))
    post(base_url, calibration_body(model))
    perf = wait_perf(log_path, before + 1)[before]
    return {
        "prompt_tok_s": round(perf.prompt_tokens / perf.prompt_ms * 1000, 1),
        "gen_tok_s": round(perf.gen_tokens / perf.eval_ms * 1000, 1),
        "prompt_tokens": perf.prompt_tokens,
        "gen_tokens": perf.gen_tokens,
    }


def calibration_line(cal: dict[str, float]) -> str:
    return (f"calibration (bare server, no grammar): prompt {cal['prompt_tok_s']:.0f} tokens/s "
            f"({cal['prompt_tokens']} tokens), generation {cal['gen_tok_s']:.1f} tokens/s ({cal['gen_tokens']} tokens)")
