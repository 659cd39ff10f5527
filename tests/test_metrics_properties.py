"""Invariants of the fairness metrics, checked with hypothesis."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import skfair.metrics as skm

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
        assume(w.sum() > 0)
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
