"""The second core: pure-CPU steps of a build run in a worker process while calls are in flight.

With a server backend a build of 1,000 articles is bound by briefgen's own CPU, not by the
provider: the thread that sends the calls also renders prompts, parses replies and grounds
each article's notes, and under the GIL 32 sending threads and the grounding take turns on
one core (bench/RESULTS.md, issue 16). Grounding (``notes.summarize.reduce_article``) is a
pure function of an article and its notes, so it can run in another process on the other
core; its results are gathered in article order, so the brief is the same with or without it.
The same worker makes each article's clustering features with its grounding
(dedupe.features.reduced_with_features), splits sentences ahead of the plan
(pipeline.plan_calls) and builds each story (dedupe.stories.build_story, sent with its
members only) while the cross-check calls are in flight.

``Offload(0)`` runs everything inline: the embedded model (which keeps both cores busy) and
small builds never start a process. A worker that dies (killed, out of memory) costs no
article: what it had not returned is run inline.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

R = TypeVar("R")

# Articles below which a worker costs more than it saves: its start (a fresh Python
# importing the grounding code, about 0.3 s of CPU) against about 2.5 ms of grounding an article.
MIN_ARTICLES = 200
MAX_WORKERS = 4
# Calls a worker task holds (Offload.submit_batch): each handover costs the sending process
# as much as a small task, so several go at once.
BATCH = 8


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def workers_wanted(configured: int | None, *, embedded: bool, articles: int, concurrency: int) -> int:
    """Worker processes for a build: as configured, else one less than the cores (at most
    MAX_WORKERS) for a server backend with calls in parallel and MIN_ARTICLES or more; else none."""
    if configured is not None:
        return configured
    if embedded or concurrency <= 1 or articles < MIN_ARTICLES:
        return 0
    return max(0, min(MAX_WORKERS, cores() - 1))


class Pending(Generic[R]):
    """One offloaded call: its result, computed inline if the worker could not."""

    def __init__(self, fn: Callable[..., R], args: tuple[Any, ...], kwargs: dict[str, Any], future: Future[R],
                 owner: Offload | None = None) -> None:
        self.fn, self.args, self.kwargs, self.future, self.owner = fn, args, kwargs, future, owner

    def done(self) -> bool:
        """Its result is there (from a worker, or run here)."""
        return self.future.done()

    def steal(self) -> bool:
        """Run it here now if no worker has started it (True); False if one has, or it is done."""
        if self.future.done() or not self.future.cancel():
            return False
        self.future = _done(self.fn, self.args, self.kwargs)
        return True

    def result(self) -> R:
        """The result (an exception out of ``fn`` is raised here, as inline)."""
        try:
            out = self.future.result()
            if self.owner is not None:
                self.owner.remote += 1
                self.owner = None  # counted once, however often it is read (the parts of a batch)
            return out
        except BrokenProcessPool:
            if self.owner is not None:
                self.owner.broken()
        self.future = _done(self.fn, self.args, self.kwargs)  # run here once, kept for the next read
        return self.future.result()


class Part(Pending[R]):
    """One call of a batch (:meth:`Offload.submit_batch`): stolen with its batch, read from it;
    run here alone if the batch could not be handed over (an argument that does not pickle)."""

    def __init__(self, batch: Pending[list[tuple[bool, Any]]], index: int, fn: Callable[..., R],
                 args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.batch, self.index, self.fn, self.args, self.kwargs = batch, index, fn, args, kwargs

    def done(self) -> bool:
        return self.batch.done()

    def steal(self) -> bool:
        return self.batch.steal()

    def result(self) -> R:
        try:
            ok, value = self.batch.result()[self.index]
        except Exception:  # noqa: BLE001 - not fn's: _each returns those; the handover failed
            log.warning("a batch of work could not go to the worker process; it is done here", exc_info=True)
            return self.fn(*self.args, **self.kwargs)
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]


class Offload:
    """A pool of ``workers`` processes (spawned: no fork of a threaded process), or none."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.remote = 0  # results that came back from a worker (the log says it at the end)
        self._pool: ProcessPoolExecutor | None = None
        if workers > 0:
            self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_quiet_on_ctrl_c)
            self._pool.submit(int)  # start the workers now: their start overlaps what the caller does next

    def submit(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> Pending[R]:
        """Start ``fn(*args, **kwargs)`` in a worker (all must pickle); run it now without one."""
        if self._pool is not None:
            try:
                return Pending(fn, args, kwargs, self._pool.submit(fn, *args, **kwargs), self)
            except (BrokenProcessPool, RuntimeError):  # the pool is gone: the rest inline
                self.broken()
        return Pending(fn, args, kwargs, _done(fn, args, kwargs))

    def submit_batch(self, fn: Callable[..., R], calls: Sequence[tuple[tuple[Any, ...], dict[str, Any]]],
                     size: int = BATCH) -> list[Pending[R]]:
        """``fn(*args, **kwargs)`` for each of ``calls``, ``size`` calls a worker task, in order
        (or now, without a worker): one Pending each. A task of one article's grounding (2–5 ms)
        costs the sending process about as much to hand over as to run, and under the GIL of 32
        sending threads the worker waited for work half the time (bench/RESULTS.md); BATCH of
        them cost one handover. Stealing one part steals its whole task; an exception out of
        one call is raised by its part alone."""
        parts: list[Pending[R]] = []
        for k in range(0, len(calls), max(1, size)):
            chunk = calls[k:k + max(1, size)]
            batch = self.submit(_each, fn, list(chunk))
            parts += [Part(batch, i, fn, args, kwargs) for i, (args, kwargs) in enumerate(chunk)]
        return parts

    def imap(self, fn: Callable[..., R], arg_tuples: Iterable[tuple[Any, ...]], batch: int = 1) -> Iterator[R]:
        """``fn(*args)`` for each, in order: all sent to the workers at once, ``batch`` a task
        (each yielded as it is done, in turn), or without a worker each made only when asked
        for. This process does not take a share while it waits: the stories' cross-check calls
        are in flight then, and stories built here under their GIL slowed them (story calls
        2.90 s with it, 2.59 s without, 4 paired runs; bench/RESULTS.md)."""
        if self._pool is None:
            return (fn(*args) for args in arg_tuples)
        pending = self.submit_batch(fn, [(args, {}) for args in arg_tuples], batch)
        return (p.result() for p in pending)

    def help(self, pending: Sequence[Pending[R]]) -> int:
        """This process takes its share of ``pending`` while it would only wait: from the last
        back, each one no worker has started (a batch at a time), until it meets one a worker
        is running (the workers take them from the first on). A cached re-run of 1,000
        articles otherwise waited 10.6 s for one worker grounding all of them
        (bench/RESULTS.md). Returns how many it ran."""
        ran = 0
        for p in reversed(pending):
            if p.steal():
                ran += 1
            elif not p.done():
                break
        return ran

    def broken(self) -> None:
        """The worker died: say so once; from now on everything runs in this process."""
        if self._pool is not None:
            log.warning("the worker process stopped; the rest of its work is done in this process")
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        if self.workers:
            log.debug("offload: %d results from %d worker process(es)", self.remote, self.workers)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Offload:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _quiet_on_ctrl_c() -> None:
    """In a worker: Ctrl-C reaches the whole process group, and the build's own process stops
    the pool; a worker printing its own KeyboardInterrupt traceback would only be noise."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _each(fn: Callable[..., R], calls: list[tuple[tuple[Any, ...], dict[str, Any]]]) -> list[tuple[bool, Any]]:
    """A batch, in a worker: each call's (True, result) or (False, its exception)."""
    out: list[tuple[bool, Any]] = []
    for args, kwargs in calls:
        try:
            out.append((True, fn(*args, **kwargs)))
        except Exception as exc:  # noqa: BLE001 - raised again by its Part
            out.append((False, exc))
    return out


def _done(fn: Callable[..., R], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Future[R]:
    """``fn(*args, **kwargs)`` run now, as a finished future (its exception kept for ``result``)."""
    fut: Future[R] = Future()
    try:
        fut.set_result(fn(*args, **kwargs))
    except Exception as exc:  # noqa: BLE001 - raised again by Pending.result, as a worker's would be
        fut.set_exception(exc)
    return fut


__all__ = ["BATCH", "Offload", "Pending", "Part", "workers_wanted", "cores", "MIN_ARTICLES"]
