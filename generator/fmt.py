"""Formatting of generated Python with the pinned ruff, in one batch per run."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

RUFF_ARGS = ["--isolated", "--line-length", "100", "--target-version", "py311", "--quiet"]


class FormatError(Exception):
    """ruff refused a generated file: the rendered code is not valid Python (a generator bug)."""


def ruff_binary() -> str:
    from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

    return str(find_ruff_bin())


def ruff_version() -> str:
    out = subprocess.run([ruff_binary(), "--version"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def format_files(files: Mapping[str, str]) -> dict[str, str]:
    """`files` with every .py/.pyi text formatted; others returned as they are."""
    python = {p: t for p, t in files.items() if p.endswith((".py", ".pyi"))}
    result = dict(files)
    if not python:
        return result
    with tempfile.TemporaryDirectory(prefix="oxgen-fmt-") as tmp:
        root = Path(tmp)
        for rel, text in python.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        proc = subprocess.run(
            [ruff_binary(), "format", *RUFF_ARGS, "--no-cache", str(root)],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).replace(tmp + "/", "")
            raise FormatError(f"ruff could not format the generated code:\n{detail.strip()}")
        for rel in python:
            result[rel] = (root / rel).read_text(encoding="utf-8")
    return result
