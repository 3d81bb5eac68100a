"""A time budget per file: one pathological input must not hold up the whole scan.

Parsing and evaluating a file runs under a timer; when it fires, the work on that file stops
with ``BudgetExceeded`` and the file is reported as not read. The timer is a POSIX interval
timer (``SIGALRM``), so it works only in the main thread; elsewhere (a library caller's
worker thread, Windows) the budget is not enforced.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator


class BudgetExceeded(BaseException):
    """A ``BaseException``: parsers catch ``Exception`` to report bad input, and running out
    of time must pass through them to the scan, which reports the file as not read."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"took longer than the {seconds:g} s time budget; not read")
        self.seconds = seconds


@contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Raise ``BudgetExceeded`` in the block once ``seconds`` have passed (``None`` or 0: no
    limit). Nested budgets keep the outer one's remaining time."""
    usable = (seconds and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return
    remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    if remaining and remaining < seconds:
        yield  # an outer budget ends sooner and stays in charge
        return

    def expire(signum, frame):
        raise BudgetExceeded(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    # The timer repeats: an exception raised while a finalizer runs (garbage collected in the
    # middle of a parse) is swallowed by Python, so the next tick raises it again.
    signal.setitimer(signal.ITIMER_REAL, seconds, min(0.1, seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
