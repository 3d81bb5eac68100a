"""Time budgets: one pathological input must not hold up the whole scan.

Parsing and evaluating a file, each rule, and the rule phase as a whole run under a timer;
when it fires, the work stops with ``BudgetExceeded`` and is reported (the file as not read,
the rule as stopped) while the scan goes on. The timer is a POSIX interval timer
(``SIGALRM``), so it works only in the main thread; elsewhere (a library caller's worker
thread, Windows) the budget is not enforced.

Budgets nest: a budget inside another one runs on its own timer while it is the sooner to end,
and gives the outer timer back, with what is left of it, when its block ends (at once if the
outer deadline passed meanwhile). Each budget knows its own expiry (``Budget.owns``), so a
handler for an inner budget lets an outer one's pass on.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from typing import Iterator


class BudgetExceeded(BaseException):
    """A ``BaseException``: parsers catch ``Exception`` to report bad input, and running out
    of time must pass through them to the scan, which reports the file as not read."""

    def __init__(self, seconds: float, budget: "Budget | None" = None) -> None:
        super().__init__(f"took longer than the {seconds:g} s time budget; not read")
        self.seconds = seconds
        self.budget = budget


class Budget:
    """``seconds`` for a block of work (``None`` or 0: no limit)."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.exceeded: BudgetExceeded | None = None

    def owns(self, exc: BudgetExceeded) -> bool:
        """Whether it is this budget that ran out (not an outer one)."""
        return exc.budget is self

    @contextmanager
    def running(self) -> Iterator["Budget"]:
        """Raise ``BudgetExceeded`` in the block once the budget is spent."""
        seconds = self.seconds
        if not (seconds and hasattr(signal, "setitimer")
                and threading.current_thread() is threading.main_thread()):
            yield self
            return
        remaining, interval = signal.getitimer(signal.ITIMER_REAL)
        if remaining and remaining <= seconds:
            yield self  # an outer budget ends first and stays in charge
            return

        def expire(signum, frame):
            raise BudgetExceeded(seconds, self)

        started = time.monotonic()
        previous = signal.signal(signal.SIGALRM, expire)
        # The timer repeats: an exception raised while a finalizer runs (garbage collected in
        # the middle of a parse) is swallowed by Python, so the next tick raises it again.
        signal.setitimer(signal.ITIMER_REAL, seconds, min(0.1, seconds))
        try:
            yield self
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            if previous is not None:
                signal.signal(signal.SIGALRM, previous)
            if remaining:  # the outer budget's timer, with what is left of it
                left = remaining - (time.monotonic() - started)
                signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), interval)

    @contextmanager
    def stopping(self) -> Iterator["Budget"]:
        """Like ``running``, but once this budget is spent the block just ends, and
        ``exceeded`` says so; an outer budget running out still passes through."""
        self.exceeded = None
        try:
            with self.running():
                yield self
        except BudgetExceeded as exc:
            if not self.owns(exc):
                raise
            self.exceeded = exc


def time_budget(seconds: float | None):
    """Run a block under a budget of ``seconds`` (see ``Budget.running``)."""
    return Budget(seconds).running()
