"""Undefined rates: ``zero_division`` of the metrics, MetricFrame and plots."""

import warnings

import fairlearn.metrics as flm
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

import skfair.metrics as skm
from skfair.exceptions import UndefinedRateWarning
from skfair.metrics._fairness import TABLE_FUNCTIONS

# Group "b" has no positive row (its TPR and FNR are undefined), group "c"
# no negative row (its FPR and TNR are undefined); "a" and "d" have both.
Y_TRUE = np.array([1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0])
Y_PRED = np.array([1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 1, 1])
GROUPS = np.array(["a"] * 4 + ["b"] * 3 + ["c"] * 3 + ["d"] * 5)

GROUP_METRICS = [
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
]
PRIVILEGED_METRICS = ["average_odds_difference", "disparate_impact_ratio"]
RATES = [
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "true_negative_rate",
    "false_negative_rate",
]
METHODS = ["between_groups", "to_overall"]


def _rates_by_hand(kind, keep=None):
    """Each group's rate from the rows (NaN where undefined), as a dict."""
    out = {}
    for group in np.unique(GROUPS):
        rows = GROUPS == group
        if keep is not None and group not in keep:
            continue
        yt, yp = Y_TRUE[rows], Y_PRED[rows]
        condition = {"tpr": yt == 1, "fpr": yt == 0}[kind]
        out[group] = yp[condition].mean() if condition.any() else np.nan
    return out


def _undefined_warnings(record):
    return [w for w in record if issubclass(w.category, UndefinedRateWarning)]


# ----------------------------------------------------------------------------
# The warning and its message


@pytest.mark.parametrize(
    "name, kw, expected",
    [
        (
            "equal_opportunity_difference",
            {},
            [
                "group 'b' has no rows with y_true=1 (positive label): its true "
                "positive rate is undefined and counts as 0; pass "
                "zero_division=np.nan to leave it out"
            ],
        ),
        (
            "equalized_odds_ratio",
            {},
            [
                "group 'b' has no rows with y_true=1 (positive label): its true "
                "positive rate is undefined",
                "group 'c' has no rows with y_true other than 1 (negative label): "
                "its false positive rate is undefined",
            ],
        ),
        (
            "average_odds_difference",
            {
                "sensitive_features": np.where(GROUPS == "c", "c", "rest"),
                "privileged_group": "c",
            },
            [
                "the privileged group 'c' has no rows with y_true other than 1 "
                "(negative label): its false positive rate is undefined and counts "
                "as 0; pass zero_division=np.nan to get NaN"
            ],
        ),
    ],
)
def test_the_warning_names_the_group_and_the_empty_cell(name, kw, expected):
    kw = {"sensitive_features": GROUPS, **kw}
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        getattr(skm, name)(Y_TRUE, Y_PRED, **kw)
    messages = [str(w.message) for w in _undefined_warnings(record)]
    assert len(messages) == len(expected)
    for message, start in zip(messages, expected, strict=True):
        assert message.startswith(start), message
    # It is scikit-learn's warning too, so that filters on it catch ours.
    from sklearn.exceptions import UndefinedMetricWarning

    assert all(issubclass(w.category, UndefinedMetricWarning) for w in record)


def test_several_groups_and_weights_are_named():
    # Zero weights on d's positive rows leave its TPR undefined, like b's.
    weights = np.where((GROUPS == "d") & (Y_TRUE == 1), 0.0, 1.0)
    with pytest.warns(UndefinedRateWarning) as record:
        skm.equal_opportunity_difference(
            Y_TRUE, Y_PRED, sensitive_features=GROUPS, sample_weight=weights
        )
    (message,) = [str(w.message) for w in _undefined_warnings(record)]
    assert message.startswith(
        "each of 2 groups (group 'b', group 'd') has no weight on its rows with "
        "y_true=1 (positive label)"
    )
    assert "leave them out" in message


@pytest.mark.parametrize(
    "name, y_true, start",
    [
        ("true_positive_rate", [0, 0, 0], "there are no rows with y_true=1"),
        ("false_negative_rate", [0, 0, 0], "there are no rows with y_true=1"),
        ("false_positive_rate", [1, 1, 1], "there are no rows with y_true other"),
        ("true_negative_rate", [1, 1, 1], "there are no rows with y_true other"),
    ],
)
def test_overall_rates_warn_and_take_the_requested_value(name, y_true, start):
    rate = getattr(skm, name)
    y_pred = [1, 0, 1]
    with pytest.warns(UndefinedRateWarning, match="zero_division=np.nan to get NaN"):
        value = rate(y_true, y_pred)
    assert value == 0.0 == getattr(flm, name)(y_true, y_pred)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndefinedRateWarning)
        assert np.isnan(rate(y_true, y_pred, zero_division=np.nan))
        assert rate(y_true, y_pred, zero_division=1.0) == 1.0
        assert rate(y_true, y_pred, zero_division=0.0) == 0.0
    with pytest.warns(UndefinedRateWarning, match=start):
        rate(y_true, y_pred)


def test_the_warning_is_issued_where_the_metric_is_called():
    with pytest.warns(UndefinedRateWarning) as record:
        skm.equal_opportunity_ratio(Y_TRUE, Y_PRED, sensitive_features=GROUPS)
        skm.true_positive_rate([0, 0], [1, 0])
    assert {w.filename for w in record} == {__file__}


def test_defined_rates_do_not_warn():
    keep = np.isin(GROUPS, ["a", "d"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndefinedRateWarning)
        for name in GROUP_METRICS:
            getattr(skm, name)(
                Y_TRUE[keep], Y_PRED[keep], sensitive_features=GROUPS[keep]
            )
        # A selection rate is always defined.
        skm.demographic_parity_difference(Y_TRUE, Y_PRED, sensitive_features=GROUPS)
        skm.selection_rate([0, 0], [1, 0])


# ----------------------------------------------------------------------------
# The default is fairlearn 0.15's value


@pytest.mark.parametrize("name", GROUP_METRICS)
@pytest.mark.parametrize("method", METHODS)
def test_the_default_equals_fairlearn(name, method):
    expected = getattr(flm, name)(
        Y_TRUE, Y_PRED, sensitive_features=GROUPS, method=method
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedRateWarning)  # tested above
        actual = getattr(skm, name)(
            Y_TRUE, Y_PRED, sensitive_features=GROUPS, method=method
        )
        explicit = getattr(skm, name)(
            Y_TRUE, Y_PRED, sensitive_features=GROUPS, method=method, zero_division=0.0
        )
    np.testing.assert_allclose(actual, expected, rtol=1e-12)
    assert explicit == actual


def test_issue_example_fairlearn_one_against_a_half():
    # The issue's case: with a group without positives, fairlearn's (and the
    # default) equal opportunity difference is 1; leaving it out gives .5.
    y_true = [1, 1, 0, 0, 0, 0]
    y_pred = [1, 0, 0, 1, 0, 0]
    groups = ["a", "a", "a", "b", "b", "b"]
    third = (["c"] * 2, [1, 1], [1, 1])
    y_true, y_pred = y_true + third[1], y_pred + third[2]
    groups = groups + third[0]
    with pytest.warns(UndefinedRateWarning):
        default = skm.equal_opportunity_difference(
            y_true, y_pred, sensitive_features=groups
        )
    assert (
        default
        == 1.0
        == flm.equal_opportunity_difference(y_true, y_pred, sensitive_features=groups)
    )
    assert skm.equal_opportunity_difference(
        y_true, y_pred, sensitive_features=groups, zero_division=np.nan
    ) == pytest.approx(0.5)


# ----------------------------------------------------------------------------
# np.nan leaves the group out; 0.0 / 1.0 set the value


def _gap(rates):
    values = [v for v in rates.values() if not np.isnan(v)]
    return max(values) - min(values)


def test_nan_leaves_each_rates_undefined_groups_out():
    tpr, fpr = _rates_by_hand("tpr"), _rates_by_hand("fpr")
    assert np.isnan(tpr["b"]) and np.isnan(fpr["c"])
    kw = {"sensitive_features": GROUPS, "zero_division": np.nan}
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndefinedRateWarning)
        eo = skm.equal_opportunity_difference(Y_TRUE, Y_PRED, **kw)
        eodds = skm.equalized_odds_difference(Y_TRUE, Y_PRED, **kw)
        eodds_mean = skm.equalized_odds_difference(Y_TRUE, Y_PRED, agg="mean", **kw)
        ratio = skm.equal_opportunity_ratio(Y_TRUE, Y_PRED, **kw)
        to_overall = skm.equal_opportunity_difference(
            Y_TRUE, Y_PRED, method="to_overall", **kw
        )
    assert eo == pytest.approx(_gap(tpr))
    assert eodds == pytest.approx(max(_gap(tpr), _gap(fpr)))
    assert eodds_mean == pytest.approx((_gap(tpr) + _gap(fpr)) / 2)
    defined = [v for v in tpr.values() if not np.isnan(v)]
    assert ratio == pytest.approx(min(defined) / max(defined))
    # The overall TPR is that of all positive rows, which "b" has none of.
    overall = Y_PRED[Y_TRUE == 1].mean()
    assert to_overall == pytest.approx(max(abs(v - overall) for v in defined))


@pytest.mark.parametrize("name", GROUP_METRICS[2:])
@pytest.mark.parametrize("method", METHODS)
def test_nan_with_fewer_than_two_groups_left_is_nan(name, method):
    keep = np.isin(GROUPS, ["a", "b"])  # b has no positives: one TPR left
    value = getattr(skm, name)(
        Y_TRUE[keep],
        Y_PRED[keep],
        sensitive_features=GROUPS[keep],
        method=method,
        zero_division=np.nan,
    )
    assert np.isnan(value)


def test_nan_in_privileged_comparisons_and_single_groups():
    sides = np.where(GROUPS == "c", "c", "rest")
    value = skm.average_odds_difference(
        Y_TRUE,
        Y_PRED,
        sensitive_features=sides,
        privileged_group="c",
        zero_division=np.nan,
    )
    assert np.isnan(value)
    # Selection rates are defined for every group with rows, so nan changes
    # nothing there; a single group leaves no gap to measure.
    assert skm.disparate_impact_ratio(
        Y_TRUE,
        Y_PRED,
        sensitive_features=sides,
        privileged_group="c",
        zero_division=np.nan,
    ) == skm.disparate_impact_ratio(
        Y_TRUE, Y_PRED, sensitive_features=sides, privileged_group="c"
    )
    assert np.isnan(
        skm.demographic_parity_difference(
            Y_TRUE,
            Y_PRED,
            sensitive_features=["g"] * len(Y_TRUE),
            zero_division=np.nan,
        )
    )


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_zero_and_one_set_the_undefined_rate_without_a_warning(value):
    tpr, fpr = _rates_by_hand("tpr"), _rates_by_hand("fpr")
    filled_tpr = {g: value if np.isnan(v) else v for g, v in tpr.items()}
    filled_fpr = {g: value if np.isnan(v) else v for g, v in fpr.items()}
    kw = {"sensitive_features": GROUPS, "zero_division": value}
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndefinedRateWarning)
        eo = skm.equal_opportunity_difference(Y_TRUE, Y_PRED, **kw)
        eodds = skm.equalized_odds_difference(Y_TRUE, Y_PRED, **kw)
        aod = skm.average_odds_difference(
            Y_TRUE,
            Y_PRED,
            sensitive_features=np.where(GROUPS == "c", "c", "r"),
            privileged_group="c",
            zero_division=value,
        )
    assert eo == pytest.approx(_gap(filled_tpr))
    assert eodds == pytest.approx(max(_gap(filled_tpr), _gap(filled_fpr)))
    rest = GROUPS != "c"
    privileged_tpr = Y_PRED[(GROUPS == "c") & (Y_TRUE == 1)].mean()
    rest_tpr = Y_PRED[rest & (Y_TRUE == 1)].mean()
    rest_fpr = Y_PRED[rest & (Y_TRUE == 0)].mean()
    assert aod == pytest.approx(((rest_fpr - value) + (rest_tpr - privileged_tpr)) / 2)


@pytest.mark.parametrize("name", GROUP_METRICS + PRIVILEGED_METRICS + RATES)
@pytest.mark.parametrize("bad", ["nan", "Warn", 0.5, -1, True, None, [0.0]])
def test_bad_zero_division_is_a_value_error_naming_the_choices(name, bad):
    kw = {} if name in RATES else {"sensitive_features": GROUPS}
    if name in PRIVILEGED_METRICS:
        kw["privileged_group"] = "a"
    with pytest.raises(ValueError, match=r'zero_division must be "warn", np\.nan'):
        getattr(skm, name)(Y_TRUE, Y_PRED, zero_division=bad, **kw)


def test_inputs_are_not_modified():
    y_true, y_pred, groups = Y_TRUE.copy(), Y_PRED.copy(), GROUPS.copy()
    skm.equalized_odds_difference(
        y_true, y_pred, sensitive_features=groups, zero_division=np.nan
    )
    np.testing.assert_array_equal(y_true, Y_TRUE)
    np.testing.assert_array_equal(y_pred, Y_PRED)
    np.testing.assert_array_equal(groups, GROUPS)


# ----------------------------------------------------------------------------
# Multiclass


def test_multiclass_warnings_name_the_class_and_nan_leaves_the_class_out():
    y_true = np.array(["x", "y", "z", "x", "y", "y"])
    y_pred = np.array(["x", "y", "z", "x", "z", "z"])
    groups = np.array(["a"] * 3 + ["b"] * 3)  # b has no row of class "z"
    with pytest.warns(UndefinedRateWarning) as record:
        default = skm.multiclass_equalized_odds_difference(
            y_true, y_pred, sensitive_features=groups, agg=None
        )
    messages = [str(w.message) for w in _undefined_warnings(record)]
    assert messages == [
        "one-vs-rest for class 'z': group 'b' has no rows with y_true='z': its "
        "true positive rate is undefined and counts as 0; pass "
        "zero_division=np.nan to leave it out, or 0.0 / 1.0 to set its value "
        "without this warning."
    ]
    left_out = skm.multiclass_equalized_odds_difference(
        y_true, y_pred, sensitive_features=groups, agg=None, zero_division=np.nan
    )
    for i, label in enumerate(["x", "y", "z"]):
        # Each class is the binary metric of its indicators.
        binary = {}
        for zd in ("warn", np.nan):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UndefinedRateWarning)
                binary[zd] = skm.equalized_odds_difference(
                    (y_true == label).astype(int),
                    (y_pred == label).astype(int),
                    sensitive_features=groups,
                    zero_division=zd,
                )
        np.testing.assert_equal(
            [default[i], left_out[i]], [binary["warn"], binary[np.nan]]
        )
    assert np.isnan(left_out[2]) and not np.isnan(default[2])
    worst = skm.multiclass_equalized_odds_difference(
        y_true, y_pred, sensitive_features=groups, zero_division=np.nan
    )
    assert worst == np.nanmax(left_out)
    with pytest.raises(ValueError, match="zero_division"):
        skm.multiclass_demographic_parity_difference(
            y_true, y_pred, sensitive_features=groups, zero_division="x"
        )


# ----------------------------------------------------------------------------
# bootstrap_ci and the scorer pass it through


def _certain_data():
    """Groups "a" and "c" predict every positive right; "b" has no positive."""
    rng = np.random.default_rng(0)
    n = 300
    groups = np.repeat(["a", "b", "c"], n)
    y_true = np.concatenate(
        [rng.integers(0, 2, n), np.zeros(n, int), rng.integers(0, 2, n)]
    )
    y_pred = np.where(y_true == 1, 1, rng.integers(0, 2, 3 * n))
    return y_true, y_pred, groups


def test_bootstrap_ci_passes_zero_division_and_warns_once():
    y_true, y_pred, groups = _certain_data()
    kw = {"sensitive_features": groups, "n_boot": 200, "random_state": 0}
    with pytest.warns(UndefinedRateWarning) as record:
        default = skm.bootstrap_ci("equal_opportunity_difference", y_true, y_pred, **kw)
    # Once, on the data's table; never once per resample.
    assert len(_undefined_warnings(record)) == 1
    # b's TPR counts as 0 in the estimate (1.0), but the interval takes
    # nothing as known about it: b's TPR spans [0, 1], so the gap may be 1.
    assert default[0] < 0.05 and default[1] == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndefinedRateWarning)
        substituted = skm.bootstrap_ci(
            "equal_opportunity_difference", y_true, y_pred, zero_division=1.0, **kw
        )
        np.testing.assert_allclose(substituted, default)
        # np.nan leaves b out: a and c both predict every positive right.
        left_out = skm.bootstrap_ci(
            "equal_opportunity_difference", y_true, y_pred, zero_division=np.nan, **kw
        )
        kept = groups != "b"
        without_b = skm.bootstrap_ci(
            "equal_opportunity_difference",
            y_true[kept],
            y_pred[kept],
            **{**kw, "sensitive_features": groups[kept]},
        )
        np.testing.assert_allclose(left_out, without_b)
        assert left_out[0] == 0.0 and 0 < left_out[1] < 0.05
        # Two groups, one of them without positives: nothing to compare.
        two = groups != "c"
        interval = skm.bootstrap_ci(
            skm.equalized_odds_ratio,
            y_true[two],
            y_pred[two],
            zero_division=np.nan,
            **{**kw, "sensitive_features": groups[two]},
        )
        assert np.isnan(interval).all()


@pytest.mark.parametrize("name", sorted(TABLE_FUNCTIONS))
def test_every_table_function_takes_zero_division(name):
    function, options = TABLE_FUNCTIONS[name]
    assert "zero_division" in options
    counts = skm._dispatch.group_counts(Y_TRUE, Y_PRED, sensitive_features=GROUPS)
    kw = {"privileged_group": "c"} if name in PRIVILEGED_METRICS else {}
    tables = np.stack([counts.weighted] * 3)  # a batch, as bootstrap_ci has
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndefinedRateWarning)  # never warns
        batch = function(tables, counts.groups, zero_division=np.nan, **kw)
    public = getattr(skm, name)(
        Y_TRUE, Y_PRED, sensitive_features=GROUPS, zero_division=np.nan, **kw
    )
    np.testing.assert_equal(batch, [public] * 3)


class _Echo(ClassifierMixin, BaseEstimator):
    """Predicts the column "pred" of X (so the test chooses the predictions)."""

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict(self, X):
        return X["pred"].to_numpy()


def test_scorer_passes_zero_division():
    X = pd.DataFrame({"pred": Y_PRED, "group": GROUPS})
    model = _Echo().fit(X, Y_TRUE)
    tpr = _rates_by_hand("tpr")
    default = skm.make_fairness_scorer(
        "equal_opportunity_difference", sensitive_cols="group"
    )
    with pytest.warns(UndefinedRateWarning, match="group 'b'"):
        assert default(model, X, Y_TRUE) == -1.0  # b's TPR 0 against c's 1
    left_out = skm.make_fairness_scorer(
        "equal_opportunity_difference", sensitive_cols="group", zero_division=np.nan
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndefinedRateWarning)
        assert left_out(model, X, Y_TRUE) == pytest.approx(-_gap(tpr))
    with pytest.raises(ValueError, match="zero_division"):
        skm.make_fairness_scorer(
            "equal_opportunity_difference", sensitive_cols="group", zero_division=2
        )(model, X, Y_TRUE)


# ----------------------------------------------------------------------------
# group_report, MetricFrame, plot_metric_frame: undefined is shown as NaN


def test_group_report_shows_undefined_rates_as_nan():
    report = skm.group_report(Y_TRUE, Y_PRED, sensitive_features=GROUPS)
    tpr, fpr = _rates_by_hand("tpr"), _rates_by_hand("fpr")
    for group in "abcd":
        np.testing.assert_allclose(
            report.loc[group, ["true_positive_rate", "false_positive_rate"]].to_numpy(
                np.float64
            ),
            [tpr[group], fpr[group]],
        )
    assert np.isnan(report.loc["b", "false_negative_rate"])


def _frame(**kw):
    return skm.MetricFrame(
        metrics={
            "tpr": skm.true_positive_rate,
            "fpr": skm.false_positive_rate,
            "selection": skm.selection_rate,
        },
        y_true=Y_TRUE,
        y_pred=Y_PRED,
        sensitive_features=pd.Series(GROUPS, name="group"),
        **kw,
    )


def test_metric_frame_shows_undefined_skfair_rates_as_nan_and_leaves_them_out():
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndefinedRateWarning)
        mf = _frame(n_boot=50, ci_quantiles=[0.05, 0.95], random_state=0)
    tpr, fpr = _rates_by_hand("tpr"), _rates_by_hand("fpr")
    np.testing.assert_allclose(mf.by_group["tpr"].to_numpy(), list(tpr.values()))
    np.testing.assert_allclose(mf.by_group["fpr"].to_numpy(), list(fpr.values()))
    assert mf.difference()["tpr"] == pytest.approx(_gap(tpr))
    assert mf.group_min()["tpr"] == pytest.approx(np.nanmin(list(tpr.values())))
    defined = [v for v in tpr.values() if not np.isnan(v)]
    assert mf.ratio()["tpr"] == pytest.approx(min(defined) / max(defined))
    # The interval of b's rate is NaN (undefined in every resample), and
    # the difference's interval skips it too.
    low, high = mf.by_group_ci
    assert np.isnan(low.loc["b", "tpr"]) and np.isnan(high.loc["b", "tpr"])
    ci_low, ci_high = mf.difference_ci()
    assert ci_low["tpr"] <= _gap(tpr) + 1e-12
    assert 0 <= ci_low["tpr"] <= ci_high["tpr"] <= 1


def test_metric_frame_difference_with_one_defined_group_is_nan():
    keep = np.isin(GROUPS, ["a", "b"])
    mf = skm.MetricFrame(
        metrics={"tpr": skm.true_positive_rate, "sel": skm.selection_rate},
        y_true=Y_TRUE[keep],
        y_pred=Y_PRED[keep],
        sensitive_features=GROUPS[keep],
    )
    assert np.isnan(mf.difference()["tpr"]) and np.isnan(mf.ratio()["tpr"])
    assert mf.group_max()["tpr"] == mf.by_group.loc["a", "tpr"]
    assert not np.isnan(mf.difference()["sel"])


def test_metric_frame_keeps_fairlearns_values_for_fairlearns_functions():
    kwargs = {
        "metrics": {"tpr": flm.true_positive_rate, "fpr": flm.false_positive_rate},
        "y_true": Y_TRUE,
        "y_pred": Y_PRED,
        "sensitive_features": GROUPS,
    }
    expected, actual = flm.MetricFrame(**kwargs), skm.MetricFrame(**kwargs)
    pd.testing.assert_frame_equal(actual.by_group, expected.by_group, check_dtype=False)
    pd.testing.assert_series_equal(actual.difference(), expected.difference())
    assert actual.by_group.loc["b", "tpr"] == 0.0


def test_plot_marks_undefined_rates_instead_of_a_zero_bar():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mf = _frame(n_boot=20, ci_quantiles=[0.05, 0.95], random_state=0)
    axes = skm.plot_metric_frame(mf, metrics=["tpr", "selection"])
    try:
        tpr_axes, selection_axes = axes
        labels = [t.get_text() for t in tpr_axes.get_yticklabels()]
        assert labels == ["a", "b", "c", "d"]  # b keeps its row
        visible = [p for p in tpr_axes.patches if p.get_visible()]
        assert len(visible) == 3  # no bar for b
        assert [t.get_text() for t in tpr_axes.texts] == ["undefined"]
        # The text sits in b's row (rows are drawn top to bottom).
        (text,) = tpr_axes.texts
        assert text.get_position()[1] == pytest.approx(len(labels) - 1 - 1)
        assert len(selection_axes.texts) == 0
    finally:
        plt.close("all")


def test_metrics_without_undefined_rates_do_not_import_scikit_learn():
    # The warning class subclasses scikit-learn's and is made on first use;
    # a metric whose rates are all defined must not pay that import (~2 s).
    import subprocess
    import sys

    code = (
        "import sys, skfair.metrics as m\n"
        "m.equalized_odds_difference([1, 0, 1, 0], [1, 0, 0, 1],"
        " sensitive_features=[0, 0, 1, 1])\n"
        "m.true_positive_rate([1, 0], [1, 0])\n"
        "assert 'sklearn' not in sys.modules, 'scikit-learn was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
