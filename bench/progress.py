"""Progress display for long runs, behind a small interface.

The benchmark modules only call `begin/step/advance/note`, so they can run
under rich in a terminal, and under plain line output when stdout is not a
terminal (tests, CI logs) without each module knowing which.
"""

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class RunProgress:
    """One rich progress bar per benchmark phase, plus notes printed above it."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self._progress = Progress(
            TextColumn("[bold]{task.fields[phase]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=self.console,
            transient=False,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> "RunProgress":
        self._progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def begin(self, phase: str, total: int) -> None:
        """Start a new bar for `phase` with `total` steps."""
        self._task = self._progress.add_task("", total=total, phase=phase)

    def step(self, description: str) -> None:
        """Say what the current step is doing."""
        if self._task is not None:
            self._progress.update(self._task, description=description)

    def advance(self) -> None:
        if self._task is not None:
            self._progress.advance(self._task)

    def note(self, message: str, style: str | None = None) -> None:
        """Print a line above the bars (warnings, failed targets, per-cell results)."""
        self._progress.console.print(message, style=style, highlight=False, markup=False, soft_wrap=True)
