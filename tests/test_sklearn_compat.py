"""scikit-learn's private API is used in one module only.

Every private name skfair needs from scikit-learn (``_fit_context``,
``_Scorer``, ``_raise_for_params``, ``sklearn.utils._param_validation``, ...)
is imported in ``skfair/utils/_sklearn_compat.py`` and from there everywhere
else, so that a change in a new scikit-learn release is fixed in one place.
"""

import ast
from pathlib import Path

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
