"""JSON Schema Test Suite agreement: oxgen's request classes vs datamodel-code-generator, same run.

Both get the same wrapped schemas (see tests/fidelity/suite.py) and the same verdict + exact
round-trip checks. datamodel-code-generator is used as its docs suggest, as a library, producing
pydantic v2 models (one call per schema group). Usage: python bench/fidelity_vs_dmcg.py
"""

from __future__ import annotations

import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fidelity import suite  # noqa: E402


def judge(cls: Any, case: suite.Case, dump: Any) -> bool:
    from pydantic import ValidationError

    body = {"value": case.data}
    try:
        obj = cls.model_validate(body)
    except ValidationError:
        return not case.valid
    except Exception:
        return False
    try:
        return case.valid and suite.same_json(dump(obj), body)
    except (TypeError, ValueError):  # a dump that is not even JSON (enum members, ...)
        return False


def run_oxgen(catalog: dict[str, Any], cases: list[suite.Case], tmp: Path) -> tuple[int, float]:
    from oxgen.generate import run

    src = tmp / "catalog.json"
    src.write_text(json.dumps(catalog))
    start = time.perf_counter()
    run(src, tmp / "ox", package="suite_ox")
    elapsed = time.perf_counter() - start
    sys.path.insert(0, str(tmp / "ox"))
    pkg = importlib.import_module("suite_ox")
    agreed = 0
    for case in cases:
        try:
            cls = pkg.request_model(case.model_id)
        except LookupError:
            continue
        agreed += judge(cls, case, pkg.to_body)
    return agreed, elapsed


def run_dmcg(catalog: dict[str, Any], cases: list[suite.Case], tmp: Path) -> tuple[int, float]:
    from datamodel_code_generator import DataModelType, InputFileType, generate

    classes: dict[str, Any] = {}
    start = time.perf_counter()
    for i, model in enumerate(catalog["data"]):
        out = tmp / f"dmcg_{i}.py"
        try:
            generate(
                json.dumps(model["request_schema"]),
                input_file_type=InputFileType.JsonSchema,
                output=out,
                output_model_type=DataModelType.PydanticV2BaseModel,
                class_name="Model",
                disable_timestamp=True,
            )
            spec = importlib.util.spec_from_file_location(f"dmcg_{i}", out)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            cls = module.Model
            cls.model_rebuild(_types_namespace=vars(module))
            classes[model["id"]] = cls
        except Exception:
            continue
    elapsed = time.perf_counter() - start
    agreed = 0
    for case in cases:
        cls = classes.get(case.model_id)
        if cls is not None:
            # Generous to the peer: a round trip counts if either dump mode gives the body back.
            agreed += judge(
                cls, case, lambda o: o.model_dump(by_alias=True, exclude_unset=True)
            ) or judge(
                cls, case, lambda o: o.model_dump(mode="json", by_alias=True, exclude_unset=True)
            )
    return agreed, elapsed


def main() -> None:
    folder = suite.suite_dir()
    if folder is None:
        sys.exit("jsonschema-test-suite not found (set OXGEN_JSONSCHEMA_SUITE)")
    catalog, cases = suite.load(folder)
    with tempfile.TemporaryDirectory() as tmp:
        ox, ox_t = run_oxgen(catalog, cases, Path(tmp))
        dm, dm_t = run_dmcg(catalog, cases, Path(tmp))
    n = len(cases)
    print(f"{'generator':<28}{'agree':>12}{'share':>9}{'generate s':>12}")
    print(f"{'oxgen':<28}{ox:>7}/{n:<4}{ox / n:>9.1%}{ox_t:>12.2f}")
    print(f"{'datamodel-code-generator':<28}{dm:>7}/{n:<4}{dm / n:>9.1%}{dm_t:>12.2f}")
    print(f"oxgen agrees on {ox - dm} more cases ({ox / n - dm / n:+.1%})")


if __name__ == "__main__":
    main()
