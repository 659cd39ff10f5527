"""Tests of the bundled datasets."""

import gzip
import sys

import numpy as np
import pandas as pd
import pytest

from skfair.datasets import _loaders, load_adult, load_german_credit


@pytest.mark.parametrize(
    "split, n_rows, n_positive", [("train", 32561, 7841), ("test", 16281, 3846)]
)
def test_adult_shapes_and_target_match_the_source_files(split, n_rows, n_positive):
    # Counted independently of the loader: lines of the raw file ending in >50K.
    filename = {"train": "adult.data.gz", "test": "adult.test.gz"}[split]
    raw = gzip.decompress(_loaders._read_verified(filename)).decode().splitlines()
    raw_positive = sum(line.rstrip(".").endswith(">50K") for line in raw)
    adult = load_adult(split=split)
    assert adult.data.shape == (n_rows, 14)
    assert int(adult.target.sum()) == n_positive == raw_positive
    assert set(np.unique(adult.target)) == {0, 1}
    assert adult.sensitive_feature_names == ["sex", "race"]
    assert list(adult.data.columns) == adult.feature_names
    assert adult.frame.shape == (n_rows, 15)


def test_adult_all_is_train_then_test():
    X_all, y_all = load_adult(split="all", return_X_y=True)
    X_train, y_train = load_adult(split="train", return_X_y=True)
    X_test, y_test = load_adult(split="test", return_X_y=True)
    assert len(X_all) == len(X_train) + len(X_test)
    np.testing.assert_array_equal(y_all, np.concatenate([y_train, y_test]))
    assert X_all["age"].iloc[len(X_train)] == X_test["age"].iloc[0]


def test_adult_as_numpy_needs_no_pandas_types():
    adult = load_adult(as_frame=False)
    assert isinstance(adult.data, np.ndarray) and adult.data.dtype == object
    assert adult.frame is None
    sex = adult.data[:, adult.feature_names.index("sex")]
    assert set(sex) == {"Male", "Female"}
    age = adult.data[:, adult.feature_names.index("age")].astype(float)
    assert 17 <= age.min() and age.max() <= 90


def test_adult_missing_values_are_nan_in_categorical_columns_only():
    X = load_adult().data
    missing = X.isna().sum()
    assert missing["workclass"] == 1836 and missing["occupation"] == 1843
    assert missing[_loaders.ADULT_NUMERIC].sum() == 0


def test_german_credit_decoded_and_sensitive_columns_derived():
    german = load_german_credit()
    X, y = german.data, german.target
    assert X.shape == (1000, 22) and int(y.sum()) == 700
    assert german.sensitive_feature_names == ["sex", "age_group"]
    is_female = X["personal_status_sex"].astype(str).str.startswith("female")
    np.testing.assert_array_equal(is_female, X["sex"] == "female")
    np.testing.assert_array_equal(X["age"] > 25, X["age_group"] == ">25")
    assert not X["status"].astype(str).str.startswith("A1").any()


def test_split_is_validated():
    with pytest.raises(ValueError, match="split must be"):
        load_adult(split="validation")


def test_damaged_file_is_detected(monkeypatch):
    _loaders._read_verified.cache_clear()
    monkeypatch.setitem(_loaders._SHA256, "german.data.gz", "0" * 64)
    try:
        with pytest.raises(OSError, match="damaged"):
            load_german_credit()
    finally:
        monkeypatch.undo()
        _loaders._read_verified.cache_clear()
    assert load_german_credit().data.shape[0] == 1000


@pytest.mark.parametrize("loader", [load_adult, load_german_credit])
def test_default_as_frame_follows_whether_pandas_is_installed(loader, monkeypatch):
    # After the README's plain install (no pandas) load_adult() raised an
    # ImportError; the default now returns ndarrays then.
    assert isinstance(loader().data, pd.DataFrame)
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas fails
    bunch = loader()
    assert isinstance(bunch.data, np.ndarray) and bunch.frame is None
    X, y = loader(return_X_y=True)
    assert isinstance(X, np.ndarray) and isinstance(y, np.ndarray)
    np.testing.assert_array_equal(y, bunch.target)
    with pytest.raises(ImportError, match="as_frame=True needs pandas"):
        loader(as_frame=True)
    with pytest.raises(ValueError, match="as_frame must be None, True or False"):
        loader(as_frame="yes")
