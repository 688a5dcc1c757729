"""Benchmark: `briefgen build seeds/` with the embedded model, cold and cached, against the
naive one-call-per-article script, in the same run (these machines are noisy: read ratios).

    python bench/bench_seeds.py [--record]

Splits the cold run into model start, LLM time (prompt/completion tokens, tokens/s) and
everything else; runs the same build a second time (cache: no LLM call expected).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import platformdirs

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "briefgen"


def build(home: Path, out: Path) -> tuple[float, dict]:
    env = dict(os.environ, BRIEFGEN_HOME=str(home), BRIEFGEN_MODEL_DIR=platformdirs.user_cache_dir("briefgen"))
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "BRIEFGEN_BASE_URL", "BRIEFGEN_API_KEY"):
        env.pop(var, None)
    started = time.monotonic()
    proc = subprocess.run([str(BIN), "build", str(ROOT / "seeds"), "-o", str(out), "-q"], env=env,
                          capture_output=True, text=True)
    wall = time.monotonic() - started
    if proc.returncode not in (0, 3):
        raise SystemExit(f"build failed ({proc.returncode}): {proc.stderr.strip()}")
    return wall, json.loads(out.read_text())["stats"]


def naive() -> dict:
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "naive_script.py"), str(ROOT / "seeds")],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        cold_wall, cold = build(home, Path(tmp) / "cold.json")
        warm_wall, warm = build(home, Path(tmp) / "warm.json")
    base = naive()
    llm = cold["llm_seconds"]
    start = cold.get("model_start_s", 0.0)
    rows = [
        ("briefgen, cold cache: wall", f"{cold_wall:.1f} s"),
        ("  model start", f"{start:.1f} s"),
        ("  LLM calls / time", f"{cold['llm_calls']} / {llm:.1f} s"),
        ("  tokens in / out", f"{cold['tokens_in']} / {cold['tokens_out']}"),
        ("  tokens/s in+out over LLM time", f"{(cold['tokens_in'] + cold['tokens_out']) / llm:.0f}" if llm else "-"),
        ("  everything else", f"{cold_wall - llm - start:.1f} s"),
        ("  share inside the model (start + LLM)", f"{(llm + start) / cold_wall:.0%}"),
        ("  key points verified / generated", f"{cold['grounding']['verified']} / {cold['grounding']['generated']}"),
        ("briefgen, second run (cached): wall", f"{warm_wall:.2f} s ({warm['llm_calls']} LLM calls, {warm['cache_hits']} cache hits)"),
        ("naive script (one JSON call per article): wall", f"{base['wall_s']:.1f} s (start {base['model_start_s']:.1f} s, "
                                                           f"{base['tokens_in']} in / {base['tokens_out']} out)"),
        ("ratio briefgen cold / naive", f"{cold_wall / base['wall_s']:.2f}"),
    ]
    table = "\n".join(["| what | figure |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows])
    header = (f"\n### Seeds, embedded model — {date.today()}\n\nMachine: {os.cpu_count()} cores, "
              f"Python {platform.python_version()}, {platform.machine()}. Command: `python bench/bench_seeds.py`\n\n")
    print(header + table)
    if "--record" in sys.argv:
        with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write(header + table + "\n")


if __name__ == "__main__":
    main()
