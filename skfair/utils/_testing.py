"""Testing utilities: the estimator instances and checks of skfair's common tests.

Private. ``tests/test_common.py`` runs scikit-learn's estimator checks and
``tests/test_skfair_checks.py`` skfair's own common checks, both over the
instances built from :data:`INIT_PARAMS`.

scikit-learn's checks call ``fit(X, y)`` with nothing else, on random float
data, so their instances read the groups from ``X`` through a callable
``sensitive_cols``: :data:`row_hash_groups`. skfair's own checks run on a small
realistic dataset with a real categorical sensitive column instead
(:func:`make_check_data`).
"""

import copy
import inspect
import pickle
import re

import narwhals.stable.v2 as nw
import numpy as np
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from sklearn.base import clone, is_regressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils import get_tags

from ..inprocessing import AdversarialDebiasing, ConstrainedLogisticRegression
from ..model_selection import HighConfidenceFairClassifier
from ..postprocessing import (
    BarycenterRegressor,
    CalibratedEqualizedOdds,
    RejectOptionClassifier,
    ThresholdOptimizer,
)
from ..preprocessing import (
    CorrelationRemover,
    DisparateImpactRemover,
    FairResampler,
    Reweighing,
)
from ..reductions import ExponentiatedGradient, GridSearch
from ._dataframe import as_frame, column_names, convert_frame, is_dataframe, to_numpy

# --------------------------------------------------------------------------
# Groups derived from X, for scikit-learn's checks
# --------------------------------------------------------------------------


def _float_or_zero(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _as_float_rows(X):
    """``X`` as a 2-D float array; anything not a finite number becomes 0.

    The group function must not fail on the inputs scikit-learn's checks pass
    to ``fit`` (1-D, empty, sparse, object or complex data, NaN, inf), so that
    the estimator's own validation, not the group function, reports them.
    """
    if sparse.issparse(X):
        X = X.toarray()
    elif is_dataframe(X):
        X = to_numpy(X)
    X = np.asarray(X)
    if X.ndim != 2:
        X = X.reshape(X.shape[0] if X.ndim else 1, -1)
    if X.dtype.kind == "c":
        X = X.real  # the estimator reports complex data itself
    try:
        values = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        values = np.array([[_float_or_zero(v) for v in row] for row in X])
        values = values.reshape(X.shape)
    return np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)


class _RowHashGroups:
    """Group 0 or 1 of each row of ``X``, a function of the row's values alone.

    The ``sensitive_cols`` of the instances that scikit-learn's estimator
    checks run on (those checks call ``fit(X, y)`` with X only, so the groups
    must come from X). A row's group is the parity of ``floor(w @ x)`` for the
    fixed irrational weights ``w_j = pi * sqrt(j + 2)``: a pseudo-random split
    that depends on nothing but the row, so that results are invariant to the
    order of the rows and to subsets of them, and that also splits rows of
    small integers, which several check datasets are made of. On the checks'
    datasets both groups hold both labels wherever a constraint needs them
    (tests/test_common.py fails otherwise). Non-numbers, NaN and inf count as
    0, so bad input is reported by the estimator's own validation.

    A module-level instance of a class rather than a function: it pickles,
    and its repr (part of the pytest ids) has no memory address.
    """

    def __call__(self, X):
        values = _as_float_rows(X)
        if values.shape[1] == 0:
            return np.zeros(values.shape[0], dtype=np.int64)
        weights = np.pi * np.sqrt(np.arange(2, values.shape[1] + 2))
        return (np.floor(values @ weights) % 2).astype(np.int64)

    def __repr__(self):
        return "row_hash_groups"

    def __eq__(self, other):
        return isinstance(other, _RowHashGroups)

    def __hash__(self):
        return hash(_RowHashGroups)


row_hash_groups = _RowHashGroups()

# --------------------------------------------------------------------------
# Instances
# --------------------------------------------------------------------------

# Parameters of the tested instances of every public estimator; sensitive_cols
# is added by each test module. The classifiers are tested under two
# constraints: demographic parity needs only rows in every group, equalized
# odds needs both labels in every group, which one check's dataset cannot
# give (see EXPECTED_FAILED_CHECKS). All fit in well under a second on the
# checks' small datasets with the default solvers.
INIT_PARAMS = {
    AdversarialDebiasing: [
        dict(constraints="demographic_parity", random_state=0),
        dict(constraints="equalized_odds", hidden_layer_sizes=(4,), random_state=0),
    ],
    CalibratedEqualizedOdds: [
        dict(estimator=LogisticRegression(), cost_constraint="fnr", random_state=0),
        dict(
            estimator=LogisticRegression(), cost_constraint="weighted", random_state=0
        ),
    ],
    RejectOptionClassifier: [
        dict(estimator=LogisticRegression(), constraints="demographic_parity"),
        dict(estimator=LogisticRegression(), constraints="equalized_odds"),
    ],
    Reweighing: [dict(estimator=LogisticRegression())],
    DisparateImpactRemover: [dict(random_state=0)],
    CorrelationRemover: [dict(alpha=1.0)],
    FairResampler: [
        dict(sampling="uniform", random_state=0),
        dict(sampling="preferential"),
    ],
    ConstrainedLogisticRegression: [
        dict(constraints="demographic_parity", tolerance=0.05),
        dict(constraints="equalized_odds", tolerance=0.05),
    ],
    ThresholdOptimizer: [
        dict(
            estimator=LogisticRegression(),
            constraints="demographic_parity",
            random_state=0,
        ),
        dict(
            estimator=LogisticRegression(),
            constraints="equalized_odds",
            random_state=0,
        ),
        # Levelling up: no parity constraint, every group's recall >= 0.6
        # (binary y only, which the instance's tags say).
        dict(
            estimator=LogisticRegression(),
            constraints=None,
            rate_bounds={"true_positive_rate": (0.6, None)},
            random_state=0,
        ),
        # Group-blind: rules per group inferred from X by a classifier,
        # demographic parity on the true groups; predict takes no groups.
        dict(
            estimator=LogisticRegression(),
            constraints="demographic_parity",
            group_estimator=LogisticRegression(),
            random_state=0,
        ),
    ],
    ExponentiatedGradient: [
        dict(
            estimator=LogisticRegression(),
            constraints="demographic_parity",
            tolerance=0.05,
            max_iter=10,
            random_state=0,
        ),
    ],
    GridSearch: [
        dict(estimator=LogisticRegression(), grid_size=5),
    ],
    BarycenterRegressor: [dict(estimator=Ridge(), random_state=0)],
    # bound=1 certifies any model, so that the checks see the candidate's
    # wiring (a failed certification gives a constant, which the checks'
    # accuracy thresholds reject); tests/test_high_confidence.py tests the
    # bounds themselves.
    HighConfidenceFairClassifier: [
        dict(
            estimator=ThresholdOptimizer(LogisticRegression(), random_state=0),
            constraints="demographic_parity",
            bound=1.0,
            tolerances=[0.1, 0.0],
            random_state=0,
        ),
    ],
}


def estimator_instances(**extra_params):
    """One instance per entry of :data:`INIT_PARAMS`, with ``extra_params`` set.

    Yields
    ------
    estimator : estimator instance
        Unfitted; a fresh instance (fresh inner estimators) on every call.
    """
    for Estimator, param_sets in INIT_PARAMS.items():
        for params in param_sets:
            params = {key: clone(value, safe=False) for key, value in params.items()}
            yield Estimator(**params, **extra_params)


# --------------------------------------------------------------------------
# Expected failures of scikit-learn's checks, each with its reason
# --------------------------------------------------------------------------

_NO_NEGATIVE_IN_A_GROUP = (
    "the check's dataset has a single negative row with positive weight, so "
    "one group has no negatives and its false positive rate, which "
    "constraints='equalized_odds' bounds, is undefined: fit raises the "
    "documented ValueError naming the group. The demographic_parity instance "
    "passes this check."
)
_NO_NEGATIVE_IN_A_GROUP_CEO = (
    "the check's dataset has a single negative row with positive weight, so "
    "one group has no negatives and its generalized false positive rate, part "
    "of cost_constraint='weighted', is undefined: fit raises the documented "
    "ValueError naming the group. The 'fnr' instance passes this check."
)
_RANDOMIZED_PREDICT = (
    "the fair rule randomizes between two thresholds in a group, so predict "
    "draws each row's decision with probability predict_proba[:, 1] (Hardt et "
    "al. 2016); the check requires predict == argmax(predict_proba), which a "
    "randomized classifier does not satisfy for the randomized rows. The same "
    "holds for the check's 3-class data, where the fair maps from the model's "
    "predicted class to a decision are randomized (Putzel & Lee 2022)."
)
_CLASS_MISSING_IN_A_GROUP = (
    "the check's dataset has 15 rows of 3 classes split into two groups, and "
    "one group has no row of one class, so its rates among that class, which "
    "constraints='equalized_odds' equalises, are undefined: fit raises the "
    "documented ValueError naming the group and the class. The "
    "demographic_parity instance passes this check."
)
_RANDOMIZED_MIXTURE = (
    "ExponentiatedGradient returns a randomized mixture of classifiers "
    "(Agarwal et al. 2018): predict draws each row's decision with "
    "probability predict_proba[:, 1], the mixture weight of the classifiers "
    "predicting positive, so predict == argmax(predict_proba), which the "
    "check requires, does not hold on the randomized rows; randomized=False "
    "gives a deterministic model."
)

_MINIBATCH_WEIGHTS = (
    "minibatch Adam: a row of weight 2 and two copies of the row fall in "
    "different minibatches and change the number of steps per epoch, so the "
    "stochastic fits differ (as for scikit-learn's SGDClassifier). The "
    "weights are exact in each minibatch's losses (tests/test_adversarial.py)."
)
_EMPTY_CELL = (
    "on the check's 3-class dataset one group has no row of one class, and "
    "resampling cannot create rows of an empty (group, class) cell whose size "
    "under independence is positive: fit raises the documented ValueError "
    "naming the cell (tests/test_resampler.py)."
)
_SPLIT_BY_ROWS = (
    "the candidate / safety split is by rows: a row of weight 0 takes a place "
    "in its (group, label) cell's split that a removed row does not, so the "
    "weighted and the shortened data are split differently and fit different "
    "candidates (on this check's data the weighted candidate part has no "
    "weight in one class, which the inner ThresholdOptimizer refuses). Weights "
    "reach the candidates' fit and the bound (tests/test_high_confidence.py)."
)

# (estimator class, parameters the instance must have, {check name: reason}).
EXPECTED_FAILED_CHECKS = [
    (FairResampler, {}, {"check_n_features_in_after_fitting": _EMPTY_CELL}),
    (
        AdversarialDebiasing,
        {},
        {"check_sample_weight_equivalence_on_dense_data": _MINIBATCH_WEIGHTS},
    ),
    (
        CalibratedEqualizedOdds,
        {"cost_constraint": "weighted"},
        {"check_sample_weight_equivalence_on_dense_data": _NO_NEGATIVE_IN_A_GROUP_CEO},
    ),
    (
        RejectOptionClassifier,
        {"constraints": "equalized_odds"},
        {"check_sample_weight_equivalence_on_dense_data": _NO_NEGATIVE_IN_A_GROUP},
    ),
    (
        ConstrainedLogisticRegression,
        {"constraints": "equalized_odds"},
        {
            "check_sample_weight_equivalence_on_dense_data": _NO_NEGATIVE_IN_A_GROUP,
            # Same data set, as a sparse matrix (the estimator accepts sparse X).
            "check_sample_weight_equivalence_on_sparse_data": _NO_NEGATIVE_IN_A_GROUP,
        },
    ),
    (
        ThresholdOptimizer,
        {"constraints": "equalized_odds"},
        {
            "check_sample_weight_equivalence_on_dense_data": _NO_NEGATIVE_IN_A_GROUP,
            "check_n_features_in_after_fitting": _CLASS_MISSING_IN_A_GROUP,
            "check_classifiers_train": _RANDOMIZED_PREDICT,
        },
    ),
    (
        ThresholdOptimizer,
        {"constraints": "demographic_parity"},
        {"check_classifiers_train": _RANDOMIZED_PREDICT},
    ),
    (
        ExponentiatedGradient,
        {},
        {"check_classifiers_train": _RANDOMIZED_MIXTURE},
    ),
    (
        HighConfidenceFairClassifier,
        {},
        {"check_sample_weight_equivalence_on_dense_data": _SPLIT_BY_ROWS},
    ),
]


def expected_failed_checks(estimator):
    """``{check name: reason}`` of the scikit-learn checks ``estimator`` fails.

    For ``parametrize_with_checks(..., expected_failed_checks=...)``.
    """
    params = estimator.get_params(deep=False)
    failures = {}
    for Estimator, required, checks in EXPECTED_FAILED_CHECKS:
        if type(estimator) is Estimator and all(
            params.get(key) == value for key, value in required.items()
        ):
            failures.update(checks)
    return failures


# --------------------------------------------------------------------------
# skfair's own common checks
# --------------------------------------------------------------------------

SENSITIVE = "sex"
# Position of the group column in the numpy version of the data.
SENSITIVE_POSITION = 2


# The checks run on pandas and on polars data alike: these helpers do the few
# DataFrame operations they need through narwhals.


def _drop(X, name):
    return nw.to_native(as_frame(X).drop(name))


def _column(X, name):
    return nw.to_native(as_frame(X).get_column(name))


def _take_rows(X, rows):
    return nw.to_native(as_frame(X)[[int(i) for i in rows]])


def _with_column(X, name, values):
    """``X`` with the column ``name`` replaced by ``values`` (a new frame)."""
    frame = as_frame(X)
    column = nw.new_series(name=name, values=values, backend=frame.implementation)
    return nw.to_native(frame.with_columns(column))


def _labels(column):
    """The values of a Series as a 1-D object array."""
    return np.asarray(nw.from_native(column, series_only=True).to_list(), dtype=object)


def _library(X):
    """``"pandas"`` or ``"polars"``: the library of the DataFrame ``X``."""
    return as_frame(X).implementation.name.lower()


def as_polars_data(data):
    """:func:`make_check_data`'s data with the DataFrames in polars."""
    X, y, sample_weight, X_new = data
    return convert_frame(X, "polars"), y, sample_weight, convert_frame(X_new, "polars")


def _assert_frame_equal(actual, expected, err_msg=""):
    """Same container, column names, dtypes, values (and pandas index)."""
    assert type(actual) is type(expected), err_msg
    if not (is_dataframe(expected) or nw.dependencies.is_into_series(expected)):
        assert_array_equal(actual, expected, err_msg=err_msg)
        return
    a = nw.from_native(actual, eager_only=True, allow_series=True)
    e = nw.from_native(expected, eager_only=True, allow_series=True)
    if isinstance(e, nw.DataFrame):
        assert a.schema == e.schema, err_msg
        assert_array_equal(a.to_numpy(), e.to_numpy(), err_msg=err_msg)
    else:
        assert (a.name, a.dtype) == (e.name, e.dtype), err_msg
        assert a.to_list() == e.to_list(), err_msg
    if hasattr(expected, "index"):  # pandas; polars has no index
        assert actual.index.equals(expected.index), err_msg


_PREDICT_METHODS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "transform",
)


def make_check_data(n_samples=240, seed=0):
    """A small credit-like dataset with a real categorical sensitive column.

    Returns
    -------
    X : DataFrame of shape (n_samples, 4)
        Continuous columns "income", "debt", "age" and the group column
        "sex" ("F" or "M", strings) at position :data:`SENSITIVE_POSITION`.
        The continuous columns have no ties, and rows of ``X_new`` take
        values not seen in ``X``.
    y : ndarray of shape (n_samples,)
        0/1 labels that depend on the features and on the group, both labels
        in both groups.
    sample_weight : ndarray of shape (n_samples,)
        Positive weights.
    X_new : DataFrame of shape (n_samples // 2, 4)
        Further rows from the same distribution, for predictions.
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    n_total = n_samples + n_samples // 2
    sex = rng.choice(np.array(["F", "M"], dtype=object), n_total, p=[0.4, 0.6])
    male = sex == "M"
    income = rng.normal(size=n_total) + 0.8 * male
    debt = rng.normal(size=n_total) - 0.3 * male
    age = rng.uniform(-1.5, 1.5, n_total)
    logit = 1.2 * income - 0.8 * debt + 0.4 * age + 0.5 * male - 0.3
    y = (rng.uniform(size=n_total) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    X = pd.DataFrame({"income": income, "debt": debt, SENSITIVE: sex, "age": age})
    assert list(X.columns).index(SENSITIVE) == SENSITIVE_POSITION
    sample_weight = rng.uniform(0.5, 2.0, n_samples)
    return (
        X.iloc[:n_samples].reset_index(drop=True),
        y[:n_samples],
        sample_weight,
        X.iloc[n_samples:].reset_index(drop=True),
    )


def as_numpy_data(X):
    """The numpy version of :func:`make_check_data`'s X: groups coded 0/1."""
    values = np.asarray(to_numpy(X), dtype=object)
    values[:, SENSITIVE_POSITION] = _labels(_column(X, SENSITIVE)) == "M"
    return values.astype(np.float64)


def _takes_groups(method):
    owner = getattr(method, "__self__", None)
    if getattr(owner, "group_estimator", None) is not None and (
        method.__name__ != "fit"
    ):
        # ThresholdOptimizer(group_estimator=...) decides by the inferred
        # group and refuses the groups after fit (documented, tested).
        return False
    return "sensitive_features" in inspect.signature(method).parameters


def _methods(estimator):
    return [name for name in _PREDICT_METHODS if hasattr(estimator, name)]


def _call(estimator, name, X, sensitive_features=None):
    """``estimator.<name>(X)``, with the groups if given and the method takes them."""
    method = getattr(estimator, name)
    if sensitive_features is not None and _takes_groups(method):
        return method(X, sensitive_features=sensitive_features)
    return method(X)


def _as_array(output):
    return to_numpy(output) if is_dataframe(output) else np.asarray(output)


def _float_if_numeric(column):
    """An object column as float64 if its values are all real numbers."""
    try:
        return column.astype(np.float64)
    except (TypeError, ValueError):
        return column


def _assert_same(actual, expected, err_msg="", exact=True):
    actual, expected = _as_array(actual), _as_array(expected)
    assert actual.shape == expected.shape, err_msg
    if not exact and actual.ndim == 2 and "O" in actual.dtype.kind:
        # A transformer's output with a passed-through group column: the
        # numeric columns may differ in the last digits like any other.
        for a, e in zip(actual.T, expected.T, strict=True):
            _assert_same(_float_if_numeric(a), _float_if_numeric(e), err_msg, exact)
    elif actual.dtype.kind in "OUSb" or expected.dtype.kind in "OUSb":
        assert_array_equal(actual, expected, err_msg=err_msg)
    elif exact:
        assert_array_equal(actual, expected, err_msg=err_msg)
    else:
        # Solver output may differ in the last digits when its input is
        # rearranged (rows, or the order of the groups' constraints).
        assert_allclose(actual, expected, rtol=1e-6, atol=1e-6, err_msg=err_msg)


def _drop_column(output, position):
    return np.delete(_as_array(output), position, axis=1)


def _outputs_with_cols(estimator, X):
    """Outputs of every method, the sensitive columns dropped from transform."""
    outputs = {}
    for name in _methods(estimator):
        out = _call(estimator, name, X)
        if name == "transform":
            out = _drop_column(out, column_names(X).index(SENSITIVE))
            out = out.astype(np.float64)
        outputs[name] = out
    return outputs


def check_sensitive_cols_equals_keyword(estimator, data):
    """``sensitive_cols="sex"`` and ``sensitive_features=X["sex"]`` agree.

    The estimator with ``sensitive_cols`` sees X with the column; the other
    sees X without it and gets the column as the keyword in fit and in every
    method that takes it. Fit with sample weights, so they are checked too.
    Every prediction method, ``score`` and the learned groups must agree (a
    transformer's output without the passed-through column).
    """
    X, y, sample_weight, X_new = data
    X_rest, X_new_rest = _drop(X, SENSITIVE), _drop(X_new, SENSITIVE)
    groups, groups_new = _column(X, SENSITIVE), _column(X_new, SENSITIVE)
    by_cols = clone(estimator).set_params(sensitive_cols=SENSITIVE)
    by_keyword = clone(estimator).set_params(sensitive_cols=None)
    by_cols.fit(X, y, **_weights(by_cols, sample_weight))
    by_keyword.fit(
        X_rest, y, **_weights(by_keyword, sample_weight), sensitive_features=groups
    )
    assert_array_equal(by_cols.groups_, by_keyword.groups_)
    expected = _outputs_with_cols(by_cols, X_new)
    for name, out in expected.items():
        actual = _call(by_keyword, name, X_new_rest, groups_new)
        _assert_same(actual, out, err_msg=f"{name} differs")
    if hasattr(by_cols, "score"):
        y_new = y[: len(X_new)]
        expected_score = by_cols.score(X_new, y_new)
        if _takes_groups(by_keyword.score):
            score = by_keyword.score(X_new_rest, y_new, sensitive_features=groups_new)
        else:
            score = by_keyword.score(X_new_rest, y_new)
        assert score == expected_score


def check_numpy_position_equals_frame_name(estimator, data):
    """A numpy X with the groups at a position gives what the DataFrame gives."""
    X, y, sample_weight, X_new = data
    X_num, X_new_num = (
        _with_column(
            frame, SENSITIVE, (_labels(_column(frame, SENSITIVE)) == "M").astype(float)
        )
        for frame in (X, X_new)
    )
    by_name = clone(estimator).set_params(sensitive_cols=SENSITIVE)
    by_position = clone(estimator).set_params(sensitive_cols=SENSITIVE_POSITION)
    by_name.fit(X_num, y, **_weights(by_name, sample_weight))
    by_position.fit(as_numpy_data(X), y, **_weights(by_position, sample_weight))
    for name in _methods(by_name):
        _assert_same(
            _call(by_position, name, as_numpy_data(X_new)),
            np.asarray(_call(by_name, name, X_new_num), dtype=np.float64),
            err_msg=f"{name} differs",
        )


def check_row_permutation(estimator, data):
    """Permuting the training rows changes no output; permuting rows permutes outputs.

    Outputs are compared on ``X_new``, rows not seen in fit. Randomized
    outputs (``DisparateImpactRemover``'s spreading of tied values, the
    post-processors' decisions) are hashes of each row and the seed, so the
    order of the rows changes none of them.
    """
    X, y, sample_weight, X_new = data
    perm = np.random.default_rng(1).permutation(len(X))
    perm_new = np.random.default_rng(2).permutation(len(X_new))
    est = clone(estimator).set_params(sensitive_cols=SENSITIVE)
    est.fit(X, y, **_weights(est, sample_weight))
    est_perm = clone(estimator).set_params(sensitive_cols=SENSITIVE)
    est_perm.fit(_take_rows(X, perm), y[perm], **_weights(est, sample_weight[perm]))
    for name in _methods(est):
        out = _call(est, name, X_new)
        # Sums over the rows in another order differ in the last bits.
        _assert_same(
            _call(est_perm, name, X_new),
            out,
            err_msg=f"{name} after fitting on permuted rows",
            exact=False,
        )
        _assert_same(
            _call(est, name, _take_rows(X_new, perm_new)),
            _as_array(out)[perm_new],
            err_msg=f"{name} of permuted rows",
        )


def check_group_relabelling(estimator, data):
    """An injective relabelling of the groups ("F" -> 7, "M" -> 3) changes nothing.

    The new labels are ints and sort the other way round, so the groups'
    internal order is reversed too.
    """
    X, y, sample_weight, X_new = data
    relabel = {"F": 7, "M": 3}
    X_re, X_new_re = (
        _with_column(
            frame,
            SENSITIVE,
            np.array([relabel[g] for g in _labels(_column(frame, SENSITIVE))]),
        )
        for frame in (X, X_new)
    )
    est = clone(estimator).set_params(sensitive_cols=SENSITIVE)
    est.fit(X, y, **_weights(est, sample_weight))
    est_re = clone(estimator).set_params(sensitive_cols=SENSITIVE)
    est_re.fit(X_re, y, **_weights(est, sample_weight))
    assert sorted(est_re.groups_.tolist()) == sorted(
        relabel[g] for g in est.groups_.tolist()
    )
    expected = _outputs_with_cols(est, X_new)
    actual = _outputs_with_cols(est_re, X_new_re)
    for name in expected:
        # Sums over the groups in another order differ in the last bits.
        _assert_same(actual[name], expected[name], err_msg=name, exact=False)


def check_pickle_and_clone(estimator, data):
    """Pickling a fitted estimator, and refitting a clone, give identical outputs.

    On the training rows too, where the draws of randomized methods matter.
    """
    X, y, sample_weight, X_new = data
    est = clone(estimator).set_params(sensitive_cols=SENSITIVE)
    est.fit(X, y, **_weights(est, sample_weight))
    unpickled = pickle.loads(pickle.dumps(est))
    refitted = clone(est).fit(X, y, **_weights(est, sample_weight))
    for rows in (X, X_new):
        for name in _methods(est):
            out = _call(est, name, rows)
            for other, what in ((unpickled, "pickle"), (refitted, "clone")):
                _assert_same(_call(other, name, rows), out, err_msg=f"{what}: {name}")


def check_random_state(estimator, data):
    """The same ``random_state`` gives the same output, call after call.

    Two fits with the same integer ``random_state`` give identical outputs
    of every method, and so do repeated calls on one fitted estimator, on
    the training rows (where ``DisparateImpactRemover`` draws: a hash of
    each row and the seed) and on new rows. Estimators without
    ``random_state`` are deterministic and held to the same standard.
    """
    X, y, sample_weight, X_new = data
    params = {"sensitive_cols": SENSITIVE}
    if "random_state" in estimator.get_params():
        params["random_state"] = 42
    weights = _weights(estimator, sample_weight)
    first = clone(estimator).set_params(**params).fit(X, y, **weights)
    second = clone(estimator).set_params(**params).fit(X, y, **weights)
    for rows in (X, X_new):
        for name in _methods(first):
            out = _call(first, name, rows)
            _assert_same(_call(first, name, rows), out, err_msg=f"repeated {name}")
            _assert_same(_call(second, name, rows), out, err_msg=f"refitted {name}")


def _weights(estimator, sample_weight):
    """``{"sample_weight": sample_weight}`` if ``estimator.fit`` takes weights.

    A resampler (FairResampler) takes none: it resamples rows, as
    imbalanced-learn's samplers do.
    """
    if "sample_weight" in inspect.signature(estimator.fit).parameters:
        return {"sample_weight": sample_weight}
    return {}


def _fit_params(estimator):
    return inspect.signature(estimator.fit).parameters


def check_inputs_not_modified(estimator, data):
    """Nothing passed in (X, y, groups, sample_weight) is modified, in any method.

    Run with a DataFrame and ``sensitive_cols``, and with numpy arrays and the
    ``sensitive_features=`` keyword (a Series in fit); every argument is
    compared with a deep copy taken before the call.
    """
    X, y, sample_weight, X_new = data
    if is_regressor(estimator):
        y_strings = y * 2.5 - 1.0  # a regressor's y stays numeric
    else:
        y_strings = np.where(y == 1, "good", "bad").astype(object)
    cases = [
        (
            clone(estimator).set_params(sensitive_cols=SENSITIVE),
            dict(X=copy.deepcopy(X), y=y_strings, sample_weight=sample_weight.copy()),
            dict(X=copy.deepcopy(X_new)),
        ),
        (
            clone(estimator).set_params(sensitive_cols=None),
            dict(
                X=to_numpy(_drop(X, SENSITIVE)),
                y=y.copy(),
                sample_weight=list(sample_weight),
                sensitive_features=_column(X, SENSITIVE),
            ),
            dict(
                X=to_numpy(_drop(X_new, SENSITIVE)),
                sensitive_features=_labels(_column(X_new, SENSITIVE)),
            ),
        ),
    ]
    for est, fit_args, predict_args in cases:
        calls = [("fit", fit_args)]
        calls += [(name, predict_args) for name in _methods(est)]
        if hasattr(est, "score"):
            calls.append(("score", {**predict_args, "y": fit_args["y"][: len(X_new)]}))
        for name, args in calls:
            before = copy.deepcopy(args)
            method = getattr(est, name)
            if "sensitive_features" in args and not _takes_groups(method):
                args = {k: v for k, v in args.items() if k != "sensitive_features"}
            if name == "fit" and not _weights(est, 1.0):
                args = {k: v for k, v in args.items() if k != "sample_weight"}
            method(**args)
            for key, value in args.items():
                _assert_frame_equal(value, before[key], err_msg=f"{name}: {key}")


def check_set_output(estimator, data):
    """``set_output(transform=<the data's library>)``: a frame with the same values.

    Columns are ``get_feature_names_out()``, a pandas index is the input's,
    the passed-through group column keeps its values and dtype, and the
    values equal the default (numpy) output. With ``sensitive_cols`` and with
    the keyword.
    """
    X, y, sample_weight, X_new = data
    library = _library(X)
    if hasattr(X_new, "set_axis"):  # pandas: a non-default index
        X_new = X_new.set_axis(np.arange(len(X_new)) + 1000)
    for sensitive_cols, X_fit, X_out, groups, groups_new in (
        (SENSITIVE, X, X_new, None, None),
        (
            None,
            _drop(X, SENSITIVE),
            _drop(X_new, SENSITIVE),
            _column(X, SENSITIVE),
            _column(X_new, SENSITIVE),
        ),
    ):
        keyword = {} if groups is None else {"sensitive_features": groups}
        keyword_new = {} if groups is None else {"sensitive_features": groups_new}
        plain = clone(estimator).set_params(sensitive_cols=sensitive_cols)
        plain.fit(X_fit, y, **keyword)
        framed = clone(estimator).set_params(sensitive_cols=sensitive_cols)
        framed.set_output(transform=library).fit(X_fit, y, **keyword)
        out = framed.transform(X_out, **keyword_new)
        assert type(out) is type(X_out)
        assert column_names(out) == list(framed.get_feature_names_out())
        assert column_names(out) == column_names(X_out)
        if hasattr(X_out, "index"):
            assert out.index.equals(X_out.index)
        expected = plain.transform(X_out, **keyword_new)
        assert_array_equal(np.asarray(to_numpy(out), dtype=object), _as_array(expected))
        if sensitive_cols is not None:
            _assert_frame_equal(_column(out, SENSITIVE), _column(X_out, SENSITIVE))
        fitted = framed.fit_transform(X_fit, y, **keyword)
        assert type(fitted) is type(X_fit)
        if hasattr(X_fit, "index"):
            assert fitted.index.equals(X_fit.index)


# --------------------------------------------------------------------------
# Bad input: the contract's rules, one check each
# --------------------------------------------------------------------------

# The instances whose constraint compares the groups' rates among positives
# (or negatives), so every group needs rows of both labels; the others must
# fit a group with one label. (class, parameters the instance must have).
NEEDS_BOTH_LABELS_IN_EVERY_GROUP = [
    (AdversarialDebiasing, {"constraints": "equalized_odds"}),
    # "fnr" compares the groups among positives, "weighted" among both.
    (CalibratedEqualizedOdds, {}),
    (RejectOptionClassifier, {"constraints": "equalized_odds"}),
    (ConstrainedLogisticRegression, {"constraints": "equalized_odds"}),
    (ThresholdOptimizer, {"constraints": "equalized_odds"}),
    # A bound on every group's recall needs every group's positives.
    (
        ThresholdOptimizer,
        {"constraints": None, "rate_bounds": {"true_positive_rate": (0.6, None)}},
    ),
    # Resampling to independence cannot create rows of an empty cell.
    (FairResampler, {}),
]

_REGRESSOR_HAS_NO_LABELS = (
    "BarycenterRegressor is a regressor: its y is continuous, so no group can "
    "lack a label; a group's whole distribution of predictions is what it "
    "repairs (a group with zero weight is refused, see check_sample_weight_rules)."
)
_RESAMPLER_TAKES_NO_WEIGHTS = (
    "FairResampler.fit takes no sample_weight: like imbalanced-learn's "
    "samplers it resamples rows, and a weighted row has no meaning there."
)
_RESAMPLER_HAS_NO_PREDICT = (
    "FairResampler has no predict or transform: fit_resample resamples the "
    "rows it is given, so no method maps new rows with the groups seen in fit."
)
_UNIFORM_RESAMPLER_COPIES_ROWS = (
    "FairResampler(sampling='uniform') copies rows without reading X (its "
    "allow_nan and string tags are set, as for imbalanced-learn's random "
    "samplers), so infinity in X passes through like any value; the "
    "preferential instance fits a ranker on X and refuses it."
)

# (estimator class, parameters the instance must have, {check name: reason}):
# the bad-input checks that do not apply, each with its reason. They are
# reported as skipped with the reason (tests/test_skfair_checks.py).
NOT_APPLICABLE_CHECKS = [
    (
        BarycenterRegressor,
        {},
        {"check_group_without_a_label": _REGRESSOR_HAS_NO_LABELS},
    ),
    (
        FairResampler,
        {},
        {
            "check_sample_weight_rules": _RESAMPLER_TAKES_NO_WEIGHTS,
            "check_unseen_or_missing_group_after_fit": _RESAMPLER_HAS_NO_PREDICT,
        },
    ),
    (
        FairResampler,
        {"sampling": "uniform"},
        {"check_inf_in_X": _UNIFORM_RESAMPLER_COPIES_ROWS},
    ),
]


def _matches(table, estimator):
    params = estimator.get_params(deep=False)
    return [
        entry
        for Estimator, required, *entry in table
        if type(estimator) is Estimator
        and all(params.get(key) == value for key, value in required.items())
    ]


def not_applicable_checks(estimator):
    """``{check name: reason}`` of the bad-input checks that do not apply."""
    reasons = {}
    for (checks,) in _matches(NOT_APPLICABLE_CHECKS, estimator):
        reasons.update(checks)
    return reasons


def needs_both_labels_in_every_group(estimator):
    """Whether ``estimator``'s constraint needs both labels in every group."""
    return bool(_matches(NEEDS_BOTH_LABELS_IN_EVERY_GROUP, estimator))


def _raises(pattern, call, what):
    """Run ``call()``; it must raise a ValueError whose message matches ``pattern``."""
    try:
        call()
    except ValueError as exc:
        message = str(exc)
        if not re.search(pattern, message):
            raise AssertionError(
                f"{what}: the ValueError does not name the problem "
                f"({pattern!r}): {message!r}"
            ) from exc
        return
    raise AssertionError(f"{what}: no ValueError was raised")


def _fit_args(estimator, sample_weight):
    return _weights(estimator, sample_weight)


def check_one_group_is_refused(estimator, data):
    """A fit on one group raises a ValueError naming the group.

    With ``sensitive_cols`` and with the keyword: a constraint or repair
    between groups would do nothing with one group, silently.
    """
    X, y, sample_weight, _ = data
    one = np.full(len(y), "F", dtype=object)
    by_cols = clone(estimator).set_params(sensitive_cols=SENSITIVE)
    X_one = _with_column(X, SENSITIVE, one)
    _raises(
        r"one group only \('F'\)",
        lambda: by_cols.fit(X_one, y, **_fit_args(by_cols, sample_weight)),
        "sensitive_cols with one group",
    )
    by_keyword = clone(estimator).set_params(sensitive_cols=None)
    _raises(
        r"one group only \('F'\)",
        lambda: by_keyword.fit(
            _drop(X, SENSITIVE),
            y,
            sensitive_features=one,
            **_fit_args(by_keyword, sample_weight),
        ),
        "sensitive_features= with one group",
    )


def check_missing_group_in_fit_is_refused(estimator, data):
    """A missing group label (None, NaN) in fit raises a ValueError saying so."""
    X, y, sample_weight, _ = data
    labels = _labels(_column(X, SENSITIVE))
    labels[3] = None
    est = clone(estimator).set_params(sensitive_cols=SENSITIVE)
    X_missing = _with_column(X, SENSITIVE, labels)
    _raises(
        "missing values",
        lambda: est.fit(X_missing, y, **_fit_args(est, sample_weight)),
        "None in the group column",
    )
    by_keyword = clone(estimator).set_params(sensitive_cols=None)
    codes = (_labels(_column(X, SENSITIVE)) == "M").astype(float)
    codes[5] = np.nan
    _raises(
        "missing values",
        lambda: by_keyword.fit(
            _drop(X, SENSITIVE),
            y,
            sensitive_features=codes,
            **_fit_args(by_keyword, sample_weight),
        ),
        "NaN in sensitive_features=",
    )


def _with_feature(X, value, row=3, name="income"):
    values = _labels(_column(X, name)).astype(np.float64)
    values[row] = value
    return _with_column(X, name, values)


def _check_refused_value(est, data, fit_value, new_value, pattern, what):
    """``fit_value`` in a feature of the training rows, then ``new_value`` in a
    feature of new rows: a ValueError matching ``pattern`` in fit and in every
    method of the estimator fitted on the clean rows."""
    X, y, sample_weight, X_new = data
    _raises(
        pattern,
        lambda: est.fit(
            _with_feature(X, fit_value), y, **_fit_args(est, sample_weight)
        ),
        f"fit with {what} in X",
    )
    est.fit(X, y, **_fit_args(est, sample_weight))
    X_bad = _with_feature(X_new, new_value)
    for name in _methods(est):
        _raises(
            pattern,
            lambda name=name: _call(est, name, X_bad),
            f"{name} with {what} in X",
        )


def check_nan_in_X(estimator, data):
    """NaN in a feature column: a ValueError in fit and in every method.

    Unless the estimator's ``allow_nan`` tag is set: then fit works.
    """
    X, y, sample_weight, _ = data
    est = clone(estimator).set_params(sensitive_cols=SENSITIVE)
    if get_tags(est).input_tags.allow_nan:
        est.fit(_with_feature(X, np.nan), y, **_fit_args(est, sample_weight))
        return
    _check_refused_value(est, data, np.nan, np.nan, "(?i)nan|missing", "NaN")


def check_inf_in_X(estimator, data):
    """Infinity in a feature column: a ValueError in fit and in every method."""
    est = clone(estimator).set_params(sensitive_cols=SENSITIVE)
    _check_refused_value(est, data, np.inf, -np.inf, "(?i)inf", "infinity")


def check_group_without_a_label(estimator, data):
    """A group without positives: refused by name where the constraint needs them.

    Where the constraint compares the groups among positives or negatives
    (:data:`NEEDS_BOTH_LABELS_IN_EVERY_GROUP`), fit raises a ValueError
    naming the group; elsewhere (demographic parity, a repair of X) the fit
    works.
    """
    X, y, sample_weight, _ = data
    y_none_in_f = np.where(_labels(_column(X, SENSITIVE)) == "F", 0, y)
    est = clone(estimator).set_params(sensitive_cols=SENSITIVE)

    def fit():
        est.fit(X, y_none_in_f, **_fit_args(est, sample_weight))

    if needs_both_labels_in_every_group(estimator):
        _raises("'F'", fit, "a group without positives")
    else:
        fit()


def check_sample_weight_rules(estimator, data):
    """Negative weights and all-zero weights raise; some zero weights are fine."""
    X, y, sample_weight, _ = data
    est = clone(estimator).set_params(sensitive_cols=SENSITIVE)
    negative = sample_weight.copy()
    negative[7] = -1.0
    _raises(
        "negative",
        lambda: est.fit(X, y, sample_weight=negative),
        "a negative sample_weight",
    )
    _raises(
        "(?i)weight",
        lambda: est.fit(X, y, sample_weight=np.zeros_like(sample_weight)),
        "sample_weight zero for every row",
    )
    some_zero = np.where(np.arange(len(y)) % 5 == 0, 0.0, sample_weight)
    est.fit(X, y, sample_weight=some_zero)


def check_unseen_or_missing_group_after_fit(estimator, data):
    """After fit, a group not seen in fit, or a missing one, in new rows.

    A method that takes ``sensitive_features=`` (its output depends on the
    group) raises a ValueError naming the unseen group, or saying that a
    group is missing. A method that does not (it ignores the groups) gives
    the same output whatever the group column holds.
    """
    X, y, sample_weight, X_new = data
    est = clone(estimator).set_params(sensitive_cols=SENSITIVE)
    est.fit(X, y, **_fit_args(est, sample_weight))
    labels = _labels(_column(X_new, SENSITIVE))
    for bad, pattern in (("unseen", "'unseen'.*not seen in fit"), (None, "missing")):
        changed = labels.copy()
        changed[2] = bad
        X_bad = _with_column(X_new, SENSITIVE, changed)
        for name in _methods(est):
            if _takes_groups(getattr(est, name)):
                _raises(
                    pattern,
                    lambda name=name, X_bad=X_bad: _call(est, name, X_bad),
                    f"{name} with a group {bad!r}",
                )
            else:
                _assert_same(
                    _call(est, name, X_bad),
                    _call(est, name, X_new),
                    err_msg=f"{name} reads the groups it does not take",
                )


def check_batch_independence(estimator, data):
    """Each row's output is the same in a batch of its own as in the whole batch."""
    X, y, sample_weight, X_new = data
    est = clone(estimator).set_params(sensitive_cols=SENSITIVE)
    est.fit(X, y, **_fit_args(est, sample_weight))
    head, tail = np.arange(7), np.arange(7, len(X_new))
    for name in _methods(est):
        whole = _as_array(_call(est, name, X_new))
        for rows in (head, tail):
            # Matrix products over fewer rows may differ in the last bits.
            _assert_same(
                _call(est, name, _take_rows(X_new, rows)),
                whole[rows],
                err_msg=f"{name} of a sub-batch",
                exact=False,
            )


BAD_INPUT_CHECKS = (
    check_one_group_is_refused,
    check_missing_group_in_fit_is_refused,
    check_nan_in_X,
    check_inf_in_X,
    check_group_without_a_label,
    check_sample_weight_rules,
    check_unseen_or_missing_group_after_fit,
    check_batch_independence,
)


def skfair_checks(estimator):
    """skfair's common checks that apply to ``estimator``.

    Yields
    ------
    check : callable
        ``check(estimator, data)`` with ``data`` from :func:`make_check_data`.
    """
    yield check_sensitive_cols_equals_keyword
    yield check_numpy_position_equals_frame_name
    yield check_row_permutation
    yield check_group_relabelling
    yield check_pickle_and_clone
    yield check_random_state
    yield check_inputs_not_modified
    if hasattr(estimator, "transform") and hasattr(estimator, "set_output"):
        yield check_set_output
    not_applicable = not_applicable_checks(estimator)
    for check in BAD_INPUT_CHECKS:
        if check.__name__ not in not_applicable:
            yield check
