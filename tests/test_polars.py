"""polars works wherever pandas works: estimators, set_output, metrics, scorers.

skfair's common checks (tests/test_skfair_checks.py) run here once more on
the same data as a polars DataFrame, and every estimator must give on it
exactly what it gives on the pandas DataFrame. The search tests run once with
polars input in tests/test_search.py. pandas 3's default string dtype
(``str``) and the other pandas string dtypes are covered at the end.
"""

import numpy as np
import pandas as pd
import polars as pl
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfair.metrics import group_report, make_fairness_scorer
from skfair.metrics._fairness import FAIRNESS_METRICS
from skfair.postprocessing import ThresholdOptimizer
from skfair.preprocessing import DisparateImpactRemover, Reweighing
from skfair.utils import encode_groups, split_sensitive_columns
from skfair.utils._testing import (
    SENSITIVE,
    _methods,
    _weights,
    as_polars_data,
    estimator_instances,
    make_check_data,
    skfair_checks,
)

DATA = make_check_data()
POLARS_DATA = as_polars_data(DATA)

# scikit-learn 1.8 reads column names through the dataframe interchange
# protocol, which polars 2 no longer has; 1.9 reads them through narwhals.
# Where it cannot, set_output names the columns x0, x1, ... as for an array.
SKLEARN_READS_POLARS_NAMES = hasattr(
    StandardScaler().fit(pl.DataFrame({"a": [0.0, 1.0]})), "feature_names_in_"
)


def _id(estimator):
    params = estimator.get_params(deep=False)
    suffix = f"-{params['constraints']}" if "constraints" in params else ""
    return type(estimator).__name__ + suffix


def test_polars_data_is_polars_with_a_string_group_column():
    X, _, _, X_new = POLARS_DATA
    assert isinstance(X, pl.DataFrame) and isinstance(X_new, pl.DataFrame)
    assert X.schema[SENSITIVE] == pl.String
    assert X.columns == list(DATA[0].columns)


@pytest.mark.parametrize(
    "estimator, check",
    [
        pytest.param(estimator, check, id=f"{_id(estimator)}-{check.__name__}")
        for estimator in estimator_instances()
        for check in skfair_checks(estimator)
        # set_output needs the columns' names from scikit-learn.
        if check.__name__ != "check_set_output" or SKLEARN_READS_POLARS_NAMES
    ],
)
def test_skfair_common_checks_on_polars(estimator, check):
    check(estimator, POLARS_DATA)


@pytest.mark.parametrize("estimator", list(estimator_instances()), ids=_id)
def test_polars_frame_gives_what_the_pandas_frame_gives(estimator):
    X, y, sample_weight, X_new = DATA
    X_pl, _, _, X_new_pl = POLARS_DATA
    on_pandas = clone(estimator).set_params(sensitive_cols=SENSITIVE)
    on_pandas.fit(X, y, **_weights(on_pandas, sample_weight))
    on_polars = clone(estimator).set_params(sensitive_cols=SENSITIVE)
    on_polars.fit(X_pl, y, **_weights(on_polars, sample_weight))
    assert_array_equal(on_polars.groups_, on_pandas.groups_)
    assert on_polars.n_features_in_ == on_pandas.n_features_in_ == 4
    if SKLEARN_READS_POLARS_NAMES:
        assert_array_equal(on_polars.feature_names_in_, on_pandas.feature_names_in_)
    for name in _methods(on_pandas):
        expected = getattr(on_pandas, name)(X_new)
        actual = getattr(on_polars, name)(X_new_pl)
        assert type(actual) is np.ndarray, name  # default output: numpy
        assert_array_equal(actual, expected, err_msg=name)
    if hasattr(on_pandas, "score"):
        y_new = y[: len(X_new)]
        assert on_polars.score(X_new_pl, y_new) == on_pandas.score(X_new, y_new)


def test_unseen_group_in_a_polars_frame_is_named():
    X, y, _, X_new = POLARS_DATA
    est = DisparateImpactRemover(sensitive_cols=SENSITIVE, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="group 'X', which was not seen in fit"):
        est.transform(X_new.with_columns(pl.lit("X").alias(SENSITIVE)))


def test_unknown_polars_column_names_the_closest():
    X, y, _, _ = POLARS_DATA
    est = ThresholdOptimizer(LogisticRegression(), sensitive_cols="sexx")
    with pytest.raises(ValueError, match=r"closest: \['sex'\]"):
        est.fit(X, y)


def test_split_of_a_polars_frame_keeps_polars():
    X = POLARS_DATA[0]
    rest, groups, positions = split_sensitive_columns(X, SENSITIVE)
    assert isinstance(rest, pl.DataFrame) and isinstance(groups, pl.Series)
    assert rest.columns == ["income", "debt", "age"] and positions == [2]
    assert groups.to_list() == X[SENSITIVE].to_list()
    rest, groups, positions = split_sensitive_columns(X, ["age", SENSITIVE])
    assert isinstance(groups, pl.DataFrame) and groups.columns == ["age", SENSITIVE]
    assert rest.columns == ["income", "debt"] and positions == [3, 2]


def test_polars_groups_encode_like_numpy_and_nulls_are_refused():
    sex = pl.Series(["m", "f", "m", "x"])
    enc = encode_groups(sex)
    assert enc.codes.tolist() == [1, 0, 1, 2]
    assert enc.groups.tolist() == ["f", "m", "x"]
    pair = pl.DataFrame({"sex": ["m", "f", "m"], "band": [2, 1, 2]})
    assert encode_groups(pair).groups.tolist() == [("f", 1), ("m", 2)]
    for missing in (pl.Series(["m", None]), pl.Series([1, None])):
        with pytest.raises(ValueError, match="missing values"):
            encode_groups(missing)


@pytest.mark.parametrize("output", ["polars", "pandas", "default"])
@pytest.mark.parametrize("library", ["polars", "pandas"])
def test_disparate_impact_remover_output_follows_set_output(library, output):
    X, y, _, X_new = POLARS_DATA if library == "polars" else DATA
    plain = DisparateImpactRemover(sensitive_cols=SENSITIVE, random_state=0).fit(X, y)
    remover = DisparateImpactRemover(sensitive_cols=SENSITIVE, random_state=0)
    out = remover.set_output(transform=output).fit(X, y).transform(X_new)
    expected = plain.transform(X_new)
    container = {"polars": pl.DataFrame, "pandas": pd.DataFrame}.get(output)
    if container is None:
        assert type(out) is np.ndarray
        assert_array_equal(out, expected)
        return
    assert type(out) is container
    names = list(remover.get_feature_names_out())
    assert list(out.columns) == names
    if library == "pandas" or SKLEARN_READS_POLARS_NAMES:
        assert names == ["income", "debt", SENSITIVE, "age"]
    assert_array_equal(np.asarray(out.to_numpy(), dtype=object), expected)
    # The group column is passed through as strings, the repaired as floats.
    groups = out[names[2]]
    assert groups.to_list() == list(X_new[SENSITIVE])
    assert str(groups.dtype) in ("String", "str")
    assert str(out[names[0]].dtype).lower() == "float64"


@pytest.mark.skipif(
    not SKLEARN_READS_POLARS_NAMES,
    reason="ColumnTransformer selects polars 2 columns by name from scikit-learn 1.9",
)
def test_remover_in_a_polars_pipeline_passes_the_group_column_on():
    # A ColumnTransformer with polars output hands the next step a polars
    # frame; the remover finds "sex" in it by name.
    X, y, _, X_new = POLARS_DATA
    encode = make_column_transformer(
        (StandardScaler(), ["income", "debt"]),
        ("passthrough", [SENSITIVE]),
        verbose_feature_names_out=False,
    )
    model = make_pipeline(
        encode,
        DisparateImpactRemover(sensitive_cols=SENSITIVE, random_state=0),
    ).set_output(transform="polars")
    out = model.fit(X, y).transform(X_new)
    assert isinstance(out, pl.DataFrame)
    assert out[SENSITIVE].to_list() == X_new[SENSITIVE].to_list()


def _polars_labels(values):
    return pl.Series(np.asarray(values))


@pytest.mark.parametrize("metric", sorted(FAIRNESS_METRICS))
def test_metrics_take_polars_series_and_frames(metric):
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 2, 300), rng.integers(0, 2, 300)
    sex = rng.choice(np.array(["f", "m"], dtype=object), 300)
    band = rng.integers(0, 3, 300)
    func = FAIRNESS_METRICS[metric]
    # The metrics that compare a privileged group with the rest are told which.
    names_privileged = metric in ("average_odds_difference", "disparate_impact_ratio")
    for groups, groups_pl, privileged in (
        (sex, pl.Series(sex.tolist()), "m"),
        (
            np.column_stack([sex, band.astype(object)]),
            pl.DataFrame({"sex": sex.tolist(), "band": band}),
            ("m", 1),
        ),
    ):
        kw = {"privileged_group": privileged} if names_privileged else {}
        expected = func(y_true, y_pred, sensitive_features=groups, **kw)
        actual = func(
            _polars_labels(y_true),
            _polars_labels(y_pred),
            sensitive_features=groups_pl,
            **kw,
        )
        assert actual == expected or (np.isnan(actual) and np.isnan(expected))


def test_group_report_takes_polars():
    y_true, y_pred = [1, 0, 1, 0, 1], [1, 1, 0, 0, 1]
    groups = ["a", "a", "b", "b", "b"]
    expected = group_report(y_true, y_pred, sensitive_features=groups)
    actual = group_report(
        pl.Series(y_true), pl.Series(y_pred), sensitive_features=pl.Series(groups)
    )
    pd.testing.assert_frame_equal(actual, expected)
    with pytest.raises(ValueError, match="missing"):
        group_report(
            pl.Series([1, None, 0]), [1, 0, 0], sensitive_features=["a", "a", "b"]
        )


def test_fairness_scorer_reads_the_group_column_of_a_polars_frame():
    X, y, _, _ = DATA
    X_pl = POLARS_DATA[0]
    model = Reweighing(LogisticRegression(), sensitive_cols=SENSITIVE)
    scorer = make_fairness_scorer("equalized_odds_difference", sensitive_cols="sex")
    expected = scorer(clone(model).fit(X, y), X, y)
    assert scorer(clone(model).fit(X_pl, y), X_pl, y) == expected
    assert expected < 0  # a real, non-zero gap is compared


# pandas' string dtypes: "str" is pandas 3's default for strings (NaN as the
# missing value), "string" the NA-valued one; both must give what an object
# column gives.
_PANDAS_STRING_DTYPES = ["str", "string", "category"]


def test_pandas_default_string_dtype_is_covered():
    # The check data is built from an object array of strings; under pandas 3
    # that column is of the default "str" dtype, so every common check runs
    # on it too (pandas 2 keeps object, covered by the dtype tests below).
    sex = DATA[0][SENSITIVE]
    if int(pd.__version__.split(".")[0]) >= 3:
        assert isinstance(sex.dtype, pd.StringDtype) and sex.dtype.na_value is np.nan


@pytest.mark.parametrize("dtype", _PANDAS_STRING_DTYPES)
@pytest.mark.parametrize("estimator", list(estimator_instances()), ids=_id)
def test_pandas_string_dtypes_give_what_object_gives(estimator, dtype):
    X, y, sample_weight, X_new = DATA
    as_object = {SENSITIVE: object}
    X_obj, X_new_obj = X.astype(as_object), X_new.astype(as_object)
    as_dtype = {SENSITIVE: dtype}
    X_str, X_new_str = X.astype(as_dtype), X_new.astype(as_dtype)
    assert X_obj[SENSITIVE].dtype == object and X_str[SENSITIVE].dtype != object
    by_object = clone(estimator).set_params(sensitive_cols=SENSITIVE)
    by_object.fit(X_obj, y, **_weights(by_object, sample_weight))
    by_dtype = clone(estimator).set_params(sensitive_cols=SENSITIVE)
    by_dtype.fit(X_str, y, **_weights(by_dtype, sample_weight))
    assert_array_equal(by_dtype.groups_, by_object.groups_)
    for name in _methods(by_object):
        assert_array_equal(
            getattr(by_dtype, name)(X_new_str),
            getattr(by_object, name)(X_new_obj),
            err_msg=name,
        )


def test_pandas_to_polars_output_keeps_missing_labels_as_nulls():
    # A passed-through category column with a missing value, pandas in and
    # polars out: strings stay strings and the missing value becomes a null.
    X, y, _, _ = DATA
    X = X.assign(band=pd.Categorical(["low", None] * (len(X) // 2)))
    remover = DisparateImpactRemover(
        sensitive_cols=SENSITIVE, columns=["income"], random_state=0
    )
    out = remover.set_output(transform="polars").fit(X, y).transform(X)
    band = out[list(remover.get_feature_names_out())[-1]]
    assert band.dtype == pl.String
    assert band.to_list()[:4] == ["low", None, "low", None]
    assert out[SENSITIVE].to_list() == X[SENSITIVE].tolist()


def test_grid_search_with_a_fairness_scorer_on_polars_equals_pandas():
    # No ColumnTransformer: the mitigator and the scorer read "sex" from the
    # polars frame themselves, so this runs with every scikit-learn release
    # (tests/test_search.py runs the full pipelines).
    X, y, _, _ = DATA
    X_pl = POLARS_DATA[0]
    scoring = {
        "acc": "accuracy",
        "dp": make_fairness_scorer(
            "demographic_parity_difference", sensitive_cols="sex"
        ),
    }

    def search():
        return GridSearchCV(
            ThresholdOptimizer(
                LogisticRegression(), sensitive_cols="sex", random_state=0
            ),
            {"constraints": ["demographic_parity", "equalized_odds"]},
            scoring=scoring,
            refit="acc",
            cv=3,
            error_score="raise",
        )

    on_pandas, on_polars = search().fit(X, y), search().fit(X_pl, pl.Series(y))
    for key in ("mean_test_acc", "mean_test_dp", "split0_test_dp"):
        assert_array_equal(on_polars.cv_results_[key], on_pandas.cv_results_[key])
    assert (on_pandas.cv_results_["mean_test_dp"] < 0).all()  # real gaps compared
    assert isinstance(on_polars.predict(X_pl), np.ndarray)
