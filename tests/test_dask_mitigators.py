"""The mitigators on Dask collections equal their in-memory fits."""

import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from skfair.postprocessing import ThresholdOptimizer
from skfair.preprocessing import Reweighing, _reweighing, reweighing_weights
from skfair.utils import _dask as dask_utils
from skfair.utils._dask import DaskInputWarning

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")


# A LocalCluster for the module (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("dask_client")


def _data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    shift = (group == "a") * 1.0 - (group == "c") * 0.5
    X = np.column_stack([rng.normal(size=n) + shift, rng.normal(size=n)])
    y = (X[:, 0] + rng.normal(size=n) > 0.3).astype(int)
    sample_weight = rng.exponential(size=n)
    return X, y, group, sample_weight


def _chunked(values, rows=97):
    return da.from_array(values, chunks=(rows,) + values.shape[1:])


def _close(actual, expected):
    """Equal to 1e-12 relative to the largest weight."""
    assert actual.shape == expected.shape
    assert np.abs(actual - expected).max() <= 1e-12 * np.abs(expected).max()


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("intersectional", [False, True])
def test_dask_weights_equal_the_in_memory_weights(weighted, intersectional):
    X, y, group, sample_weight = _data()
    sens = np.column_stack([group, X[:, 1] > 0]) if intersectional else group
    sw = sample_weight if weighted else None
    expected = reweighing_weights(y, sensitive_features=sens, sample_weight=sw)
    weights = reweighing_weights(
        _chunked(y),
        sensitive_features=_chunked(sens),
        sample_weight=None if sw is None else _chunked(sw),
    )
    assert isinstance(weights, da.Array)
    assert weights.chunks == _chunked(y).chunks
    _close(weights.compute(), expected)


def test_dask_weights_with_in_memory_groups_follow_the_dask_chunks():
    _, y, group, sample_weight = _data()
    expected = reweighing_weights(
        y, sensitive_features=group, sample_weight=sample_weight
    )
    weights = reweighing_weights(
        y, sensitive_features=group, sample_weight=_chunked(sample_weight, 250)
    )
    assert weights.chunks == ((250, 250, 100),)
    _close(weights.compute(), expected)


def test_blocks_that_see_different_groups_and_classes_merge_by_label():
    # Sorted rows: the first blocks hold group "a" and class 0 only, so each
    # block encodes its labels differently.
    X, y, group, _ = _data()
    order = np.lexsort((y, group))
    y, group = y[order], group[order]
    expected = reweighing_weights(y, sensitive_features=group)
    weights = reweighing_weights(_chunked(y, 50), sensitive_features=_chunked(group))
    _close(weights.compute(), expected)


def test_the_cell_table_takes_one_pass_and_the_weights_stay_lazy(monkeypatch):
    # The local scheduler runs the tasks in this process, unpickled, so the
    # counting wrappers below see every block.
    monkeypatch.setitem(dask.config.config, "scheduler", "sync")
    _, y, group, _ = _data()
    tabulated, weighed = [], []
    block_cells, block_weights = _reweighing._block_cells, _reweighing._block_weights

    def counting_cells(y, *args):
        tabulated.append(len(y))
        return block_cells(y, *args)

    def counting_weights(y, *args):
        weighed.append(len(y))
        return block_weights(y, *args)

    monkeypatch.setattr(_reweighing, "_block_cells", counting_cells)
    monkeypatch.setattr(_reweighing, "_block_weights", counting_weights)
    weights = reweighing_weights(_chunked(y), sensitive_features=_chunked(group))
    assert sorted(tabulated) == sorted(_chunked(y).chunks[0])
    assert weighed == []
    weights.compute()
    assert sorted(weighed) == sorted(_chunked(y).chunks[0])


def test_dask_reweighing_checks_labels_across_blocks():
    _, y, group, sample_weight = _data()
    # Every block of 2 rows holds at most 2 values; all together are continuous.
    continuous = np.linspace(0.05, 0.95, 40)
    with pytest.raises(ValueError, match="Unknown label type: 'continuous'"):
        reweighing_weights(
            _chunked(continuous, 2), sensitive_features=_chunked(group[:40], 2)
        )
    missing = group.astype(object)
    missing[-1] = None
    with pytest.raises(ValueError, match="missing"):
        reweighing_weights(_chunked(y), sensitive_features=_chunked(missing))
    with pytest.raises(ValueError, match="overflow"):
        reweighing_weights(
            _chunked(y),
            sensitive_features=_chunked(group),
            sample_weight=_chunked(np.full(y.size, 1.7e308)),
        )
    with pytest.raises(ValueError, match="sums to zero"):
        reweighing_weights(
            _chunked(y),
            sensitive_features=_chunked(group),
            sample_weight=_chunked(np.zeros(y.size)),
        )
    with pytest.raises(ValueError, match="rows"):
        reweighing_weights(_chunked(y), sensitive_features=_chunked(group[:-1]))


# scikit-learn's check_array asks dask for np.may_share_memory.
@pytest.mark.filterwarnings("ignore:The `numpy.may_share_memory`:FutureWarning")
def test_reweighing_warns_that_a_numpy_estimator_gathers_dask_input():
    X, y, group, _ = _data()
    X_groups = np.column_stack([(group == "a") * 1.0, X])
    expected = Reweighing(LogisticRegression(), sensitive_cols=0).fit(X_groups, y)
    dask_X = _chunked(X_groups)
    with pytest.warns(DaskInputWarning, match="LogisticRegression does not accept"):
        fitted = Reweighing(LogisticRegression(), sensitive_cols=0).fit(
            dask_X, _chunked(y)
        )
    np.testing.assert_allclose(fitted.estimator_.coef_, expected.estimator_.coef_)
    np.testing.assert_allclose(fitted.weight_factors_, expected.weight_factors_)
    np.testing.assert_array_equal(fitted.groups_, expected.groups_)


class _DaskPriorClassifier(ClassifierMixin, BaseEstimator):
    """Predicts the class of largest weight, computed on the cluster."""

    def fit(self, X, y, sample_weight=None):
        assert isinstance(X, da.Array) and isinstance(sample_weight, da.Array)
        self.classes_ = np.array([0, 1])
        self.class_weight_ = np.array(
            [float((sample_weight * (y == c)).sum().compute()) for c in self.classes_]
        )
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        top = self.classes_[np.argmax(self.class_weight_)]
        return da.full(X.shape[0], top, chunks=X.chunks[0])


def test_reweighing_passes_lazy_weights_to_a_dask_estimator(monkeypatch):
    monkeypatch.setattr(
        dask_utils,
        "_DASK_AWARE_MODULES",
        dask_utils._DASK_AWARE_MODULES + (_DaskPriorClassifier.__module__,),
    )
    X, y, group, sample_weight = _data()
    expected = reweighing_weights(
        y, sensitive_features=group, sample_weight=sample_weight
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", DaskInputWarning)
        fitted = Reweighing(_DaskPriorClassifier()).fit(
            _chunked(X),
            _chunked(y),
            sensitive_features=_chunked(group),
            sample_weight=_chunked(sample_weight),
        )
    # Reweighing keeps each class's total weight.
    totals = [expected[y == c].sum() for c in (0, 1)]
    np.testing.assert_allclose(fitted.estimator_.class_weight_, totals, rtol=1e-12)
    assert isinstance(fitted.predict(_chunked(X)), da.Array)


# ThresholdOptimizer(prefit=True) on Dask arrays.


def _scored_data(n=900, seed=1):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    X = np.column_stack([group, rng.normal(size=n) + 0.5 * group, rng.normal(size=n)])
    y = (X[:, 1] + rng.normal(size=n) > 0.7).astype(int)
    return X, y, rng.exponential(size=n)


def _weighty(rule):
    """A decision rule without its vertices of weight below 1e-12."""
    # probabilities[j] sums the weights of vertices j, j + 1, ...
    keep = np.diff(rule["probabilities"], append=0) < -1e-12
    return {key: values[keep] for key, values in rule.items()}


@pytest.mark.parametrize("weighted", [False, True, "zeros"])
@pytest.mark.parametrize(
    "model", [LogisticRegression(), DecisionTreeClassifier(max_depth=3)]
)
@pytest.mark.parametrize("constraints", ["equalized_odds", "demographic_parity"])
def test_dask_threshold_optimizer_equals_the_in_memory_fit(
    weighted, model, constraints
):
    # The tree has few distinct scores: ties spread over many blocks.
    X, y, sample_weight = _scored_data()
    sw = sample_weight if weighted else None
    if weighted == "zeros":
        # Rows of weight 0: their scores stay threshold candidates.
        sw = np.where(np.arange(len(y)) % 7 == 0, 0.0, sample_weight)
    model = clone(model).fit(X[:, 1:], y)
    params = dict(
        prefit=True,
        sensitive_cols=0,
        constraints=constraints,
        tolerance=0.01,
        random_state=0,
    )
    expected = ThresholdOptimizer(model, **params).fit(X, y, sample_weight=sw)
    fitted = ThresholdOptimizer(model, **params).fit(
        _chunked(X, 100),
        _chunked(y, 100),
        sample_weight=None if sw is None else _chunked(sw, 100),
    )
    np.testing.assert_array_equal(fitted.groups_, expected.groups_)
    np.testing.assert_array_equal(fitted.classes_, expected.classes_)
    for got, want in zip(fitted.roc_hulls_, expected.roc_hulls_, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    # The same thresholds carry the same probabilities (a vertex the LP
    # gives weight 4e-17 in one fit may be absent from the other).
    for got, want in zip(fitted.decision_rules_, expected.decision_rules_, strict=True):
        got, want = _weighty(got), _weighty(want)
        np.testing.assert_array_equal(got["thresholds"], want["thresholds"])
        np.testing.assert_allclose(
            got["probabilities"], want["probabilities"], atol=1e-9
        )
    accuracy = expected.score(X, y, sample_weight=sw)
    assert abs(fitted.score(X, y, sample_weight=sw) - accuracy) <= 1e-9

    proba = fitted.predict_proba(_chunked(X, 100))
    assert isinstance(proba, da.Array) and proba.chunks[0] == _chunked(y, 100).chunks[0]
    np.testing.assert_allclose(proba.compute(), expected.predict_proba(X), atol=1e-9)
    y_pred = fitted.predict(_chunked(X, 100))
    assert isinstance(y_pred, da.Array)
    np.testing.assert_array_equal(y_pred.compute(), expected.predict(X))


def test_dask_threshold_optimizer_scores_each_block_once(monkeypatch):
    monkeypatch.setitem(dask.config.config, "scheduler", "sync")
    X, y, _ = _scored_data()
    model = LogisticRegression().fit(X[:, 1:], y)
    seen = []
    predict_proba = type(model).predict_proba

    def recording(self, X_block):
        seen.append(len(X_block))
        return predict_proba(self, X_block)

    monkeypatch.setattr(type(model), "predict_proba", recording)
    group = X[:, 0].astype(int)
    ThresholdOptimizer(model, prefit=True).fit(
        _chunked(X[:, 1:], 200),
        _chunked(y, 200),
        sensitive_features=_chunked(group, 200),
    )
    assert sorted(seen) == sorted(_chunked(y, 200).chunks[0])


def test_dask_threshold_optimizer_merges_the_summaries_on_the_driver(monkeypatch):
    """Workers only tabulate their blocks; the one merge runs in this process
    (a merge on a worker holds both halves and the result, which overflowed
    1.5 GB workers on 20M continuous scores)."""
    from skfair.postprocessing import _dask as to_dask

    calls = []
    merge = to_dask._merge_summaries

    def recording(summaries):
        calls.append(len(summaries))
        return merge(summaries)

    monkeypatch.setattr(to_dask, "_merge_summaries", recording)
    X, y, _ = _scored_data()
    model = LogisticRegression().fit(X[:, 1:], y)
    group = X[:, 0].astype(int)
    fitted = ThresholdOptimizer(model, prefit=True).fit(
        _chunked(X[:, 1:], 200),
        _chunked(y, 200),
        sensitive_features=_chunked(group, 200),
    )
    assert calls == [len(_chunked(y, 200).chunks[0])]
    reference = ThresholdOptimizer(model, prefit=True).fit(
        X[:, 1:], y, sensitive_features=group
    )
    np.testing.assert_allclose(
        fitted.predict_proba(X[:, 1:], sensitive_features=group),
        reference.predict_proba(X[:, 1:], sensitive_features=group),
        atol=1e-12,
    )


def test_dask_threshold_optimizer_needs_a_prefit_binary_model():
    X, y, _ = _scored_data()
    model = LogisticRegression().fit(X[:, 1:], y)
    dX, dy = _chunked(X), _chunked(y)
    with pytest.raises(ValueError, match="only with prefit=True"):
        ThresholdOptimizer(LogisticRegression(), sensitive_cols=0).fit(dX, dy)
    with pytest.raises(ValueError, match="holds label 2"):
        ThresholdOptimizer(model, prefit=True, sensitive_cols=0).fit(
            dX, _chunked(np.where(np.arange(y.size) == 5, 2, y))
        )
    with pytest.raises(ValueError, match="one class only"):
        ThresholdOptimizer(model, prefit=True, sensitive_cols=0).fit(
            dX, _chunked(np.zeros_like(y))
        )
    # Group 0 has no positives: its true positive rate is undefined.
    y_no_pos = np.where(X[:, 0] == 0, 0, y)
    with pytest.raises(ValueError, match="Group 0.0 has no positive samples"):
        ThresholdOptimizer(model, prefit=True, sensitive_cols=0).fit(
            dX, _chunked(y_no_pos)
        )


def _one_group_fits():
    from skfair.inprocessing import ConstrainedLogisticRegression
    from skfair.preprocessing import DisparateImpactRemover

    X, y, _, _ = _data(n=300)
    Xd, yd = _chunked(X), _chunked(y)
    groups = _chunked(np.zeros(300, dtype=np.int64))
    model = LogisticRegression().fit(X, y)
    return {
        "ConstrainedLogisticRegression": lambda: ConstrainedLogisticRegression(
            constraints="demographic_parity"
        ).fit(Xd, yd, sensitive_features=groups),
        "DisparateImpactRemover": lambda: DisparateImpactRemover().fit(
            Xd, sensitive_features=groups
        ),
        "Reweighing": lambda: Reweighing(LogisticRegression()).fit(
            Xd, yd, sensitive_features=groups
        ),
        "ThresholdOptimizer": lambda: ThresholdOptimizer(
            model, prefit=True, constraints="demographic_parity"
        ).fit(Xd, yd, sensitive_features=groups),
    }


@pytest.mark.parametrize(
    "name",
    [
        "ConstrainedLogisticRegression",
        "DisparateImpactRemover",
        "Reweighing",
        "ThresholdOptimizer",
    ],
)
def test_dask_fit_of_one_group_is_refused_as_in_memory(name):
    # Issue 30: the block-by-block fits check the merged groups too.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DaskInputWarning)
        with pytest.raises(ValueError, match=rf"one group only \(0\).*{name}"):
            _one_group_fits()[name]()
