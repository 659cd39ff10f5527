"""counterfactual_flip_rate against rates counted by hand, row by row."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from skfair.metrics import counterfactual_flip_rate


class _Rule(ClassifierMixin, BaseEstimator):
    """Positive iff income + 2 * (sex == "M") > 1."""

    def fit(self, X, y=None):
        self.classes_ = np.array([0, 1])
        return self

    def predict(self, X):
        X = pd.DataFrame(X, columns=["income", "sex"])
        return (X["income"] + 2.0 * (X["sex"] == "M") > 1).astype(int).to_numpy()


def test_rule_model_by_hand():
    X = pd.DataFrame({"income": [0.5, 1.5, -2.0, 0.2], "sex": ["F", "F", "M", "M"]})
    # Swapped: row 0 becomes 2.5 (flips to 1), row 1 3.5 (stays 1), row 2
    # -2.0 (stays 0), row 3 0.2 (flips to 0): rows 0 and 3 flip.
    model = _Rule().fit(X)
    assert counterfactual_flip_rate(model, X, sensitive_cols="sex") == 0.5
    assert counterfactual_flip_rate(
        model, X, sensitive_cols="sex", sample_weight=[1, 1, 1, 2]
    ) == pytest.approx(3 / 5)
    # Only towards "M": rows of "M" are never compared with themselves.
    assert counterfactual_flip_rate(model, X, sensitive_cols=1, values=["M"]) == 0.25
    assert counterfactual_flip_rate(model, X.to_numpy(), sensitive_cols=1) == 0.5


def _data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    race = rng.choice(["a", "b", "c"], n)
    sex = rng.choice(["F", "M"], n)
    income = rng.normal(size=n)
    score = income + 0.7 * (race == "b") - 0.5 * (race == "c") + 0.6 * (sex == "M")
    y = (score + rng.normal(size=n) > 0.3).astype(int)
    X = pd.DataFrame({"income": income, "race": race, "sex": sex})
    X["race"] = X["race"].astype("category")
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(), ["race", "sex"]), remainder="passthrough"
        ),
        LogisticRegression(),
    ).fit(X, y)
    return X, model


def _by_hand(model, X, columns, values):
    """Row by row: each row's counterfactual copies, then any changed prediction.

    The copies are stacked to be predicted in one call; which row flips is
    then counted in a plain loop.
    """
    factual = model.predict(X)
    copies, owners = [], []
    for i in range(len(X)):
        own = tuple(X[c].iloc[i] for c in columns)
        for value in values:
            value = value if isinstance(value, tuple) else (value,)
            if value != own:
                row = X.iloc[[i]].astype({c: object for c in columns})
                for c, v in zip(columns, value, strict=True):
                    row[c] = v
                copies.append(row)
                owners.append(i)
    predicted = model.predict(pd.concat(copies))
    flipped = set()
    for i, p in zip(owners, predicted, strict=True):
        if p != factual[i]:
            flipped.add(i)
    return len(flipped) / len(X)


def test_equals_the_rate_counted_row_by_row():
    X, model = _data()
    rate = counterfactual_flip_rate(model, X, sensitive_cols="race")
    assert rate == _by_hand(model, X, ["race"], ["a", "b", "c"])
    assert 0 < rate < 1


def test_intersectional_columns_and_explicit_values():
    X, model = _data(seed=1)
    combos = [(r, s) for r in "abc" for s in "FM"]
    rate = counterfactual_flip_rate(model, X, sensitive_cols=["race", "sex"])
    assert rate == _by_hand(model, X, ["race", "sex"], combos)
    some = [("b", "M"), ("c", "F")]
    assert counterfactual_flip_rate(
        model, X, sensitive_cols=["race", "sex"], values=some
    ) == _by_hand(model, X, ["race", "sex"], some)


def test_value_absent_from_X_keeps_the_column_dtype():
    X, model = _data(seed=2)
    only_a = X[X["race"] == "a"]
    rate = counterfactual_flip_rate(model, only_a, sensitive_cols="race", values=["b"])
    assert rate == _by_hand(model, only_a, ["race"], ["b"])
    assert rate > 0


def test_input_is_not_modified():
    X, model = _data(n=50)
    before = X.copy()
    counterfactual_flip_rate(model, X, sensitive_cols="race")
    pd.testing.assert_frame_equal(X, before)
    array = X.to_numpy()
    array_before = array.copy()
    counterfactual_flip_rate(_Rule().fit(None), array[:, [0, 2]], sensitive_cols=1)
    np.testing.assert_array_equal(array, array_before)


def test_bad_input_raises_clear_errors():
    X, model = _data(n=40)
    with pytest.raises(ValueError, match="single group"):
        counterfactual_flip_rate(model, X[X["race"] == "a"], sensitive_cols="race")
    with pytest.raises(ValueError, match="tuple of 2 values"):
        counterfactual_flip_rate(model, X, sensitive_cols=["race", "sex"], values="a")
    with pytest.raises(ValueError, match="values is empty"):
        counterfactual_flip_rate(model, X, sensitive_cols="race", values=[])
    with pytest.raises(ValueError, match="not a column of X"):
        counterfactual_flip_rate(model, X, sensitive_cols="gender")
    with pytest.raises(ValueError, match="not fitted|fitted yet"):
        counterfactual_flip_rate(LogisticRegression(), X, sensitive_cols="race")
    with pytest.raises(TypeError, match="predict"):
        counterfactual_flip_rate(object(), X, sensitive_cols="race")
    with pytest.raises(ValueError, match="'M' cannot be written to column 1"):
        counterfactual_flip_rate(
            _Rule().fit(None), np.zeros((3, 2)), sensitive_cols=1, values=["M"]
        )
    with pytest.raises(ValueError, match="2-D"):
        counterfactual_flip_rate(model, np.arange(3), sensitive_cols=0)
