"""Both distributions as an index sees them: the generated client (`oxen-inference`) and the
generator (`oxgen`) are built (sdist and wheel) from copies of their folders with stray files
added (the generator's cache, bytecode, notes); each file list is exactly the distribution's
files, the metadata is complete, the client's long description has no relative link, and
`twine check --strict` passes on all four."""

from __future__ import annotations

import email.parser
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from pathlib import Path

import pytest

from tests.conftest import REPO

GENERATED = REPO / "generated"
STRAYS = [
    ".oxgen-cache/state.json",
    ".oxgen-cache/.gitignore",
    ".pytest_cache/v/cache/nodeids",
    "notes.txt",
    "{package}/__pycache__/_client.cpython-311.pyc",
    "{package}/stray.pyc",
]
LINK = re.compile(r"\]\(([^)\s]+)\)|href=\"([^\"]+)\"")


def files_of(root: Path) -> set[str]:
    """Every file under `root`, relative, caches and strays left out (what oxgen writes there, or
    what the repository holds)."""
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file()
        and not {"__pycache__", ".oxgen-cache", ".pytest_cache"} & set(p.relative_to(root).parts)
        and p.suffix != ".pyc"
        and p.name != "notes.txt"
    }


def in_a_repository(tmp: Path) -> Path:
    """A folder laid out like this repository (a .git folder, its .gitignore), to build in."""
    root = tmp / "repo"
    (root / ".git").mkdir(parents=True)
    shutil.copy(REPO / ".gitignore", root / ".gitignore")
    return root


def build(src: Path, out: Path) -> tuple[Path, Path]:
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(src)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return sdist, wheel


def sdist_files(sdist: Path) -> set[str]:
    with tarfile.open(sdist) as archive:
        names = [m.name for m in archive.getmembers() if m.isfile()]
    top = names[0].split("/", 1)[0]
    return {n.split("/", 1)[1] for n in names if n.startswith(top + "/")}


def wheel_metadata(wheel: Path) -> tuple[set[str], Message]:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        return names, email.parser.Parser().parsestr(archive.read(meta).decode("utf-8"))


def twine_check(*paths: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == len(paths), done.stdout


def add_strays(root: Path, package: str) -> None:
    for rel in STRAYS:
        path = root / rel.format(package=package)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("stray\n", encoding="utf-8")


@pytest.fixture(scope="module")
def client_dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("client")
    src = in_a_repository(tmp) / "generated"
    shutil.copytree(GENERATED, src, ignore=shutil.ignore_patterns(".oxgen-cache", "__pycache__"))
    add_strays(src, "oxen_inference")
    return build(src, tmp / "dist")


@pytest.mark.slow
def test_the_client_distributions_hold_exactly_its_files(client_dists: tuple[Path, Path]) -> None:
    sdist, wheel = client_dists
    expected = files_of(GENERATED)
    assert "LICENSE" in expected and "api/flux_2_pro.md" in expected
    # hatchling puts the nearest .gitignore into every sdist (a wheel built from the sdist then
    # leaves out what the checkout did); nothing else beyond the distribution's files.
    assert sdist_files(sdist) == expected | {"PKG-INFO", ".gitignore"}
    names, meta = wheel_metadata(wheel)
    dist_info = f"oxen_inference-{meta['Version']}.dist-info"
    package = {n for n in expected if n.startswith("oxen_inference/")}
    assert names == package | {
        f"{dist_info}/{n}"
        for n in ("METADATA", "WHEEL", "RECORD", "entry_points.txt", "licenses/LICENSE")
    }


@pytest.mark.slow
def test_the_client_metadata_is_complete(client_dists: tuple[Path, Path]) -> None:
    _, wheel = client_dists
    _, meta = wheel_metadata(wheel)
    version = re.search(
        r'__version__ = "(.+)"',
        (GENERATED / "oxen_inference/_version.py").read_text(encoding="utf-8"),
    )
    assert version and meta["Name"] == "oxen-inference" and meta["Version"] == version.group(1)
    assert meta["License-Expression"] == "MIT" and meta["License-File"] == "LICENSE"
    assert meta["Author"] == "Oxen.ai" or "Oxen.ai" in (meta["Author-email"] or "")
    classifiers = meta.get_all("Classifier") or []
    assert {"Typing :: Typed", "Programming Language :: Python :: 3.11"} <= set(classifiers)
    assert any(c.startswith("Development Status :: ") for c in classifiers)
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    assert {"Homepage", "Repository", "Changelog"} <= set(urls)
    assert all(u.startswith("https://") for u in urls.values())
    assert "inference" in (meta["Keywords"] or "")
    requires = sorted(r.split(">")[0].split("<")[0] for r in meta.get_all("Requires-Dist") or [])
    # httpcore comes with httpx; it is declared because the blocking client imports it
    assert requires == ["httpcore", "httpx", "pydantic", "sniffio"]
    assert meta["Requires-Python"] == ">=3.11"
    assert meta["Description-Content-Type"] == "text/markdown"
    assert (GENERATED / "LICENSE").read_text() == (REPO / "LICENSE").read_text()


@pytest.mark.slow
def test_the_client_long_description_has_no_relative_link(
    client_dists: tuple[Path, Path],
) -> None:
    _, wheel = client_dists
    _, meta = wheel_metadata(wheel)
    text = meta.get_payload()
    assert isinstance(text, str)
    links = [a or b for a, b in LINK.findall(text)]
    relative = [link for link in links if not link.startswith(("https://", "http://"))]
    assert not relative, relative[:10]
    pages = sorted(GENERATED.joinpath("api").glob("*.md"))
    api_links = [link for link in links if "/generated/api/" in link and link.endswith(".md")]
    # one link per model page, each to a page that exists, under one base
    assert sorted(link.rsplit("/", 1)[1] for link in api_links) == [p.name for p in pages]
    assert len({link.rsplit("/", 1)[0] for link in api_links}) == 1


@pytest.mark.slow
def test_twine_check_passes_on_both_distributions(
    client_dists: tuple[Path, Path], tmp_path: Path
) -> None:
    src = in_a_repository(tmp_path)
    for name in ("generator", "templates"):
        shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, src / name)
    add_strays(src, "generator/oxgen")
    add_strays(src, "templates/oxen_inference")
    sdist, wheel = build(src, tmp_path / "dist")

    sources = {f"generator/{n}" for n in files_of(src / "generator")} | {
        f"templates/{n}" for n in files_of(src / "templates")
    }
    assert sdist_files(sdist) == sources | {
        "README.md",
        "LICENSE",
        "pyproject.toml",
        "PKG-INFO",
        ".gitignore",
    }
    names, meta = wheel_metadata(wheel)
    shipped = {f"oxgen/{n}" for n in files_of(src / "generator" / "oxgen")} | {
        f"oxgen/_templates/{n}" for n in files_of(src / "templates")
    }
    dist_info = f"oxgen-{meta['Version']}.dist-info"
    assert names == shipped | {
        f"{dist_info}/{n}"
        for n in ("METADATA", "WHEEL", "RECORD", "entry_points.txt", "licenses/LICENSE")
    }
    assert meta["License-Expression"] == "MIT" and meta["License-File"] == "LICENSE"
    assert "Typing :: Typed" in (meta.get_all("Classifier") or [])
    assert meta.get_all("Project-URL")
    twine_check(sdist, wheel, *client_dists)
