"""Each golden schema renders to its committed module, and that module behaves as the schema says."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from pydantic import ValidationError

from tests.fidelity.suite import same_json
from tests.golden import golden

NAMES = golden.case_names()


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return golden.render_all()


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    from tests.conftest import generate_package, import_generated

    out = tmp_path_factory.mktemp("golden")
    result = generate_package(golden.catalog(), out, "golden_pkg")
    assert not result.problems
    return import_generated(out, "golden_pkg")


@pytest.mark.parametrize("name", NAMES)
def test_matches_expected(rendered: dict[str, str], name: str) -> None:
    expected = (golden.EXPECTED / f"{name}.py").read_text(encoding="utf-8")
    assert rendered[name] == expected, (
        f"run `python -m tests.golden.golden` if the change to {name} is intended"
    )


@pytest.mark.parametrize("name", NAMES)
def test_behaviour(package: ModuleType, name: str) -> None:
    case: dict[str, Any] = golden.load_case(name)
    cls = package.request_model(name.replace("_", "-"))
    for body in case["valid"]:
        obj = cls.model_validate(body, by_name=False)
        assert same_json(package.to_body(obj), body)
    for body in case["invalid"]:
        with pytest.raises(ValidationError):
            cls.model_validate(body, by_name=False)


def test_no_stray_expected_files() -> None:
    assert sorted(p.stem for p in golden.EXPECTED.glob("*.py")) == NAMES
