"""Benchmark: `briefgen build seeds/` with the embedded model against the naive script, paired.

    python bench/bench_seeds.py [--rounds N] [--variants lazy,stock] [--record]

Each round runs, in turn (the order rotates from round to round, so drift in the machine's
speed falls on every command alike): the naive one-call-per-article script
(bench/naive_script.py, on the stock llama_cpp.server, flags frozen) and a cold
`briefgen build seeds/` in a fresh BRIEFGEN_HOME for each variant:

* ``lazy``: briefgen as it is (its server is ``python -m briefgen.llm.serve``);
* ``stock``: the same build with ``LocalServer`` running the stock ``llama_cpp.server``
  module (briefgen.llm.server.SERVER_MODULE swapped in the CLI process) — option (a).

Before the first round a bare stock server is calibrated (prompt and generation tokens/s).
After the last round the lazy build is run once more in the same home (cache: no LLM call).
Read the per-round ratios; these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seedlib import ROOT, SEEDS, StockServer, calibrate, calibration_line, model_env

# briefgen's CLI with the stock server module: the variant "stock" (today's server before the lazy grammar).
_STOCK_CLI = ("import sys, briefgen.llm.server as s; s.SERVER_MODULE = 'llama_cpp.server'; "
              "from briefgen.cli import main; sys.argv[0] = 'briefgen'; main()")


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ, BRIEFGEN_HOME=str(home))
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "BRIEFGEN_BASE_URL", "BRIEFGEN_API_KEY"):
        env.pop(var, None)
    return env


def build(variant: str, home: Path, out: Path) -> dict:
    cli = [sys.executable, "-m", "briefgen"] if variant == "lazy" else [sys.executable, "-c", _STOCK_CLI]
    started = time.monotonic()
    proc = subprocess.run([*cli, "build", str(SEEDS), "-o", str(out), "-q"], env=_env(home),
                          capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    if proc.returncode not in (0, 3):
        raise SystemExit(f"build ({variant}) failed ({proc.returncode}): {proc.stderr.strip()}")
    brief = json.loads(out.read_text())
    stats = brief["stats"]
    groups = sorted(sorted(Path(a["source"]).name[:3] for a in s["articles"]) for s in brief["stories"])
    return {"wall_s": wall, "stats": stats, "groups": groups}


def naive() -> dict:
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "naive_script.py"), str(SEEDS)],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--variants", default="lazy,stock")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    model_env()
    from briefgen.config import load_settings
    from briefgen.llm.model import ensure_model

    variants = args.variants.split(",")
    with StockServer(ensure_model(load_settings({})[0])) as server:
        cal = calibrate(server.base_url, server.log_path)
    commands = ["naive", *variants]
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            order = commands[r % len(commands):] + commands[: r % len(commands)]
            result = {}
            for name in order:
                if name == "naive":
                    result[name] = naive()
                else:
                    home = Path(tmp) / f"{name}-{r}"
                    result[name] = build(name, home, Path(tmp) / f"{name}-{r}.json")
            rounds.append(result)
        warm = None
        if "lazy" in variants:
            warm = build("lazy", Path(tmp) / f"lazy-{args.rounds - 1}", Path(tmp) / "warm.json")

    rows = []
    for i, res in enumerate(rounds, 1):
        base = res["naive"]
        rows.append((f"round {i}: naive script (stock server)", f"{base['wall_s']:.1f} s",
                     f"start {base['model_start_s']:.1f} s, {base['tokens_in']} in / {base['tokens_out']} out", "1.00"))
        for v in variants:
            x, s = res[v], res[v]["stats"]
            rows.append((f"round {i}: briefgen ({v} server)", f"{x['wall_s']:.1f} s",
                         f"start {s['model_start_s']:.1f} s, LLM {s['llm_seconds']:.1f} s, {s['tokens_in']} in / "
                         f"{s['tokens_out']} out, points verified {s['grounding']['verified']}/{s['grounding']['generated']}, "
                         f"stories {x['groups']}", f"{x['wall_s'] / base['wall_s']:.2f}"))
    for v in variants:
        ratios = [res[v]["wall_s"] / res["naive"]["wall_s"] for res in rounds]
        rows.append((f"median ratio briefgen ({v}) / naive", "", f"{len(ratios)} round(s)", f"{statistics.median(ratios):.2f}"))
    if warm:
        rows.append(("briefgen second run (cached)", f"{warm['wall_s']:.2f} s",
                     f"{warm['stats']['llm_calls']} LLM calls, {warm['stats']['cache_hits']} cache hits", ""))
    table = "\n".join(["| what | wall | detail | ratio to naive |", "|---|---|---|---|"]
                      + [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows])
    header = (f"\n### Seeds, embedded model, paired — {date.today()}\n\nMachine: {os.cpu_count()} cores, "
              f"Python {platform.python_version()}, {platform.machine()}; {calibration_line(cal)}. "
              f"Command: `python bench/bench_seeds.py --rounds {args.rounds} --variants {args.variants}`\n\n")
    print(header + table)
    if args.record:
        with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write(header + table + "\n")


if __name__ == "__main__":
    main()
