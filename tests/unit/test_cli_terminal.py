"""What ``oxen-inference`` leaves on a terminal when Ctrl-C cuts a status line short: the error
line is never glued to a status line (no network: a fake job and a fake terminal)."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from oxen_inference._cli import _common
from oxen_inference._cli._wait import StatusLine


class Terminal(io.StringIO):
    """stderr on a terminal; `interrupt_on_flush` makes the next flush raise KeyboardInterrupt
    (Ctrl-C arriving right after a write)."""

    def __init__(self, tty: bool = True) -> None:
        super().__init__()
        self.tty = tty
        self.interrupt_on_flush = False

    def isatty(self) -> bool:
        return self.tty

    def flush(self) -> None:
        if self.interrupt_on_flush:
            self.interrupt_on_flush = False
            raise KeyboardInterrupt


def job() -> SimpleNamespace:
    return SimpleNamespace(
        id="abc123", model_id="flux-2-pro", last=SimpleNamespace(status="queued")
    )


def test_a_line_cut_short_by_ctrl_c_is_still_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    line = StatusLine(job())  # type: ignore[arg-type]
    terminal.interrupt_on_flush = True
    with pytest.raises(KeyboardInterrupt):
        line.draw()  # written, then Ctrl-C
    line.clear()
    assert terminal.getvalue().startswith("\r\x1b[Kflux-2-pro abc123 queued ")
    assert terminal.getvalue().endswith("s\r\x1b[K")  # cleared


@pytest.mark.parametrize(("tty", "start"), [(True, "\r\x1b[K"), (False, "")])
def test_an_error_clears_the_terminal_line_first(
    monkeypatch: pytest.MonkeyPatch, tty: bool, start: str
) -> None:
    """A status line may still be drawn when Ctrl-C's message comes (the signal can cut its
    clearing short): on a terminal the error starts by clearing the line; in a pipe (a log, a
    script reading stderr) nothing but the line itself is written."""
    terminal = Terminal(tty)
    monkeypatch.setattr("sys.stderr", terminal)
    terminal.write("\r\x1b[Kflux-2-pro abc123 queued 1.2s")
    before = terminal.getvalue()
    _common.error("interrupted; generation abc123 keeps running")
    assert terminal.getvalue() == (
        f"{before}{start}oxen-inference: error: interrupted; generation abc123 keeps running\n"
    )
