"""Agreement of generated request classes with the official JSON Schema Test Suite (2020-12).

Every case of every keyword file is asserted: the request class accepts ``{"value": data}``
exactly when the suite says `data` is valid, and a valid body dumps back byte-for-byte the same.
The few groups using features the generator reports as unsupported are listed below; a group
missing from the list that fails to generate is a regression.
"""

from __future__ import annotations

from types import ModuleType

import pytest
from pydantic import ValidationError

from tests.conftest import generate_package, import_generated
from tests.fidelity import suite

FOLDER = suite.suite_dir()
pytestmark = pytest.mark.skipif(FOLDER is None, reason="shared/jsonschema-test-suite not found")
CATALOG, CASES = suite.load(FOLDER) if FOLDER else ({}, [])

# Groups the generator reports and skips, with the reason it gives.
KNOWN_UNSUPPORTED = {
    "suite-defs-0": "$ref to the draft 2020-12 meta-schema (a remote document)",
    "suite-ref-6": "$ref to the draft 2020-12 meta-schema (a remote document)",
}
RESULTS: dict[str, bool] = {}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModuleType, set[str]]:
    out = tmp_path_factory.mktemp("suite")
    result = generate_package(CATALOG, out, "suite_client")
    skipped = {p.model_id for p in result.problems}
    return import_generated(out, "suite_client"), skipped


def test_only_known_groups_are_skipped(client: tuple[ModuleType, set[str]]) -> None:
    """Exactly the known groups: one more is a regression, one fewer belongs off the list."""
    _, skipped = client
    assert skipped == set(KNOWN_UNSUPPORTED), sorted(skipped ^ set(KNOWN_UNSUPPORTED))


@pytest.mark.parametrize("case", CASES, ids=[c.case_id for c in CASES])
def test_case(client: tuple[ModuleType, set[str]], case: suite.Case) -> None:
    module, skipped = client
    RESULTS[case.case_id] = False
    if case.model_id in skipped:
        pytest.xfail(KNOWN_UNSUPPORTED.get(case.model_id, "skipped by the generator"))
    cls = module.request_model(case.model_id)
    body = {"value": case.data}
    try:
        obj = cls.model_validate(body, by_name=False)
    except ValidationError:
        accepted = False
    else:
        accepted = True
    assert accepted == case.valid, f"{case.group_description} / {case.description}"
    if accepted:
        assert suite.same_json(module.to_body(obj), body), "a valid body must dump back unchanged"
    RESULTS[case.case_id] = True


def test_report_agreement() -> None:
    """Runs last in this module: records the agreement figure for the terminal summary."""
    if not RESULTS:
        pytest.skip("cases were not run")
    agreed = sum(RESULTS.values())
    suite.FIGURES["JSON Schema Test Suite agreement"] = (
        f"{agreed}/{len(CASES)} cases ({agreed / len(CASES):.1%})"
    )
    assert agreed / len(CASES) >= 0.98
