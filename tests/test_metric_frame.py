"""MetricFrame against fairlearn's MetricFrame (the oracle), and its intervals."""

import contextlib
import warnings

import fairlearn.metrics as flm
import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from sklearn.linear_model import LogisticRegression

from skfair.datasets import load_adult
from skfair.exceptions import UndefinedRateWarning
from skfair.metrics import (
    MetricFrame,
    count,
    false_negative_rate,
    make_derived_metric,
    mean_prediction,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)


@pytest.fixture(scope="module")
def adult():
    """Predictions of a logistic regression on Adult's numeric columns."""
    # 6,000 rows keep fairlearn's MetricFrame (the oracle, a pandas groupby
    # per call) fast; every sex x race group still occurs.
    data = load_adult()
    data.data, data.target = data.data.iloc[:6000], data.target.iloc[:6000]
    numeric = data.data.select_dtypes("number")
    X = ((numeric - numeric.mean()) / numeric.std()).to_numpy()
    y = data.target.to_numpy()
    score = LogisticRegression(max_iter=300).fit(X, y).predict_proba(X)[:, 1]
    return {
        "y": y,
        "score": score,
        "pred": (score > 0.35).astype(int),
        "sf": data.data[["sex", "race"]].astype(str),
        "cf": pd.Series(
            np.where(data.data["age"] > 40, "over 40", "40 or under"), name="age"
        ),
        "w": data.data["fnlwgt"].to_numpy() / 1e5,
    }


def _assert_same(expected, actual):
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(expected, actual, check_dtype=False)
    elif isinstance(expected, pd.Series):
        pd.testing.assert_series_equal(expected, actual, check_dtype=False)
    else:
        assert not isinstance(actual, (pd.Series, pd.DataFrame))
        np.testing.assert_allclose(actual, expected, rtol=1e-12)


def _assert_every_method_equal(expected, actual):
    _assert_same(expected.overall, actual.overall)
    _assert_same(expected.by_group, actual.by_group)
    assert actual.sensitive_levels == expected.sensitive_levels
    assert actual.control_levels == expected.control_levels
    for name in ("group_min", "group_max"):
        for errors in ("raise", "coerce"):
            _assert_same(
                getattr(expected, name)(errors=errors),
                getattr(actual, name)(errors=errors),
            )
    for name in ("difference", "ratio"):
        for method in ("between_groups", "to_overall"):
            _assert_same(
                getattr(expected, name)(method=method),
                getattr(actual, name)(method=method),
            )


COUNT_METRICS = {
    "accuracy": skm.accuracy_score,
    "recall": skm.recall_score,
    "precision": skm.precision_score,
    "balanced_accuracy": skm.balanced_accuracy_score,
    "selection_rate": flm.selection_rate,
    "tnr": flm.true_negative_rate,
    "fnr": flm.false_negative_rate,
    "skfair_fpr": flm.false_positive_rate,
    "count": flm.count,
}


@pytest.mark.parametrize(
    "weighted, control, two_features",
    [
        (False, False, False),
        (True, False, True),
        (False, True, True),
        (True, True, True),
    ],
)
def test_equals_fairlearn_on_adult(adult, weighted, control, two_features):
    metrics = dict(COUNT_METRICS, mean_prediction=flm.mean_prediction)
    sample_params = None
    if weighted:
        sample_params = {
            name: {"sample_weight": adult["w"]} for name in metrics if name != "count"
        }
    kwargs = {
        "metrics": metrics,
        "y_true": adult["y"],
        "y_pred": adult["pred"],
        "sensitive_features": adult["sf"] if two_features else adult["sf"]["sex"],
        "control_features": adult["cf"] if control else None,
        "sample_params": sample_params,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined precision in tiny groups
        expected = flm.MetricFrame(**kwargs)
    actual = MetricFrame(**kwargs)
    _assert_every_method_equal(expected, actual)


@pytest.mark.parametrize("control", [False, True])
@pytest.mark.parametrize(
    "metric, use_score",
    [
        (skm.roc_auc_score, True),  # called by group (rows)
        (skm.recall_score, False),  # count table
        (true_negative_rate, False),  # skfair's own, count table
        (lambda y_true, y_pred: float(np.mean(y_true != y_pred)), False),
    ],
)
def test_single_callable_equals_fairlearn(adult, metric, use_score, control):
    kwargs = {
        "metrics": metric,
        "y_true": adult["y"],
        "y_pred": adult["score"] if use_score else adult["pred"],
        "sensitive_features": adult["sf"],
        "control_features": adult["cf"] if control else None,
    }
    _assert_every_method_equal(flm.MetricFrame(**kwargs), MetricFrame(**kwargs))


def test_non_scalar_metrics_equal_fairlearn(adult):
    kwargs = {
        "metrics": {"cm": skm.confusion_matrix, "acc": skm.accuracy_score},
        "y_true": adult["y"],
        "y_pred": adult["pred"],
        "sensitive_features": adult["sf"]["sex"],
    }
    expected, actual = flm.MetricFrame(**kwargs), MetricFrame(**kwargs)
    for group in ("Female", "Male"):
        np.testing.assert_array_equal(
            actual.by_group.loc[group, "cm"], expected.by_group.loc[group, "cm"]
        )
    np.testing.assert_array_equal(actual.overall["cm"], expected.overall["cm"])
    _assert_same(expected.group_min(errors="coerce"), actual.group_min("coerce"))
    _assert_same(expected.difference(), actual.difference())
    with pytest.raises(ValueError, match="non-scalar"):
        actual.group_max()
    with pytest.raises(ValueError, match="scalars"):
        MetricFrame(**kwargs, n_boot=5, ci_quantiles=[0.5])


def test_plain_inputs_and_missing_combinations():
    # Lists, 2-D arrays and an intersection that never occurs (NaN), as in
    # fairlearn; the default feature names too.
    y_true = [1, 0, 1, 1, 0, 0, 1, 0]
    y_pred = [1, 1, 0, 1, 0, 1, 1, 0]
    sf = np.array([["a", "x"], ["a", "x"], ["a", "y"], ["a", "y"]] + [["b", "x"]] * 4)
    kwargs = {
        "metrics": {"sel": selection_rate, "tpr": true_positive_rate},
        "y_true": y_true,
        "y_pred": y_pred,
        "sensitive_features": sf,
    }
    expected, actual = flm.MetricFrame(**kwargs), MetricFrame(**kwargs)
    _assert_every_method_equal(expected, actual)
    assert actual.by_group.loc[("b", "y")].isna().all()


def test_intervals_are_consistent_and_typed(adult):
    metrics = {"selection_rate": selection_rate, "recall": skm.recall_score}
    kwargs = {
        "metrics": metrics,
        "y_true": adult["y"],
        "y_pred": adult["pred"],
        "sensitive_features": adult["sf"],
        "control_features": adult["cf"],
    }
    mf = MetricFrame(
        **kwargs, n_boot=200, ci_quantiles=[0.025, 0.5, 0.975], random_state=0
    )
    again = MetricFrame(
        **kwargs, n_boot=200, ci_quantiles=[0.025, 0.5, 0.975], random_state=0
    )
    for getter in (
        lambda m: m.overall_ci,
        lambda m: m.by_group_ci,
        lambda m: m.group_min_ci(),
        lambda m: m.group_max_ci(),
        lambda m: m.difference_ci(),
        lambda m: m.difference_ci(method="to_overall"),
        lambda m: m.ratio_ci(),
        lambda m: m.ratio_ci(method="to_overall"),
    ):
        low, mid, high = getter(mf)
        _assert_same(low, getter(again)[0])  # seeded: reproducible
        assert type(low) is type(mid) is type(high)
        assert low.shape == mid.shape
        present = ~(low.isna() | high.isna())
        assert ((low <= mid) | ~present).all().all()
        assert ((mid <= high) | ~present).all().all()
    # Same shapes, index and columns as the values themselves; an interval
    # is undefined where the rate is (recall_score of a group without
    # positives shows scikit-learn's 0, but its interval is undefined).
    _assert_same(
        mf.by_group[["selection_rate"]].isna(),
        mf.by_group_ci[0][["selection_rate"]].isna(),
    )
    pd.testing.assert_index_equal(mf.difference().index, mf.difference_ci()[0].index)
    # The values lie inside their 95% intervals (the groups here are large).
    low, _, high = mf.difference_ci()
    assert ((low <= mf.difference()) & (mf.difference() <= high)).all().all()


def test_intervals_close_to_fairlearn(adult):
    # fairlearn resamples all rows, skfair each group's rows (and the count
    # table for these metrics): the intervals agree to bootstrap noise.
    # (fairlearn recomputes the frame per resample: few rows and resamples.)
    rows = slice(0, 1500)
    kwargs = {
        "metrics": {"acc": skm.accuracy_score, "sel": flm.selection_rate},
        "y_true": adult["y"][rows],
        "y_pred": adult["pred"][rows],
        "sensitive_features": adult["sf"]["sex"][rows],
        "n_boot": 60,
        "ci_quantiles": [0.025, 0.975],
        "random_state": 1,
    }
    expected, actual = flm.MetricFrame(**kwargs), MetricFrame(**kwargs)
    for getter in (lambda m: m.by_group_ci, lambda m: m.difference_ci()):
        for e, a in zip(getter(expected), getter(actual), strict=True):
            np.testing.assert_allclose(a.to_numpy(), e.to_numpy(), atol=0.03)


def test_row_and_table_bootstraps_agree(adult):
    # The same metric through the count table and through a callable that
    # only the row route can evaluate: the same distribution.
    def selection(y_true, y_pred, sample_weight=None):
        return float(np.average(y_pred, weights=sample_weight))

    rows = slice(None)
    for weights in (None, adult["w"][rows]):
        params = None if weights is None else {"sample_weight": weights}
        mfs = [
            MetricFrame(
                metrics=metric,
                y_true=adult["y"][rows],
                y_pred=adult["pred"][rows],
                sensitive_features=adult["sf"]["sex"][rows],
                sample_params=params,
                n_boot=400,
                ci_quantiles=[0.05, 0.95],
                random_state=3,
            )
            for metric in (selection_rate, selection)
        ]
        np.testing.assert_allclose(mfs[0].by_group, mfs[1].by_group, rtol=1e-12)
        for table, row in zip(
            mfs[0].by_group_ci + mfs[0].difference_ci(),
            mfs[1].by_group_ci + mfs[1].difference_ci(),
            strict=True,
        ):
            np.testing.assert_allclose(table, row, atol=0.01)


def test_bootstrap_parameter_errors(adult):
    kwargs = {
        "metrics": selection_rate,
        "y_true": [0, 1, 1, 0],
        "y_pred": [1, 1, 0, 0],
        "sensitive_features": ["a", "a", "b", "b"],
    }
    with pytest.raises(ValueError, match="both n_boot and ci_quantiles"):
        MetricFrame(**kwargs, n_boot=10)
    with pytest.raises(ValueError, match="both n_boot and ci_quantiles"):
        MetricFrame(**kwargs, ci_quantiles=[0.5])
    with pytest.raises(ValueError, match="n_boot must be a positive integer"):
        MetricFrame(**kwargs, n_boot=0, ci_quantiles=[0.5])
    with pytest.raises(ValueError, match="ci_quantiles"):
        MetricFrame(**kwargs, n_boot=10, ci_quantiles=[1.5])
    with pytest.raises(ValueError, match="no intervals"):
        MetricFrame(**kwargs).difference_ci()
    mf = MetricFrame(**kwargs)
    with pytest.raises(ValueError, match="method"):
        mf.difference(method="largest")
    with pytest.raises(ValueError, match="error value"):
        mf.group_min(errors="ignore")


def test_bad_inputs_are_named():
    y = [0, 1, 1, 0]
    with pytest.raises(ValueError, match="4 rows but y_pred has 3"):
        MetricFrame(metrics=count, y_true=y, y_pred=y[:3], sensitive_features=y)
    with pytest.raises(ValueError, match="sensitive_feature_ 'sensitive_feature_0'"):
        MetricFrame(metrics=count, y_true=y, y_pred=y, sensitive_features=[0, 1])
    with pytest.raises(ValueError, match="missing values"):
        MetricFrame(
            metrics=count, y_true=y, y_pred=y, sensitive_features=["a", None, "b", "b"]
        )
    with pytest.raises(ValueError, match="duplicate feature name"):
        MetricFrame(
            metrics=count,
            y_true=y,
            y_pred=y,
            sensitive_features=pd.Series(list("abab"), name="g"),
            control_features=pd.Series(list("aabb"), name="g"),
        )
    with pytest.raises(ValueError, match="do not match"):
        MetricFrame(
            metrics={"sel": selection_rate},
            y_true=y,
            y_pred=y,
            sensitive_features=list("abab"),
            sample_params={"acc": {"sample_weight": [1, 1, 1, 1]}},
        )
    with pytest.raises(ValueError, match="one entry per row"):
        MetricFrame(
            metrics=selection_rate,
            y_true=y,
            y_pred=y,
            sensitive_features=list("abab"),
            sample_params={"sample_weight": [1, 1]},
        )


def test_inputs_not_modified(adult):
    y, pred = adult["y"][:500].copy(), adult["pred"][:500].copy()
    sf = adult["sf"].iloc[:500].copy()
    w = adult["w"][:500].copy()
    MetricFrame(
        metrics={"sel": selection_rate, "auc": skm.roc_auc_score},
        y_true=y,
        y_pred=pred,
        sensitive_features=sf,
        sample_params={"sel": {"sample_weight": w}},
        n_boot=20,
        ci_quantiles=[0.1, 0.9],
        random_state=0,
    )
    np.testing.assert_array_equal(y, adult["y"][:500])
    np.testing.assert_array_equal(pred, adult["pred"][:500])
    np.testing.assert_array_equal(w, adult["w"][:500])
    pd.testing.assert_frame_equal(sf, adult["sf"].iloc[:500])


# ----------------------------------------------------------------------------
# The per-group base metrics and make_derived_metric


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (true_negative_rate, flm.true_negative_rate),
        (false_negative_rate, flm.false_negative_rate),
    ],
)
def test_base_rates_equal_fairlearn(adult, ours, theirs):
    rng = np.random.default_rng(0)
    # The rate conditions on the positive rows (FNR) or the negative ones
    # (TNR); without any, it is undefined: fairlearn's 0, and a warning.
    conditioned_on = 1 if ours is false_negative_rate else 0

    def warns_if_undefined(y):
        if np.any(np.asarray(y) == conditioned_on):
            return contextlib.nullcontext()
        return pytest.warns(UndefinedRateWarning, match="undefined")

    for rows in (slice(None), slice(0, 7)):
        y, pred, w = adult["y"][rows], adult["pred"][rows], adult["w"][rows]
        with warns_if_undefined(y):
            assert ours(y, pred) == pytest.approx(theirs(y, pred), abs=1e-15)
        with warns_if_undefined(y):
            assert ours(y, pred, sample_weight=w) == pytest.approx(
                theirs(y, pred, sample_weight=w), abs=1e-15
            )
    ones = np.ones(5, dtype=int)
    with warns_if_undefined(ones):
        assert ours(ones, ones) == theirs(ones, ones)
    with warns_if_undefined(1 - ones):
        assert ours(1 - ones, ones) == theirs(1 - ones, ones)
    score = rng.random(100)
    assert mean_prediction(adult["y"][:100], score) == pytest.approx(
        flm.mean_prediction(adult["y"][:100], score)
    )
    assert mean_prediction(
        adult["y"][:100], score, sample_weight=adult["w"][:100]
    ) == pytest.approx(
        flm.mean_prediction(adult["y"][:100], score, sample_weight=adult["w"][:100])
    )
    assert count(adult["y"], adult["pred"]) == flm.count(adult["y"], adult["pred"])
    with pytest.raises(ValueError, match="must match"):
        count([0, 1], [0])
    with pytest.raises(ValueError, match="numbers"):
        mean_prediction([0, 1], ["a", "b"])


@pytest.mark.parametrize("transform", ["difference", "ratio", "group_min", "group_max"])
def test_make_derived_metric_equals_fairlearn(adult, transform):
    kwargs = {"sensitive_features": adult["sf"], "sample_weight": adult["w"]}
    ours = make_derived_metric(metric=skm.accuracy_score, transform=transform)
    theirs = flm.make_derived_metric(metric=skm.accuracy_score, transform=transform)
    assert ours(adult["y"], adult["pred"], **kwargs) == pytest.approx(
        theirs(adult["y"], adult["pred"], **kwargs), abs=1e-14
    )
    if transform in ("difference", "ratio"):
        assert ours(
            adult["y"], adult["pred"], method="to_overall", **kwargs
        ) == pytest.approx(
            theirs(adult["y"], adult["pred"], method="to_overall", **kwargs),
            abs=1e-14,
        )
    # Non-sample parameters are bound to the metric.
    ours = make_derived_metric(metric=skm.fbeta_score, transform=transform)
    theirs = flm.make_derived_metric(metric=skm.fbeta_score, transform=transform)
    assert ours(adult["y"], adult["pred"], beta=2, **kwargs) == pytest.approx(
        theirs(adult["y"], adult["pred"], beta=2, **kwargs), abs=1e-14
    )


def test_make_derived_metric_errors():
    with pytest.raises(ValueError, match="transform"):
        make_derived_metric(metric=skm.accuracy_score, transform="mean")
    with pytest.raises(ValueError, match="callable"):
        make_derived_metric(metric="accuracy", transform="ratio")

    def with_method(y_true, y_pred, method="x"):
        return 0.0

    with pytest.raises(ValueError, match="'method'"):
        make_derived_metric(metric=with_method, transform="ratio")


# ---------------------------------------------------------------- small groups


def test_small_groups_are_flagged_with_a_warning_naming_them():
    rng = np.random.default_rng(0)
    sex = np.array(["f"] * 40 + ["m"] * 40)
    race = np.array(["a"] * 37 + ["b"] * 3 + ["a"] * 20 + ["b"] * 20)
    y = rng.integers(0, 2, 80)
    frame = pd.DataFrame({"sex": sex, "race": race})
    with pytest.warns(UserWarning, match=r"1 group\(s\) have fewer than 10 rows") as w:
        mf = MetricFrame(
            metrics=selection_rate,
            y_true=y,
            y_pred=y,
            sensitive_features=frame,
            min_group_size=10,
        )
    assert "('f', 'b'): 3" in str(w[0].message)
    assert list(mf.small_groups) == [("f", "b")]
    assert mf.small_groups.names == ["sex", "race"]
    assert mf.min_group_size == 10
    # The values are those of a frame without the flag, which warns nothing.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plain = MetricFrame(
            metrics=selection_rate, y_true=y, y_pred=y, sensitive_features=frame
        )
    pd.testing.assert_series_equal(mf.by_group, plain.by_group)
    assert len(plain.small_groups) == 0 and plain.min_group_size is None


@pytest.mark.parametrize("bad", [-1, 2.5, True, "30"])
def test_min_group_size_is_checked(bad):
    with pytest.raises(ValueError, match="min_group_size must be None or a non-neg"):
        MetricFrame(
            metrics=selection_rate,
            y_true=[0, 1],
            y_pred=[0, 1],
            sensitive_features=["a", "b"],
            min_group_size=bad,
        )


# ---------------------------------------------------------------- dask


def _dask_case(n=600, seed=3):
    rng = np.random.default_rng(seed)
    return (
        rng.integers(0, 2, n),
        rng.integers(0, 2, n),
        np.column_stack([rng.choice(["a", "b"], n), rng.choice(["x", "y", "z"], n)]),
        rng.integers(0, 2, n),
        rng.random(n),
    )


def _count_metrics():
    return {
        "selection_rate": selection_rate,
        "tpr": true_positive_rate,
        "tnr": true_negative_rate,
        "fnr": false_negative_rate,
        "count": count,
        "accuracy": skm.accuracy_score,
        "balanced_accuracy": skm.balanced_accuracy_score,
    }


@pytest.mark.parametrize("weighted", [False, True])
def test_dask_frame_equals_the_in_memory_frame(weighted):
    da = pytest.importorskip("dask.array")
    y, y_hat, sf, cf, w = _dask_case()
    metrics = _count_metrics()
    params = {}
    if weighted:
        params = {k: {"sample_weight": w} for k in metrics if k != "count"}
    d_params = {
        k: {"sample_weight": da.from_array(v["sample_weight"], chunks=53)}
        for k, v in params.items()
    }
    common = {"n_boot": 40, "ci_quantiles": [0.1, 0.9], "random_state": 0}
    expected = MetricFrame(
        metrics=metrics,
        y_true=y,
        y_pred=y_hat,
        sensitive_features=sf,
        control_features=cf,
        sample_params=params,
        **common,
    )
    actual = MetricFrame(
        metrics=metrics,
        y_true=da.from_array(y, chunks=100),  # misaligned chunks on purpose
        y_pred=da.from_array(y_hat, chunks=71),
        sensitive_features=da.from_array(sf.astype(object), chunks=(130, 2)),
        control_features=da.from_array(cf, chunks=200),
        sample_params=d_params,
        **common,
    )
    pd.testing.assert_frame_equal(actual.by_group, expected.by_group)
    pd.testing.assert_frame_equal(actual.overall, expected.overall)
    for method in ("group_min", "group_max"):
        pd.testing.assert_frame_equal(
            getattr(actual, method)(), getattr(expected, method)()
        )
    for how in ("between_groups", "to_overall"):
        pd.testing.assert_frame_equal(
            actual.difference(method=how), expected.difference(method=how)
        )
        pd.testing.assert_frame_equal(
            actual.ratio(method=how), expected.ratio(method=how)
        )
    # The same seed gives the same resampled tables, so the same intervals.
    for got, want in zip(
        actual.difference_ci() + actual.by_group_ci,
        expected.difference_ci() + expected.by_group_ci,
        strict=True,
    ):
        pd.testing.assert_frame_equal(got, want, atol=1e-12)


def test_dask_frame_counts_block_by_block(dask_block_lengths):
    da = pytest.importorskip("dask.array")
    seen = dask_block_lengths
    y, y_hat, sf, _, _ = _dask_case(n=400)
    mf = MetricFrame(
        metrics={"selection_rate": selection_rate},
        y_true=da.from_array(y, chunks=100),
        y_pred=da.from_array(y_hat, chunks=100),
        sensitive_features=da.from_array(sf, chunks=(100, 2)),
    )
    # Every block counted on its own, none of them the whole data.
    assert seen and max(seen) == 100 and sum(seen) % 400 == 0
    expected = MetricFrame(
        metrics={"selection_rate": selection_rate},
        y_true=y,
        y_pred=y_hat,
        sensitive_features=pd.DataFrame({"sex": sf[:, 0], "race": sf[:, 1]}),
    )
    pd.testing.assert_frame_equal(mf.by_group, expected.by_group, check_names=False)


def test_dask_frame_refuses_metrics_it_would_have_to_gather():
    da = pytest.importorskip("dask.array")
    y, y_hat, sf, _, _ = _dask_case(n=50)
    with pytest.raises(ValueError, match=r"\['mean_prediction'\] are not"):
        MetricFrame(
            metrics={"mean_prediction": mean_prediction, "sr": selection_rate},
            y_true=da.from_array(y, chunks=10),
            y_pred=y_hat,
            sensitive_features=sf[:, 0],
        )
    # Labels other than 0/1: the count route does not apply either.
    with pytest.raises(ValueError, match="not 0/1"):
        MetricFrame(
            metrics=selection_rate,
            y_true=da.from_array(y + 1, chunks=10),
            y_pred=da.from_array(y_hat + 1, chunks=10),
            sensitive_features=sf[:, 0],
        )


@pytest.mark.parametrize("with_control", [False, True])
def test_no_metrics_gives_empty_results_as_fairlearn(with_control):
    # Issue 30: MetricFrame(metrics={}) crashed; fairlearn gives empty frames.
    y_true = np.array([0, 1, 1, 0, 1, 0])
    y_pred = np.array([0, 1, 0, 0, 1, 1])
    groups = np.array(["a", "b", "a", "b", "a", "b"])
    extra = {"control_features": np.array([1, 1, 2, 2, 1, 2])} if with_control else {}
    ours = MetricFrame(
        metrics={}, y_true=y_true, y_pred=y_pred, sensitive_features=groups, **extra
    )
    theirs = flm.MetricFrame(
        metrics={}, y_true=y_true, y_pred=y_pred, sensitive_features=groups, **extra
    )
    results = [
        (lambda mf: mf.overall),
        (lambda mf: mf.by_group),
        (lambda mf: mf.group_min()),
        (lambda mf: mf.group_max()),
        (lambda mf: mf.difference()),
        (lambda mf: mf.ratio()),
        (lambda mf: mf.difference(method="to_overall")),
    ]
    for result in results:
        mine, reference = result(ours), result(theirs)
        assert type(mine) is type(reference)
        assert mine.shape == reference.shape
        assert mine.size == 0
        assert list(mine.index) == list(reference.index)
        if isinstance(reference, pd.Series):
            assert mine.dtype == reference.dtype
    # With intervals too (fairlearn 0.15 raises an IndexError there).
    boot = MetricFrame(
        metrics={},
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=groups,
        n_boot=10,
        ci_quantiles=[0.1, 0.9],
        random_state=0,
        **extra,
    )
    for bounds in (boot.overall_ci, boot.by_group_ci, boot.difference_ci()):
        assert len(bounds) == 2 and all(b.size == 0 for b in bounds)
