"""A progress bar on stderr for scans that take more than a moment.

    with progress(len(files), enabled=progress_wanted()) as tick:
        for file in files:
            tick(file.path)
            ...

The bar appears only after ``delay`` seconds (a quick scan never flickers one), only on an
interactive stderr outside CI (a CI log would keep every frame), and is erased when the scan
ends (``transient``), so the results on stdout and the diagnostics after it stay clean.
Colour is a separate matter: ``NO_COLOR`` still gets a bar, without colour.
"""

from __future__ import annotations

import os
import sys
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, TextIO

Tick = Callable[[str], None]

DELAY = 0.5
"""Seconds before the bar shows."""


def progress_wanted(stream: TextIO | None = None, environ: dict[str, str] | None = None) -> bool:
    """Whether a progress bar belongs on ``stream`` (stderr): a terminal, not in CI."""
    stream = sys.stderr if stream is None else stream
    environ = os.environ if environ is None else environ
    in_ci = environ.get("CI", "").lower() not in ("", "0", "false")
    dumb = environ.get("TERM") == "dumb"
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not in_ci and not dumb


@contextmanager
def progress(
    total: int | None,
    *,
    enabled: bool | None = None,
    delay: float = DELAY,
    stream: TextIO | None = None,
) -> Iterator[Tick]:
    """A ``tick(path)`` to call once per file; a no-op when not ``enabled``.

    ``enabled=None`` decides with ``progress_wanted``. ``total`` may be ``None`` when the
    number of files is not known (the bar then pulses).
    """
    if enabled is None:
        enabled = progress_wanted(stream)
    if not enabled:
        yield _ignore
        return
    bar = ProgressBar(total, stream=sys.stderr if stream is None else stream)
    bar.show_after(delay)
    try:
        yield bar.tick
    finally:
        bar.close()


def _ignore(path: str) -> None:
    pass


class ProgressBar:
    """rich's ``Progress``, started late from a timer thread and stopped exactly once.

    A timer (not the next tick) starts it, so a bar also appears while one slow step runs,
    such as evaluating a large Terraform configuration.
    """

    def __init__(self, total: int | None, *, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
        from rich.table import Column

        console = Console(file=stream, no_color="NO_COLOR" in os.environ, highlight=False)
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("scanning", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            # A path is file text: shown without markup, never styled by what it contains.
            TextColumn("{task.fields[path]}", markup=False,
                       table_column=Column(no_wrap=True, overflow="ellipsis")),
            console=console,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._task = self._progress.add_task("scanning", total=total, path="")
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self.shown = False
        self.closed = False

    def show_after(self, delay: float) -> None:
        self._timer = threading.Timer(delay, self.show)
        self._timer.daemon = True
        self._timer.start()

    def show(self) -> None:
        with self._lock:
            if not self.closed and not self.shown:
                self._progress.start()
                self.shown = True

    def tick(self, path: str) -> None:
        from oidclint.findings import printable

        self._progress.update(self._task, advance=1, path=printable(path, newlines=False))

    @property
    def completed(self) -> int:
        return int(self._progress.tasks[0].completed)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self.closed = True
            if self.shown:
                self._progress.stop()
