"""ConstrainedLogisticRegression on Dask arrays equals its in-memory fit."""

import numpy as np
import pytest

from skfair.inprocessing import ConstrainedLogisticRegression
from skfair.inprocessing import _dask as clr_dask
from skfair.inprocessing._decisions import feasible_threshold, window_thresholds
from skfair.inprocessing._problem import _RateConstrainedLogistic
from skfair.metrics import equalized_odds_difference

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.usefixtures("dask_client")


def _data(n=3000, seed=0, n_features=3):
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    shift = (group == "a") * 1.0 - (group == "c") * 0.5
    X = rng.normal(size=(n, n_features))
    X[:, 0] += shift
    X[:, 1] *= 1e3  # a raw column of another scale: the scaling must agree
    y = (X[:, 0] + X[:, 1] / 1e3 + rng.normal(size=n) > 0.3).astype(int)
    sample_weight = rng.exponential(size=n)
    return X, y, group, sample_weight


def _chunked(values, rows=1201):
    return da.from_array(values, chunks=(rows,) + values.shape[1:])


def _both(params, X, y, group, sample_weight=None):
    memory = ConstrainedLogisticRegression(**params).fit(
        X, y, sample_weight=sample_weight, sensitive_features=group
    )
    on_dask = ConstrainedLogisticRegression(**params).fit(
        _chunked(X),
        _chunked(y),
        sample_weight=None if sample_weight is None else _chunked(sample_weight),
        sensitive_features=_chunked(group),
    )
    return memory, on_dask


def _assert_same_fit(memory, on_dask, atol=1e-6):
    np.testing.assert_allclose(on_dask.coef_, memory.coef_, rtol=0, atol=atol)
    np.testing.assert_allclose(on_dask.intercept_, memory.intercept_, atol=atol)
    np.testing.assert_allclose(on_dask.training_gaps_, memory.training_gaps_, atol=1e-9)
    np.testing.assert_array_equal(on_dask.classes_, memory.classes_)
    np.testing.assert_array_equal(on_dask.groups_, memory.groups_)


@pytest.mark.parametrize("gap_of", ["predict", "predict_proba", "decision_function"])
@pytest.mark.parametrize("weighted", [False, True])
def test_dask_fit_equals_the_in_memory_fit(gap_of, weighted):
    X, y, group, sample_weight = _data()
    params = dict(tolerance=0.01, gap_of=gap_of)
    memory, on_dask = _both(params, X, y, group, sample_weight if weighted else None)
    _assert_same_fit(memory, on_dask)
    assert on_dask.n_features_in_ == X.shape[1]
    # The bound holds for the Dask fit's decisions too.
    if gap_of == "predict":
        gap = equalized_odds_difference(
            y,
            on_dask.predict(X),
            sensitive_features=group,
            sample_weight=sample_weight if weighted else None,
        )
        assert gap <= 0.01 + memory.training_gaps_.max() + 1e-12


@pytest.mark.parametrize(
    "constraints",
    ["demographic_parity", "equal_opportunity", "false_positive_rate_parity"],
)
def test_dask_fit_equals_in_memory_for_every_constraint(constraints):
    X, y, group, _ = _data(seed=1)
    memory, on_dask = _both(dict(constraints=constraints, tolerance=0.02), X, y, group)
    _assert_same_fit(memory, on_dask)


def test_dask_labels_groups_and_sensitive_cols():
    """String labels, groups in a column of X (given by position)."""
    X, y, group, _ = _data(seed=2)
    labels = np.where(y == 1, "yes", "no")
    codes = np.searchsorted(["a", "b", "c"], group).astype(float)
    with_groups = np.column_stack([X[:, :1], codes, X[:, 1:]])
    params = dict(sensitive_cols=1, tolerance=0.02)
    memory = ConstrainedLogisticRegression(**params).fit(with_groups, labels)
    on_dask = ConstrainedLogisticRegression(**params).fit(
        _chunked(with_groups), _chunked(labels)
    )
    _assert_same_fit(memory, on_dask)
    assert on_dask.n_features_in_ == 4 and on_dask.coef_.shape == (1, 3)
    # Predictions on Dask input are lazy, chunked like the rows, and equal.
    dX = _chunked(with_groups)
    for method in (
        "predict",
        "decision_function",
        "predict_proba",
        "predict_log_proba",
    ):
        out = getattr(on_dask, method)(dX)
        assert isinstance(out, da.Array) and out.chunks[0] == dX.chunks[0]
        expected = getattr(memory, method)(with_groups)
        if method == "predict":
            np.testing.assert_array_equal(out.compute(), expected)
        else:
            np.testing.assert_allclose(out.compute(), expected, atol=1e-6)


def test_dask_fit_reads_X_once_per_trial_step(monkeypatch):
    """The trial's loss, rates, gradient and Jacobian come in one pass."""
    calls = {"design": 0}
    design = clr_dask._block_design

    def counting(X, program):
        calls["design"] += 1
        return design(X, program)

    monkeypatch.setattr(clr_dask, "_block_design", counting)
    X, y, group, _ = _data(n=1400)
    clf = ConstrainedLogisticRegression(gap_of="predict_proba", tolerance=0.01)
    clf.fit(_chunked(X), _chunked(y), sensitive_features=_chunked(group))
    n_blocks = 2
    # Each iteration: a trial (step scores and sums share one block read,
    # two design calls), plus a curvature now and then; never a separate
    # pass for the gradient of an accepted step.
    per_iteration = calls["design"] / n_blocks / clf.n_iter_[0]
    assert per_iteration <= 3.5


def test_window_thresholds_equal_the_full_search():
    """Any window around 0 gives the full search's thresholds once it ends."""
    rng = np.random.default_rng(0)
    for trial in range(40):
        n = 300
        X = rng.normal(size=(n, 2))
        group = rng.integers(0, 2, n)
        y = (X[:, 0] + rng.normal(size=n) > 0).astype(int)
        cells = np.where(y == 1, group, 2 + group)
        weight = rng.exponential(size=n)
        model = _RateConstrainedLogistic(X, y, weight, cells, 4, 1.0, True)
        z = np.round(rng.normal(size=n) + 0.3 * group, 2)  # ties included
        bounds = np.full(2, rng.uniform(0.0, 0.2))
        expected = feasible_threshold(model.cells, z, 2, bounds)
        cell_of_row = np.asarray(model.cells.argmax(axis=0)).ravel()
        share = np.asarray(model.cells.max(axis=0).toarray()).ravel()
        width = rng.uniform(0.01, 0.5)
        while True:
            inside = np.abs(z) <= width
            above, below = z > width, z < -width
            base = np.bincount(cell_of_row[above], share[above], minlength=4)
            thresholds, ended = window_thresholds(
                z[inside],
                cell_of_row[inside],
                share[inside],
                base,
                2,
                bounds,
                above=z[above].min() if above.any() else None,
                below=z[below].max() if below.any() else None,
            )
            if all(ended):
                break
            width *= 4
        assert thresholds == pytest.approx(expected, abs=0), trial


@pytest.mark.parametrize(
    "change, match",
    [
        (
            lambda X, y, g, w: (
                np.where(np.arange(len(y))[:, None] == 5, np.nan, X),
                y,
                g,
                w,
            ),
            "NaN",
        ),
        (lambda X, y, g, w: (X, np.zeros_like(y), g, w), "one class"),
        (
            lambda X, y, g, w: (X, np.where(np.arange(len(y)) == 3, 2, y), g, w),
            "binary",
        ),
        (
            lambda X, y, g, w: (X, y, np.where((g == "c") & (y == 1), "a", g), w),
            "'c' has no rows with label 1",
        ),
        (lambda X, y, g, w: (X, y, g, -w), "negative"),
    ],
    ids=["nan", "one-class", "multiclass", "empty-cell", "negative-weight"],
)
def test_dask_bad_input_gets_the_in_memory_error(change, match):
    X, y, group, weight = change(*_data(n=1000))
    with pytest.raises(ValueError, match=match):
        ConstrainedLogisticRegression().fit(
            X, y, sample_weight=weight, sensitive_features=group
        )
    with pytest.raises(ValueError, match=match):
        ConstrainedLogisticRegression().fit(
            _chunked(X),
            _chunked(y),
            sample_weight=_chunked(weight),
            sensitive_features=_chunked(group),
        )


def test_dask_input_errors_name_the_problem():
    X, y, group, _ = _data(n=1000)
    with pytest.raises(ValueError, match="pass X as a Dask array"):
        ConstrainedLogisticRegression().fit(X, _chunked(y), sensitive_features=group)
    with pytest.raises(ValueError, match="integer column positions"):
        ConstrainedLogisticRegression(sensitive_cols="sex").fit(_chunked(X), y)
    with pytest.raises(ValueError, match="sensitive_features="):
        ConstrainedLogisticRegression().fit(_chunked(X), _chunked(y))
    clf = ConstrainedLogisticRegression(tolerance=0.05).fit(
        _chunked(X), _chunked(y), sensitive_features=_chunked(group)
    )
    with pytest.raises(ValueError, match="features"):
        clf.predict(_chunked(X[:, :2]))


def test_dask_projection_onto_the_decisions_equals_the_in_memory_one(three_group_data):
    """Three groups at tolerance 0: the fit ends with the projection onto the
    decisions (see ConstrainedLogisticRegression._project_onto_decisions),
    whose exact rates and slopes come from the blocks."""
    X, y, group = three_group_data(6000, seed=2)
    memory = ConstrainedLogisticRegression(tolerance=0.0).fit(
        X, y, sensitive_features=group
    )
    on_dask = ConstrainedLogisticRegression(tolerance=0.0).fit(
        _chunked(X, 2500), _chunked(y, 2500), sensitive_features=_chunked(group, 2500)
    )
    _assert_same_fit(memory, on_dask)
    assert memory.score(X, y) > max(np.mean(y), 1 - np.mean(y)) + 0.03
