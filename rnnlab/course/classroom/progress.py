"""The progress of ``rnnlab grade``: one bar for the run, on the terminal and in the log.

:class:`Progress` counts the finished notebooks: done / total, failures so far (any
status but ``graded``), and the time left at the pace so far. :class:`Display` shows
it as the results come back, the same whether the notebooks were graded on this machine
or on a cluster:

* on a terminal (a TTY), one line redrawn in place: a bar, done / total, failures, ETA;
* anywhere else (CI, a pipe, ``rnnlab grade ... | tee``), plain lines, a few per run:
  one when another ``STEP`` % of the notebooks is done or ``HEARTBEAT`` seconds have
  passed since the last line, and always the last one;
* in the log (``logs/progress.log``), one plain line per notebook.

Whatever is printed after the run (its summary, or why it stopped) starts on a line of
its own.
"""

import os
import time
from collections.abc import Callable
from typing import TextIO

from rnnlab.course.classroom.report import Row

BAR_WIDTH = 30  # characters between the brackets
STEP = 5  # percent of the notebooks between two plain lines on the terminal
HEARTBEAT = 60.0  # seconds: a plain line at least this often while notebooks finish
CLEAR = "\x1b[K"  # erase from the cursor to the end of the line


def duration(seconds: float) -> str:
    """A time span as a reader counts it: ``45 s``, ``3 min 05 s``, ``2 h 07 min``."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class Progress:
    """Done / total and failures so far; the time left is the time per notebook so far
    (all workers together) times the notebooks left. ``clock`` gives seconds."""

    def __init__(self, total: int, clock: Callable[[], float] = time.monotonic):
        if total < 0:
            raise ValueError(f"total must be the number of notebooks (>= 0), got {total}")
        self.total, self.done, self.failures = total, 0, 0
        self.clock = clock
        self.start = clock()

    def add(self, row: Row) -> None:
        """Count one finished notebook."""
        if self.done == self.total:
            raise ValueError(f"a notebook finished beyond the run's {self.total}: {row}")
        self.done += 1
        self.failures += row.status != "graded"

    def eta(self) -> float | None:
        """Seconds left at the pace so far; None before the first notebook is done."""
        if not self.done:
            return None
        return (self.clock() - self.start) / self.done * (self.total - self.done)

    def _eta(self) -> str:
        eta = self.eta()
        return "?" if eta is None else duration(eta)

    def bar(self, width: int = BAR_WIDTH) -> str:
        """``[#####-----] 3/10 notebooks, failures 1, ETA 20 s``."""
        filled = width * self.done // self.total if self.total else width
        return (
            f"[{'#' * filled}{'-' * (width - filled)}] {self.done}/{self.total} notebooks, "
            f"failures {self.failures}, ETA {self._eta()}"
        )

    def line(self, row: Row, seconds: float) -> str:
        """The plain line of the notebook just counted, which took ``seconds``:
        ``[  3/10] bob ex01: graded 1/3 (2.5 s); failures 1, ETA 20 s``."""
        return (
            f"[{self.done:>3}/{self.total}] {row.student} {row.assignment}: {row.status} "
            f"{row.score:g}/{row.max_score:g} ({seconds:.1f} s); "
            f"failures {self.failures}, ETA {self._eta()}"
        )


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal that can redraw a line (not TERM=dumb)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


class Display:
    """Shows ``progress`` on ``terminal`` (a bar on a TTY, else plain lines now and
    then) and writes one line per notebook to ``log``; a context manager, so that the
    bar's line is ended however the run ends."""

    def __init__(
        self, progress: Progress, terminal: TextIO, log: TextIO, columns: int | None = None
    ):
        self.progress, self.terminal, self.log = progress, terminal, log
        self.tty, self.columns = is_terminal(terminal), columns
        self.drawn = False  # a bar is on the terminal's current line
        self.step, self.printed = 0, progress.start  # of the last plain line

    def __enter__(self) -> "Display":
        if self.tty and self.progress.total:
            self._draw()
        return self

    def __exit__(self, *exc) -> None:
        if self.drawn:
            self.terminal.write("\n")
            self.terminal.flush()
            self.drawn = False

    def update(self, row: Row, seconds: float) -> None:
        """Count one finished notebook and show it."""
        self.progress.add(row)
        line = self.progress.line(row, seconds)
        print(line, file=self.log, flush=True)
        if self.tty:
            self._draw()
        elif self._due():
            print(line, file=self.terminal, flush=True)

    def _draw(self) -> None:
        text = self.progress.bar()[: self._width() - 1]  # a wrapped line cannot be redrawn
        self.terminal.write(f"\r{text}{CLEAR}")
        self.terminal.flush()
        self.drawn = True

    def _width(self) -> int:
        if self.columns is not None:
            return self.columns
        try:
            columns = os.get_terminal_size(self.terminal.fileno()).columns
        except (AttributeError, OSError, ValueError):
            columns = 0
        return columns or 80  # a terminal that does not say its width

    def _due(self) -> bool:
        """Whether the plain line of this notebook goes to the terminal."""
        progress, now = self.progress, self.progress.clock()
        step = progress.done * 100 // progress.total // STEP
        due = progress.done == progress.total or step > self.step
        if due or now - self.printed >= HEARTBEAT:
            self.step, self.printed = step, now
            return True
        return False
