"""Pipeline wiring mistakes get errors that say how to fix them.

See docs/user_guide/pipelines.rst ("Wiring skfair into a Pipeline").
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skfair.postprocessing import ThresholdOptimizer
from skfair.preprocessing import Reweighing


def _data(n=300, seed=0):
    rng = np.random.RandomState(seed)
    X = pd.DataFrame(
        {
            "income": rng.normal(size=n),
            "job": rng.choice(["clerk", "nurse", "smith"], n),
            "sex": rng.choice(["F", "M"], n),
        }
    )
    y = (X["income"] + (X["sex"] == "M") + rng.normal(size=n) > 0.5).astype(int)
    return X, y.to_numpy()


def _prep(**kwargs):
    return ColumnTransformer(
        [("onehot", OneHotEncoder(sparse_output=False), ["job"])],
        remainder="passthrough",
        **kwargs,
    )


def test_sensitive_cols_by_name_after_a_step_that_drops_names():
    X, y = _data()
    pipe = make_pipeline(
        _prep(), Reweighing(LogisticRegression(), sensitive_cols="sex")
    )
    with pytest.raises(ValueError) as info:
        pipe.fit(X, y)
    message = str(info.value)
    assert "X has no column names" in message
    assert 'set_output(transform="pandas")' in message
    assert "verbose_feature_names_out=False" in message


def test_sensitive_cols_by_name_after_a_prefixing_column_transformer():
    X, y = _data()
    pipe = make_pipeline(
        _prep().set_output(transform="pandas"),
        Reweighing(LogisticRegression(), sensitive_cols="sex"),
    )
    with pytest.raises(ValueError) as info:
        pipe.fit(X, y)
    message = str(info.value)
    # The prefixed name comes first; the message stays short.
    assert "closest: ['remainder__sex'" in message
    assert "verbose_feature_names_out=False" in message
    assert len(message) < 400
    # The fix the message gives works.
    pipe = make_pipeline(
        _prep(verbose_feature_names_out=False).set_output(transform="pandas"),
        Reweighing(LogisticRegression(), sensitive_cols="sex"),
    )
    pipe.fit(X, y)


def test_unknown_column_lists_close_names_first_not_every_column():
    frame = pd.DataFrame(
        np.zeros((3, 880)), columns=[f"f{i}" for i in range(878)] + ["Sex", "age"]
    )
    frame["Sex"] = ["F", "M", "F"]
    with pytest.raises(ValueError) as info:
        Reweighing(LogisticRegression(), sensitive_cols="sex").fit(frame, [0, 1, 0])
    message = str(info.value)
    assert "closest: ['Sex']" in message
    assert "880 columns" in message
    assert len(message) < 200


def test_prefit_estimator_cloned_by_grid_search_says_frozen_estimator():
    X, y = _data()
    model = make_pipeline(
        ColumnTransformer(
            [("onehot", OneHotEncoder(), ["job"])], remainder="passthrough"
        ),
        StandardScaler(with_mean=False),
        LogisticRegression(),
    ).fit(X.drop(columns="sex"), y)
    search = GridSearchCV(
        ThresholdOptimizer(model, prefit=True, sensitive_cols="sex"),
        {"tolerance": [0.0, 0.1]},
        error_score="raise",
    )
    with pytest.raises(NotFittedError, match="FrozenEstimator"):
        search.fit(X, y)
    # The fix the message gives works, and uses the fitted model as it is.
    search = GridSearchCV(
        ThresholdOptimizer(FrozenEstimator(model), sensitive_cols="sex"),
        {"tolerance": [0.0, 0.1]},
    ).fit(X, y)
    inner = search.best_estimator_.estimator_
    assert inner.estimator is model


@pytest.mark.parametrize("as_frame", [True, False])
def test_prefit_model_trained_with_the_sensitive_column(as_frame):
    X, y = _data()
    X_num = pd.DataFrame(
        {"income": X["income"], "male": (X["sex"] == "M").astype(float)}
    )
    model = LogisticRegression().fit(X_num if as_frame else X_num.to_numpy(), y)
    est = ThresholdOptimizer(
        model, prefit=True, sensitive_cols="male" if as_frame else 1
    )
    with pytest.raises(ValueError, match="skfair removed them from X"):
        est.fit(X_num if as_frame else X_num.to_numpy(), y)
