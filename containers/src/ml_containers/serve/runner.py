"""Predictions with a real timeout: a slow or hung prediction is answered with 504 while the
worker keeps serving.

Work that may be slow runs in one daemon thread per worker process, while the event loop waits
with a deadline. Native prediction code cannot be interrupted, so on a timeout the runner
*abandons* the busy thread (it finishes or hangs on its own) and moves the queued work to a
fresh thread; later requests never wait behind a hung one. If abandoned threads pile up
(a model that hangs repeatedly), the worker process asks to be replaced: gunicorn starts a
clean one. The threads are daemons so a hung one cannot block the process from exiting.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import queue
import signal
import threading
from collections.abc import Callable
from typing import Any

from .errors import HttpError

log = logging.getLogger("serve")
MAX_ABANDONED_THREADS = 3


class _Job:
    __slots__ = ("args", "call", "cancelled", "future", "loop", "started")

    def __init__(
        self, call: Callable[..., Any], args: tuple[Any, ...], loop: asyncio.AbstractEventLoop
    ) -> None:
        self.call = call
        self.args = args
        self.loop = loop
        self.future: asyncio.Future[Any] = loop.create_future()
        self.started = False
        self.cancelled = False


def _resolve(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # the request already timed out
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class _PredictionThread:
    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        # Jobs run in a copy of the creating thread's context variables (numpy's error state
        # is one), so work behaves the same here as inline on the event loop.
        context = contextvars.copy_context()
        self.thread = threading.Thread(
            target=context.run, args=(self._run,), name="prediction", daemon=True
        )
        self.thread.start()

    def _run(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            if job.cancelled:
                continue
            job.started = True
            try:
                result, error = job.call(*job.args), None
            except BaseException as exc:
                result, error = None, exc
            try:
                job.loop.call_soon_threadsafe(_resolve, job.future, result, error)
            except RuntimeError:  # the event loop is closed: the worker is shutting down
                return


class PredictionRunner:
    """Runs callables off the event loop with a per-call deadline."""

    def __init__(
        self,
        timeout_s: float,
        on_exhausted: Callable[[], None] | None = None,
        max_abandoned: int = MAX_ABANDONED_THREADS,
    ) -> None:
        self.timeout_s = timeout_s
        self.timeouts = 0
        self._current = _PredictionThread()
        self._abandoned: list[_PredictionThread] = []
        self._max_abandoned = max_abandoned
        self._on_exhausted = on_exhausted or _ask_gunicorn_for_a_new_worker

    async def run(self, call: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        job = _Job(call, args, loop)
        worker = self._current
        worker.jobs.put(job)
        try:
            return await asyncio.wait_for(job.future, self.timeout_s)
        except TimeoutError:
            job.cancelled = True
            self.timeouts += 1
            if job.started and worker is self._current:
                self._abandon(worker)
            raise HttpError(
                504,
                f"the prediction did not finish within the {self.timeout_s:g} s timeout "
                "(SAGEMAKER_MODEL_SERVER_TIMEOUT); send fewer rows per request or raise the "
                "timeout",
                timeout_s=self.timeout_s,
            ) from None

    @property
    def abandoned_alive(self) -> int:
        self._abandoned = [t for t in self._abandoned if t.thread.is_alive()]
        return len(self._abandoned)

    def _abandon(self, worker: _PredictionThread) -> None:
        fresh = _PredictionThread()
        self._current = fresh
        while True:  # move the work queued behind the stuck job
            try:
                job = worker.jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                fresh.jobs.put(job)
        worker.jobs.put(None)  # let it exit once its stuck job returns
        self._abandoned.append(worker)
        log.warning("a prediction exceeded %.3g s; its thread was abandoned", self.timeout_s)
        if self.abandoned_alive >= self._max_abandoned:
            log.error(
                "%d prediction threads are stuck; asking for this worker to be replaced",
                self.abandoned_alive,
            )
            self._on_exhausted()


def _ask_gunicorn_for_a_new_worker() -> None:
    """A graceful stop of this worker process; the gunicorn arbiter starts a replacement."""
    os.kill(os.getpid(), signal.SIGTERM)
