"""Uniform and preferential sampling (Kamiran & Calders, 2012)."""

from collections.abc import Hashable

import narwhals.stable.v2 as nw
import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from ..utils import encode_fit_groups, resolve_sensitive_features
from ..utils._dataframe import as_frame, as_series
from ..utils._sensitive import format_label
from ..utils._sklearn_compat import HasMethods, StrOptions, _fit_context, _num_samples
from ..utils._small_cells import warn_small_cells
from ..utils._validation import keep_state_on_error
from ._reweighing import _check_2d, _class_codes

__all__ = ["FairResampler"]


def _take_rows(data, indices):
    """Rows ``indices`` of an array, sparse matrix, DataFrame or Series."""
    if as_frame(data) is not None:
        return nw.to_native(as_frame(data)[indices])
    series = as_series(data)
    if series is not None:
        return nw.to_native(series[indices])
    if issparse(data):
        return data[indices]
    return np.asarray(data)[indices]


def _expected_counts(group_codes, class_codes, n_groups, n_classes):
    """Observed counts of the (group, class) cells and their sizes P(g) P(c) n."""
    cells = group_codes.astype(np.int64) * n_classes + class_codes
    observed = np.bincount(cells, minlength=n_groups * n_classes)
    observed = observed.reshape(n_groups, n_classes)
    n = observed.sum()
    expected = observed.sum(axis=1, keepdims=True) * observed.sum(axis=0) / n
    return observed, np.rint(expected).astype(np.int64)


def _cell_sample(rows, target, order, rng):
    """Indices of ``target`` rows drawn from the cell ``rows``.

    ``order`` None: uniform sampling, a random subset when shrinking, all
    rows plus draws with replacement when growing. Otherwise ``order`` ranks
    the cell's rows from the nearest to the decision boundary: shrinking
    removes the nearest rows, growing duplicates them, nearest first, cycling
    through the cell if it must more than double.
    """
    m = rows.size
    if target == m:
        return rows
    if order is None:
        if target < m:
            return rng.choice(rows, size=target, replace=False)
        return np.concatenate([rows, rng.choice(rows, size=target - m)])
    ranked = rows[order]
    if target < m:
        return ranked[m - target :]
    return np.concatenate([rows, ranked[np.arange(target - m) % m]])


class FairResampler(BaseEstimator):
    """Resample the training rows so that group and label are independent.

    Kamiran & Calders (2012): each (group, class) cell is resampled to its
    expected size under independence, ``P(g) P(c) n`` rounded to the nearest
    integer, so that every group has the overall class distribution in the
    resampled data. A classifier trained on that data sees no association
    between the group and the label. It has imbalanced-learn's sampler API,
    ``fit_resample(X, y)``, so it works as a step of
    ``imblearn.pipeline.Pipeline`` (imbalanced-learn itself is not needed):
    the pipeline resamples the training data in ``fit`` only, never in
    ``predict``.

    Parameters
    ----------
    sampling : {"uniform", "preferential"}, default="uniform"
        How rows are removed from the cells that are too large and
        duplicated in those that are too small. ``"uniform"``: at random.
        ``"preferential"``: the rows nearest the decision boundary of a
        ranker (``estimator``) first, i.e. the rows of class ``c`` with the
        lowest predicted probability of ``c``: the likeliest to be labelled
        otherwise.
    estimator : estimator instance or None, default=None
        The ranker of preferential sampling, with ``predict_proba``; a clone
        is fitted on ``X`` (without the sensitive columns). None means
        ``LogisticRegression(max_iter=1000)``. Unused by uniform sampling.
    sensitive_cols : str, int, list of those, callable or None, default=None
        Column name(s) or position(s) of ``X`` that hold the groups; several
        columns define intersectional groups. They stay in the resampled
        ``X`` (the rows are resampled whole) and are not features of the
        ranker. If None, pass ``sensitive_features=`` to ``fit_resample``.
        Or a callable X -> groups.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws of uniform sampling (preferential sampling draws
        nothing).

    Attributes
    ----------
    groups_ : ndarray of shape (n_groups,)
        The group labels (tuples for intersectional groups).
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    observed_counts_ : ndarray of shape (n_groups, n_classes)
        Rows of each (group, class) cell in the data given.
    expected_counts_ : ndarray of shape (n_groups, n_classes)
        Rows of each cell in the resampled data: ``P(g) P(c) n`` rounded.
    sample_indices_ : ndarray of shape (n_resampled,)
        Indices into the data given of the resampled rows, sorted (a
        duplicated row appears several times).
    estimator_ : estimator instance or None
        The fitted ranker (preferential sampling), else None.
    n_features_in_ : int
        Number of columns of ``X``, sensitive columns included.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of ``X``, if they are all strings.

    See Also
    --------
    Reweighing : The same independence through row weights, no resampling.

    Notes
    -----
    Rounding makes every cell within half a row of ``P(g) P(c) n``; the
    resampled data has about ``n`` rows. A cell with no rows whose expected
    size is positive cannot be grown: ``fit_resample`` raises a
    ``ValueError`` naming it.

    The rows of the output are in the order of the input, each duplicate
    beside its original (``sample_indices_`` is sorted), so the output does
    not depend on the order of the groups or classes.

    References
    ----------
    F. Kamiran and T. Calders, "Data preprocessing techniques for
    classification without discrimination", Knowledge and Information Systems
    33(1), 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from skfair.preprocessing import FairResampler
    >>> group = np.array([0] * 6 + [1] * 6)
    >>> y = np.array([1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0])
    >>> X = np.column_stack([group, np.arange(12)])
    >>> sampler = FairResampler(sensitive_cols=0, random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> sampler.observed_counts_.tolist(), sampler.expected_counts_.tolist()
    ([[1, 5], [5, 1]], [[3, 3], [3, 3]])
    >>> [y_res[X_res[:, 0] == g].mean() for g in (0, 1)]
    [np.float64(0.5), np.float64(0.5)]
    """

    # imbalanced-learn's Pipeline routes metadata to fit_resample (it adds the
    # method to scikit-learn's list when imported): the groups are requested
    # by default there, as they are always needed.
    __metadata_request__fit_resample = {"sensitive_features": True}

    _parameter_constraints: dict = {
        "sampling": [StrOptions({"uniform", "preferential"})],
        "estimator": [None, HasMethods(["fit", "predict_proba"])],
        "sensitive_cols": [None, Hashable, "array-like", callable],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        sampling="uniform",
        estimator=None,
        sensitive_cols=None,
        random_state=None,
    ):
        self.sampling = sampling
        self.estimator = estimator
        self.sensitive_cols = sensitive_cols
        self.random_state = random_state

    @keep_state_on_error
    @_fit_context(
        # The ranker is validated by its own fit.
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, *, sensitive_features=None):
        """Find the rows of the resampled data (see :meth:`fit_resample`).

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Training data, sensitive columns included when ``sensitive_cols``
            is set.
        y : array-like of shape (n_samples,)
            Class labels.
        sensitive_features : array-like of shape (n_samples,) or \
                (n_samples, k), default=None
            Group labels, when ``sensitive_cols`` is None.

        Returns
        -------
        self : object
            The fitted resampler.
        """
        if y is None:
            raise ValueError(
                "FairResampler requires y to be passed, but the target y is None."
            )
        _check_2d(X)
        if getattr(getattr(X, "dtype", None), "kind", None) == "c":
            raise ValueError("Complex data not supported.")
        X_model, raw_groups = resolve_sensitive_features(
            X,
            sensitive_cols=self.sensitive_cols,
            sensitive_features=sensitive_features,
            method="fit_resample",
        )
        validate_data(self, X, skip_check_array=True, reset=True)
        n_samples = _num_samples(X)
        shape = (n_samples, self.n_features_in_)
        if 0 in shape:
            what = "sample(s)" if n_samples == 0 else "feature(s)"
            raise ValueError(
                f"Found array with 0 {what} (shape={shape}) while a minimum of 1 "
                "is required."
            )
        classes = _class_codes(y)
        if classes.codes.size != n_samples:
            raise ValueError(f"y has {classes.codes.size} rows but X has {n_samples}.")
        groups = encode_fit_groups(raw_groups, type(self).__name__)
        warn_small_cells(
            groups.codes,
            groups.groups,
            classes.codes,
            classes.groups,
            owner=type(self).__name__,
        )
        observed, expected = _expected_counts(
            groups.codes, classes.codes, groups.n_groups, classes.n_groups
        )
        empty = np.argwhere((observed == 0) & (expected > 0))
        if empty.size:
            g, c = empty[0]
            raise ValueError(
                f"Group {format_label(groups.groups[g])} has no row of class "
                f"{format_label(classes.groups[c])}, but needs "
                f"{expected[g, c]} under independence; resampling cannot create "
                "them. Merge or drop the group, or use Reweighing."
            )
        order = None
        self.estimator_ = None
        if self.sampling == "preferential":
            self.estimator_, order = self._rank(X_model, y, classes.codes)
        rng = check_random_state(self.random_state)
        n_classes = classes.n_groups
        cells = groups.codes.astype(np.int64) * n_classes + classes.codes
        cell_rows = np.argsort(cells, kind="stable")
        bounds = np.cumsum(observed.ravel())
        chosen = []
        for cell, rows in enumerate(np.split(cell_rows, bounds[:-1])):
            cell_order = None if order is None else np.argsort(order[rows])
            target = expected.flat[cell]
            chosen.append(_cell_sample(rows, target, cell_order, rng))
        self.sample_indices_ = np.sort(np.concatenate(chosen))
        self.groups_ = groups.groups
        self.classes_ = classes.groups
        self.observed_counts_ = observed
        self.expected_counts_ = expected
        return self

    def _rank(self, X_model, y, class_codes):
        """The fitted ranker and each row's rank by its probability of its class.

        Rank 0 is the row least likely of its own class (nearest the
        boundary); ties keep the input order.
        """
        ranker = LogisticRegression(max_iter=1000) if self.estimator is None else None
        ranker = clone(self.estimator) if ranker is None else ranker
        ranker.fit(X_model, y)
        proba = np.asarray(ranker.predict_proba(X_model), dtype=np.float64)
        if proba.ndim != 2 or proba.shape[1] != class_codes.max() + 1:
            raise ValueError(
                "the ranker's predict_proba must return one column per class of "
                f"y; got shape {proba.shape}."
            )
        own = proba[np.arange(class_codes.size), class_codes]
        return ranker, np.argsort(np.argsort(own, kind="stable"), kind="stable")

    def fit_resample(self, X, y, *, sensitive_features=None):
        """Resample ``X`` and ``y`` so that group and label are independent.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Training data, sensitive columns included when ``sensitive_cols``
            is set.
        y : array-like of shape (n_samples,)
            Class labels.
        sensitive_features : array-like of shape (n_samples,) or \
                (n_samples, k), default=None
            Group labels, when ``sensitive_cols`` is None.

        Returns
        -------
        X_resampled : {ndarray, sparse matrix, DataFrame}
            The rows ``sample_indices_`` of ``X``, of the same container type
            (a pandas index is that of the rows taken, duplicates repeated).
        y_resampled : ndarray or Series
            The labels of those rows.
        """
        self.fit(X, y, sensitive_features=sensitive_features)
        return (
            _take_rows(X, self.sample_indices_),
            _take_rows(y, self.sample_indices_),
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = self.sensitive_cols is None
        tags.input_tags.allow_nan = self.sampling == "uniform"
        tags.input_tags.string = self.sampling == "uniform"
        tags.target_tags.required = True
        return tags
