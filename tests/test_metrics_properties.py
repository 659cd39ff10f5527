"""Invariants of the fairness metrics, checked with hypothesis."""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import skfair.metrics as skm
from skfair.exceptions import UndefinedRateWarning

# The random data sets leave rates undefined in many examples; the warning
# that the default then issues is not what these invariants are about. That
# it is issued exactly when a group lacks a rate's rows is checked below
# (test_the_default_warns_exactly_when_a_group_leaves_a_rate_undefined, which
# records every warning itself) and in test_zero_division.py.
pytestmark = pytest.mark.filterwarnings(
    "ignore::skfair.exceptions.UndefinedRateWarning"
)

DIFFERENCES = [
    "demographic_parity_difference",
    "equalized_odds_difference",
    "equal_opportunity_difference",
]
RATIOS = [name.replace("difference", "ratio") for name in DIFFERENCES]
PAIRS = list(zip(DIFFERENCES, RATIOS, strict=True))
OPTIONS = [
    {"method": "between_groups"},
    {"method": "to_overall"},
]

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def datasets(draw, min_groups=1, max_groups=5, weights=True):
    n = draw(st.integers(1, 40))
    n_groups = draw(st.integers(min_groups, max_groups))
    ints = st.integers(0, n_groups - 1)
    sf = np.array(draw(st.lists(ints, min_size=n, max_size=n)))
    y_true = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    y_pred = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    w = None
    if weights and draw(st.booleans()):
        w = np.array(
            draw(st.lists(st.floats(0.0, 5.0, allow_nan=False), min_size=n, max_size=n))
        )
        # A total below the smallest normal float64 is refused by the metrics
        # (tested on its own); keep it far from there, scaled by 1e-3 too.
        assume(w.sum() > 1e-300)
    return y_true, y_pred, sf, w


def _all_values(y_true, y_pred, sf, w):
    values = {}
    for name in DIFFERENCES + RATIOS:
        for kw in OPTIONS:
            aggs = ["worst_case", "mean"] if "odds" in name else [None]
            for agg in aggs:
                extra = {"agg": agg} if agg else {}
                values[(name, kw["method"], agg)] = getattr(skm, name)(
                    y_true,
                    y_pred,
                    sensitive_features=sf,
                    sample_weight=w,
                    **kw,
                    **extra,
                )
    return values


def _assert_close(a, b):
    assert a.keys() == b.keys()
    for key in a:
        if np.isnan(a[key]):
            assert np.isnan(b[key]), key
        else:
            assert b[key] == pytest.approx(a[key], rel=1e-9, abs=1e-12), key


@SETTINGS
@given(datasets(), st.randoms(use_true_random=False))
def test_row_permutation_does_not_change_the_metrics(data, rnd):
    y_true, y_pred, sf, w = data
    order = list(range(len(y_true)))
    rnd.shuffle(order)
    permuted = [a[order] if a is not None else None for a in (y_true, y_pred, sf, w)]
    _assert_close(_all_values(y_true, y_pred, sf, w), _all_values(*permuted))


@SETTINGS
@given(
    datasets(),
    st.one_of(
        st.permutations(["ü", "b", "7", "zz", "a"]),
        st.permutations([-5, 100_000, 3, 2**40, 0]),  # ints off the fused path
    ),
)
def test_renaming_groups_does_not_change_the_metrics(data, new_names):
    y_true, y_pred, sf, w = data
    renamed = np.array([new_names[g] for g in sf], dtype=object)
    _assert_close(
        _all_values(y_true, y_pred, sf, w), _all_values(y_true, y_pred, renamed, w)
    )


@SETTINGS
@given(datasets(weights=False), st.data())
def test_integer_weights_equal_row_repetition(data, draw):
    y_true, y_pred, sf, _ = data
    n = len(y_true)
    reps = np.array(draw.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    assume(reps.sum() > 0)
    repeated = [np.repeat(a, reps) for a in (y_true, y_pred, sf)]
    _assert_close(
        _all_values(y_true, y_pred, sf, reps.astype(float)),
        _all_values(*repeated, None),
    )


@SETTINGS
@given(datasets(), st.floats(1e-3, 1e3))
def test_scaling_all_weights_does_not_change_the_metrics(data, scale):
    y_true, y_pred, sf, w = data
    w = np.ones(len(y_true)) if w is None else w
    _assert_close(
        _all_values(y_true, y_pred, sf, w), _all_values(y_true, y_pred, sf, w * scale)
    )


@SETTINGS
@given(datasets())
def test_bounds_and_ratio_one_exactly_when_difference_zero(data):
    values = _all_values(*data)
    for (name, method, agg), value in values.items():
        if np.isnan(value):
            assert name.endswith("ratio")
            continue
        assert 0.0 <= value <= 1.0, (name, method, agg, value)
    for difference, ratio in PAIRS:
        for kw in OPTIONS:
            aggs = ["worst_case", "mean"] if "odds" in difference else [None]
            for agg in aggs:
                d = values[(difference, kw["method"], agg)]
                r = values[(ratio, kw["method"], agg)]
                if r == 1.0:
                    assert d == 0.0
                if d == 0.0:
                    # NaN: every group's rate is 0 (0 / 0), an equal rate too
                    assert r == 1.0 or np.isnan(r)


@SETTINGS
@given(datasets())
def test_equalized_odds_dominates_equal_opportunity(data):
    y_true, y_pred, sf, w = data
    for kw in OPTIONS:
        eo = skm.equalized_odds_difference(
            y_true, y_pred, sensitive_features=sf, sample_weight=w, **kw
        )
        eop = skm.equal_opportunity_difference(
            y_true, y_pred, sensitive_features=sf, sample_weight=w, **kw
        )
        assert eo >= eop


@SETTINGS
@given(
    st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=1, max_size=12),
    st.integers(1, 5),
)
def test_group_independent_predictions_are_fair(pattern, n_groups):
    # The same (y_true, y_pred) rows replicated identically in every group.
    y_true = np.array([t for t, _ in pattern] * n_groups)
    y_pred = np.array([p for _, p in pattern] * n_groups)
    sf = np.repeat(np.arange(n_groups), len(pattern))
    values = _all_values(y_true, y_pred, sf, None)
    for (name, _, _), value in values.items():
        if name.endswith("difference"):
            assert value == 0.0
        else:
            assert value == 1.0 or np.isnan(value)


@SETTINGS
@given(datasets(min_groups=1, max_groups=1))
def test_single_group_gives_zero(data):
    for (name, _, _), value in _all_values(*data).items():
        if name.endswith("difference"):
            assert value == 0.0
        else:
            assert value == 1.0 or np.isnan(value)


# ----------------------------------------------------------------------------
# An independent reference: pure Python loops over the rows, no numpy, no
# shared code with skfair. Every metric of skfair.metrics is checked against
# it on hypothesis data.


def _loop_cells(y_true, y_pred, groups, weights):
    """Per group (in first-seen order): weighted tp, fp, tn, fn and row count."""
    cells = {}
    for i in range(len(y_true)):
        cell = cells.setdefault(
            groups[i], {"tp": 0.0, "fp": 0.0, "tn": 0.0, "fn": 0.0, "rows": 0}
        )
        weight = 1.0 if weights is None else float(weights[i])
        if y_true[i] == 1:
            cell["tp" if y_pred[i] == 1 else "fn"] += weight
        else:
            cell["fp" if y_pred[i] == 1 else "tn"] += weight
        cell["rows"] += 1
    return cells


def _pooled(cells):
    total = {"tp": 0.0, "fp": 0.0, "tn": 0.0, "fn": 0.0, "rows": 0}
    for cell in cells:
        for key in total:
            total[key] += cell[key]
    return total


def _weight(cell):
    return cell["tp"] + cell["fp"] + cell["tn"] + cell["fn"]


def _loop_rate(cell, kind, undefined=0.0):
    numerator, denominator = {
        "selection": (cell["tp"] + cell["fp"], _weight(cell)),
        "tpr": (cell["tp"], cell["tp"] + cell["fn"]),
        "fpr": (cell["fp"], cell["fp"] + cell["tn"]),
        "fnr": (cell["fn"], cell["tp"] + cell["fn"]),
        "base": (cell["tp"] + cell["fn"], _weight(cell)),
        "precision": (cell["tp"], cell["tp"] + cell["fp"]),
        "accuracy": (cell["tp"] + cell["tn"], _weight(cell)),
    }[kind]
    return numerator / denominator if denominator > 0 else undefined


def _loop_difference(cells, kind, method):
    weighted = [c for c in cells.values() if _weight(c) > 0]
    rates = [_loop_rate(c, kind) for c in weighted]
    if method == "between_groups":
        return max(rates) - min(rates)
    overall = _loop_rate(_pooled(weighted), kind)
    return max(abs(r - overall) for r in rates)


def _loop_ratio(cells, kind, method):
    weighted = [c for c in cells.values() if _weight(c) > 0]
    rates = [_loop_rate(c, kind) for c in weighted]
    if method == "between_groups":
        return min(rates) / max(rates) if max(rates) > 0 else float("nan")
    overall = _loop_rate(_pooled(weighted), kind)
    folded = []
    for rate in rates:
        if overall == 0:
            folded.append(float("nan") if rate == 0 else 0.0)  # r / 0 = inf -> 0
        else:
            folded.append(min(rate / overall, overall / rate if rate else 1.0))
    defined = [v for v in folded if v == v]
    return min(defined) if defined else float("nan")


def _loop_metric(name, cells, method, agg):
    kinds = {
        "demographic_parity": ["selection"],
        "equal_opportunity": ["tpr"],
        "equalized_odds": ["tpr", "fpr"],
    }
    base, _, family = name.rpartition("_")
    one = _loop_difference if family == "difference" else _loop_ratio
    values = [one(cells, kind, method) for kind in kinds[base]]
    if len(values) == 1:
        return values[0]
    if agg == "mean":
        defined = [v for v in values if v == v]
        return sum(defined) / len(defined) if defined else float("nan")
    # fairlearn takes Python's min/max of [tpr, fpr], NaN included.
    return max(values) if family == "difference" else min(values)


def _privileged_sides(cells, privileged):
    unprivileged = _pooled([c for g, c in cells.items() if g != privileged])
    return cells[privileged], unprivileged


def _loop_average_odds(cells, privileged):
    priv, unpriv = _privileged_sides(cells, privileged)
    fpr_gap = _loop_rate(unpriv, "fpr") - _loop_rate(priv, "fpr")
    tpr_gap = _loop_rate(unpriv, "tpr") - _loop_rate(priv, "tpr")
    return (fpr_gap + tpr_gap) / 2


def _loop_disparate_impact(cells, privileged):
    priv, unpriv = _privileged_sides(cells, privileged)
    numerator = _loop_rate(unpriv, "selection")
    denominator = _loop_rate(priv, "selection")
    if denominator == 0:
        return float("nan") if numerator == 0 else float("inf")
    return numerator / denominator


def _same(actual, expected, what):
    if expected != expected:  # NaN
        assert actual != actual, (what, actual)
    else:
        assert actual == pytest.approx(expected, rel=1e-9, abs=1e-12), what


@st.composite
def oracle_datasets(draw, min_groups=1):
    y_true, y_pred, sf, w = draw(datasets(min_groups=min_groups))
    if draw(st.booleans()):
        # Intersectional groups: the same partition, as pairs of labels.
        sf = np.column_stack([sf % 2, sf // 2])
    return y_true, y_pred, sf, w


def _reference_cells(y_true, y_pred, sf, w):
    """The row loop's cells of a hypothesis data set, from plain lists."""
    groups = [tuple(row) if np.ndim(row) else row for row in sf.tolist()]
    weights = None if w is None else w.tolist()
    return _loop_cells(y_true.tolist(), y_pred.tolist(), groups, weights)


@SETTINGS
@given(oracle_datasets())
def test_metrics_equal_the_row_loop_reference(data):
    y_true, y_pred, sf, w = data
    cells = _reference_cells(*data)
    for kind, func in [
        ("selection", skm.selection_rate),
        ("tpr", skm.true_positive_rate),
        ("fpr", skm.false_positive_rate),
    ]:
        expected = _loop_rate(_pooled(cells.values()), kind)
        _same(func(y_true, y_pred, sample_weight=w), expected, kind)
    for name in DIFFERENCES + RATIOS:
        for kw in OPTIONS:
            for agg in ["worst_case", "mean"] if "odds" in name else [None]:
                extra = {"agg": agg} if agg else {}
                actual = getattr(skm, name)(
                    y_true,
                    y_pred,
                    sensitive_features=sf,
                    sample_weight=w,
                    **kw,
                    **extra,
                )
                expected = _loop_metric(name, cells, kw["method"], agg)
                _same(actual, expected, (name, kw, agg))


@SETTINGS
@given(oracle_datasets(min_groups=2), st.data())
def test_privileged_metrics_equal_the_row_loop_reference(data, draw):
    y_true, y_pred, sf, w = data
    cells = _reference_cells(*data)
    assume(len(cells) >= 2)
    privileged = draw.draw(st.sampled_from(sorted(cells)))
    priv, unpriv = _privileged_sides(cells, privileged)
    for name, reference in [
        ("average_odds_difference", _loop_average_odds),
        ("disparate_impact_ratio", _loop_disparate_impact),
    ]:
        call = (y_true, y_pred)
        kw = {"sensitive_features": sf, "sample_weight": w}
        if _weight(priv) == 0 or _weight(unpriv) == 0:
            with pytest.raises(ValueError, match="zero sample weight"):
                getattr(skm, name)(*call, privileged_group=privileged, **kw)
            continue
        actual = getattr(skm, name)(*call, privileged_group=privileged, **kw)
        _same(actual, reference(cells, privileged), name)


@SETTINGS
@given(oracle_datasets())
def test_group_report_equals_the_row_loop_reference(data):
    y_true, y_pred, sf, w = data
    cells = _reference_cells(*data)
    report = skm.group_report(
        y_true, y_pred, sensitive_features=sf, sample_weight=w, as_frame=False
    )
    labels = report["group"].tolist()
    assert labels == [*sorted(cells), "overall"]
    columns = {
        "base_rate": "base",
        "selection_rate": "selection",
        "true_positive_rate": "tpr",
        "false_positive_rate": "fpr",
        "false_negative_rate": "fnr",
        "precision": "precision",
        "accuracy": "accuracy",
    }
    for i, label in enumerate(labels):
        cell = _pooled(cells.values()) if label == "overall" else cells[label]
        assert report["count"][i] == cell["rows"]
        _same(report["weighted_count"][i], _weight(cell), (label, "weighted_count"))
        for column, kind in columns.items():
            expected = _loop_rate(cell, kind, undefined=float("nan"))
            _same(report[column][i], expected, (label, column))


# ----------------------------------------------------------------------------
# Swapping the privileged group of two


def _negated(first, second):
    assert second == pytest.approx(-first, abs=1e-12)


def _inverted(first, second):
    if np.isnan(first):
        assert np.isnan(second)
    elif first == 0:
        assert second == np.inf
    else:
        assert second == pytest.approx(1 / first, rel=1e-12)


def _same_or_both_nan(a, b):
    assert (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, abs=1e-12)


@pytest.mark.parametrize(
    "func, swapped",
    [
        (skm.average_odds_difference, _negated),
        (skm.disparate_impact_ratio, _inverted),
    ],
)
@SETTINGS
@given(data=datasets(min_groups=2, max_groups=2))
def test_swapping_the_privileged_group_of_two(func, swapped, data):
    y_true, y_pred, sf, w = data
    assume(len(set(sf.tolist())) == 2)
    kw = {"sensitive_features": sf, "sample_weight": w}
    try:
        first = func(y_true, y_pred, privileged_group=0, **kw)
    except ValueError:  # one side weighs zero: the other way round too
        with pytest.raises(ValueError, match="zero sample weight"):
            func(y_true, y_pred, privileged_group=1, **kw)
        return
    swapped(first, func(y_true, y_pred, privileged_group=1, **kw))
    # Relabelling the two groups, with the default privileged group (the
    # second in sorted order), swaps them too.
    _same_or_both_nan(
        func(y_true, y_pred, sensitive_features=1 - sf, sample_weight=w), first
    )


# ----------------------------------------------------------------------------
# zero_division: np.nan leaves out the groups whose rate is undefined


def _row_groups(sf):
    return [tuple(row) if np.ndim(row) else row for row in sf.tolist()]


def _rows_of_groups_with(y_true, sf, w, label):
    """Rows of the groups with positive weight on rows with ``y_true == label``."""
    groups = _row_groups(sf)
    weight = np.ones(len(y_true)) if w is None else w
    kept = {
        g
        for g, t, wt in zip(groups, y_true, weight, strict=True)
        if t == label and wt > 0
    }
    return np.array([g in kept for g in groups]), len(kept)


def _default_on(rows, metric, y_true, y_pred, sf, w, **kw):
    """The default value on ``rows``, where no rate is undefined (no warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndefinedRateWarning)
        return metric(
            y_true[rows],
            y_pred[rows],
            sensitive_features=sf[rows],
            sample_weight=None if w is None else w[rows],
            **kw,
        )


@SETTINGS
@given(oracle_datasets(min_groups=2))
def test_nan_zero_division_is_the_default_without_the_undefined_groups(data):
    y_true, y_pred, sf, w = data
    with_positives, n_tpr = _rows_of_groups_with(y_true, sf, w, 1)
    with_negatives, n_fpr = _rows_of_groups_with(y_true, sf, w, 0)
    for method in ("between_groups", "to_overall"):
        kw = {"sensitive_features": sf, "sample_weight": w, "method": method}
        left_out = {
            name: getattr(skm, name)(y_true, y_pred, zero_division=np.nan, **kw)
            for name in (
                "equal_opportunity_difference",
                "equal_opportunity_ratio",
                "equalized_odds_difference",
            )
        }
        left_out["mean"] = skm.equalized_odds_difference(
            y_true, y_pred, zero_division=np.nan, agg="mean", **kw
        )
        if n_tpr < 2:
            assert np.isnan(left_out["equal_opportunity_difference"])
            assert np.isnan(left_out["equal_opportunity_ratio"])
        else:
            for name in ("equal_opportunity_difference", "equal_opportunity_ratio"):
                expected = _default_on(
                    with_positives,
                    getattr(skm, name),
                    y_true,
                    y_pred,
                    sf,
                    w,
                    method=method,
                )
                _same(left_out[name], expected, (name, method))
        if n_tpr < 2 or n_fpr < 2:
            assert np.isnan(left_out["equalized_odds_difference"])
            assert np.isnan(left_out["mean"])
            continue
        tpr_gap = _default_on(
            with_positives,
            skm.equal_opportunity_difference,
            y_true,
            y_pred,
            sf,
            w,
            method=method,
        )
        # A false positive rate is the true positive rate of the flipped
        # labels: the gap of the groups with negatives, by another route.
        fpr_gap = _default_on(
            with_negatives,
            skm.equal_opportunity_difference,
            1 - y_true,
            y_pred,
            sf,
            w,
            method=method,
        )
        _same(left_out["equalized_odds_difference"], max(tpr_gap, fpr_gap), method)
        _same(left_out["mean"], (tpr_gap + fpr_gap) / 2, method)


@SETTINGS
@given(oracle_datasets())
def test_the_default_warns_exactly_when_a_group_leaves_a_rate_undefined(data):
    y_true, y_pred, sf, w = data
    cells = _reference_cells(*data)
    with_rows = [c for c in cells.values() if _weight(c) > 0]
    no_positives = any(c["tp"] + c["fn"] == 0 for c in with_rows)
    no_negatives = any(c["fp"] + c["tn"] == 0 for c in with_rows)
    for name, undefined in [
        ("demographic_parity_difference", False),
        ("equal_opportunity_ratio", no_positives),
        ("equalized_odds_difference", no_positives or no_negatives),
    ]:
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            getattr(skm, name)(y_true, y_pred, sensitive_features=sf, sample_weight=w)
        warned = [w for w in record if issubclass(w.category, UndefinedRateWarning)]
        assert bool(warned) == undefined, name
