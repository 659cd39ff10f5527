"""GridSearch: best responses to a grid of Lagrange multipliers (Agarwal et al.)."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils.metaestimators import available_if

from ..utils._sklearn_compat import Interval, _fit_context, _num_samples
from ..utils._validation import keep_state_on_error
from ._base import ReductionBase, predictor_decisions


def integer_grid(dim, grid_size):
    """The first ``grid_size`` integer points of the smallest L1 ball holding them.

    Points of ``{z in Z^dim : |z|_1 <= m}`` are listed in lexicographic order
    of their coordinates (each from ``-remaining`` to ``+remaining``), for the
    smallest ``m`` that gives at least ``grid_size`` points. Returns the
    points, shape (grid_size, dim), and ``m``.
    """
    if dim == 0:  # one group: no constraint, every point is the origin
        return np.zeros((grid_size, 0)), 0
    m = max(int(np.floor((grid_size / 2.0**dim) ** (1.0 / dim) - 1)), 0)
    while True:
        points = _ball_points(dim, m)
        if len(points) >= grid_size:
            return np.array(points[:grid_size], dtype=np.float64), m
        m += 1


def grid_group_order(cell_weight):
    """The groups in the grid's order, by their weight, the heaviest last.

    The grid has a multiplier for every group but a reference one, and lists
    its points in the order of the groups. Both are taken from the data, not
    from the labels, so that relabelling the groups (which reorders them when
    sorted) gives the same grid of cost-sensitive problems and the same
    chosen predictor: the groups ordered by decreasing total weight over the
    constrained events, then by decreasing weight in each event (the
    reference, last, is the heaviest). Only groups tied in every weight keep
    their sorted label order.

    Parameters
    ----------
    cell_weight : ndarray of shape (n_events, n_groups)
        Weight of each group's rows in each constrained event.

    Returns
    -------
    order : ndarray of shape (n_groups,)
        Group indices (into the sorted groups), the reference group last.
    """
    keys = [np.arange(cell_weight.shape[1])]  # last resort: the sorted labels
    keys += [-row for row in cell_weight[::-1]]
    keys.append(-cell_weight.sum(axis=0))  # np.lexsort: the last key is primary
    heaviest_first = np.lexsort(keys)
    return np.concatenate([heaviest_first[1:], heaviest_first[:1]])


def _ball_points(dim, budget):
    if dim == 0:
        return [()]
    points = []
    for value in range(-budget, budget + 1):
        for rest in _ball_points(dim - 1, budget - abs(value)):
            points.append((value, *rest))
    return points


class GridSearch(ReductionBase):
    """Best responses to a grid of Lagrange multipliers; the best one is kept.

    The grid reduction of Agarwal et al. (2018): for each multiplier vector
    of a grid, fit a clone of ``estimator`` to the cost-sensitive problem
    "error plus multipliers times the groups' rate deviations", and keep the
    one with the best trade-off of training error and training gap. The
    model is deterministic.

    Parameters
    ----------
    estimator : estimator object
        A binary classifier whose ``fit`` takes ``sample_weight`` (or a
        :class:`~sklearn.pipeline.Pipeline` whose final step does).

    constraints : {"demographic_parity", "equalized_odds", \
            "equal_opportunity", "false_positive_rate_parity", \
            "error_rate_parity"}, default="demographic_parity"
        The rates whose differences between groups are traded off.

    grid_size : int, default=10
        Number of multiplier vectors, hence of fitted predictors.

    grid_limit : float, default=2.0
        Largest absolute value of a multiplier.

    constraint_weight : float, default=0.5
        The selection trade-off: the predictor minimising
        ``(1 - constraint_weight) * training_error + constraint_weight *
        largest training gap`` is kept (ties: the first in grid order).

    sensitive_cols : str, int, list of those or callable, default=None
        Column name(s) or position(s) of ``X`` holding the groups; removed
        from ``X`` before the wrapped estimator sees it. If None,
        :meth:`fit` takes the groups as ``sensitive_features=``. Or a
        callable X -> groups.

    warm_start : bool or "auto", default="auto"
        As in :class:`ExponentiatedGradient`: whether each fit starts from
        the known fit that is best at its multipliers.

    Attributes
    ----------
    predictors_ : list of estimator objects
        One fitted classifier per grid point, in grid order (fitted on 0/1
        labels).

    lambda_vecs_ : ndarray of shape (grid_size, n_dimensions)
        The grid: multiplier of each (event, group) dimension (see Notes),
        events outer, groups in the order of ``grid_groups_[:-1]`` inner.

    grid_groups_ : ndarray of shape (n_groups,)
        The group labels in the grid's order: by decreasing weight, the
        reference group (the heaviest, with no multiplier) last.

    training_errors_ : ndarray of shape (grid_size,)
        Training error of each predictor.

    training_gaps_ : ndarray of shape (grid_size,)
        Largest training gap (over the constrained rates) of each predictor.

    best_idx_ : int
        Index of the predictor used by :meth:`predict`.

    classes_ : ndarray of shape (2,)
        The class labels; ``classes_[1]`` is the positive class.

    groups_ : ndarray of shape (n_groups,)
        The group labels seen in fit, sorted.

    n_features_in_ : int
        Number of columns of ``X`` seen in fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of ``X`` seen in fit, if it had string column names.

    See Also
    --------
    ExponentiatedGradient : The randomized reduction with constraint bounds.

    Notes
    -----
    The grid is fairlearn's, but for its reference group: for every event
    (all rows, positives or negatives) and every group but a reference one
    there is a multiplier ``l`` of the deviation ``rate[group] -
    rate[event]`` of the group's rate from the event's overall rate. The
    grid holds the first
    ``grid_size`` integer points of the smallest L1 ball with enough points,
    listed lexicographically, scaled so the ball's radius is ``grid_limit``.
    With two groups and one event (demographic parity), this is
    ``np.linspace(-grid_limit, grid_limit, grid_size)`` for odd
    ``grid_size``. With more groups there are more dimensions and a grid
    covers them more coarsely; :class:`ExponentiatedGradient` scales better.
    The grid depends on which group is the reference (for two groups, the
    multiplier of ``rate[a] - rate[b]`` is ``l`` times the share of the
    reference ``b``) and on the order of the others. fairlearn takes the last
    group in sorted order, so relabelling the groups changes its grid and
    possibly the chosen predictor; skfair orders the groups by their weight
    (``grid_groups_``: the heaviest is the reference), so the fit is the same
    whatever the labels, and equals fairlearn's when the heaviest group's
    label sorts last. Only groups of exactly equal weights in every event
    fall back to the sorted order of their labels.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfair.reductions import GridSearch
    >>> rng = np.random.RandomState(0)
    >>> group = rng.choice(["a", "b"], size=600)
    >>> X = np.column_stack([rng.normal(size=600) + 0.8 * (group == "b"),
    ...                      rng.normal(size=600)])
    >>> y = (X[:, 0] + rng.normal(size=600) > 0.5).astype(int)
    >>> gs = GridSearch(LogisticRegression(), grid_size=5)
    >>> gs = gs.fit(X, y, sensitive_features=group)
    >>> len(gs.predictors_), gs.lambda_vecs_[:, 0].tolist()
    (5, [-2.0, -1.0, 0.0, 1.0, 2.0])
    >>> gs.predict(X[:4])
    array([0, 1, 0, 0])
    """

    _parameter_constraints: dict = {
        **ReductionBase._parameter_constraints,
        "grid_size": [Interval(Integral, 1, None, closed="left")],
        "grid_limit": [Interval(Real, 0, None, closed="neither")],
        "constraint_weight": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(
        self,
        estimator,
        *,
        constraints="demographic_parity",
        grid_size=10,
        grid_limit=2.0,
        constraint_weight=0.5,
        sensitive_cols=None,
        warm_start="auto",
    ):
        self.estimator = estimator
        self.constraints = constraints
        self.grid_size = grid_size
        self.grid_limit = grid_limit
        self.constraint_weight = constraint_weight
        self.sensitive_cols = sensitive_cols
        self.warm_start = warm_start

    @keep_state_on_error
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, *, sensitive_features=None, sample_weight=None, **fit_params):
        """Fit one predictor per grid point and keep the best.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training data (plus the ``sensitive_cols`` columns, if set).

        y : array-like of shape (n_samples,)
            Binary target, any two labels.

        sensitive_features : array-like, default=None
            Group labels, when ``sensitive_cols`` is not set.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the error and the rates.

        **fit_params : dict
            Further parameters for the wrapped estimator's fit; only with
            metadata routing enabled.

        Returns
        -------
        self : GridSearch
            The fitted estimator.
        """
        oracle, moment, _, weights = self._prepare(
            X, y, sensitive_features, sample_weight, fit_params, 0.0
        )
        n_groups, n_events = moment.n_groups, len(moment.rate_names)
        # The share of each group in each event, for the deviations from the
        # event's overall rate.
        cell_weight = np.bincount(
            moment.cell, weights=weights, minlength=moment.n_cells + 1
        )[: moment.n_cells].reshape(n_events, n_groups)
        shares = cell_weight / cell_weight.sum(axis=1, keepdims=True)
        order = grid_group_order(cell_weight)
        self.grid_groups_ = self.groups_[order]
        points, m = integer_grid(n_events * (n_groups - 1), self.grid_size)
        scale = self.grid_limit / m if m > 0 else 0.0
        self.lambda_vecs_ = points * scale
        predictors, errors, gaps = [], [], []
        for point in self.lambda_vecs_:
            deviation = np.zeros((n_events, n_groups))
            # The reference group (the last of grid_groups_) has no multiplier.
            deviation[:, order[:-1]] = point.reshape(n_events, n_groups - 1)
            # sum_g l_g (r_g - sum_h s_h r_h): the coefficient of r_g.
            cell_multiplier = deviation - shares * deviation.sum(axis=1)[:, None]
            costs = moment.cell_costs(cell_multiplier.ravel())
            # Grid neighbours are consecutive: start from the previous fit.
            start = predictors[-1] if predictors else None
            predictor, decisions = oracle.fit(costs, start)
            predictors.append(predictor)
            errors.append(moment.error(decisions))
            gaps.append(max(moment.gaps(moment.rates(decisions)).values()))
        self.predictors_ = predictors
        self.training_errors_ = np.array(errors)
        self.training_gaps_ = np.array(gaps)
        losses = (
            1.0 - self.constraint_weight
        ) * self.training_errors_ + self.constraint_weight * self.training_gaps_
        self.best_idx_ = int(np.argmin(losses))
        return self

    def predict(self, X):
        """Predictions of the selected predictor.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples, with the same columns as in fit.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        X_model = self._model_input(X, "predict")
        decisions = predictor_decisions(
            self.predictors_[self.best_idx_], X_model, _num_samples(X)
        )
        return self.classes_[decisions.astype(np.intp)]

    @available_if(lambda self: hasattr(self.estimator, "predict_proba"))
    def predict_proba(self, X):
        """The selected predictor's ``predict_proba``.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples, with the same columns as in fit.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Probabilities of ``classes_[0]`` and ``classes_[1]`` as the
            selected predictor (fitted on 0/1 costs' labels) gives them.
        """
        X_model = self._model_input(X, "predict_proba")
        predictor = self.predictors_[self.best_idx_]
        proba = np.asarray(predictor.predict_proba(X_model), dtype=np.float64)
        if proba.shape[1] == 1:  # a constant predictor knows one label
            label = int(predictor.classes_[0])
            proba = np.column_stack([1.0 - proba[:, 0], proba[:, 0]])
            if label == 0:
                proba = proba[:, ::-1]
        return proba
