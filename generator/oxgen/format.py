"""Formatting of generated Python with the pinned ruff.

`Formatter` writes rendered files into a staging folder and formats them there in batches, each
batch in a background ruff process while the caller renders the next: rendering (Python, one
core) and formatting (ruff) overlap. The caller then moves the staged files into place, so each
file is written once. `format_files` is the simple in-memory form for small jobs and tests.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

RUFF_ARGS = ["--isolated", "--line-length", "100", "--target-version", "py311", "--quiet"]
BATCH = 200  # files per ruff process: large enough to amortise its start, small enough to overlap


class FormatError(Exception):
    """ruff refused a generated file: the rendered code is not valid Python (a generator bug)."""


def ruff_binary() -> str:
    from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

    return str(find_ruff_bin())


def ruff_identity() -> str:
    """Names the formatter cheaply (path, size, mtime of the binary) for cache fingerprints:
    changes whenever ruff is upgraded, without starting it."""
    path = Path(ruff_binary())
    st = path.stat()
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def _is_python(rel: str) -> bool:
    return rel.endswith((".py", ".pyi"))


class Formatter:
    """Stage files under `root` (which must be empty or new) and format the Python ones."""

    def __init__(self, root: Path, batch: int = BATCH) -> None:
        self.root = root
        self._batch = batch
        self._ruff = ruff_binary()
        self._pending: list[str] = []
        self._running: list[subprocess.Popen[bytes]] = []
        self._dirs: set[Path] = set()

    def add(self, rel: str, text: str) -> Path:
        """Write `text` to root/rel; Python files are formatted by the time `finish` returns."""
        target = self.root / rel
        if target.parent not in self._dirs:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(target.parent)
        # A lone surrogate (a JSON escape in some schema or model id) has no UTF-8 form; prose files
        # such as README.md show it as its escape (`\ud800`). Python files never hold one raw:
        # literals and docstrings escape it already.
        target.write_bytes(text.encode("utf-8", "backslashreplace"))
        if _is_python(rel):
            self._pending.append(rel)
            if len(self._pending) >= self._batch:
                self._launch()
        return target

    def _launch(self) -> None:
        batch, self._pending = self._pending, []
        self._running.append(
            subprocess.Popen(
                [self._ruff, "format", *RUFF_ARGS, "--no-cache", *batch],
                cwd=self.root,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        )

    def close(self) -> None:
        """Stop batches still running (after an error elsewhere); a no-op after `finish`."""
        for proc in self._running:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
        self._running = []

    def finish(self) -> None:
        """Wait for every batch; FormatError (with ruff's message) if any was refused."""
        if self._pending:
            self._launch()
        failures = []
        for proc in self._running:
            output, _ = proc.communicate()
            if proc.returncode != 0:
                failures.append(output.decode("utf-8", "replace").strip())
        self._running = []
        if failures:
            detail = "\n".join(failures).replace(str(self.root) + "/", "")
            raise FormatError(f"ruff could not format the generated code:\n{detail}")


def format_files(files: Mapping[str, str]) -> dict[str, str]:
    """`files` with every .py/.pyi text formatted; others returned as they are."""
    result = dict(files)
    python = [rel for rel in files if _is_python(rel)]
    if not python:
        return result
    with tempfile.TemporaryDirectory(prefix="oxgen-fmt-") as tmp:
        formatter = Formatter(Path(tmp))
        for rel in python:
            formatter.add(rel, files[rel])
        formatter.finish()
        for rel in python:
            result[rel] = (Path(tmp) / rel).read_text(encoding="utf-8")
    return result
