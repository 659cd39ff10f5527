"""Tests of most_accurate_within, the refit rule for fairness-aware searches."""

import itertools
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, RandomizedSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import skfair.metrics as skm
from skfair.exceptions import NoCandidateWithinGapWarning
from skfair.metrics import make_fairness_scorer
from skfair.model_selection import most_accurate_within
from skfair.postprocessing import ThresholdOptimizer


def _brute_force_pick(accuracy, scores_of_gap, max_gap):
    """The rule spelled out candidate by candidate (no numpy tricks)."""
    best = None
    for i, (acc, score) in enumerate(zip(accuracy, scores_of_gap, strict=True)):
        gap = -score
        if gap != gap or acc != acc or gap > max_gap:  # NaN is never within
            continue
        if best is None or acc > accuracy[best]:
            best = i
    return best


def _results(accuracy, gap_scores, score_key="accuracy", gap_key="eo"):
    return {
        f"mean_test_{score_key}": np.array(accuracy, dtype=float),
        f"mean_test_{gap_key}": np.array(gap_scores, dtype=float),
        "params": [{"i": i} for i in range(len(accuracy))],
    }


# ------------------------------------------------------------ hand-made results


def test_pick_on_hand_made_results_matches_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 9))
        accuracy = rng.choice([0.7, 0.75, 0.8, 0.85], n)  # ties happen
        gap_scores = -rng.choice([0.0, 0.01, 0.03, 0.05, 0.08, 0.2], n)
        max_gap = float(rng.choice([0.0, 0.02, 0.05, 0.1]))
        expected = _brute_force_pick(list(accuracy), list(gap_scores), max_gap)
        if expected is None:
            continue  # the fallback has its own test
        refit = most_accurate_within(max_gap, gap="eo")
        assert refit(_results(accuracy, gap_scores)) == expected


def test_the_gap_bound_is_inclusive_and_the_most_accurate_wins():
    results = _results([0.90, 0.85, 0.80, 0.88], [-0.06, -0.05, -0.01, -0.050001])
    assert most_accurate_within(0.05, gap="eo")(results) == 1
    assert most_accurate_within(0.06, gap="eo")(results) == 0
    assert most_accurate_within(0.01, gap="eo")(results) == 2
    assert isinstance(most_accurate_within(0.05, gap="eo")(results), int)


def test_none_within_warns_and_refits_the_fairest():
    # Candidates 1 and 3 are the fairest (0.07); 3 is the more accurate.
    results = _results([0.90, 0.70, 0.85, 0.80], [-0.20, -0.07, -0.10, -0.07])
    with pytest.warns(NoCandidateWithinGapWarning, match="candidate 3, gap 0.07"):
        assert most_accurate_within(0.05, gap="eo")(results) == 3
    assert issubclass(NoCandidateWithinGapWarning, UserWarning)


def test_nan_gap_is_never_within_nor_the_fairest():
    # The most accurate candidate's gap is unknown (a split failed).
    results = _results([0.95, 0.80, 0.85], [np.nan, -0.04, -0.03])
    assert most_accurate_within(0.05, gap="eo")(results) == 2
    with pytest.warns(NoCandidateWithinGapWarning, match="1 of 3 .* undefined gap"):
        assert most_accurate_within(0.01, gap="eo")(results) == 2
    # A NaN gap is not "0": it is not taken for the fairest.
    results = _results([0.95, 0.80], [np.nan, -0.30])
    with pytest.warns(NoCandidateWithinGapWarning):
        assert most_accurate_within(0.05, gap="eo")(results) == 1


def test_nan_score_is_not_the_most_accurate():
    results = _results([np.nan, 0.80, 0.70], [-0.01, -0.04, -0.02])
    assert most_accurate_within(0.05, gap="eo")(results) == 1
    # Within the gap but no defined score: the fallback, with a warning.
    results = _results([np.nan, 0.80], [-0.01, -0.30])
    with pytest.warns(NoCandidateWithinGapWarning, match="defined mean accuracy"):
        assert most_accurate_within(0.05, gap="eo")(results) == 0


def test_every_gap_nan_is_an_error_that_points_at_the_scorer():
    results = _results([0.9, 0.8], [np.nan, np.nan])
    with pytest.raises(ValueError, match="every candidate's mean_test_eo is NaN"):
        most_accurate_within(0.05, gap="eo")(results)


# ------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "max_gap", [-0.01, float("nan"), float("inf"), "0.05", None, True, [0.05]]
)
def test_bad_max_gap(max_gap):
    with pytest.raises(ValueError, match="max_gap must be a finite number >= 0"):
        most_accurate_within(max_gap)


def test_bad_keys():
    for kwargs in ({"score": ""}, {"gap": None}, {"score": 3}):
        with pytest.raises(ValueError, match="must be a key of the search's scoring"):
            most_accurate_within(0.05, **kwargs)
    with pytest.raises(ValueError, match="score and gap are both 'eo'"):
        most_accurate_within(0.05, score="eo", gap="eo")


def test_missing_keys_list_the_scorers_of_the_search():
    results = _results([0.9], [-0.1], score_key="acc", gap_key="dp")
    with pytest.raises(ValueError, match=r"score='accuracy'.*\['acc', 'dp'\]"):
        most_accurate_within(0.05, gap="dp")(results)
    with pytest.raises(
        ValueError, match=r"gap='equalized_odds_difference'.*\['acc', 'dp'\]"
    ):
        most_accurate_within(0.05, score="acc")(results)
    single = {"mean_test_score": np.array([0.9]), "params": [{}]}
    with pytest.raises(ValueError, match=r"\['score'\].*pass scoring= as a dict"):
        most_accurate_within(0.05)(single)


def test_a_positive_gap_column_is_not_taken_for_a_gap():
    # A raw ratio (greater_is_better=True) is not minus a gap: refuse it
    # rather than read 0.8 as a gap of -0.8, "within" every bound.
    results = _results([0.9, 0.8], [0.8, 0.95], gap_key="dpr")
    with pytest.raises(ValueError, match="mean_test_dpr is positive .*0.8"):
        most_accurate_within(0.05, gap="dpr")(results)


# ------------------------------------------------- repr, equality, pickling


def test_repr_equality_and_pickle():
    refit = most_accurate_within(0.05, score="acc", gap="eo")
    assert repr(refit) == "most_accurate_within(0.05, score='acc', gap='eo')"
    assert refit == most_accurate_within(0.05, score="acc", gap="eo")
    assert refit != most_accurate_within(0.1, score="acc", gap="eo")
    assert hash(refit) == hash(most_accurate_within(0.05, score="acc", gap="eo"))
    copy = pickle.loads(pickle.dumps(refit))
    assert copy == refit
    results = _results([0.9, 0.8, 0.7], [-0.2, -0.04, -0.01], score_key="acc")
    assert copy(results) == refit(results) == 1
    search = GridSearchCV(LogisticRegression(), {"C": [1.0]}, refit=refit)
    assert "refit=most_accurate_within(0.05, score='acc', gap='eo')" in repr(search)
    assert clone(search).refit == refit


# ------------------------------------------------------------ real searches


SHIFT = 0.8


def _data(n=1500, seed=0):
    """A group proxy among the features: an unconstrained model has an EO gap."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["f", "m"], n, p=[0.4, 0.6])
    male = (sex == "m").astype(float)
    x1 = rng.normal(size=n) + SHIFT * male
    x2 = rng.normal(size=n)
    y = (x1 + 0.5 * x2 + rng.normal(scale=0.7, size=n) > 0.8).astype(int)
    return pd.DataFrame({"x1": x1, "x2": x2, "sex": sex}), y


def _pipeline():
    columns = ColumnTransformer(
        [("num", StandardScaler(), ["x1", "x2"]), ("sex", "passthrough", ["sex"])],
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    fair = ThresholdOptimizer(
        LogisticRegression(), sensitive_cols="sex", random_state=0
    )
    return Pipeline([("columns", columns), ("fair", fair)])


_SCORING = {
    "accuracy": "accuracy",
    "equalized_odds_difference": make_fairness_scorer(
        "equalized_odds_difference", sensitive_cols="sex"
    ),
    "dpr": make_fairness_scorer("demographic_parity_ratio", sensitive_cols="sex"),
}
_GRID = {"fair__tolerance": [0.0, 0.02, 0.05, 0.1, 0.2, 1.0]}


@pytest.fixture(scope="module")
def search():
    X, y = _data()
    cv = KFold(3, shuffle=True, random_state=0)
    refit = most_accurate_within(
        0.05, score="accuracy", gap="equalized_odds_difference"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no scoring failure, no fallback
        fitted = GridSearchCV(
            _pipeline(), _GRID, scoring=_SCORING, refit=refit, cv=cv
        ).fit(X, y)
    return fitted, X, y, cv


def test_grid_search_best_index_satisfies_the_rule(search):
    fitted, X, y, _ = search
    results = fitted.cv_results_
    accuracy = results["mean_test_accuracy"]
    gaps = -results["mean_test_equalized_odds_difference"]
    expected = _brute_force_pick(
        list(accuracy), list(results["mean_test_equalized_odds_difference"]), 0.05
    )
    assert fitted.best_index_ == expected
    assert gaps[fitted.best_index_] <= 0.05
    assert all(
        accuracy[i] <= accuracy[fitted.best_index_]
        for i in range(len(gaps))
        if gaps[i] <= 0.05
    )
    # The rule mattered: the most accurate candidate is outside the gap.
    assert gaps[np.argmax(accuracy)] > 0.05
    assert fitted.best_params_ == results["params"][fitted.best_index_]
    refitted = clone(_pipeline()).set_params(**fitted.best_params_).fit(X, y)
    np.testing.assert_array_equal(fitted.predict(X), refitted.predict(X))
    assert not hasattr(fitted, "best_score_")  # scikit-learn's rule for callables


def test_gaps_undo_the_scorer_sign_for_a_difference_and_a_ratio(search):
    # Recompute every split by hand: the gap of a difference is its mean, the
    # gap of a ratio 1 - its mean.
    fitted, X, y, cv = search
    results = fitted.cv_results_
    eo = np.zeros((len(results["params"]), cv.get_n_splits()))
    dpr = np.zeros_like(eo)
    sex = X["sex"].to_numpy()
    for (i, params), (k, (train, test)) in itertools.product(
        enumerate(results["params"]), enumerate(cv.split(X))
    ):
        model = clone(_pipeline()).set_params(**params).fit(X.iloc[train], y[train])
        pred = model.predict(X.iloc[test])
        eo[i, k] = skm.equalized_odds_difference(
            y[test], pred, sensitive_features=sex[test]
        )
        dpr[i, k] = skm.demographic_parity_ratio(
            y[test], pred, sensitive_features=sex[test]
        )
    difference_rule = most_accurate_within(0.05, gap="equalized_odds_difference")
    ratio_rule = most_accurate_within(0.35, gap="dpr")
    np.testing.assert_allclose(difference_rule.gaps(results), eo.mean(axis=1))
    np.testing.assert_allclose(ratio_rule.gaps(results), 1 - dpr.mean(axis=1))
    # The ratio rule keeps the candidates whose mean ratio is >= 0.65.
    pick = ratio_rule(results)
    assert dpr.mean(axis=1)[pick] >= 0.65 - 1e-12
    accuracy = results["mean_test_accuracy"]
    assert accuracy[pick] == max(
        accuracy[i] for i in range(len(accuracy)) if dpr.mean(axis=1)[i] >= 0.65 - 1e-12
    )


def test_grid_search_falls_back_to_the_fairest_with_a_warning():
    X, y = _data(n=600, seed=1)
    refit = most_accurate_within(0.0, gap="equalized_odds_difference")
    with pytest.warns(NoCandidateWithinGapWarning, match="fairest candidate"):
        fitted = GridSearchCV(
            _pipeline(),
            {"fair__tolerance": [0.1, 0.3, 1.0]},
            scoring=_SCORING,
            refit=refit,
            cv=3,
        ).fit(X, y)
    gaps = -fitted.cv_results_["mean_test_equalized_odds_difference"]
    assert gaps.min() > 0
    assert fitted.best_index_ == int(np.argmin(gaps))


def test_randomized_search_and_pickled_search():
    X, y = _data(seed=2)
    refit = most_accurate_within(0.1, gap="equalized_odds_difference")
    fitted = RandomizedSearchCV(
        _pipeline(),
        _GRID,
        n_iter=4,
        scoring=_SCORING,
        refit=refit,
        cv=3,
        random_state=0,
    ).fit(X, y)
    results = fitted.cv_results_
    assert fitted.best_index_ == _brute_force_pick(
        list(results["mean_test_accuracy"]),
        list(results["mean_test_equalized_odds_difference"]),
        0.1,
    )
    copy = pickle.loads(pickle.dumps(fitted))
    assert copy.refit == refit
    np.testing.assert_array_equal(copy.predict(X), fitted.predict(X))


def test_routed_scorer_that_never_gets_the_groups_stops_the_search():
    # Routing on, the scorer requests the groups, but fit is given none:
    # every fairness score is NaN, and the rule refuses to pick blindly.
    X, y = _data(n=300, seed=3)
    X_num = X[["x1", "x2"]]
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = make_fairness_scorer("equalized_odds_difference")
        scorer = scorer.set_score_request(sensitive_features=True)
        search = GridSearchCV(
            LogisticRegression(),
            {"C": [0.1, 1.0]},
            scoring={"accuracy": "accuracy", "eo": scorer},
            refit=most_accurate_within(0.3, gap="eo"),
            cv=3,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "Scoring failed"
            with pytest.raises(ValueError, match="every candidate's mean_test_eo"):
                search.fit(X_num, y)
        # Given the groups, the same search picks by the rule.
        search.fit(X_num, y, sensitive_features=X["sex"].to_numpy())
    results = search.cv_results_
    assert np.isfinite(results["mean_test_eo"]).all()
    expected = _brute_force_pick(
        list(results["mean_test_accuracy"]), list(results["mean_test_eo"]), 0.3
    )
    assert search.best_index_ == expected
