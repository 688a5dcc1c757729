"""Where the time of the seeds brief goes with the embedded model (issue 12, item 1).

    BRIEFGEN_MODEL_DIR=/path/to/model/dir python bench/profile_seeds.py [--no-build] [--no-probe] [--server stock|lazy]

Two parts, both printed as tables:

1. **The brief itself**: ``briefgen build seeds/`` in a fresh BRIEFGEN_HOME, timed as a whole
   process. Its stats give model start and LLM time (client side); the server's own log in
   BRIEFGEN_HOME/logs gives, per request, the prompt tokens evaluated and their time, the
   tokens generated and their decode time, and the completion's total time. What is left:
   * inside a completion but outside the model (total − prompt eval − decode): sampling
     (penalties, grammar, greedy), detokenizing and Python per token;
   * HTTP and the server's Python around a completion (client latency − server total: request
     parsing, chat template, tokenizing, building the grammar from the schema, the reply);
   * briefgen outside the model (wall − model start − LLM): imports, ingest, grouping, output.
2. **The grammar's share** (a probe on a server of its own): a calibration (bare server prompt
   and generation speed), then the same five requests twice — with their response_format
   (the schema grammar) and without it (plain text, same max_tokens). The difference of the
   per-token "outside the model" time is the grammar's cost per generated token; times the
   brief's generated tokens, its share of the brief. The outputs without grammar differ (the
   per-token cost is what is compared, not the text).

The build profiles whatever server briefgen runs at this commit; the probe starts the server
named by ``--server`` (``stock``: ``python -m llama_cpp.server``; ``lazy``:
``python -m briefgen.llm.serve``) with the baseline's flags (``seedlib.StockServer``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seedlib import (ROOT, SEEDS, Perf, StockServer, calibrate, calibration_line, model_env, post, seed_requests,  # noqa: E402
                     wait_perf)

BIN = Path(sys.executable).parent / "briefgen"


def _table(rows: list[tuple[str, ...]], head: tuple[str, ...]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _sum(perf: list[Perf], field: str) -> float:
    return sum(getattr(p, field) for p in perf)


def profile_build(tmp: Path) -> str:
    home = tmp / "home"
    env = dict(os.environ, BRIEFGEN_HOME=str(home))
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "BRIEFGEN_BASE_URL", "BRIEFGEN_API_KEY"):
        env.pop(var, None)
    out = tmp / "brief.json"
    started = time.perf_counter()
    proc = subprocess.run([str(BIN), "build", str(SEEDS), "-o", str(out), "-q"], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 3):
        raise SystemExit(f"build failed ({proc.returncode}): {proc.stderr.strip()}")
    stats = json.loads(out.read_text())["stats"]
    logs = sorted((home / "logs").glob("llama-server-*.log"))
    perf = wait_perf(logs[-1], stats["llm_calls"]) if logs else []
    # Interpreter start and imports: the CLI answering --help, timed the same way.
    t0 = time.perf_counter()
    subprocess.run([str(BIN), "--help"], env=env, capture_output=True, check=True)
    cli_start = time.perf_counter() - t0

    start, llm = stats["model_start_s"], stats["llm_seconds"]
    prompt_ms, eval_ms, total_ms = _sum(perf, "prompt_ms"), _sum(perf, "eval_ms"), _sum(perf, "total_ms")
    other_ms = total_ms - prompt_ms - eval_ms
    n_prompt, n_reused, n_gen = int(_sum(perf, "prompt_tokens")), int(_sum(perf, "reused")), int(_sum(perf, "gen_tokens"))

    def row(what: str, seconds: float, detail: str = "") -> tuple[str, str, str, str]:
        return (what, f"{seconds:.1f} s", f"{seconds / wall:.0%}", detail)

    rows = [
        row("whole build (wall)", wall, f"{stats['llm_calls']} LLM calls, {stats['tokens_in']} in / {stats['tokens_out']} out (usage)"),
        row("  model server start", start, "process start, imports, model load, first /v1/models"),
        row("  prompt evaluation", prompt_ms / 1000, f"{n_prompt} tokens evaluated ({n_reused} reused from the KV cache), "
                                                    f"{n_prompt / (prompt_ms / 1000):.0f} tokens/s" if prompt_ms else ""),
        row("  generation: model decode", eval_ms / 1000, f"{n_gen} tokens, {n_gen / (eval_ms / 1000):.1f} tokens/s" if eval_ms else ""),
        row("  generation: sampling + Python per token", other_ms / 1000,
            f"{other_ms / max(n_gen, 1):.1f} ms a token (grammar, penalties, greedy, detokenize)"),
        row("  HTTP + server Python around completions", llm - total_ms / 1000, "request, chat template, tokenize, grammar build, reply"),
        row("  briefgen outside the model", wall - start - llm, f"of which CLI start-up (imports) ~{cli_start:.1f} s"),
    ]
    per_req = [(str(i + 1), str(p.reused), str(p.prompt_tokens), f"{p.prompt_ms / 1000:.1f}", str(p.gen_tokens),
                f"{p.eval_ms / 1000:.1f}", f"{p.other_ms / 1000:.1f}", f"{p.other_ms / max(p.gen_tokens, 1):.1f}")
               for i, p in enumerate(perf)]
    return ("### The seeds brief (`briefgen build seeds/`, fresh home)\n\n"
            + _table(rows, ("where", "time", "share", "detail")) + "\n\nPer request (server log):\n\n"
            + _table(per_req, ("#", "reused", "prompt tok", "prompt s", "gen tok", "decode s", "sampling+Py s", "ms/token")))


MODULES = {"stock": "llama_cpp.server", "lazy": "briefgen.llm.serve"}


def profile_grammar(kind: str) -> str:
    from briefgen.config import load_settings
    from briefgen.llm.model import ensure_model

    requests = seed_requests()
    with StockServer(ensure_model(load_settings({})[0]), module=MODULES[kind]) as server:
        base = server.base_url
        cal = calibrate(base, server.log_path)
        measured: dict[str, list[tuple[Perf, float]]] = {}
        count = len(wait_perf(server.log_path, 1))
        for label, strip in (("schema grammar", False), ("no grammar", True)):
            rows = []
            for _, body in requests:
                body = {k: v for k, v in body.items() if not (strip and k == "response_format")}
                _, latency = post(base, body)
                count += 1
                rows.append((wait_perf(server.log_path, count)[count - 1], latency))
            measured[label] = rows
    table = []
    per_token = {}
    for label, rows in measured.items():
        perf = [p for p, _ in rows]
        gen = _sum(perf, "gen_tokens")
        other = _sum(perf, "total_ms") - _sum(perf, "prompt_ms") - _sum(perf, "eval_ms")
        http = sum(lat for _, lat in rows) * 1000 - _sum(perf, "total_ms")
        per_token[label] = other / max(gen, 1)
        table.append((label, str(int(gen)), f"{gen / (_sum(perf, 'eval_ms') / 1000):.1f}",
                      f"{gen / ((_sum(perf, 'total_ms') - _sum(perf, 'prompt_ms')) / 1000):.1f}",
                      f"{per_token[label]:.1f}", f"{http / len(rows):.0f}"))
    grammar_ms = per_token["schema grammar"] - per_token["no grammar"]
    return (f"### The grammar's share (probe: {kind} server `{MODULES[kind]}`, same five requests)\n\n" + calibration_line(cal) + "\n\n"
            + _table(table, ("requests", "gen tok", "decode tok/s", "end-to-end gen tok/s", "sampling+Py ms/token",
                             "HTTP+server Python ms/request"))
            + f"\n\nGrammar cost: {grammar_ms:.1f} ms per generated token "
              f"({grammar_ms * _sum([p for p, _ in measured['schema grammar']], 'gen_tokens') / 1000:.1f} s over the five requests).")


def main() -> None:
    model_env()
    parts = []
    with tempfile.TemporaryDirectory() as tmp:
        if "--no-build" not in sys.argv:
            parts.append(profile_build(Path(tmp)))
        if "--no-probe" not in sys.argv:
            kind = sys.argv[sys.argv.index("--server") + 1] if "--server" in sys.argv else "stock"
            parts.append(profile_grammar(kind))
    print(f"## Profile of the seeds brief — {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, root {ROOT.name}\n")
    print("\n\n".join(parts))


if __name__ == "__main__":
    main()
