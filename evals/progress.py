"""What ``criterion eval`` says while the cases run, always on stderr (never in the report files or
on stdout, where the summary goes): on a terminal a Rich bar — cases done of all, elapsed, time
left; otherwise (a log file, CI) one line each time the run passes another tenth of its cases,
with the same numbers, so a long run is never silent for more than a tenth of it."""

from __future__ import annotations

import time
from typing import Callable, TextIO


def duration(seconds: float) -> str:
    """42s, 3m05s, 1h02m."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class CaseLines:
    """A ``progress(done, total)`` callback for :func:`evals.runner.run_eval` that writes
    ``eval: case 12/120 (10%) · 41s elapsed · about 6m09s left`` when the run enters a new tenth
    (and at the last case). The clock starts when it is made."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic, steps: int = 10):
        self.stream = stream
        self.clock = clock
        self.steps = steps
        self.started = clock()
        self.shown = 0  # the last step written

    def __call__(self, done: int, total: int) -> None:
        if total <= 0:
            return
        step = done * self.steps // total
        if step <= self.shown:
            return
        self.shown = step
        elapsed = self.clock() - self.started
        line = f"eval: case {done}/{total} ({100 * done // total}%) · {duration(elapsed)} elapsed"
        if done < total:
            line += f" · about {duration(elapsed / done * (total - done))} left"
        self.stream.write(line + "\n")
        self.stream.flush()
