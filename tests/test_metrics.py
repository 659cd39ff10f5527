"""Tests of skfair.metrics: values against fairlearn / AIF360 / direct counts."""

import warnings

import fairlearn.metrics as flm
import numpy as np
import pandas as pd
import pytest

import skfair.metrics as skm
from skfair.exceptions import UndefinedRateWarning
from skfair.metrics import _counts, _dispatch
from skfair.utils import encode_groups
from skfair.utils._sensitive import python_label

FAIRLEARN_METRICS = [
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
]
ALL_METRICS = FAIRLEARN_METRICS + ["average_odds_difference", "disparate_impact_ratio"]


def _options(name, methods=("between_groups", "to_overall")):
    """The method= / agg= combinations of the metric, for the given methods."""
    methods = [{"method": m} for m in methods]
    if "odds" in name:
        return [{**m, "agg": a} for m in methods for a in ("worst_case", "mean")]
    return methods


def _fairlearn(name, y_true, y_pred, sf, sample_weight=None, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fairlearn's own pandas/numpy chatter
        return float(
            getattr(flm, name)(
                y_true, y_pred, sensitive_features=sf, sample_weight=sample_weight, **kw
            )
        )


# The rates whose denominator a group can leave empty, by metric.
_CONDITIONED = {"tpr": 1, "fpr": 0}
_METRIC_RATES = {
    "demographic_parity": (),
    "equal_opportunity": ("tpr",),
    "equalized_odds": ("tpr", "fpr"),
    "average_odds": ("tpr", "fpr"),
    "disparate_impact": (),
}


def _leaves_a_rate_undefined(name, y_true, sf, w=None, privileged_group=None):
    """Whether a group (or privileged side) with weight lacks a rate's rows."""
    encoding = encode_groups(sf)
    labels = [python_label(g) for g in encoding.groups]
    sides = encoding.codes
    if privileged_group is not None:
        privileged = labels.index(python_label(privileged_group))
        sides = (sides == privileged).astype(int)
    y_true = np.asarray(y_true)
    w = np.ones(len(y_true)) if w is None else np.asarray(w, dtype=float)
    rates = next(r for prefix, r in _METRIC_RATES.items() if name.startswith(prefix))
    for side in set(sides.tolist()):
        rows = (sides == side) & (w > 0)
        if rows.any() and any(
            not (rows & (y_true == _CONDITIONED[rate])).any() for rate in rates
        ):
            return True
    return False


def _warns_if(undefined):
    """pytest.warns(UndefinedRateWarning) if ``undefined``, else no warning."""
    if undefined:
        return pytest.warns(UndefinedRateWarning, match="undefined and counts as 0")
    return _NoUndefinedRateWarning()


class _NoUndefinedRateWarning:
    """Fails the block if it issues an UndefinedRateWarning."""

    def __enter__(self):
        self._catcher = warnings.catch_warnings()
        self._catcher.__enter__()
        warnings.simplefilter("error", UndefinedRateWarning)

    def __exit__(self, *exc):
        return self._catcher.__exit__(*exc)


def _assert_same(actual, expected):
    if np.isnan(expected):
        assert np.isnan(actual), (actual, expected)
    else:
        assert actual == pytest.approx(expected, rel=1e-12, abs=1e-14)


def _random_case(seed, kind, weighted):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(8, 80))
    n_groups = int(rng.integers(2, 7))
    codes = rng.integers(0, n_groups, n)
    if kind == "int":
        sf = codes * 3 + 1  # non-contiguous integer labels
    elif kind == "str":
        sf = np.array([f"group-{c}" for c in codes], dtype=object)
    else:  # 2-D intersectional
        sf = pd.DataFrame({"a": codes % 2, "b": np.array(["x", "y", "z"])[codes % 3]})
    # Skewed base rates so that some groups lack positives or negatives.
    p_true = rng.uniform(0.05, 0.95, n_groups)[codes]
    y_true = (rng.random(n) < p_true).astype(int)
    y_pred = (rng.random(n) < rng.uniform(0.05, 0.95, n_groups)[codes]).astype(int)
    weights = rng.uniform(0.1, 3.0, n) if weighted else None
    return y_true, y_pred, sf, weights


# ------------------------------------------------ differential against fairlearn


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("kind", ["int", "str", "2d"])
@pytest.mark.parametrize("seed", range(4))
def test_metrics_equal_fairlearn_on_random_inputs(seed, kind, weighted):
    y_true, y_pred, sf, w = _random_case(seed, kind, weighted)
    # fairlearn is slow (~50 ms a call): each seed checks one method.
    method = ("between_groups", "to_overall")[seed % 2]
    for name in FAIRLEARN_METRICS:
        for kw in _options(name, [method]):
            expected = _fairlearn(name, y_true, y_pred, sf, w, **kw)
            with _warns_if(_leaves_a_rate_undefined(name, y_true, sf, w)):
                actual = getattr(skm, name)(
                    y_true, y_pred, sensitive_features=sf, sample_weight=w, **kw
                )
            assert isinstance(actual, float)
            _assert_same(actual, expected)


@pytest.mark.parametrize("weighted", [False, True])
def test_overall_rates_equal_fairlearn(weighted):
    rng = np.random.default_rng(7)
    y_true, y_pred = rng.integers(0, 2, 50), rng.integers(0, 2, 50)
    w = rng.random(50) if weighted else None
    for name in ("selection_rate", "true_positive_rate", "false_positive_rate"):
        expected = getattr(flm, name)(y_true, y_pred, sample_weight=w)
        assert getattr(skm, name)(y_true, y_pred, sample_weight=w) == pytest.approx(
            expected, rel=1e-12
        )


@pytest.mark.parametrize(
    "y_true, y_pred, sf",
    [
        # group "b" has no positive rows: its TPR is undefined (counts as 0)
        ([0, 1, 1, 0, 0, 0], [0, 1, 0, 1, 1, 0], ["a", "a", "a", "b", "b", "b"]),
        # group 2 has no negative rows: its FPR is undefined (counts as 0)
        ([0, 1, 1, 1, 1, 1], [1, 1, 0, 1, 0, 1], [1, 1, 1, 2, 2, 2]),
        # nothing predicted positive: every selection rate, TPR and FPR is 0
        ([0, 1, 1, 0, 1, 0], [0] * 6, [0, 0, 1, 1, 2, 2]),
        # TPR 0 everywhere but FPR not: the TPR ratio is NaN
        ([1, 0, 1, 0, 0, 0], [0, 1, 0, 0, 1, 1], [0, 0, 1, 1, 1, 1]),
        # FPR 0 everywhere but TPR not: the FPR ratio is NaN
        ([1, 0, 1, 0, 1, 1], [1, 0, 0, 0, 1, 1], [0, 0, 1, 1, 1, 1]),
        # every label positive
        ([1] * 6, [1, 0, 1, 1, 1, 0], ["x", "y", "x", "y", "x", "y"]),
        # one row per group
        ([1, 0, 1], [1, 1, 0], ["p", "q", "r"]),
    ],
)
def test_edge_cases_equal_fairlearn(y_true, y_pred, sf):
    for name in FAIRLEARN_METRICS:
        for kw in _options(name):
            with _warns_if(_leaves_a_rate_undefined(name, y_true, sf)):
                actual = getattr(skm, name)(y_true, y_pred, sensitive_features=sf, **kw)
            _assert_same(actual, _fairlearn(name, y_true, y_pred, sf, **kw))


def test_undefined_rates_count_as_zero_in_metrics_and_nan_in_report():
    # Group "b" has no positives. Its TPR counts as 0, so the TPR gap is that
    # of group "a" (2/3); in the report, b's TPR is NaN.
    y_true = [1, 1, 1, 0, 0, 0]
    y_pred = [1, 1, 0, 0, 1, 0]
    sf = ["a", "a", "a", "b", "b", "b"]
    with pytest.warns(UndefinedRateWarning, match="group 'b' has no rows"):
        assert skm.equal_opportunity_difference(
            y_true, y_pred, sensitive_features=sf
        ) == pytest.approx(2 / 3)
    with pytest.warns(UndefinedRateWarning, match="group 'b' has no rows"):
        assert skm.equal_opportunity_ratio(y_true, y_pred, sensitive_features=sf) == 0.0
    report = skm.group_report(y_true, y_pred, sensitive_features=sf)
    assert np.isnan(report.loc["b", "true_positive_rate"])
    assert np.isnan(report.loc["b", "false_negative_rate"])
    assert np.isnan(report.loc["a", "false_positive_rate"])
    assert report.loc["b", "false_positive_rate"] == pytest.approx(1 / 3)


def test_ratio_of_zero_rates_is_nan():
    y_true, y_pred, sf = [0, 1, 0, 1], [0, 0, 0, 0], [0, 0, 1, 1]
    assert np.isnan(skm.demographic_parity_ratio(y_true, y_pred, sensitive_features=sf))
    assert skm.demographic_parity_difference(y_true, y_pred, sensitive_features=sf) == 0


def test_zero_weight_group_is_ignored():
    rng = np.random.default_rng(3)
    n = 60
    sf = rng.integers(0, 3, n)
    y_true, y_pred = rng.integers(0, 2, n), rng.integers(0, 2, n)
    w = rng.random(n)
    w[sf == 1] = 0.0
    kept = sf != 1
    for name in FAIRLEARN_METRICS:
        for kw in _options(name):
            # The metric equals fairlearn's on the data without that group.
            expected = _fairlearn(
                name, y_true[kept], y_pred[kept], sf[kept], w[kept], **kw
            )
            actual = getattr(skm, name)(
                y_true, y_pred, sensitive_features=sf, sample_weight=w, **kw
            )
            _assert_same(actual, expected)
    # fairlearn's demographic parity skips the group too (NaN rate)
    _assert_same(
        skm.demographic_parity_difference(
            y_true, y_pred, sensitive_features=sf, sample_weight=w
        ),
        _fairlearn("demographic_parity_difference", y_true, y_pred, sf, w),
    )
    report = skm.group_report(y_true, y_pred, sensitive_features=sf, sample_weight=w)
    assert report.loc[1, "count"] == np.sum(sf == 1)
    assert report.loc[1, "weighted_count"] == 0
    assert report.loc[1, ["base_rate", "selection_rate", "accuracy"]].isna().all()


def test_single_group_gives_zero_difference_and_unit_ratio():
    y_true, y_pred = [0, 1, 1, 0], [1, 1, 0, 0]
    for name in FAIRLEARN_METRICS:
        value = getattr(skm, name)(y_true, y_pred, sensitive_features=["g"] * 4)
        assert value == (1.0 if name.endswith("ratio") else 0.0)


def test_pos_label_selects_the_positive_class():
    y_true = np.array(["no", "yes", "yes", "no", "yes", "no"])
    y_pred = np.array(["yes", "yes", "no", "no", "no", "no"])
    sf = [0, 0, 0, 1, 1, 1]
    expected = skm.equalized_odds_difference(
        (y_true == "yes").astype(int),
        (y_pred == "yes").astype(int),
        sensitive_features=sf,
    )
    assert (
        skm.equalized_odds_difference(
            y_true, y_pred, sensitive_features=sf, pos_label="yes"
        )
        == expected
    )
    # pos_label=0 on 0/1 data swaps the roles of the labels
    yt01, yp01 = (y_true == "yes").astype(int), (y_pred == "yes").astype(int)
    assert skm.true_positive_rate(yt01, yp01, pos_label=0) == pytest.approx(
        skm.true_positive_rate(1 - yt01, 1 - yp01)
    )


def test_minus_one_one_labels_match_fairlearn():
    rng = np.random.default_rng(11)
    y_true = rng.choice([-1, 1], 40)
    y_pred = rng.choice([-1, 1], 40)
    sf = rng.integers(0, 3, 40)
    assert skm.true_positive_rate(y_true, y_pred) == pytest.approx(
        flm.true_positive_rate(y_true, y_pred)
    )
    _assert_same(
        skm.equalized_odds_difference(y_true, y_pred, sensitive_features=sf),
        _fairlearn("equalized_odds_difference", y_true, y_pred, sf),
    )


# ------------------------------------------------ fast path versus general path


def _reference_table(y_true, y_pred, sf, w=None, pos_label=1):
    """Weighted (group, t, p) counts by plain per-row Python loops."""
    labels = sorted(set(sf))
    table = np.zeros((len(labels), 2, 2))
    for i in range(len(sf)):
        g = labels.index(sf[i])
        t = int(y_true[i] == pos_label)
        p = int(y_pred[i] == pos_label)
        table[g, t, p] += 1.0 if w is None else w[i]
    return labels, table


@pytest.mark.parametrize(
    "dtype", [np.int64, np.int32, np.int8, np.uint8, np.uint16, np.uint64, bool]
)
@pytest.mark.parametrize("weighted", [False, True])
def test_integer_dtypes_give_the_reference_counts(dtype, weighted, monkeypatch):
    monkeypatch.setattr(_counts, "_BLOCK", 7)  # many blocks, a ragged last one
    rng = np.random.default_rng(5)
    n = 50
    sf = rng.integers(0, 2 if dtype is bool else 5, n).astype(dtype)
    y_true = rng.integers(0, 2, n).astype(dtype)
    y_pred = rng.integers(0, 2, n).astype(dtype)
    w = rng.random(n) if weighted else None
    counts = _dispatch.group_counts(
        y_true, y_pred, sensitive_features=sf, sample_weight=w
    )
    labels, table = _reference_table(y_true.tolist(), y_pred.tolist(), sf.tolist(), w)
    assert counts.groups.tolist() == labels
    assert counts.groups.tolist() == encode_groups(sf).groups.tolist()
    np.testing.assert_allclose(counts.weighted, table, rtol=1e-12)


@pytest.mark.parametrize("scale", [1e-200, 1e-300, 1e300, 1e306])
def test_weights_at_extreme_scales_give_the_unscaled_metrics(scale):
    rng = np.random.default_rng(8)
    y_true, y_pred, sf = (rng.integers(0, 2, 50) for _ in range(3))
    sw = rng.uniform(0.5, 2.0, 50)
    for metric in (skm.equalized_odds_difference, skm.demographic_parity_ratio):
        expected = metric(y_true, y_pred, sensitive_features=sf, sample_weight=sw)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = metric(
                y_true, y_pred, sensitive_features=sf, sample_weight=sw * scale
            )
        assert got == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "weight, match",
    [(1e307, "more than float64 holds"), (1e-320, "below the smallest normal")],
)
def test_weights_beyond_float64_raise_instead_of_nan(weight, match):
    # 100 rows of weight 1e307 sum past float64's range: the rates were NaN.
    rng = np.random.default_rng(8)
    y_true, y_pred, sf = (rng.integers(0, 2, 100) for _ in range(3))
    for metric in (skm.equalized_odds_difference, skm.group_report):
        with pytest.raises(ValueError, match=match):
            metric(y_true, y_pred, sensitive_features=sf, sample_weight=[weight] * 100)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8])
@pytest.mark.parametrize("container", [np.asarray, pd.Categorical])
def test_8_bit_group_labels_up_to_their_maximum(dtype, container):
    # Cell indices are 4 * group + ...: formed in the labels' 8-bit dtype
    # they wrapped around for groups >= 64.
    n_groups = np.iinfo(dtype).max + 1
    sf = np.arange(n_groups, dtype=dtype).repeat(2)
    y_true = np.tile([0, 1], n_groups)
    y_pred = np.tile([1, 1], n_groups)
    counts = _dispatch.group_counts(y_true, y_pred, sensitive_features=container(sf))
    labels, table = _reference_table(y_true, y_pred, sf.tolist())
    assert counts.groups.tolist() == labels
    np.testing.assert_array_equal(counts.weighted, table)


@pytest.mark.parametrize(
    "sf",
    [
        [0, 1 << 20, 0, 5, 1 << 20, 5, 0, 5],  # labels past the fused path's range
        [-3, 2, -3, 2, 7, 7, -3, 2],  # negative labels
        [1.5, 0.5, 1.5, 0.5, 2.5, 2.5, 0.5, 1.5],  # floats
    ],
)
def test_labels_outside_the_fused_path_fall_back(sf, monkeypatch):
    monkeypatch.setattr(_counts, "_BLOCK", 3)
    y_true = np.array([0, 1, 1, 0, 1, 0, 1, 1])
    y_pred = np.array([1, 1, 0, 0, 1, 1, 0, 1])
    counts = _dispatch.group_counts(y_true, y_pred, sensitive_features=np.array(sf))
    labels, table = _reference_table(y_true, y_pred, sf)
    assert counts.groups.tolist() == labels
    np.testing.assert_array_equal(counts.weighted, table)


def test_non_binary_value_in_a_late_block_is_caught(monkeypatch):
    monkeypatch.setattr(_counts, "_BLOCK", 4)
    y_true = np.array([0, 1, 0, 1, 0, 1, 0, 1, 0, 2])
    with pytest.raises(ValueError, match="y_true must hold binary labels"):
        skm.equalized_odds_difference(
            y_true, np.zeros(10, int), sensitive_features=[0] * 10
        )


def test_float_and_object_labels_match_integer_labels():
    rng = np.random.default_rng(2)
    y_true, y_pred, sf = (
        rng.integers(0, 2, 40),
        rng.integers(0, 2, 40),
        rng.integers(0, 3, 40),
    )
    expected = skm.equalized_odds_ratio(y_true, y_pred, sensitive_features=sf)
    for convert in (lambda a: a.astype(float), lambda a: a.astype(object)):
        assert (
            skm.equalized_odds_ratio(
                convert(y_true), convert(y_pred), sensitive_features=convert(sf)
            )
            == expected
        )


def test_pandas_inputs():
    rng = np.random.default_rng(9)
    n = 40
    frame = pd.DataFrame(
        {
            "y": rng.integers(0, 2, n),
            "p": rng.integers(0, 2, n),
            "sex": pd.Categorical(rng.choice(["f", "m"], n)),
            "race": rng.choice(["r1", "r2", "r3"], n),
        }
    )
    expected = skm.equalized_odds_difference(
        frame["y"].to_numpy(),
        frame["p"].to_numpy(),
        sensitive_features=frame["sex"].astype(str).to_numpy(),
    )
    assert (
        skm.equalized_odds_difference(
            frame["y"], frame["p"], sensitive_features=frame["sex"]
        )
        == expected
    )
    _assert_same(
        skm.demographic_parity_ratio(
            frame["y"], frame["p"], sensitive_features=frame[["sex", "race"]]
        ),
        _fairlearn(
            "demographic_parity_ratio", frame["y"], frame["p"], frame[["sex", "race"]]
        ),
    )


# ------------------------------------------------ AIF360-style metrics


def _pooled_rates(y_true, y_pred, sf, privileged, w):
    """Selection rate, TPR and FPR of the privileged and the other rows."""
    y_true, y_pred, sf = np.asarray(y_true), np.asarray(y_pred), np.asarray(sf)
    w = np.ones(len(y_true)) if w is None else np.asarray(w)
    out = {}
    for side, mask in (("priv", sf == privileged), ("unpriv", sf != privileged)):
        t, p, ww = y_true[mask] == 1, y_pred[mask] == 1, w[mask]
        out[side] = {
            "sel": ww[p].sum() / ww.sum(),
            "tpr": ww[t & p].sum() / ww[t].sum(),
            "fpr": ww[~t & p].sum() / ww[~t].sum(),
        }
    return out


@pytest.mark.parametrize("n_groups", [2, 4])
@pytest.mark.parametrize("weighted", [False, True])
def test_aif360_style_metrics_by_hand(n_groups, weighted):
    rng = np.random.default_rng(n_groups)
    n = 200
    sf = rng.integers(0, n_groups, n)
    y_true, y_pred = rng.integers(0, 2, n), rng.integers(0, 2, n)
    w = rng.uniform(0.5, 2, n) if weighted else None
    r = _pooled_rates(y_true, y_pred, sf, 1, w)
    expected_aod = (
        (r["unpriv"]["fpr"] - r["priv"]["fpr"])
        + (r["unpriv"]["tpr"] - r["priv"]["tpr"])
    ) / 2
    expected_di = r["unpriv"]["sel"] / r["priv"]["sel"]
    kw = {"sensitive_features": sf, "privileged_group": 1, "sample_weight": w}
    assert skm.average_odds_difference(y_true, y_pred, **kw) == pytest.approx(
        expected_aod
    )
    assert skm.disparate_impact_ratio(y_true, y_pred, **kw) == pytest.approx(
        expected_di
    )


@pytest.mark.parametrize("n_groups", [2, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_aif360_style_metrics_equal_aif360(n_groups, weighted):
    pytest.importorskip("aif360")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from aif360.sklearn.metrics import average_odds_difference as aif_aod
        from aif360.sklearn.metrics import disparate_impact_ratio as aif_di
    rng = np.random.default_rng(10 + n_groups)
    n = 300
    sf = rng.choice(["a", "b", "c"][:n_groups], n)
    y_true, y_pred = rng.integers(0, 2, n), rng.integers(0, 2, n)
    w = rng.uniform(0.5, 2, n) if weighted else None
    for priv in ("a", "b"):
        kw = {"sample_weight": w}
        assert skm.average_odds_difference(
            y_true, y_pred, sensitive_features=sf, privileged_group=priv, **kw
        ) == pytest.approx(aif_aod(y_true, y_pred, prot_attr=sf, priv_group=priv, **kw))
        assert skm.disparate_impact_ratio(
            y_true, y_pred, sensitive_features=sf, privileged_group=priv, **kw
        ) == pytest.approx(aif_di(y_true, y_pred, prot_attr=sf, priv_group=priv, **kw))


def test_privileged_group_defaults_and_errors():
    y_true, y_pred = [1, 0, 1, 0, 1, 1], [1, 1, 0, 0, 1, 0]
    two = [0, 0, 0, 1, 1, 1]
    # With two groups, None picks the second in sorted order.
    assert skm.disparate_impact_ratio(
        y_true, y_pred, sensitive_features=two
    ) == skm.disparate_impact_ratio(
        y_true, y_pred, sensitive_features=two, privileged_group=1
    )
    three = [0, 0, 1, 1, 2, 2]
    with pytest.raises(ValueError, match="pass privileged_group="):
        skm.average_odds_difference(y_true, y_pred, sensitive_features=three)
    with pytest.raises(ValueError, match="privileged_group=5 is not one of the groups"):
        skm.average_odds_difference(
            y_true, y_pred, sensitive_features=three, privileged_group=5
        )
    with pytest.raises(ValueError, match="single group"):
        skm.disparate_impact_ratio(y_true, y_pred, sensitive_features=[0] * 6)
    # Intersectional groups are named by tuples.
    sf2 = np.array(
        [[0, "a"], [0, "a"], [1, "b"], [1, "b"], [0, "b"], [0, "b"]], dtype=object
    )
    value = skm.disparate_impact_ratio(
        y_true, y_pred, sensitive_features=sf2, privileged_group=(0, "a")
    )
    # privileged rows 0-1 select 2/2; the others select 1/4
    assert value == pytest.approx(0.25)


def test_disparate_impact_zero_privileged_rate():
    y_true = [0, 0, 0, 0]
    assert np.isnan(
        skm.disparate_impact_ratio(
            y_true, [0, 0, 0, 0], sensitive_features=[0, 0, 1, 1], privileged_group=1
        )
    )
    assert (
        skm.disparate_impact_ratio(
            y_true, [1, 0, 0, 0], sensitive_features=[0, 0, 1, 1], privileged_group=1
        )
        == np.inf
    )


# ------------------------------------------------ group_report


def _direct_report_row(y_true, y_pred, w):
    t, p = y_true == 1, y_pred == 1

    def ratio(num, den):
        return num / den if den > 0 else np.nan

    return {
        "count": len(y_true),
        "weighted_count": w.sum(),
        "base_rate": ratio(w[t].sum(), w.sum()),
        "selection_rate": ratio(w[p].sum(), w.sum()),
        "true_positive_rate": ratio(w[t & p].sum(), w[t].sum()),
        "false_positive_rate": ratio(w[~t & p].sum(), w[~t].sum()),
        "false_negative_rate": ratio(w[t & ~p].sum(), w[t].sum()),
        "precision": ratio(w[t & p].sum(), w[p].sum()),
        "accuracy": ratio(w[t == p].sum(), w.sum()),
    }


@pytest.mark.parametrize("weighted", [False, True])
def test_group_report_matches_direct_computation(weighted):
    rng = np.random.default_rng(4)
    n = 120
    sf = rng.choice(["c", "a", "b", "d"], n)
    y_true = rng.integers(0, 2, n)
    y_true[sf == "d"] = 0  # no positives in "d": NaN TPR, FNR
    y_pred = rng.integers(0, 2, n)
    y_pred[sf == "b"] = 0  # no positive predictions in "b": NaN precision
    w = rng.uniform(0.1, 2, n) if weighted else np.ones(n)
    report = skm.group_report(
        y_true, y_pred, sensitive_features=sf, sample_weight=w if weighted else None
    )
    assert list(report.index) == ["a", "b", "c", "d", "overall"]
    assert report.index.name == "group"
    for label in ["a", "b", "c", "d", "overall"]:
        mask = np.ones(n, bool) if label == "overall" else sf == label
        expected = _direct_report_row(y_true[mask], y_pred[mask], w[mask])
        row = report.loc[label]
        for column, value in expected.items():
            if np.isnan(value):
                assert np.isnan(row[column]), (label, column)
            else:
                assert row[column] == pytest.approx(value, rel=1e-12), (label, column)
    assert report["count"].dtype.kind == "i"


@pytest.mark.parametrize("as_frame", [True, False])
def test_group_report_refuses_a_group_named_overall(as_frame):
    # The group "overall" and the all-rows row had the same label.
    with pytest.raises(ValueError, match="group named 'overall'"):
        skm.group_report(
            [1, 0, 1, 0],
            [1, 1, 0, 0],
            sensitive_features=["overall", "overall", "b", "b"],
            as_frame=as_frame,
        )
    # Inside an intersectional label it is no row label of its own.
    report = skm.group_report(
        [1, 0, 1, 0],
        [1, 1, 0, 0],
        sensitive_features=[["overall", 1], ["overall", 1], ["b", 1], ["b", 1]],
    )
    assert list(report.index) == [("b", 1), ("overall", 1), "overall"]


def test_group_report_dict_form_and_intersectional_labels():
    y_true, y_pred = [1, 0, 1, 0, 1, 1], [1, 1, 0, 0, 1, 0]
    sf = pd.DataFrame(
        {"sex": ["f", "f", "m", "m", "f", "m"], "age": [1, 2, 1, 2, 1, 1]}
    )
    frame = skm.group_report(y_true, y_pred, sensitive_features=sf)
    as_dict = skm.group_report(y_true, y_pred, sensitive_features=sf, as_frame=False)
    assert isinstance(as_dict, dict)
    assert as_dict["group"].tolist() == [
        ("f", 1),
        ("f", 2),
        ("m", 1),
        ("m", 2),
        "overall",
    ]
    assert list(frame.index) == as_dict["group"].tolist()
    for column in frame.columns:
        np.testing.assert_array_equal(frame[column].to_numpy(), as_dict[column])
    with pytest.raises(ValueError, match="as_frame"):
        skm.group_report(y_true, y_pred, sensitive_features=sf, as_frame="yes")


# ------------------------------------------------ bad input


@pytest.mark.parametrize("name", ALL_METRICS)
def test_bad_input_raises_value_error_naming_the_problem(name):
    metric = getattr(skm, name)
    good_t, good_p, good_sf = [0, 1, 1, 0], [1, 1, 0, 0], [0, 0, 1, 1]
    cases = [
        (([0, 1, 2, 0], good_p, good_sf), "y_true must hold binary labels"),
        ((good_t, [0, 3, 2, 0], good_sf), "y_pred must hold binary labels"),
        ((good_t, [1, 1, 2, 2], good_sf), "at most two labels"),
        ((good_t, [1, 1, 0], good_sf), "but y_pred has 3"),
        ((good_t, good_p, [0, 1, 1]), "sensitive_features has 3 rows"),
        ((good_t, good_p, [0, None, 1, 1]), "missing values"),
        ((good_t, good_p, [0.0, np.nan, 1.0, 1.0]), "missing values"),
        (([0.0, np.nan, 1.0, 0.0], good_p, good_sf), "y_true contains NaN"),
        (([], [], []), "empty"),
        ((np.zeros((4, 2)), good_p, good_sf), "y_true must be 1-D"),
        ((good_t, good_p, None), "sensitive_features is required"),
        ((["a", "b", "a", "b"], ["a", "a", "b", "b"], good_sf), "pos_label=1"),
    ]
    for (y_true, y_pred, sf), message in cases:
        with pytest.raises(ValueError, match=message):
            metric(y_true, y_pred, sensitive_features=sf)
    with pytest.raises(ValueError, match="sample_weight"):
        metric(good_t, good_p, sensitive_features=good_sf, sample_weight=[1, -1, 1, 1])
    with pytest.raises(ValueError, match="sample_weight is zero for every row"):
        metric(good_t, good_p, sensitive_features=good_sf, sample_weight=[0, 0, 0, 0])


def test_bad_method_and_agg():
    args = ([0, 1], [1, 1])
    with pytest.raises(ValueError, match="method must be one of"):
        skm.demographic_parity_difference(*args, sensitive_features=[0, 1], method="x")
    with pytest.raises(ValueError, match="agg must be one of"):
        skm.equalized_odds_ratio(*args, sensitive_features=[0, 1], agg="max")


@pytest.mark.parametrize("name", ALL_METRICS + ["group_report"])
def test_inputs_are_not_modified(name):
    rng = np.random.default_rng(0)
    n = 30
    inputs = {
        "y_true": rng.integers(0, 2, n).astype(bool),
        "y_pred": pd.Series(rng.integers(0, 2, n)),
        "sensitive_features": rng.choice(["a", "b"], n).astype(object),
        "sample_weight": rng.random(n),
    }
    before = {k: v.copy() for k, v in inputs.items()}
    kw = {"privileged_group": "a"} if name in ALL_METRICS[-2:] else {}
    getattr(skm, name)(
        inputs["y_true"],
        inputs["y_pred"],
        sensitive_features=inputs["sensitive_features"],
        sample_weight=inputs["sample_weight"],
        **kw,
    )
    for key, value in inputs.items():
        np.testing.assert_array_equal(np.asarray(value), np.asarray(before[key]))
        assert np.asarray(value).dtype == np.asarray(before[key]).dtype


# ------------------------------------------------ dask


@pytest.mark.parametrize("kind", ["int", "str", "2d"])
@pytest.mark.parametrize("weighted", [False, True])
def test_dask_arrays_give_the_numpy_values(kind, weighted):
    da = pytest.importorskip("dask.array")
    y_true, y_pred, sf, w = _random_case(100, kind, weighted)
    sf = np.asarray(sf, dtype=object) if kind == "2d" else np.asarray(sf)
    n = len(y_true)
    d_true = da.from_array(y_true, chunks=7)  # misaligned chunks on purpose
    d_pred = da.from_array(y_pred, chunks=11)
    d_sf = da.from_array(sf, chunks=(13,) + sf.shape[1:])
    d_w = None if w is None else da.from_array(w, chunks=5)
    assert n > 20
    for name in ALL_METRICS:
        kw = {"privileged_group": _some_group(sf)} if name in ALL_METRICS[-2:] else {}
        undefined = _leaves_a_rate_undefined(name, y_true, sf, w, **kw)
        with _warns_if(undefined):
            expected = getattr(skm, name)(
                y_true, y_pred, sensitive_features=sf, sample_weight=w, **kw
            )
        with _warns_if(undefined):  # the same warning from the dask route
            actual = getattr(skm, name)(
                d_true, d_pred, sensitive_features=d_sf, sample_weight=d_w, **kw
            )
        _assert_same(actual, expected)
    expected = skm.group_report(y_true, y_pred, sensitive_features=sf, sample_weight=w)
    actual = skm.group_report(
        d_true, y_pred, sensitive_features=d_sf, sample_weight=d_w
    )
    assert list(actual.index) == list(expected.index)
    pd.testing.assert_frame_equal(actual, expected, rtol=1e-12)


def _some_group(sf):
    return tuple(sf[0]) if sf.ndim == 2 else sf[0]


def test_dask_labels_are_checked_across_blocks():
    da = pytest.importorskip("dask.array")
    # Each block is binary on its own; together y_true has three labels.
    y_true = da.from_array(np.array([0, 1, 0, 1, 1, 2, 1, 2]), chunks=4)
    y_pred = da.from_array(np.ones(8, int), chunks=4)
    with pytest.raises(ValueError, match="at most two labels"):
        skm.equalized_odds_difference(
            y_true, y_pred, sensitive_features=np.zeros(8, int)
        )
    with pytest.raises(ValueError, match="sensitive_features has 7 rows"):
        skm.equalized_odds_difference(
            y_pred, y_pred, sensitive_features=da.zeros(7, chunks=3, dtype=int)
        )


def test_dask_counts_block_by_block(dask_block_lengths):
    da = pytest.importorskip("dask.array")
    seen = dask_block_lengths
    y = np.tile([0, 1, 1, 0], 25)
    value = skm.selection_rate(da.from_array(y, chunks=10), da.from_array(y, chunks=10))
    assert value == 0.5
    assert seen and max(seen) <= 10 and sum(seen) == 100


@pytest.mark.parametrize("as_frame", [True, False])
def test_group_report_flags_small_groups(as_frame):
    g = ["a"] * 5 + ["b"] * 2 + ["c"] * 3
    y = [0, 1] * 5
    report = skm.group_report(
        y, y, sensitive_features=g, min_group_size=3, as_frame=as_frame
    )
    # b has 2 rows (< 3); a and c do not; the overall row is no group.
    assert list(np.asarray(report["small_group"])) == [False, True, False, False]
    plain = skm.group_report(y, y, sensitive_features=g, as_frame=as_frame)
    assert "small_group" not in list(plain if not as_frame else plain.columns)
    with pytest.raises(ValueError, match="min_group_size must be None"):
        skm.group_report(y, y, sensitive_features=g, min_group_size=-2)


@pytest.mark.parametrize(
    "metric", [skm.average_odds_difference, skm.disparate_impact_ratio]
)
def test_pooled_unprivileged_rows_keep_a_weight_far_below_the_privileged(metric):
    # The unprivileged side is group 0 alone; its only positive weighs 6e-37
    # against the privileged group's 1. Pooling by "total minus privileged"
    # rounded that weight away (the unprivileged TPR became undefined, 0);
    # both choices of the privileged group must see the same two sides.
    y = np.array([0, 0, 0, 1, 1])
    groups = np.array([0, 0, 0, 0, 1])
    weights = np.array([0.0, 0.0, 1.0, 6.19412937e-37, 1.0])
    as_privileged = {}
    for g in (0, 1):
        # Group 1 has no negative row: with FPRs, its undefined one warns.
        undefined = metric is skm.average_odds_difference
        with _warns_if(undefined):
            as_privileged[g] = metric(
                y,
                y,
                sensitive_features=groups,
                privileged_group=g,
                sample_weight=weights,
            )
    if metric is skm.average_odds_difference:
        assert as_privileged[1] == pytest.approx(-as_privileged[0], abs=1e-12)
    else:
        assert as_privileged[1] * as_privileged[0] == pytest.approx(1.0)
