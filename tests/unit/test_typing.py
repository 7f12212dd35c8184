"""mypy --strict passes on the generator and on the generated client."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _mypy(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """mypy as a user runs it: packages resolved from the environment's installs alone (the
    editable installs are plain path entries), no MYPYPATH."""
    env = {k: v for k, v in os.environ.items() if k != "MYPYPATH"}
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.mark.slow
def test_generator_and_tests_are_strictly_typed(tmp_path: Path) -> None:
    """`mypy` as scripts/check runs it: the files pyproject.toml names (generator and tests)."""
    repo = Path(__file__).resolve().parents[2]
    proc = _mypy(["--cache-dir", str(tmp_path / "cache")], cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_generator_resolves_by_package_name(tmp_path: Path) -> None:
    # From outside the checkout, by package name: what an IDE or a user's mypy resolves.
    proc = _mypy(["--cache-dir", str(tmp_path / "cache"), "-p", "oxgen"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_generated_client_is_strictly_typed(tmp_path: Path) -> None:
    proc = _mypy(["--cache-dir", str(tmp_path / "cache"), "-p", "oxen_inference"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


USAGE = """
from pathlib import Path

from oxen_inference import AsyncOxen, Oxen

client = Oxen(api_key="x")
reveal_type(client.submit_luma_ray_v3_2_image_to_video(prompt="p", input_image="u"))
reveal_type(client.submit_luma_ray_v3_2_image_to_video(prompt="p", input_image="u", num_generations=2))
reveal_type(client.generate_luma_ray_v3_2_image_to_video(prompt="p", input_image="u", duration="10s"))
client.generate_luma_ray_v3_2_image_to_video(prompt="p", input_image="u", duration="7s")
client.generate_luma_ray_v3_2_image_to_video(prompt="p")
client.generate_gpt_4o(messages=[{"role": "user", "content": "hi"}])
# media inputs take local files: a path, bytes, an open binary file, in lists too
client.generate_luma_ray_v3_2_image_to_video(
    prompt="p", input_image=Path("a.png"), reference_image_urls=[b"x", Path("b.png"), "u"]
)
with open("a.png", "rb") as f:
    client.submit_luma_ray_v3_2_image_to_video(prompt="p", input_image=f)
Oxen(api_key="x", uploads="me/inputs", max_data_uri_bytes=1 << 20)


async def main() -> None:
    aclient = AsyncOxen(api_key="x")
    reveal_type(await aclient.submit_luma_ray_v3_2_image_to_video(prompt="p", input_image="u"))
    await aclient.generate_luma_ray_v3_2_image_to_video(prompt="p", input_image=Path("a.png"))
"""


@pytest.mark.slow
def test_per_model_methods_type_check_for_callers(tmp_path: Path) -> None:
    """What a caller's type checker sees through _client.pyi: bound methods with the schema's
    Literal values, required parameters, and submit's return type following num_generations."""
    (tmp_path / "use.py").write_text(USAGE)
    proc = _mypy(["--cache-dir", str(tmp_path / "cache"), str(tmp_path / "use.py")], cwd=tmp_path)
    lines = [line.split(": ", 1)[1] for line in proc.stdout.splitlines() if ": " in line]
    assert 'note: Revealed type is "oxen_inference._jobs.Job"' in lines
    assert 'note: Revealed type is "list[oxen_inference._jobs.Job]"' in lines
    assert 'note: Revealed type is "oxen_inference._models.GenerateResponse"' in lines
    assert 'note: Revealed type is "oxen_inference._jobs.AsyncJob"' in lines
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 2, proc.stdout
    assert '"duration" has incompatible type "Literal[\'7s\']"' in errors[0]
    assert 'Missing named argument "input_image"' in errors[1]
