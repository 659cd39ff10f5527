"""Correlation remover: project the features off the one-hot sensitive columns."""

from collections.abc import Hashable
from numbers import Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils import check_sample_weight_1d, encode_fit_groups, encode_known_groups
from ..utils._sensitive import format_label
from ..utils._sklearn_compat import Interval, _fit_context
from ..utils._small_cells import warn_small_cells
from ..utils._validation import keep_state_on_error
from ._disparate_impact import (
    _as_2d_input,
    _numeric_column,
    assemble_output,
    groups_and_positions,
)

__all__ = ["CorrelationRemover"]

_NAME = "CorrelationRemover"


def _feature_matrix(X, positions):
    """The columns of ``X`` at ``positions`` as one float64 array (a copy)."""
    if isinstance(X, np.ndarray) and X.dtype.kind in "iuf":
        out = X[:, positions].astype(np.float64)  # one pass, not one per column
        if np.isfinite(out).all():
            return out
    out = np.empty((X.shape[0], len(positions)))
    for i, position in enumerate(positions):
        out[:, i] = _numeric_column(X, position, owner=_NAME)
    return out


def _group_sums(values, codes, n_groups, weight):
    """(Weighted) sum of each column of ``values`` in each group, and the weights."""
    w = np.ones(codes.size) if weight is None else weight
    # The sparse (groups x rows) matrix of weights: one product for all columns.
    indicator = sparse.csr_array(
        (w, (codes, np.arange(codes.size))), shape=(n_groups, codes.size)
    )
    return indicator @ values, np.bincount(codes, weights=w, minlength=n_groups)


class CorrelationRemover(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Remove the linear correlation of the features with the sensitive groups.

    Every column of ``X`` that is not a sensitive column is replaced by its
    residual after the least-squares projection onto the centred one-hot
    encoding of the groups, mixed with the original by ``alpha``::

        x -> x - alpha * (mean of x in the row's group - mean of x)

    With ``alpha=1`` every group has the same mean of every column, so no
    feature is linearly correlated with any group indicator any more; with
    ``alpha=0`` the data are unchanged. This is fairlearn's
    ``CorrelationRemover`` with the groups one-hot encoded, in closed form:
    the projection of a column onto the centred indicators of the groups is
    its group mean minus its overall mean (see Notes). Unlike fairlearn's, the
    sensitive columns pass through unchanged in the output (skfair's
    transformer rule), so later pipeline steps can read the groups again.

    Parameters
    ----------
    sensitive_cols : str, int, list of those, callable or None, default=None
        Column name(s) or position(s) of ``X`` that hold the groups; several
        columns define intersectional groups (one indicator per combination
        that occurs). They pass through unchanged, at the same position. If
        None, pass ``sensitive_features=`` to ``fit`` and ``transform``. Or a
        callable X -> groups (called on every ``X``; no column is removed).
    alpha : float in [0, 1], default=1.0
        How much of the correlation to remove: the output is
        ``alpha * residual + (1 - alpha) * x``.

    Attributes
    ----------
    groups_ : ndarray of shape (n_groups,)
        The group labels seen in ``fit`` (tuples for intersectional groups).
    repaired_columns_ : ndarray of shape (n_repaired,), dtype intp
        Positions in ``X`` of the transformed columns: every column but the
        sensitive ones.
    mean_ : ndarray of shape (n_repaired,)
        (Weighted) mean of each transformed column in ``fit``.
    group_means_ : ndarray of shape (n_groups, n_repaired)
        (Weighted) mean of each transformed column in each group, rows in
        ``groups_`` order.
    n_features_in_ : int
        Number of columns of ``X`` in ``fit``, sensitive columns included.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of ``X`` in ``fit``, if they are all strings.

    See Also
    --------
    DisparateImpactRemover : Equalizes the groups' whole distributions of each
        feature, not only their means.

    Notes
    -----
    Let ``S`` be the one-hot encoding of the groups and ``S_c`` its columns
    centred. fairlearn solves ``min_w ||z - S_c w||`` for each feature ``z``
    and subtracts ``S_c w``. The vector of ones is orthogonal to ``S_c``'s
    columns and lies in the span of the indicators, so the projection of
    ``z`` onto the span of ``S_c`` is the projection of ``z - mean(z)`` onto
    the span of the indicators: each row's group mean of ``z`` minus the
    overall mean. The rank deficiency of the full one-hot matrix does not
    matter, and no linear system is solved. With ``sample_weight`` the means
    are weighted, which is weighted least squares.

    Removing linear correlation equalizes the groups' means, not their
    distributions: a non-linear model may still recover the group from the
    transformed features (e.g. from their variance).

    References
    ----------
    fairlearn's ``CorrelationRemover`` (fairlearn.preprocessing, 0.6 and later).

    Examples
    --------
    >>> import numpy as np
    >>> from skfair.preprocessing import CorrelationRemover
    >>> group = np.array([0, 0, 0, 1, 1, 1])
    >>> income = np.array([1.0, 2.0, 3.0, 5.0, 6.0, 7.0])
    >>> X = np.column_stack([group, income])
    >>> CorrelationRemover(sensitive_cols=0).fit_transform(X)
    array([[0., 3.],
           [0., 4.],
           [0., 5.],
           [1., 3.],
           [1., 4.],
           [1., 5.]])
    >>> CorrelationRemover(sensitive_cols=0, alpha=0.5).fit_transform(X)[:, 1]
    array([2., 3., 4., 4., 5., 6.])
    """

    _parameter_constraints: dict = {
        "sensitive_cols": [None, Hashable, "array-like", callable],
        "alpha": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, *, sensitive_cols=None, alpha=1.0):
        self.sensitive_cols = sensitive_cols
        self.alpha = alpha

    @keep_state_on_error
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, sensitive_features=None, sample_weight=None):
        """Learn the overall and the per-group mean of every non-sensitive column.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training data, sensitive columns included when ``sensitive_cols``
            is set. The other columns must be numeric.
        y : None
            Ignored.
        sensitive_features : array-like of shape (n_samples,) or \
                (n_samples, k), default=None
            Group labels, when ``sensitive_cols`` is None.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights of the means (weighted least squares).

        Returns
        -------
        self : object
            The fitted transformer.
        """
        X = _as_2d_input(X, "fit", owner=_NAME)
        raw_groups, sensitive_positions = groups_and_positions(
            self, X, sensitive_features, "fit"
        )
        validate_data(self, X, skip_check_array=True, reset=True)
        if X.shape[0] == 0:
            raise ValueError(
                f"Found array with 0 sample(s) (shape={tuple(X.shape)}) while a "
                "minimum of 1 is required."
            )
        repaired = np.setdiff1d(np.arange(X.shape[1]), sensitive_positions)
        if repaired.size == 0:
            raise ValueError(
                f"Found array with 0 feature(s) (shape={tuple(X.shape)}) while a "
                "minimum of 1 is required: X has no column to transform besides "
                "the sensitive ones."
            )
        values = _feature_matrix(X, repaired)
        encoding = encode_fit_groups(raw_groups, type(self).__name__)
        warn_small_cells(encoding.codes, encoding.groups, owner=type(self).__name__)
        weight = check_sample_weight_1d(sample_weight, X.shape[0])
        sums, totals = _group_sums(values, encoding.codes, encoding.n_groups, weight)
        empty = np.flatnonzero(~(totals > 0))
        if empty.size:
            raise ValueError(
                f"Group {format_label(encoding.groups[empty[0]])} has zero total "
                "sample_weight; its mean is undefined."
            )
        self.group_means_ = sums / totals[:, None]
        self.mean_ = sums.sum(axis=0) / totals.sum()
        self.groups_ = encoding.groups
        self.repaired_columns_ = repaired
        return self

    def transform(self, X, *, sensitive_features=None):
        """Subtract ``alpha`` times each row's group mean offset from its columns.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Rows to transform (any rows, not only those seen in ``fit``).
        sensitive_features : array-like of shape (n_samples,) or \
                (n_samples, k), default=None
            Group labels, when ``sensitive_cols`` is None. Every group must
            have been seen in ``fit``.

        Returns
        -------
        X_new : ndarray or DataFrame of shape (n_samples, n_features)
            ``X`` with the non-sensitive columns replaced (as float64) and
            the sensitive columns unchanged. A float64 array if every column
            is numeric, an object array otherwise; a DataFrame with the
            input's dtypes for the sensitive columns under
            ``set_output(transform="pandas")``.
        """
        check_is_fitted(self)
        X = _as_2d_input(X, "transform", owner=_NAME)
        raw_groups, _ = groups_and_positions(self, X, sensitive_features, "transform")
        validate_data(self, X, skip_check_array=True, reset=False)
        codes = encode_known_groups(raw_groups, self.groups_)
        values = _feature_matrix(X, self.repaired_columns_)
        offset = self.group_means_[codes] - self.mean_
        values -= float(self.alpha) * offset
        return assemble_output(self, X, self.repaired_columns_, values)

    def fit_transform(self, X, y=None, *, sensitive_features=None, sample_weight=None):
        """Fit to ``X``, then transform it.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored.
        sensitive_features : array-like of shape (n_samples,) or \
                (n_samples, k), default=None
            Group labels, when ``sensitive_cols`` is None.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights of the means.

        Returns
        -------
        X_new : ndarray or DataFrame of shape (n_samples, n_features)
            The transformed training data, as returned by :meth:`transform`.
        """
        return self.fit(
            X, y, sensitive_features=sensitive_features, sample_weight=sample_weight
        ).transform(X, sensitive_features=sensitive_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True  # the sensitive columns may hold strings
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags
