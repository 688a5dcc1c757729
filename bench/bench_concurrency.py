"""Issue 16: concurrency, rate limits, the cached re-run, pipeline overhead and memory at scale.

Against a loopback OpenAI-protocol server (tests/fakeserver.py) run in its own process, so
briefgen's CPU (``time.process_time`` of this process) is measured apart from the server's.
The server answers every chat call after a fixed latency and can enforce a rate limit (a
token bucket: 429 with Retry-After when it is empty). The LLM phase is measured on the
server's clock: first request in to last reply out.

    python bench/bench_concurrency.py                   # everything (~10 min on 2 cores)
    python bench/bench_concurrency.py --articles 300 --skip-memory   # a quicker look

Synthetic articles (tests/synthetic.py): varied text, shared entities, no wire copies, so
every article is one call. Concurrency 1 and the naive sequential loop run on a fifth of the
articles and are extrapolated (200 ms × 1,000 calls is 200 s each): said so in the table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from fakeserver import FakeOpenAI, Reply, rate_limited  # noqa: E402
from scripted import notes_responder  # noqa: E402
from synthetic import write_articles  # noqa: E402

NAIVE_PROMPT = ("Summarize this news article as JSON with the keys headline (string), summary (string) "
                "and key_points (list of strings).\n\n{text}")


# ---- the server process ---------------------------------------------------------------------
class BenchServer(FakeOpenAI):
    """FakeOpenAI with a fixed latency, an optional rate limit, and GET /stats, POST-less /reset."""

    def __init__(self, latency: float, rpm: float | None) -> None:
        super().__init__()
        self.latency, self.rpm = latency, rpm
        self.stats_lock = threading.Lock()
        self.reset()
        self.responder = self._answer

    def reset(self) -> None:
        with self.stats_lock:
            # first_in / last_out per phase: "a" the article calls, "s" the story (cross-check) calls.
            self.counts = {"ok": 0, "429": 0, "first_in": None, "last_out": None, "peak": 0,
                           "a_first_in": None, "a_last_out": None, "s_first_in": None, "s_last_out": None}
            self.in_flight = 0
            self.level = (self.rpm or 0) / 60.0  # a second's worth, as a provider's bucket
            self.level_at = time.monotonic()

    def _answer(self, request: dict[str, Any]) -> Reply:
        now = time.monotonic()
        phase = "s" if "<pairs>" in json.dumps(request.get("messages")) else "a"
        with self.stats_lock:
            if self.counts["first_in"] is None:
                self.counts["first_in"] = now
            if self.counts[f"{phase}_first_in"] is None:
                self.counts[f"{phase}_first_in"] = now
            if self.rpm:
                rate = self.rpm / 60.0
                self.level = min(rate, self.level + (now - self.level_at) * rate)
                self.level_at = now
                if self.level < 1:
                    self.counts["429"] += 1
                    return rate_limited(retry_after=round((1 - self.level) / rate, 3))
                self.level -= 1
            self.in_flight += 1
            self.counts["peak"] = max(self.counts["peak"], self.in_flight)
        time.sleep(self.latency)
        content = notes_responder(request) if "Title:" in json.dumps(request.get("messages")) else \
            json.dumps({"headline": "h", "summary": "s", "key_points": ["k"]})
        with self.stats_lock:
            self.in_flight -= 1
            self.counts["ok"] += 1
            self.counts["last_out"] = self.counts[f"{phase}_last_out"] = time.monotonic()
        return Reply(content=content)

    def _record_get(self, h: Any) -> None:
        if h.path.endswith("/stats"):
            with self.stats_lock:
                h._send(200, dict(self.counts, in_flight=self.in_flight))
        elif h.path.endswith("/reset"):
            self.reset()
            self.requests.clear()
            h._send(200, {"ok": True})
        else:
            super()._record_get(h)


def serve(latency: float, rpm: float | None) -> None:
    server = BenchServer(latency, rpm).start()
    print(server.base_url, flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    server.stop()


class Remote:
    """The server process, started and stopped by the benchmark."""

    def __init__(self, latency: float, rpm: float | None = None) -> None:
        cmd = [sys.executable, __file__, "--serve", "--latency", str(latency)] + (["--rpm", str(rpm)] if rpm else [])
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.base_url = self.proc.stdout.readline().strip()

    def get(self, what: str) -> dict[str, Any]:
        with urllib.request.urlopen(self.base_url.rsplit("/v1", 1)[0] + "/v1/" + what, timeout=10) as r:
            return json.loads(r.read())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(10)


# ---- the runs -------------------------------------------------------------------------------
def build(folder: Path, server: Remote, state: Path, concurrency: int, rpm: float | None = None) -> dict[str, Any]:
    """One briefgen build in this process; wall, CPU, and what the server saw."""
    from briefgen.config import load_settings
    from briefgen.pipeline import build_brief

    server.get("reset")
    settings, _ = load_settings({"base_url": server.base_url, "model": "bench", "state_path": str(state),
                                 "concurrency": concurrency, "requests_per_minute": rpm})
    wall, cpu = time.monotonic(), time.process_time()
    brief = build_brief([str(folder)], settings)
    wall, cpu = time.monotonic() - wall, time.process_time() - cpu
    seen = server.get("stats")
    # The LLM phases: the article calls, then (after grounding and clustering, briefgen's own
    # CPU) the cross-check calls; each from its first request in to its last reply out.
    llm = sum(seen[f"{p}_last_out"] - seen[f"{p}_first_in"] for p in "as"
              if seen[f"{p}_first_in"] and seen[f"{p}_last_out"])
    return {"wall_s": wall, "cpu_s": cpu, "llm_s": llm, "calls": seen["ok"], "r429": seen["429"],
            "peak": seen["peak"], "failed": len(brief.failures), "stories": brief.stats.stories}


def naive(folder: Path, server: Remote) -> dict[str, Any]:
    """The loop most digest scripts are: one JSON-summary call per file, in sequence."""
    from openai import OpenAI

    server.get("reset")
    client = OpenAI(base_url=server.base_url, api_key="sk-no-key")
    wall, cpu = time.monotonic(), time.process_time()
    for path in sorted(folder.glob("*.txt")):
        reply = client.chat.completions.create(model="bench", response_format={"type": "json_object"},
                                               messages=[{"role": "user", "content": NAIVE_PROMPT.format(
                                                   text=path.read_text(encoding="utf-8"))}])
        json.loads(reply.choices[0].message.content or "{}")
    return {"wall_s": time.monotonic() - wall, "cpu_s": time.process_time() - cpu, "calls": server.get("stats")["ok"]}


def memory(n: int) -> None:
    """Child mode: build ``n`` articles against a zero-latency server; print peak RSS (MB)."""
    tmp = Path(tempfile.mkdtemp(prefix="bench16-mem-"))
    write_articles(tmp / "a", n, seed=16)
    server = Remote(0.0)
    try:
        result = build(tmp / "a", server, tmp / "state.db", 16)
    finally:
        server.close()
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def cold(folder: str, latency: float, concurrency: int) -> None:
    """Child mode: one build in a fresh process, as a cron job runs it (nothing split or counted
    before: the in-process rows above reuse the sentence and token caches of the builds before them)."""
    tmp = Path(tempfile.mkdtemp(prefix="bench16-cold-"))
    server = Remote(latency)
    try:
        print(json.dumps(build(Path(folder), server, tmp / "state.db", concurrency)))
    finally:
        server.close()


def calibration() -> str:
    """The machine's speed today: a fixed pure-Python loop (compare runs by ratio, SPEC)."""
    t = time.process_time()
    sum(i * i for i in range(3_000_000))
    return f"3M-square loop {time.process_time() - t:.2f} s CPU; load average {os.getloadavg()[0]:.2f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--rpm", type=float, default=None)
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--memory", type=int, default=0, help="child mode: peak memory of one build of N articles")
    ap.add_argument("--memory-articles", type=int, default=2000)
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--cold", default="", help="child mode: one c=32 build of this folder in a fresh process")
    args = ap.parse_args()
    if args.serve:
        return serve(args.latency, args.rpm)
    if args.memory:
        return memory(args.memory)
    if args.cold:
        return cold(args.cold, args.latency, 32)

    n, lat = args.articles, args.latency
    small = max(1, n // 5)
    tmp = Path(tempfile.mkdtemp(prefix="bench16-"))
    write_articles(tmp / "all", n, seed=16)
    (tmp / "small").mkdir()
    for path in sorted((tmp / "all").glob("*.txt"))[:small]:
        (tmp / "small" / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    rows: list[str] = []
    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}; {calibration()}")

    def row(name: str, r: dict[str, Any], ideal: float | None = None, scale: float = 1.0, note: str = "",
            articles: int = n) -> None:
        wall = r["wall_s"] * scale
        llm = r.get("llm_s", 0.0) * scale
        vs = f"{llm / ideal:.2f}×" if ideal else "–"
        line = (f"| {name} | {r['calls']} | {wall:.1f} | {llm:.1f} | {ideal or 0:.2f} | {vs} | "
                f"{1000 * r['cpu_s'] / articles:.1f} | {r.get('r429', 0)} | {note} |")
        rows.append(line)
        print(line, flush=True)

    server = Remote(lat)
    try:
        base = naive(tmp / "small", server)
        row(f"naive sequential loop ({small} articles, ×{n // small})", base, None, n / small, "baseline",
            articles=small)
        seq = build(tmp / "small", server, tmp / "c1.db", 1)
        row(f"briefgen concurrency 1 ({small} articles, ×{n // small})", seq, seq["calls"] * lat * n / small, n / small,
            articles=small)
        results = {}
        for c in (8, 32, 64):
            results[c] = r = build(tmp / "all", server, tmp / f"c{c}.db", c)
            row(f"briefgen concurrency {c}", r, r["calls"] * lat / c,
                note=f"{base['wall_s'] * n / small / r['wall_s']:.1f}× faster than naive; peak {r['peak']} in flight")
        out = subprocess.run([sys.executable, __file__, "--cold", str(tmp / "all"), "--latency", str(lat)],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        row("briefgen concurrency 32, a fresh process (cold)", r, r["calls"] * lat / 32,
            note=f"{base['wall_s'] * n / small / r['wall_s']:.1f}× faster than naive; what a cron job gets")
        again = build(tmp / "all", server, tmp / "c32.db", 32)
        row("briefgen again, same input (cache)", again, None, note="zero LLM calls" if again["calls"] == 0 else "")
    finally:
        server.close()
    zero = Remote(0.0)
    try:
        r = build(tmp / "all", zero, tmp / "zero.db", 32)
        row("zero-latency server (pipeline overhead)", r, None, note=f"{1000 * r['wall_s'] / n:.1f} ms wall an article")
    finally:
        zero.close()
    rpm = 6000.0  # 100 a second: at 200 ms that is 20 in flight, under the 64 allowed
    limited = Remote(lat, rpm)
    try:
        for told in (rpm, None):
            r = build(tmp / "all", limited, tmp / f"rl-{told}.db", 64, rpm=told)
            bound = max(r["calls"] * lat / 64, r["calls"] / (rpm / 60))
            row(f"rate limit 6,000 rpm, c=64, {'--rpm 6000' if told else 'no --rpm (429s + shared pause)'}", r,
                bound, note=f"{r['r429']} × 429")
    finally:
        limited.close()
    if not args.skip_memory:
        out = subprocess.run([sys.executable, __file__, "--memory", str(args.memory_articles)], capture_output=True,
                             text=True, check=True)
        m = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"peak memory, {args.memory_articles} articles (zero latency): {m['peak_rss_mb']:.0f} MB RSS, "
              f"wall {m['wall_s']:.1f} s, CPU {1000 * m['cpu_s'] / args.memory_articles:.1f} ms an article")
    print("\n| run | calls | wall s | LLM phase s | ideal s | LLM / ideal | CPU ms/article | 429s | note |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
