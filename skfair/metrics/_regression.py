"""Fairness metrics for regression: how far apart the groups' predictions are.

Demographic parity for a real-valued prediction asks for the same
distribution of predictions in every group. The metrics here measure the
largest departure over pairs of groups: the Kolmogorov-Smirnov and
Wasserstein-1 distances between the groups' (weighted) empirical
distributions, the gap in mean prediction, and the gap in mean loss.
Groups whose rows all weigh zero are left out; with fewer than two groups
left, every gap is 0.
"""

import numpy as np

from ..utils import check_n_samples, check_sample_weight_1d, encode_groups
from ._counts import _check_total_weight
from ._fairness import _check_choice

_LOSSES = {
    "squared_error": lambda y_true, y_pred: (y_true - y_pred) ** 2,
    "absolute_error": lambda y_true, y_pred: np.abs(y_true - y_pred),
}


def _real_vector(values, name, n_samples=None):
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must hold real numbers: {exc}.") from exc
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got an array of shape {arr.shape}.")
    if n_samples is not None:
        check_n_samples(arr, n_samples, name=name)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinity.")
    return arr


def _groups_of(y_true, y_pred, sensitive_features, sample_weight):
    """Validated predictions, weights, and the row indices of each weighted group."""
    y_pred = _real_vector(y_pred, "y_pred")
    n_samples = y_pred.size
    if y_true is not None:
        y_true = _real_vector(y_true, "y_true", n_samples)
    if sensitive_features is None:
        raise ValueError(
            "sensitive_features is required: the group of each row of y_pred."
        )
    encoding = encode_groups(sensitive_features)
    check_n_samples(encoding.codes, n_samples)
    weights = check_sample_weight_1d(sample_weight, n_samples)
    weights = np.ones(n_samples) if weights is None else weights
    _check_total_weight(weights.sum())
    # Rows of zero weight carry no data; a group of only such rows is left out.
    positive = weights > 0
    members = [
        np.flatnonzero((encoding.codes == g) & positive)
        for g in range(len(encoding.groups))
    ]
    members = [rows for rows in members if rows.size]
    return y_true, y_pred, weights, members


def _worst_pair(values):
    """Largest gap between any two of ``values`` (0 for fewer than two)."""
    return float(np.ptp(values)) if len(values) > 1 else 0.0


def _cdfs_on_grid(y_pred, weights, members):
    """Each group's weighted CDF at every distinct prediction (the grid)."""
    grid = np.unique(y_pred[np.concatenate(members)])
    cdfs = []
    for rows in members:
        position = np.searchsorted(grid, y_pred[rows])
        mass = np.bincount(position, weights=weights[rows], minlength=grid.size)
        cdfs.append(np.cumsum(mass) / mass.sum())
    return grid, np.array(cdfs)


def _pairwise_max(cdfs, distance):
    worst = 0.0
    for a in range(len(cdfs)):
        for b in range(a + 1, len(cdfs)):
            worst = max(worst, distance(cdfs[a], cdfs[b]))
    return worst


def ks_distance_between_groups(
    y_true, y_pred, *, sensitive_features=None, sample_weight=None
):
    """Largest Kolmogorov-Smirnov distance between two groups' predictions.

    ``max_x |F_a(x) - F_b(x)|`` for the (weighted) empirical CDFs of
    ``y_pred`` in groups ``a`` and ``b``, maximised over pairs of groups.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or None
        True values (validated if given, otherwise unused).
    y_pred : array-like of shape (n_samples,)
        Real-valued predictions.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group of each row (intersectional groups when 2-D). Required.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows.

    Returns
    -------
    distance : float
        In [0, 1]; 0 means the same distribution of predictions in every
        group. For unweighted data with two groups it equals
        ``scipy.stats.ks_2samp(...).statistic``.

    Examples
    --------
    >>> from skfair.metrics import ks_distance_between_groups
    >>> d = ks_distance_between_groups(
    ...     None, [1.0, 2.0, 3.0, 2.0, 3.0, 4.0],
    ...     sensitive_features=["a", "a", "a", "b", "b", "b"])
    >>> round(d, 4)
    0.3333
    """
    _, y_pred, weights, members = _groups_of(
        y_true, y_pred, sensitive_features, sample_weight
    )
    if len(members) < 2:
        return 0.0
    _, cdfs = _cdfs_on_grid(y_pred, weights, members)
    return float(_pairwise_max(cdfs, lambda f, g: np.abs(f - g).max()))


def wasserstein_distance_between_groups(
    y_true, y_pred, *, sensitive_features=None, sample_weight=None
):
    """Largest Wasserstein-1 distance between two groups' predictions.

    ``integral |F_a(x) - F_b(x)| dx`` for the (weighted) empirical CDFs of
    ``y_pred`` in groups ``a`` and ``b``, maximised over pairs of groups: the
    smallest mean distance predictions must move to make the two groups'
    distributions equal, in the units of ``y_pred``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or None
        True values (validated if given, otherwise unused).
    y_pred : array-like of shape (n_samples,)
        Real-valued predictions.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group of each row (intersectional groups when 2-D). Required.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows.

    Returns
    -------
    distance : float
        Non-negative; equals ``scipy.stats.wasserstein_distance`` of the two
        groups' predictions (with their weights) for two groups.

    Examples
    --------
    >>> from skfair.metrics import wasserstein_distance_between_groups
    >>> wasserstein_distance_between_groups(
    ...     None, [1.0, 2.0, 3.0, 2.0, 3.0, 4.0],
    ...     sensitive_features=["a", "a", "a", "b", "b", "b"])
    1.0
    """
    _, y_pred, weights, members = _groups_of(
        y_true, y_pred, sensitive_features, sample_weight
    )
    if len(members) < 2:
        return 0.0
    grid, cdfs = _cdfs_on_grid(y_pred, weights, members)
    widths = np.diff(grid)
    return float(_pairwise_max(cdfs, lambda f, g: np.abs(f - g)[:-1] @ widths))


def mean_difference_between_groups(
    y_true, y_pred, *, sensitive_features=None, sample_weight=None
):
    """Largest minus smallest group mean of the predictions.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or None
        True values (validated if given, otherwise unused).
    y_pred : array-like of shape (n_samples,)
        Real-valued predictions.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group of each row (intersectional groups when 2-D). Required.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows.

    Returns
    -------
    difference : float
        Non-negative, in the units of ``y_pred``.

    Examples
    --------
    >>> from skfair.metrics import mean_difference_between_groups
    >>> mean_difference_between_groups(
    ...     None, [1.0, 2.0, 3.0, 2.0, 3.0, 4.0],
    ...     sensitive_features=["a", "a", "a", "b", "b", "b"])
    1.0
    """
    _, y_pred, weights, members = _groups_of(
        y_true, y_pred, sensitive_features, sample_weight
    )
    return _worst_pair(
        [np.average(y_pred[rows], weights=weights[rows]) for rows in members]
    )


def loss_gap_between_groups(
    y_true, y_pred, *, sensitive_features=None, sample_weight=None, loss="squared_error"
):
    """Largest minus smallest group mean loss.

    The "bounded group loss" view of regression fairness: how much worse
    the model does for its worst-served group than for its best-served one.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True values.
    y_pred : array-like of shape (n_samples,)
        Real-valued predictions.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group of each row (intersectional groups when 2-D). Required.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows.
    loss : {"squared_error", "absolute_error"}, default="squared_error"
        The per-row loss: its group means are scikit-learn's
        ``mean_squared_error`` / ``mean_absolute_error`` of each group.

    Returns
    -------
    gap : float
        Non-negative, in the units of the loss.

    Examples
    --------
    >>> from skfair.metrics import loss_gap_between_groups
    >>> loss_gap_between_groups(
    ...     [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 4.0, 6.0],
    ...     sensitive_features=["a", "a", "b", "b"])
    2.5
    """
    _check_choice(loss, "loss", tuple(_LOSSES))
    if y_true is None:
        raise ValueError("y_true is required: the loss compares it with y_pred.")
    y_true, y_pred, weights, members = _groups_of(
        y_true, y_pred, sensitive_features, sample_weight
    )
    losses = _LOSSES[loss](y_true, y_pred)
    return _worst_pair(
        [np.average(losses[rows], weights=weights[rows]) for rows in members]
    )
