"""scikit-learn's estimator checks on every public skfair estimator.

The checks call ``fit(X, y)`` with nothing else, so the instances read their
groups from X: ``sensitive_cols`` is :data:`skfair.utils._testing.row_hash_groups`,
a pseudo-random split of the rows by their values. Instances come from
``INIT_PARAMS`` and the checks each one is expected to fail, each with its
reason, from ``expected_failed_checks`` (both in ``skfair/utils/_testing.py``).
Expected failures are strict: one that starts passing fails the test, so the
table cannot go stale.
"""

import inspect

import numpy as np
import pytest
from sklearn.utils.estimator_checks import (
    estimator_checks_generator,
    parametrize_with_checks,
)

import skfair.inprocessing
import skfair.model_selection
import skfair.postprocessing
import skfair.preprocessing
import skfair.reductions
from skfair.utils._testing import (
    INIT_PARAMS,
    estimator_instances,
    expected_failed_checks,
    row_hash_groups,
)

_SUBPACKAGES = (
    skfair.inprocessing,
    skfair.model_selection,
    skfair.postprocessing,
    skfair.preprocessing,
    skfair.reductions,
)


def _public_estimator_classes():
    classes = set()
    for module in _SUBPACKAGES:
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, type) and hasattr(obj, "fit"):
                classes.add(obj)
    return classes


def test_every_public_estimator_is_tested():
    assert _public_estimator_classes() == set(INIT_PARAMS)


def _check_names(estimator):
    return {
        getattr(check, "func", check).__name__
        for _, check in estimator_checks_generator(estimator)
    }


def test_expected_failures_are_few_explained_and_real_checks():
    for estimator in estimator_instances(sensitive_cols=row_hash_groups):
        failures = expected_failed_checks(estimator)
        assert len(failures) <= 5
        assert all(len(reason) > 40 for reason in failures.values())
        # A misspelt name would match no check and silently expect nothing.
        assert set(failures) <= _check_names(estimator)


def test_row_hash_groups_depend_on_each_row_alone():
    rng = np.random.RandomState(0)
    X = 3 * rng.uniform(size=(200, 3))
    groups = row_hash_groups(X)
    assert set(groups.tolist()) == {0, 1}
    assert 0.3 < groups.mean() < 0.7
    perm = rng.permutation(200)
    np.testing.assert_array_equal(row_hash_groups(X[perm]), groups[perm])
    np.testing.assert_array_equal(
        [row_hash_groups(row[None, :])[0] for row in X], groups
    )
    # Rows of small integers are split too, and odd input does not raise.
    assert set(row_hash_groups(np.arange(20).reshape(10, 2)).tolist()) == {0, 1}
    for odd in (np.full((3, 2), np.nan), np.empty((4, 0)), np.array([["a", 1.0]])):
        assert row_hash_groups(odd).shape == (len(odd),)


# Expected failures are strict. scikit-learn < 1.8 has no xfail_strict
# parameter; its xfail marks then follow pytest's xfail_strict option, which
# pyproject.toml sets, so the rule holds on the minimum version too.
_STRICT = (
    {"xfail_strict": True}
    if "xfail_strict" in inspect.signature(parametrize_with_checks).parameters
    else {}
)


@parametrize_with_checks(
    list(estimator_instances(sensitive_cols=row_hash_groups)),
    expected_failed_checks=expected_failed_checks,
    **_STRICT,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "estimator",
    list(estimator_instances(sensitive_cols=row_hash_groups)),
    ids=lambda est: type(est).__name__,
)
def test_callable_sensitive_cols_is_a_valid_parameter(estimator):
    # Parameter validation accepts a callable and fit calls it on X.
    calls = []

    def groups(X):
        calls.append(X.shape)
        return row_hash_groups(X)

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] + rng.normal(size=60) > 0).astype(int)
    estimator.set_params(sensitive_cols=groups).fit(X, y)
    assert calls and calls[0] == (60, 3)
    np.testing.assert_array_equal(estimator.groups_, [0, 1])
