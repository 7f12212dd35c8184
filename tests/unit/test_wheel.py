"""The oxgen wheel carries the templates tree, and an installed (not editable) oxgen generates
exactly the committed client and serves the mock from the shipped protocol core."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_wheel_ships_the_templates_and_regenerates_the_client(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = tmp_path.glob("oxgen-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    templates = REPO / "templates"
    expected = {
        f"oxgen/_templates/{p.relative_to(templates).as_posix()}"
        for p in templates.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert expected <= names, sorted(expected - names)
    assert "oxgen/py.typed" in names

    # Run the unpacked wheel, not the checkout: its templates are the shipped copy.
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import oxgen, oxgen.templates as t; "
        "print(oxgen.__file__); print(t.templates_dir()); "
        "from oxgen.mock.protocol import core; print(core.__file__); "
        "from oxgen.cli import main; sys.argv = ['oxgen', *sys.argv[2:]]; main()"
    )
    site = tmp_path / "site"
    command = ["generate", "--check", "--schemas", str(REPO / "schemas")]
    done = subprocess.run(
        [sys.executable, "-c", probe, str(site), *command, "--out", str(REPO / "generated")],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith(str(site)) and lines[1] == str(site / "oxgen" / "_templates")
    # The mock server's protocol core is the shipped templates' copy too.
    assert lines[2] == str(
        site / "oxgen" / "_templates" / "oxen_inference" / "testing" / "_protocol" / "__init__.py"
    )
    assert done.returncode == 0, done.stdout + done.stderr
