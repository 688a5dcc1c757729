"""Concurrency for server backends: one shared gate for every worker, and an ordered map.

:class:`Gate` is what every HTTP attempt of a run passes through (the client calls
:meth:`Gate.admit` from its request hook, so the SDK's own retries pass it too):

* **requests and tokens per minute**: two token buckets refilled continuously, each holding
  at most one second's worth (a provider's per-minute limit is enforced over shorter windows
  too, so a burst of a whole minute's allowance at start would be refused);
* **one back-off for all**: a 429 makes *every* worker wait until its ``Retry-After`` (or a
  short default), not only the one that got it — no thundering herd of 32 workers each
  learning the limit on its own;
* **the first call alone**: until one reply has come back, one call is in flight, so a wrong
  key, endpoint or model costs one refused request, not one per worker;
* **a window of requests in flight** that halves on every 429 and grows back by one per
  success (AIMD, as TCP does), so a run without configured limits settles just under the
  provider's instead of hammering it after every pause.

:func:`map_ordered` runs a function over items in a bounded thread pool and returns the
results *in input order*, whatever order they complete in: a brief built at concurrency 64
is byte for byte the brief built at concurrency 1.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from briefgen.errors import LLMError

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# A 429 without Retry-After pauses everyone this long (the SDK's own first back-off is ~0.5-1 s).
DEFAULT_PAUSE_S = 1.0
MAX_PAUSE_S = 60.0


@dataclass
class GateStats:
    """What the gate did in a run (reported by benchmarks and the -v log)."""

    admitted: int = 0
    rate_limited: int = 0  # 429s seen
    paused_s: float = 0.0  # time the whole run stood still for Retry-After
    waited_s: float = 0.0  # time workers waited for the buckets, summed over workers
    min_window: int = 0


def retry_after_s(headers: Any) -> float | None:
    """Seconds a 429 asks to wait (``retry-after-ms`` or ``retry-after``), or None."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is not None:
            try:
                return float(raw) / scale
            except ValueError:
                continue
    return None


class _Bucket:
    """A token bucket: ``rate`` per second, at most ``burst`` stored."""

    def __init__(self, per_minute: float, now: float, burst: float | None = None) -> None:
        self.rate = per_minute / 60.0
        self.burst = max(1.0, burst if burst is not None else self.rate)
        self.level = self.burst
        self.at = now

    def refill(self, now: float) -> None:
        self.level = min(self.burst, self.level + (now - self.at) * self.rate)
        self.at = now

    def wait_for(self, amount: float) -> float:
        """Seconds until ``amount`` is available (a request bigger than the bucket waits for a full one)."""
        need = min(amount, self.burst) - self.level
        return 0.0 if need <= 0 else need / self.rate


class Gate:
    """Shared limits of one run: in-flight window, requests/tokens per minute, one back-off."""

    def __init__(self, max_in_flight: int, requests_per_minute: float | None = None,
                 tokens_per_minute: float | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_in_flight = max(1, max_in_flight)
        self.window = float(self.max_in_flight)
        self.in_flight = 0
        self.opened = False  # no reply yet: one call at a time
        self.closed: str | None = None  # the backend refused a call (key, endpoint, model): no more are sent
        self._clock = clock
        now = clock()
        self._requests = _Bucket(requests_per_minute, now) if requests_per_minute else None
        self._tokens = _Bucket(tokens_per_minute, now) if tokens_per_minute else None
        self.paused_until = 0.0
        self.stats = GateStats(min_window=self.max_in_flight)
        self._cond = threading.Condition()

    # ---- the window of calls in flight (held for a whole call, its SDK retries included) ----
    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the window's places for one logical call."""
        with self._cond:
            while self.in_flight >= (max(1, int(self.window)) if self.opened else 1) and not self.closed:
                self._cond.wait()
            if self.closed:
                raise LLMError(self.closed)
            self.in_flight += 1
        try:
            yield
        finally:
            with self._cond:
                self.in_flight -= 1
                self._cond.notify_all()

    # ---- every HTTP attempt --------------------------------------------------------------
    def admit(self, tokens: int = 0) -> float:
        """Block until the run is not paused and both buckets allow one request of ``tokens``; seconds waited."""
        started = self._clock()
        with self._cond:
            while True:
                now = self._clock()
                if self.closed:
                    raise LLMError(self.closed)
                if now < self.paused_until:
                    self._cond.wait(self.paused_until - now)
                    continue
                delay = 0.0
                for bucket, amount in ((self._requests, 1.0), (self._tokens, float(tokens))):
                    if bucket is not None:
                        bucket.refill(now)
                        delay = max(delay, bucket.wait_for(amount))
                if delay <= 0:
                    if self._requests is not None:
                        self._requests.level -= 1.0
                    if self._tokens is not None:
                        self._tokens.level -= min(float(tokens), self._tokens.burst)
                    self.stats.admitted += 1
                    waited = now - started
                    self.stats.waited_s += waited
                    return waited
                self._cond.wait(delay)

    def rate_limited(self, retry_after_s: float | None) -> None:
        """A 429: everyone waits ``retry_after_s`` (bounded), and the window halves."""
        pause = DEFAULT_PAUSE_S if retry_after_s is None else min(max(retry_after_s, 0.0), MAX_PAUSE_S)
        with self._cond:
            now = self._clock()
            until = now + pause
            if until > self.paused_until:
                self.stats.paused_s += until - max(now, self.paused_until)
                self.paused_until = until
            self.window = max(1.0, self.window / 2)
            self.stats.rate_limited += 1
            self.stats.min_window = min(self.stats.min_window, int(self.window))
            self._cond.notify_all()
        log.info("rate limited: all calls wait %.2fs; %d in flight at most now", pause, int(self.window))

    def close(self, reason: str) -> None:
        """The backend refused a call the same way it would refuse every other: send nothing more."""
        with self._cond:
            self.closed = reason
            self._cond.notify_all()

    def succeeded(self) -> None:
        """A reply came: the window grows back by one per window's worth of successes."""
        with self._cond:
            if not self.opened:
                self.opened = True
                self._cond.notify_all()
            if self.window < self.max_in_flight:
                self.window = min(float(self.max_in_flight), self.window + 1.0 / self.window)
                self._cond.notify_all()


def map_ordered(fn: Callable[[T], R], items: Iterable[T], workers: int,
                on_done: Callable[[int, R], None] | None = None) -> list[R]:
    """``[fn(x) for x in items]`` on ``workers`` threads; results in input order.

    ``items`` may be a generator: it is consumed in the calling thread, and each item is
    sent to the pool as soon as it is made, so producing the next one (rendering a prompt,
    building a story) overlaps the calls already in flight instead of preceding all of them.
    ``on_done(index, result)`` runs in the calling thread as each item completes (progress),
    between items and after the last.
    An exception out of ``fn`` stops the run (callers catch per-item failures inside ``fn``):
    queued items are cancelled, those in flight finish (their replies are stored), and it is
    raised. Ctrl-C stops the same way.
    With one worker nothing is threaded: the embedded model's path stays what it was.
    """
    if workers <= 1:
        out = []
        for i, item in enumerate(items):
            result = fn(item)
            if on_done is not None:
                on_done(i, result)
            out.append(result)
        return out
    results: dict[int, R] = {}
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="briefgen-llm")
    futures: dict[Future[R], int] = {}
    finished: queue.SimpleQueue[Future[R]] = queue.SimpleQueue()  # filled by the workers as items end

    def collect(block: bool) -> None:
        done = [finished.get()] if block else []
        with contextlib.suppress(queue.Empty):
            while True:
                done.append(finished.get_nowait())
        for fut in sorted(done, key=futures.__getitem__):
            exc = fut.exception()
            if exc is not None:
                raise exc
            results[futures[fut]] = fut.result()
            if on_done is not None:
                on_done(futures[fut], results[futures[fut]])

    try:
        for i, item in enumerate(items):
            fut = pool.submit(fn, item)
            futures[fut] = i
            fut.add_done_callback(finished.put)
            collect(block=False)
        while len(results) < len(futures):
            collect(block=True)
    except BaseException:
        # Ctrl-C or a fatal error: nothing new starts; calls in flight finish and are stored.
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [results[i] for i in range(len(futures))]


__all__ = ["Gate", "GateStats", "map_ordered", "retry_after_s", "DEFAULT_PAUSE_S"]
