"""skfair's own common checks, for every public estimator.

The checks (``skfair/utils/_testing.py``) run each instance of ``INIT_PARAMS``
on a small credit-like dataset with a real categorical sensitive column
("sex", strings "F"/"M"): ``sensitive_cols`` and ``sensitive_features=`` agree
(DataFrame by name and numpy array by position too), row permutations
permute outputs, relabelling the groups changes nothing, pickle and clone
round trips and a fixed ``random_state`` reproduce outputs, nothing passed in
is modified, and ``set_output(transform="pandas")`` works where it applies.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from skfair.postprocessing import ThresholdOptimizer
from skfair.preprocessing import DisparateImpactRemover, Reweighing
from skfair.utils._testing import (
    BAD_INPUT_CHECKS,
    NOT_APPLICABLE_CHECKS,
    SENSITIVE,
    check_batch_independence,
    check_group_relabelling,
    check_inputs_not_modified,
    check_one_group_is_refused,
    check_random_state,
    check_row_permutation,
    check_sample_weight_rules,
    check_set_output,
    check_unseen_or_missing_group_after_fit,
    estimator_instances,
    make_check_data,
    not_applicable_checks,
    skfair_checks,
)

DATA = make_check_data()


def _id(estimator):
    params = estimator.get_params(deep=False)
    suffix = f"-{params['constraints']}" if "constraints" in params else ""
    if params.get("group_estimator") is not None:
        suffix += "-group_blind"
    return type(estimator).__name__ + suffix


_CASES = [
    pytest.param(estimator, check, id=f"{_id(estimator)}-{check.__name__}")
    for estimator in estimator_instances()
    for check in skfair_checks(estimator)
]
# The bad-input checks that do not apply to an instance are reported as
# skipped, with the registry's reason (pytest -ra prints it).
_CASES += [
    pytest.param(
        estimator,
        check,
        id=f"{_id(estimator)}-{check.__name__}",
        marks=pytest.mark.skip(
            reason=f"not applicable: {not_applicable_checks(estimator)[check.__name__]}"
        ),
    )
    for estimator in estimator_instances()
    for check in BAD_INPUT_CHECKS
    if check.__name__ in not_applicable_checks(estimator)
]


@pytest.mark.parametrize("estimator, check", _CASES)
def test_skfair_common_checks(estimator, check):
    check(estimator, DATA)


def test_not_applicable_checks_are_few_explained_and_real():
    names = {check.__name__ for check in BAD_INPUT_CHECKS}
    for _, _, reasons in NOT_APPLICABLE_CHECKS:
        assert set(reasons) <= names  # a misspelt name would skip nothing
        assert all(len(reason) > 60 for reason in reasons.values())
    for estimator in estimator_instances():
        skipped = not_applicable_checks(estimator)
        assert len(skipped) <= 3
        yielded = {check.__name__ for check in skfair_checks(estimator)}
        assert names - yielded == set(skipped)
    # Every entry matches some instance of the registry.
    for Estimator, required, _ in NOT_APPLICABLE_CHECKS:
        assert any(
            type(est) is Estimator
            and all(est.get_params()[k] == v for k, v in required.items())
            for est in estimator_instances()
        )


def test_check_data_is_fit_for_purpose():
    X, y, sample_weight, X_new = DATA
    assert not pd.api.types.is_numeric_dtype(X[SENSITIVE])
    for group in ("F", "M"):
        labels = y[(X[SENSITIVE] == group).to_numpy()]
        assert 0.2 < labels.mean() < 0.8
    # No value of a numeric column repeats, in or across the two sets, so
    # that transforms of X_new never see a value seen in fit.
    numeric = pd.concat([X, X_new]).drop(columns=SENSITIVE)
    for column in numeric:
        assert numeric[column].is_unique
    assert (sample_weight > 0).all()


# The checks must be able to fail: each of these is run against an estimator
# that breaks the property it checks.


class _RowOrderDependentRemover(DisparateImpactRemover):
    """Shifts every output row by its position: not permutation-equivariant."""

    def transform(self, X, *, sensitive_features=None):
        out = super().transform(X, sensitive_features=sensitive_features)
        out = out.copy()
        out[:, 0] = out[:, 0].astype(float) + np.arange(len(out))
        return out


class _FrameLosingRemover(DisparateImpactRemover):
    """Returns the passed-through group column recoded: loses its values."""

    def transform(self, X, *, sensitive_features=None):
        out = super().transform(X, sensitive_features=sensitive_features)
        if hasattr(out, "columns") and SENSITIVE in out.columns:
            out[SENSITIVE] = out[SENSITIVE].str.lower()
        return out


class _GlobalRandomOptimizer(ThresholdOptimizer):
    """Draws predictions from an unseeded generator: ignores random_state."""

    def predict(self, X, *, sensitive_features=None):
        p = self.predict_proba(X, sensitive_features=sensitive_features)[:, 1]
        return self.classes_[(np.random.default_rng().random(p.size) < p).astype(int)]


class _GroupOrderDependentRemover(DisparateImpactRemover):
    """Shifts the output when the first group (in sorted order) is "F"."""

    def transform(self, X, *, sensitive_features=None):
        out = super().transform(X, sensitive_features=sensitive_features)
        out = out.copy()
        out[:, 0] = out[:, 0].astype(float) + float(self.groups_[0] == "F")
        return out


class _WeightNormalisingReweighing(Reweighing):
    """Normalises the caller's sample_weight in place."""

    def fit(self, X, y, *, sensitive_features=None, sample_weight=None, **params):
        if sample_weight is not None:
            sample_weight[:] = np.asarray(sample_weight) / np.sum(sample_weight)
        return super().fit(
            X, y, sensitive_features=sensitive_features, sample_weight=sample_weight
        )


class _OneGroupTolerantReweighing(Reweighing):
    """Fits the plain estimator when there is a single group: silent."""

    def fit(self, X, y, *, sensitive_features=None, sample_weight=None, **params):
        try:
            return super().fit(
                X, y, sensitive_features=sensitive_features, sample_weight=sample_weight
            )
        except ValueError as exc:
            if "one group only" not in str(exc):
                raise
            self.estimator_ = LogisticRegression().fit(
                X.drop(columns=SENSITIVE) if hasattr(X, "drop") else X, y
            )
            return self


class _AbsoluteWeightRemover(DisparateImpactRemover):
    """Takes the absolute value of negative weights instead of refusing them."""

    def fit(self, X, y=None, *, sensitive_features=None, sample_weight=None):
        if sample_weight is not None:
            sample_weight = np.abs(sample_weight)
        return super().fit(
            X, y, sensitive_features=sensitive_features, sample_weight=sample_weight
        )


class _UnseenToleratingRemover(DisparateImpactRemover):
    """Returns X unrepaired for rows of an unseen group: a silent default."""

    def transform(self, X, *, sensitive_features=None):
        try:
            return super().transform(X, sensitive_features=sensitive_features)
        except ValueError:
            return np.asarray(X, dtype=object)


@pytest.mark.parametrize(
    "check, estimator",
    [
        (check_one_group_is_refused, _OneGroupTolerantReweighing(LogisticRegression())),
        (check_sample_weight_rules, _AbsoluteWeightRemover(random_state=0)),
        (
            check_unseen_or_missing_group_after_fit,
            _UnseenToleratingRemover(random_state=0),
        ),
        (check_batch_independence, _RowOrderDependentRemover(random_state=0)),
    ],
    ids=lambda value: getattr(value, "__name__", type(value).__name__),
)
def test_bad_input_checks_catch_a_broken_rule(check, estimator):
    with pytest.raises(AssertionError):
        check(estimator, DATA)


def test_random_state_check_catches_an_ignored_random_state():
    est = _GlobalRandomOptimizer(
        LogisticRegression(), constraints="demographic_parity", random_state=0
    )
    with pytest.raises(AssertionError):
        check_random_state(est, DATA)


def test_relabelling_check_catches_group_order_dependence():
    with pytest.raises(AssertionError):
        check_group_relabelling(_GroupOrderDependentRemover(random_state=0), DATA)


def test_inputs_check_catches_an_input_modified_in_place():
    with pytest.raises(AssertionError):
        check_inputs_not_modified(
            _WeightNormalisingReweighing(LogisticRegression()), DATA
        )


def test_permutation_check_catches_row_order_dependence():
    with pytest.raises(AssertionError):
        check_row_permutation(_RowOrderDependentRemover(random_state=0), DATA)


def test_set_output_check_catches_a_changed_group_column():
    with pytest.raises(AssertionError):
        check_set_output(_FrameLosingRemover(random_state=0), DATA)


def test_threshold_optimizer_predict_follows_the_rows():
    # predict draws each row's decision from a hash of the row and the seed,
    # so check_row_permutation holds for it too; here on randomized rows.
    X, y, _, X_new = DATA
    est = ThresholdOptimizer(
        LogisticRegression(),
        constraints="demographic_parity",
        sensitive_cols=SENSITIVE,
        random_state=0,
    ).fit(X, y)
    proba = est.predict_proba(X_new)[:, 1]
    randomized = (proba > 0) & (proba < 1)
    assert randomized.any()
    perm = np.random.default_rng(0).permutation(len(X_new))
    np.testing.assert_array_equal(
        est.predict(X_new.iloc[perm]), est.predict(X_new)[perm]
    )
    # Over many seeds, the rate of positive decisions of each row is its
    # predict_proba, whatever its position.
    # (predict reads the seed from the random_state parameter on every
    # call, so setting the parameter needs no refit.)
    draws = np.mean(
        [est.set_params(random_state=seed).predict(X_new) for seed in range(400)],
        axis=0,
    )
    np.testing.assert_allclose(draws, proba, atol=0.1)
