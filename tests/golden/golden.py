"""Golden cases: one small schema per feature -> the committed expected model module.

Regenerate the expected files after an intended change with ``python -m tests.golden.golden``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from oxgen.compile import compile_package
from oxgen.format import format_files
from oxgen.render import model_path, render_model
from oxgen.snapshot import from_catalog

HERE = Path(__file__).parent
CASES = HERE / "cases"
EXPECTED = HERE / "expected"
PACKAGE = "golden_client"
SNAPSHOT = HERE.parent.parent / "schemas"
#: Every media input of the committed snapshot (model id, JSON pointer, kind), as the generator
#: marks them: the rule in oxgen.media, pinned.
MEDIA_INPUTS = HERE / "media_inputs.txt"


def case_names() -> list[str]:
    return sorted(p.stem for p in CASES.glob("*.json"))


def load_case(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CASES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def catalog() -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {"id": n.replace("_", "-"), "request_schema": load_case(n)["schema"]}
            for n in case_names()
        ],
    }


def render_all() -> dict[str, str]:
    """Case name -> the formatted module the generator makes for it."""
    ir = compile_package(from_catalog(catalog(), "golden"), PACKAGE)
    assert not ir.problems, ir.problems
    texts = format_files({model_path(m, PACKAGE): render_model(m, PACKAGE) for m in ir.models})
    return {m.model_id.replace("-", "_"): texts[model_path(m, PACKAGE)] for m in ir.models}


def media_inputs() -> str:
    """One line per media input of the snapshot: ``model-id /pointer/to/property kind``."""
    from oxgen.snapshot import load

    ir = compile_package(load(str(SNAPSHOT)), PACKAGE)
    lines = [
        f"{m.model_id} {c.pointer}/properties/{f.alias} {f.media}"
        for m in ir.models
        for c in m.classes
        for f in c.fields
        if f.media
    ]
    header = (
        "# Media inputs of schemas/ (model id, JSON pointer, kind): python -m tests.golden.golden\n"
    )
    return header + "\n".join(sorted(lines)) + "\n"


def main() -> None:
    EXPECTED.mkdir(exist_ok=True)
    for old in EXPECTED.glob("*.py"):
        old.unlink()
    for name, text in render_all().items():
        (EXPECTED / f"{name}.py").write_text(text, encoding="utf-8")
    MEDIA_INPUTS.write_text(media_inputs(), encoding="utf-8")
    print(f"wrote {len(case_names())} expected files to {EXPECTED}, and {MEDIA_INPUTS.name}")


if __name__ == "__main__":
    main()
