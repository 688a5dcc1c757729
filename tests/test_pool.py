"""The shared gate (limits, one back-off for all) and the ordered map, against a real loopback server."""

from __future__ import annotations

import random
from collections.abc import Iterator
import threading
import time

import pytest
from fakeserver import FakeOpenAI, Reply, rate_limited
from sample_models import Summary

from briefgen.config import load_settings
from briefgen.llm.backends import resolve_backend
from briefgen.llm.client import LLMClient
from briefgen.llm.pool import Gate, map_ordered, retry_after_s


def test_map_ordered_returns_input_order_whatever_finishes_first() -> None:
    rng = random.Random(3)
    delays = [rng.uniform(0, 0.03) for _ in range(40)]
    done: list[int] = []

    def work(i: int) -> int:
        time.sleep(delays[i])
        return i * i

    assert map_ordered(work, list(range(40)), 16, on_done=lambda i, _: done.append(i)) == [i * i for i in range(40)]
    assert sorted(done) == list(range(40)) and done != list(range(40))  # completion order differed


def test_map_ordered_stops_on_an_error_and_cancels_what_is_queued() -> None:
    started: list[int] = []

    def work(i: int) -> int:
        started.append(i)
        time.sleep(0.02)
        if i == 2:
            raise ValueError("boom")
        return i

    with pytest.raises(ValueError, match="boom"):
        map_ordered(work, list(range(200)), 4)
    assert len(started) < 50  # the queue was cancelled, not run to the end


def test_map_ordered_sends_each_item_of_a_generator_before_making_the_next() -> None:
    # Item k is made only once the call of item k-1 has started: a map that drew the whole
    # generator before sending anything (as plan-then-send did) would wait here and fail.
    started = [threading.Event() for _ in range(12)]
    replies: list[int] = []

    def items() -> Iterator[int]:
        for k in range(12):
            if k and not started[k - 1].wait(timeout=5):
                raise AssertionError(f"item {k - 1} was not sent before item {k} was made")
            yield k

    def work(k: int) -> int:
        started[k].set()
        time.sleep(0.05 if k % 3 == 0 else 0.0)  # out-of-order completion
        return -k

    assert map_ordered(work, items(), 4, on_done=lambda i, r: replies.append(i)) == [-k for k in range(12)]
    assert sorted(replies) == list(range(12))


def test_requests_per_minute_spread_the_calls() -> None:
    gate = Gate(8, requests_per_minute=1200)  # 20 a second, a burst of one second's worth
    started = time.monotonic()
    threads = [threading.Thread(target=gate.admit) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed <= 1.6, elapsed  # 20 at once, then 20 more at 20/s
    assert gate.stats.admitted == 40


def test_tokens_per_minute_hold_back_big_requests() -> None:
    gate = Gate(8, tokens_per_minute=60_000)  # 1,000 a second
    started = time.monotonic()
    for _ in range(3):
        gate.admit(500)
    assert time.monotonic() - started >= 0.45  # the third waited for the bucket to refill


def test_a_429_pauses_every_worker_and_halves_the_window() -> None:
    gate = Gate(8)
    gate.rate_limited(0.3)
    assert gate.window == 4 and gate.stats.rate_limited == 1
    started = time.monotonic()
    times: list[float] = []
    threads = [threading.Thread(target=lambda: (gate.admit(), times.append(time.monotonic()))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert min(times) - started >= 0.28
    for _ in range(40):
        gate.succeeded()
    assert gate.window == 8  # grown back, never past the configured limit


def test_the_first_call_goes_alone_then_the_window_bounds_calls_in_flight() -> None:
    gate = Gate(3)
    entered = threading.Event()

    def second() -> None:
        with gate.slot():
            entered.set()

    with gate.slot():
        t = threading.Thread(target=second)
        t.start()
        assert not entered.wait(0.1)  # no reply yet: the second call waits
        gate.succeeded()
        assert entered.wait(1.0)  # a reply came: the window opens
    t.join()
    peak = current = 0
    lock = threading.Lock()

    def call(_: int) -> None:
        nonlocal peak, current
        with gate.slot():
            with lock:
                current += 1
                peak = max(peak, current)
            time.sleep(0.01)
            with lock:
                current -= 1

    map_ordered(call, list(range(30)), 10)
    assert peak == 3


def test_retry_after_headers() -> None:
    assert retry_after_s({"retry-after-ms": "250"}) == 0.25
    assert retry_after_s({"retry-after": "2"}) == 2.0
    assert retry_after_s({"retry-after": "soon"}) is None
    assert retry_after_s({}) is None


def _client(server: FakeOpenAI, gate: Gate) -> LLMClient:
    settings, _ = load_settings({"base_url": server.base_url, "model": "fake-model"})
    client = LLMClient(resolve_backend(settings), settings)
    client.gate = gate
    return client


def _ask(client: LLMClient, i: int) -> Summary:
    return client.structured(task="t", messages=[{"role": "user", "content": f"note {i}"}], schema=Summary)


def test_one_429_with_retry_after_pauses_the_whole_run(fake_llm: FakeOpenAI) -> None:
    """The first request gets 429 Retry-After 0.5: no worker sends anything during that half second."""
    fake_llm.script(rate_limited(retry_after=0.5))
    fake_llm.responder = lambda req: Reply(content='{"headline": "t", "points": [{"text": "p"}]}', delay=0.05)
    client = _client(fake_llm, Gate(4))
    with client:
        notes = map_ordered(lambda i: _ask(client, i), list(range(16)), 4)
    assert len(notes) == 16
    chat = fake_llm.chat_requests
    t429 = chat[0].at
    during = [r for r in chat[1:] if t429 + 0.03 < r.at < t429 + 0.45]
    assert not during, f"{len(during)} requests sent while the run was paused"
    assert len(chat) == 17  # 16 calls + the one refused: nothing else repeated


def test_under_a_server_rate_limit_the_gate_sends_no_storm(fake_llm: FakeOpenAI) -> None:
    """A server allowing 20 requests a second, a run told so (--rpm 1200): no 429s, close to the bound."""
    lock = threading.Lock()
    level = [20.0, time.monotonic()]

    def limited(req: dict) -> Reply:
        with lock:
            now = time.monotonic()
            level[0] = min(20.0, level[0] + (now - level[1]) * 20)
            level[1] = now
            if level[0] < 1:
                return rate_limited(retry_after=0.05)
            level[0] -= 1
        return Reply(content='{"headline": "t", "points": [{"text": "p"}]}')

    fake_llm.responder = limited
    client = _client(fake_llm, Gate(16, requests_per_minute=1200))
    started = time.monotonic()
    with client:
        map_ordered(lambda i: _ask(client, i), list(range(50)), 16)
    elapsed = time.monotonic() - started
    refused = len(fake_llm.chat_requests) - 50
    # Two clocks a bucket apart may disagree once at the boundary; a storm would be dozens.
    assert refused <= 2, refused
    assert elapsed <= (50 - 20) / 20 * 1.25 + 0.3, elapsed  # the bound is 1.5 s after the first burst


def test_ctrl_c_lets_the_calls_in_flight_finish_and_starts_no_more() -> None:
    """Interrupted: the replies already on their way are kept (stored), the queue is dropped."""
    started: list[int] = []
    finished: list[int] = []
    lock = threading.Lock()

    def call(i: int) -> int:
        with lock:
            started.append(i)
        time.sleep(0.1 if i else 0.01)
        with lock:
            finished.append(i)
        return i

    def interrupt(i: int, _: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        map_ordered(call, list(range(100)), 8, on_done=interrupt)
    assert sorted(finished) == sorted(started)  # nothing in flight was abandoned
    assert len(started) <= 16  # and nothing queued was started after the interrupt
