"""scikit-learn's private API is used in one module only.

Every private name skfair needs from scikit-learn (``_fit_context``,
``_Scorer``, ``_raise_for_params``, ``sklearn.utils._param_validation``, ...)
is imported in ``skfair/utils/_sklearn_compat.py`` and from there everywhere
else, so that a change in a new scikit-learn release is fixed in one place.
"""

import ast
import re
from pathlib import Path

from packaging.version import Version

import skfair
from skfair.utils import _sklearn_compat

PACKAGE = Path(skfair.__file__).parent


def _private_sklearn_imports(path):
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "sklearn"
        ):
            private_module = any(p.startswith("_") for p in node.module.split("."))
            names = [a.name for a in node.names if a.name.startswith("_")]
            if private_module or names:
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("sklearn") and any(
                    p.startswith("_") for p in alias.name.split(".")
                ):
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return found


def test_private_sklearn_api_only_in_the_compat_module():
    compat = Path(_sklearn_compat.__file__)
    offenders = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != compat
        for hit in _private_sklearn_imports(path)
    ]
    assert offenders == []
    # The compat module itself does import them (the check is not vacuous).
    assert len(_private_sklearn_imports(compat)) >= 5


def test_minimum_versions_file_pins_the_declared_floors():
    # CI's minimum-versions environment installs .ci/min-versions.txt; it
    # must pin exactly the floors pyproject.toml declares, no more, no less.
    root = PACKAGE.parent
    pyproject = (root / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)^\]", pyproject, re.S | re.M)
    floors = dict(re.findall(r'"([A-Za-z0-9_.-]+)>=([0-9.]+)"', block.group(1)))
    pins = dict(
        re.findall(
            r"^([A-Za-z0-9_.-]+)==([0-9.]+)$",
            (root / ".ci" / "min-versions.txt").read_text(),
            re.M,
        )
    )
    assert floors and {k: Version(v) for k, v in pins.items()} == {
        k: Version(v) for k, v in floors.items()
    }
