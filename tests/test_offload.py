"""briefgen.notes.offload: work done in a real spawned worker process comes back as if done inline."""

from __future__ import annotations

import logging
import os

import pytest

from briefgen.notes.offload import MIN_ARTICLES, Offload, workers_wanted


def _die_unless_in(pid: int) -> str:
    """Kills the worker it runs in; returns when run inline (in the process ``pid``)."""
    if os.getpid() != pid:
        os._exit(3)
    return "inline"


def _divide(a: int, b: int) -> float:
    return a / b


def test_work_runs_in_another_process_and_comes_back_in_order() -> None:
    with Offload(1) as off:
        pending = [off.submit(pow, n, 2) for n in range(20)] + [off.submit(os.getpid)]
        results = [p.result() for p in pending]
    assert results[:20] == [n * n for n in range(20)]
    assert results[20] != os.getpid()  # it really ran elsewhere
    assert off.remote == 21


def test_without_workers_everything_runs_inline() -> None:
    with Offload(0) as off:
        assert off.submit(os.getpid).result() == os.getpid()
        assert off.remote == 0


@pytest.mark.parametrize("workers", [0, 1])
def test_an_error_in_the_work_is_raised_by_result_as_inline(workers: int) -> None:
    with Offload(workers) as off:
        pending = off.submit(_divide, 1, b=0)
        with pytest.raises(ZeroDivisionError):
            pending.result()
        assert off.submit(_divide, 6, b=3).result() == 2.0


def test_a_worker_that_dies_costs_no_result(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="briefgen.notes.offload")
    me = os.getpid()
    with Offload(1) as off:
        first = [off.submit(_die_unless_in, me) for _ in range(5)]
        assert [p.result() for p in first] == ["inline"] * 5  # each done again here
        assert off.submit(_die_unless_in, me).result() == "inline"  # and the rest inline from then on
    stopped = [r for r in caplog.records if "worker process stopped" in r.getMessage()]
    assert len(stopped) == 1, [r.getMessage() for r in caplog.records]


def test_workers_are_wanted_for_a_server_backend_with_many_articles_only() -> None:
    assert workers_wanted(None, embedded=True, articles=5000, concurrency=1) == 0
    assert workers_wanted(None, embedded=False, articles=MIN_ARTICLES - 1, concurrency=32) == 0
    assert workers_wanted(None, embedded=False, articles=5000, concurrency=1) == 0
    many = workers_wanted(None, embedded=False, articles=5000, concurrency=32)
    assert many == min(4, max(0, (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1) - 1))
    assert workers_wanted(2, embedded=True, articles=1, concurrency=1) == 2  # as configured, always


def test_a_worker_ignores_ctrl_c_which_the_build_handles() -> None:
    import signal

    # This process handles Ctrl-C (set here: a job started in the background of a
    # non-interactive shell inherits SIGINT ignored, and its worker would pass for nothing).
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with Offload(1) as off:
            assert off.submit(signal.getsignal, signal.SIGINT).result() == signal.SIG_IGN
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # still stops on Ctrl-C
    finally:
        signal.signal(signal.SIGINT, before)


def _slow_pid(n: int) -> tuple[int, int]:
    import time

    time.sleep(0.05)
    return n, os.getpid()


def test_this_process_takes_the_unstarted_work_from_the_end_while_it_waits() -> None:
    """help(): the tail no worker has started runs here (from the last back), the rest in the
    worker; every result comes back in order, the same as inline."""
    with Offload(1) as off:
        off.submit(int).result()  # the worker is up
        pending = [off.submit(_slow_pid, n) for n in range(40)]
        ran = off.help(pending)
        results = [p.result() for p in pending]
    assert [n for n, _ in results] == list(range(40))
    here = [n for n, pid in results if pid == os.getpid()]
    assert 0 < ran == len(here) < 40
    assert here == list(range(40 - ran, 40))  # the tail, contiguous: the worker had the head
    with Offload(0) as off:
        assert off.help([off.submit(_slow_pid, 1)]) == 0  # done already: nothing to take


def _half_or_fail(n: int) -> float:
    if n == 3:
        raise ValueError("three")
    return n / 2


@pytest.mark.parametrize("workers", [0, 1])
def test_a_batch_is_one_task_whose_parts_come_back_one_by_one(workers: int) -> None:
    """submit_batch: each call its own result, an exception raised by its own part only."""
    with Offload(workers) as off:
        parts = off.submit_batch(_half_or_fail, [((n,), {}) for n in range(6)])
        assert len(parts) == 6
        assert [parts[n].result() for n in (0, 1, 2, 4, 5)] == [0.0, 0.5, 1.0, 2.0, 2.5]
        with pytest.raises(ValueError, match="three"):
            parts[3].result()
        assert off.remote == workers  # one task came back from the worker, counted once


def test_a_batch_taken_here_is_taken_whole_and_help_goes_on_past_it() -> None:
    with Offload(1) as off:
        off.submit(int).result()  # the worker is up
        parts = [p for k in range(0, 40, 4) for p in off.submit_batch(_slow_pid, [((n,), {}) for n in range(k, k + 4)])]
        ran = off.help(parts)  # in batches: the parts of a stolen batch are done, not a worker's
        results = [p.result() for p in parts]
    assert [n for n, _ in results] == list(range(40))
    here = [n for n, pid in results if pid == os.getpid()]
    assert 0 < ran and len(here) == 4 * ran and here == list(range(40 - len(here), 40))


def test_imap_in_batches_yields_in_order_from_the_worker() -> None:
    with Offload(1) as off:
        off.submit(int).result()
        out = list(off.imap(_slow_pid, [(n,) for n in range(20)], batch=4))
        assert off.remote == 1 + 5  # the start-up task, then five tasks of four
    assert [n for n, _ in out] == list(range(20))
    assert all(pid != os.getpid() for _, pid in out)
    with Offload(0) as off:
        assert [n for n, _ in off.imap(_slow_pid, [(n,) for n in range(3)], batch=4)] == [0, 1, 2]


def test_a_batch_that_cannot_be_handed_over_is_done_here_call_by_call(caplog: pytest.LogCaptureFixture) -> None:
    """One argument that does not pickle (a lambda) fails the handover of its whole batch: each
    call is then run here, and each gives its own result, as inline."""
    caplog.set_level(logging.WARNING, logger="briefgen.notes.offload")
    with Offload(1) as off:
        parts = off.submit_batch(_apply, [((abs, -2), {}), ((lambda x: x * 10, 3), {}), ((abs, -5), {})])
        assert [p.result() for p in parts] == [2, 30, 5]
    assert any("could not go to the worker" in r.getMessage() for r in caplog.records)


def _apply(fn, x):  # type: ignore[no-untyped-def]
    return fn(x)
