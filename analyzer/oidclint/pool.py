"""Worker processes that parse in parallel; results come back in the order of the tasks, so a
parallel scan reports exactly what a serial one does.

Workers are forked where the platform allows it (they start in milliseconds and inherit the
imported parsers) and started before anything else runs a thread, because forking a process
with threads can deadlock the child. Elsewhere the platform's default start method is used.
Workers ignore Ctrl-C, which the scan's own process handles, and collect garbage as often as
the scan's process does (the command line raises the thresholds).
"""

from __future__ import annotations

import gc
import os
import signal
import threading
from typing import TYPE_CHECKING, Callable, Sequence, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

Task = TypeVar("Task")
Result = TypeVar("Result")

MIN_PARALLEL_BYTES = 256 * 1024
"""Text to parse below which starting workers costs more than it saves (default ``jobs``)."""


def available_cores() -> int:
    """CPUs this process may run on (its affinity mask, where the platform has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def workers_for(jobs: int | None, text_bytes: int) -> int:
    """``jobs`` (``None`` or 0: the available cores, when there is enough to parse)."""
    if jobs:
        return max(1, jobs)
    return available_cores() if text_bytes >= MIN_PARALLEL_BYTES else 1


class Pool:
    """``workers`` processes, started by ``start`` (or the first ``submit``), stopped by
    ``close``; with one worker everything runs in this process."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        if self.workers <= 1 or self._executor is not None:
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        methods = multiprocessing.get_all_start_methods()
        if "fork" in methods and threading.active_count() == 1:
            method = "fork"
        else:  # never fork a process with threads (the platform default may be fork)
            method = "forkserver" if "forkserver" in methods else "spawn"
        self._executor = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context(method),
            initializer=_prepare_worker, initargs=(gc.get_threshold(),))
        # A forking executor starts all of its processes at the first task, now, while this
        # process has no other thread.
        self._executor.submit(int)

    def split(self, items: Sequence[Task]) -> list[list[Task]]:
        """``items`` in neighbouring chunks to hand out: one chunk without workers, else a
        few per worker, so one slow chunk does not hold the others up."""
        if not items:
            return []
        count = min(len(items), self.workers * 4) if self.workers > 1 else 1
        size = -(-len(items) // count)
        return [list(items[i:i + size]) for i in range(0, len(items), size)]

    def submit(self, function: Callable[[Task], Result],
               tasks: Sequence[Task]) -> Callable[[], list[Result]]:
        """Hands ``tasks`` to the workers now; the returned function waits for their results
        (in the order of ``tasks``). With one worker, they run when the results are asked for."""
        if self.workers <= 1 or len(tasks) <= 1:
            return lambda: [function(task) for task in tasks]
        self.start()
        assert self._executor is not None
        futures = [self._executor.submit(function, task) for task in tasks]

        def results() -> list[Result]:
            from concurrent.futures.process import BrokenProcessPool

            try:
                return [future.result() for future in futures]
            except BrokenProcessPool:  # a worker died (out of memory, killed): go on here
                self.close()
                self.workers = 1
                return [function(task) for task in tasks]
        return results

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


def _prepare_worker(thresholds: tuple[int, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.set_threshold(*thresholds)
