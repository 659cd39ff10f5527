"""Validation helpers shared by skfair's estimators and metrics."""

import functools
import sys

import numpy as np


def _has_missing(values):
    """Whether ``values`` holds NaN, None or ``pandas.NA``, without a row loop.

    Comparisons with ``pandas.NA`` return NA, not a bool, so the usual
    ``x != x`` test raises a TypeError on object arrays holding it; pandas'
    own ``isna`` handles every missing marker (and pandas is imported
    whenever an NA can exist).
    """
    arr = np.asarray(values)
    if arr.dtype.kind == "f":
        return bool(np.isnan(arr).any())
    if arr.dtype.kind != "O":
        return False
    pandas = sys.modules.get("pandas")
    if pandas is not None:
        return bool(pandas.isna(arr).any())
    return bool(np.equal(arr, None).any() or np.not_equal(arr, arr).any())


def _check_labels_present(y, *, name="y"):
    """Raise a ValueError if the labels ``y`` hold missing or infinite values.

    Meant to run before scikit-learn's ``type_of_target``, which casts NaN and
    infinity to int (a RuntimeWarning) and sorts the labels (a TypeError for
    None or ``pandas.NA`` among strings). A ``y`` of None is left to it.
    """
    if y is None:
        return
    if _has_missing(y):
        raise ValueError(f"{name} contains missing values (NaN or None).")
    arr = np.asarray(y)
    if arr.dtype.kind == "f" and np.isinf(arr).any():
        raise ValueError(f"{name} contains infinity; it must hold class labels.")


def check_binary_labels(y, *, name="y", pos_label=None):
    """Return ``y`` as a 1-D 0/1 ``uint8`` array and its (negative, positive) labels.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Binary labels of any type.
    name : str, default="y"
        Name used in error messages.
    pos_label : object, default=None
        The positive label. If None, the larger of the two labels (1 for 0/1,
        True for bools, the second in sorted order otherwise), as scikit-learn
        does for binary classifiers.

    Returns
    -------
    y01 : ndarray of shape (n_samples,), dtype uint8
        1 where ``y == pos_label``.
    classes : ndarray of shape (2,) or (1,)
        The sorted labels present in ``y``.

    Raises
    ------
    ValueError
        If ``y`` is not 1-D, is empty, holds missing values or more than two
        labels, or ``pos_label`` is not one of its labels when it has two.

    Examples
    --------
    >>> from skfair.utils import check_binary_labels
    >>> y01, classes = check_binary_labels(["no", "yes", "yes"])
    >>> y01.tolist(), classes.tolist()
    ([0, 1, 1], ['no', 'yes'])
    """
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got an array of shape {arr.shape}.")
    if arr.size == 0:
        raise ValueError(f"{name} is empty.")
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN.")
    if arr.dtype.kind == "O" and _has_missing(arr):
        raise ValueError(f"{name} contains missing values (None or NaN).")
    try:
        classes = np.unique(arr)
    except TypeError as exc:
        raise ValueError(f"{name} mixes label types: {exc}.") from exc
    if classes.size > 2:
        shown = classes[:5].tolist()
        raise ValueError(
            f"{name} must be binary; it holds {classes.size} distinct labels "
            f"({shown}{'...' if classes.size > 5 else ''})."
        )
    if pos_label is None:
        pos_label = classes[-1] if classes.size == 2 else _default_pos(classes)
    elif classes.size == 2 and pos_label not in classes.tolist():
        raise ValueError(
            f"pos_label={pos_label!r} is not one of the labels of {name}: "
            f"{classes.tolist()}."
        )
    return (arr == pos_label).astype(np.uint8), classes


def _default_pos(classes):
    # A single label: it is positive only if it is the conventional 1/True.
    only = classes[0]
    return only if only in (1, True) else object()


def check_sample_weight_1d(sample_weight, n_samples):
    """Validate sample weights: 1-D, right length, finite, non-negative.

    Returns a float64 array (a copy when a conversion was needed), or None.
    """
    if sample_weight is None:
        return None
    sw = np.asarray(sample_weight, dtype=np.float64)
    if sw.ndim != 1 or sw.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight must be 1-D with {n_samples} entries; got shape {sw.shape}."
        )
    if not np.isfinite(sw).all():
        raise ValueError("sample_weight contains NaN or infinite values.")
    if (sw < 0).any():
        raise ValueError("sample_weight contains negative values.")
    return sw


def inner_estimator_tags(estimator):
    """Tags of a wrapped estimator, with defaults for a duck-typed one.

    scikit-learn's ``get_tags`` raises an AttributeError for an object that
    does not inherit ``BaseEstimator``, yet a meta-estimator only needs the
    wrapped model's ``fit`` and ``predict``. Such a model gets the tags of a
    plain ``BaseEstimator``: dense input, no missing values.
    """
    from sklearn.base import BaseEstimator
    from sklearn.utils import get_tags

    if hasattr(estimator, "__sklearn_tags__"):
        return get_tags(estimator)
    return BaseEstimator().__sklearn_tags__()


def keep_state_on_error(fit):
    """Make a ``fit`` method all-or-nothing: if it raises, undo its attribute changes.

    A fit sets attributes step by step (``validate_data`` sets
    ``n_features_in_`` first, later steps the learned state), and any later
    step can still fail: a solver, the wrapped estimator's fit, a check of
    its scores. Without this, a failed first fit would leave a half-fitted
    estimator that passes ``check_is_fitted`` and then fails with an
    unrelated error, and a failed refit would mix the old state with the new.
    The rule is the simplest consistent one: if ``fit`` raises, the estimator
    has exactly the attributes it had before the call (none for a first
    fit), the exception propagates unchanged.

    The snapshot is shallow: a fit must replace attributes, never modify the
    objects they hold in place (skfair's fits build new arrays and fit clones).
    """

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        before = dict(vars(self))
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            vars(self).clear()
            vars(self).update(before)
            raise

    return wrapper
