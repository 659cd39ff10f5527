"""Reweighing (Kamiran & Calders, 2012): weights that decouple group and label."""

from collections.abc import Hashable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.pipeline import Pipeline
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    get_routing_for_object,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from ..utils import (
    check_n_samples,
    check_sample_weight_1d,
    encode_groups,
    resolve_sensitive_features,
    split_sensitive_columns,
)
from ..utils._dask import (
    any_dask,
    as_row_blocks,
    check_estimator_accepts_dask,
    label_array,
    row_chunks,
    sorted_label_order,
    tree_reduce,
)
from ..utils._sensitive import check_two_groups, python_label
from ..utils._sklearn_compat import (
    HasMethods,
    _fit_context,
    _num_samples,
    _raise_for_params,
    _routing_enabled,
)
from ..utils._small_cells import warn_small_cells
from ..utils._validation import (
    _check_labels_present,
    inner_estimator_tags,
    keep_state_on_error,
)

__all__ = ["Reweighing", "reweighing_weights"]


def _class_codes(y):
    """Integer codes of the class labels of ``y`` and the sorted labels."""
    if not hasattr(y, "iloc"):
        y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.iloc[:, 0] if hasattr(y, "iloc") else y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D class labels; got shape {y.shape}.")
    # Here rather than in encode_groups (which speaks of groups), and before
    # type_of_target, which casts infinity to int (a RuntimeWarning).
    _check_labels_present(y)
    encoding = encode_groups(y, name="y")
    if encoding.n_groups > 2:
        # Many distinct values may be a continuous target in disguise.
        y_type = type_of_target(y, input_name="y")
        if y_type not in ("binary", "multiclass"):
            raise ValueError(
                f"Unknown label type: {y_type!r}. y must hold class labels "
                "(reweighing balances groups against classes)."
            )
    return encoding


def _unit_scale(sample_weight):
    """``sample_weight`` scaled by a power of two so that its maximum is in [0.5, 1).

    The factors are ratios of weight totals, so they do not depend on the
    weights' scale; their products do overflow (weights near 1e306) or
    underflow to zero (weights near 1e-200) unless the scale is brought near 1
    first. A power of two changes only the exponent, so no weight is rounded.
    """
    if sample_weight is None:
        return None
    largest = sample_weight.max(initial=0.0)
    if largest == 0:
        return sample_weight
    return np.ldexp(sample_weight, -np.frexp(largest)[1])


def _weight_table(group_codes, class_codes, n_groups, n_classes, sample_weight):
    """The (n_groups, n_classes) table of factors P(g) P(c) / P(g, c).

    Cells with no weight (no rows, or rows of weight 0) get factor 0: their
    rows carry no weight, so any factor gives them weight 0.
    """
    cells = group_codes.astype(np.int64) * n_classes + class_codes
    cell_weight = np.bincount(
        cells, weights=_unit_scale(sample_weight), minlength=n_groups * n_classes
    ).reshape(n_groups, n_classes)
    return _factor_table(cell_weight)


def _factor_table(cell_weight):
    """The factors P(g) P(c) / P(g, c) of a (group, class) table of weights."""
    total = cell_weight.sum()
    if not total > 0:
        raise ValueError(
            "sample_weight sums to zero; reweighing needs some positive weight."
        )
    group_weight = cell_weight.sum(axis=1, keepdims=True)
    class_weight = cell_weight.sum(axis=0, keepdims=True)
    expected = group_weight * class_weight / total
    table = np.zeros(cell_weight.shape, dtype=np.float64)
    np.divide(expected, cell_weight, out=table, where=cell_weight > 0)
    return table


def _reweigh(y, sensitive_features, sample_weight, owner="reweighing_weights"):
    """Weights, the factor table and the group / class labels behind them."""
    classes = _class_codes(y)
    n_samples = classes.codes.shape[0]
    if sensitive_features is None:
        raise ValueError("sensitive_features is required to compute the weights.")
    check_n_samples(sensitive_features, n_samples)
    groups = encode_groups(sensitive_features)
    warn_small_cells(
        groups.codes, groups.groups, classes.codes, classes.groups, owner=owner
    )
    sample_weight = check_sample_weight_1d(sample_weight, n_samples)
    table = _weight_table(
        groups.codes, classes.codes, groups.n_groups, classes.n_groups, sample_weight
    )
    weights = table[groups.codes, classes.codes]
    if sample_weight is not None:
        with np.errstate(over="ignore"):
            weights = weights * sample_weight
        if not np.isfinite(weights).all():
            raise _overflow_error(sample_weight.max())
    return weights, table, groups.groups, classes.groups


def _overflow_error(largest_weight):
    return ValueError(
        "The reweighed weights overflow float64: sample_weight "
        f"(largest {largest_weight:.3g}) times the reweighing "
        "factors exceeds 1.8e308. Divide sample_weight by a common "
        "factor; the reweighing factors do not depend on its scale."
    )


class _CellTable:
    """One block's (group, class) table of weights, labelled for merging.

    With ``sample_weight``, ``weight`` holds the weights scaled by
    ``2 ** -exponent`` (as :func:`_unit_scale` does for the whole data, so
    that sums neither overflow nor underflow) and ``largest`` each cell's
    largest unscaled weight, for the overflow check; without, row counts.
    """

    def __init__(self, groups, classes, weight, exponent, largest):
        self.groups = groups
        self.classes = classes
        self.weight = weight
        self.exponent = exponent
        self.largest = largest


def _block_cells(y, sensitive_features, sample_weight):
    """The :class:`_CellTable` of one block of rows (None if it is empty)."""
    if len(y) == 0:
        return None
    classes = _class_codes(y)
    groups = encode_groups(sensitive_features)
    sample_weight = check_sample_weight_1d(sample_weight, len(y))
    shape = (groups.n_groups, classes.n_groups)
    cells = groups.codes.astype(np.int64) * shape[1] + classes.codes
    exponent, largest = 0, None
    if sample_weight is not None:
        top = sample_weight.max(initial=0.0)
        exponent = int(np.frexp(top)[1]) if top > 0 else 0
        sample_weight, raw = np.ldexp(sample_weight, -exponent), sample_weight
        largest = np.zeros(shape[0] * shape[1])
        np.maximum.at(largest, cells, raw)
        largest = largest.reshape(shape)
    weight = np.bincount(cells, weights=sample_weight, minlength=shape[0] * shape[1])
    return _CellTable(
        [python_label(g) for g in groups.groups],
        [python_label(c) for c in classes.groups],
        weight.reshape(shape),
        exponent,
        largest,
    )


def _aligned(table, groups, classes, values):
    """``values`` (a table over ``table``'s labels) on the labels given."""
    rows = [groups.index(g) for g in table.groups]
    cols = [classes.index(c) for c in table.classes]
    out = np.zeros((len(groups), len(classes)), dtype=values.dtype)
    out[np.ix_(rows, cols)] = values
    return out


def _merge_cells(a, b):
    """Sum two blocks' tables, matching groups and classes by label."""
    if a is None or b is None:
        return b if a is None else a
    groups = a.groups + [g for g in b.groups if g not in set(a.groups)]
    classes = a.classes + [c for c in b.classes if c not in set(a.classes)]
    exponent = max(a.exponent, b.exponent)
    weight, largest = 0, None
    for part in (a, b):
        values = _aligned(part, groups, classes, part.weight)
        if part.largest is not None:
            # A power of two: exact, as in _unit_scale.
            values = np.ldexp(values, part.exponent - exponent)
            cell_largest = _aligned(part, groups, classes, part.largest)
            largest = (
                cell_largest if largest is None else np.maximum(largest, cell_largest)
            )
        weight = weight + values
    return _CellTable(groups, classes, weight, exponent, largest)


def _block_weights(y, sensitive_features, sample_weight, table, groups, classes):
    """The weights of one block of rows from the merged factor table."""
    if len(y) == 0:
        return np.zeros(0)
    class_codes = _class_codes(y)
    group_codes = encode_groups(sensitive_features)
    group_index = {g: i for i, g in enumerate(groups)}
    class_index = {c: i for i, c in enumerate(classes)}
    rows = np.array([group_index[python_label(g)] for g in group_codes.groups])
    cols = np.array([class_index[python_label(c)] for c in class_codes.groups])
    weights = table[rows[group_codes.codes], cols[class_codes.codes]]
    sample_weight = check_sample_weight_1d(sample_weight, len(y))
    return weights if sample_weight is None else weights * sample_weight


def _dask_reweigh(y, sensitive_features, sample_weight, chunks=None):
    """:func:`_reweigh` on Dask collections: one pass for the cell table.

    Each block of rows is tabulated in memory with its own labels and the
    tables are merged by label in a tree on the cluster; the weights are a
    lazy dask array chunked like the rows (``chunks``, by default those of
    the first Dask input).
    """
    import dask
    import dask.array as da
    from dask import delayed

    if sensitive_features is None:
        raise ValueError("sensitive_features is required to compute the weights.")
    if chunks is None:
        chunks = row_chunks(y, sensitive_features, sample_weight)
    if sum(chunks) == 0:
        raise ValueError("y is empty; reweighing needs at least one row.")
    y_blocks = as_row_blocks(y, "y", chunks, max_ndim=1)
    sf_blocks = as_row_blocks(
        sensitive_features, "sensitive_features", chunks, max_ndim=2
    )
    sw_blocks = as_row_blocks(sample_weight, "sample_weight", chunks, max_ndim=1)
    parts = [
        delayed(_block_cells)(*block)
        for block in zip(y_blocks, sf_blocks, sw_blocks, strict=True)
    ]
    (cells,) = dask.compute(tree_reduce(parts, _merge_cells))
    group_order = sorted_label_order(cells.groups, "sensitive_features")
    class_order = sorted_label_order(cells.classes, "y")
    groups = [cells.groups[i] for i in group_order]
    classes = [cells.classes[i] for i in class_order]
    if len(classes) > 2:
        # Many distinct values may be a continuous target in disguise.
        _class_codes(np.asarray(classes))
    table = _factor_table(cells.weight[np.ix_(group_order, class_order)])
    if cells.largest is not None:
        largest = cells.largest[np.ix_(group_order, class_order)]
        with np.errstate(over="ignore"):
            if not np.isfinite(table * largest).all():
                raise _overflow_error(largest.max())
    blocks = [
        da.from_delayed(
            delayed(_block_weights)(*block, table, groups, classes),
            shape=(n_rows,),
            dtype=np.float64,
        )
        for n_rows, *block in zip(chunks, y_blocks, sf_blocks, sw_blocks, strict=True)
    ]
    weights = da.concatenate(blocks) if len(blocks) > 1 else blocks[0]
    return weights, table, label_array(groups), label_array(classes)


def reweighing_weights(y, *, sensitive_features, sample_weight=None):
    """Kamiran & Calders sample weights that make group and label independent.

    Each row of group ``g`` and class ``c`` gets the weight
    ``w(g, c) = P(g) P(c) / P(g, c)``, multiplied into its ``sample_weight``.
    Under these weights the weighted joint distribution of (group, class) is
    the product of its margins, so a classifier fitted with them sees no
    association between the group and the label, while each group's and each
    class's total weight is unchanged.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels. Any number of classes is supported: the formula does not
        need two, and with two it is the original method.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group labels; a 2-D input defines intersectional groups (one per
        combination of labels that occurs).
    sample_weight : array-like of shape (n_samples,), default=None
        Existing weights. The probabilities are then weighted probabilities
        (sums of weights over the total weight) and the result is
        ``sample_weight * w(g, c)``.

    Returns
    -------
    weights : ndarray or dask array of shape (n_samples,), dtype float64
        The reweighed sample weights. When any input is a Dask collection, a
        lazy dask array chunked like its rows (see Notes).

    Raises
    ------
    ValueError
        If ``y`` is not class labels, the lengths differ, ``y`` or the groups
        hold missing values, or ``sample_weight`` is invalid or sums to zero.

    Notes
    -----
    When every (group, class) combination carries weight, the weights keep
    each group's and each class's total, so they sum to the total of
    ``sample_weight`` (``n_samples`` when it is None). A combination with no
    rows, or whose rows all have ``sample_weight`` 0, has ``P(g, c) = 0``: no
    row needs its factor (rows of weight 0 keep weight 0), and the totals are
    then not kept, since the independent joint would put weight where there
    are no rows. A group whose rows all have weight 0 drops out likewise.

    **Dask.** With Dask arrays (any of the inputs; in-memory ones are split
    like them), the (group, class) table of weights is computed in one pass,
    block by block on the cluster, and merged by label; the weights are then
    a lazy dask array with the row chunks of the (first) Dask input, equal to
    the in-memory weights up to the order of floating-point sums (1e-15
    relative). See the user guide's "Scaling out with Dask".

    References
    ----------
    F. Kamiran and T. Calders, "Data preprocessing techniques for
    classification without discrimination", Knowledge and Information Systems
    33(1), 2012.

    Examples
    --------
    >>> from skfair.preprocessing import reweighing_weights
    >>> y = [1, 1, 1, 0, 1, 0, 0, 0]
    >>> sex = ["m", "m", "m", "m", "f", "f", "f", "f"]
    >>> reweighing_weights(y, sensitive_features=sex).round(3).tolist()
    [0.667, 0.667, 0.667, 2.0, 2.0, 0.667, 0.667, 0.667]
    """
    reweigh = (
        _dask_reweigh if any_dask(y, sensitive_features, sample_weight) else _reweigh
    )
    weights, _, _, _ = reweigh(y, sensitive_features, sample_weight)
    return weights


def _check_2d(X):
    """A clear error for a 1-D X, which the sensitive-column split cannot handle."""
    if len(getattr(X, "shape", ())) == 1:
        raise ValueError(
            "Expected a 2-D X (n_samples, n_features), got a 1-D array. Reshape "
            "your data with X.reshape(-1, 1) for a single feature."
        )


def _estimator_has(attr):
    """Whether the fitted (else the unfitted) inner estimator has ``attr``."""

    def check(self):
        return hasattr(getattr(self, "estimator_", self.estimator), attr)

    return check


def _estimator_name(estimator):
    return type(estimator).__name__


def _sample_weight_key(estimator, owner="Reweighing"):
    """The fit keyword that delivers sample weights to ``estimator``.

    A Pipeline takes them as ``<last step>__sample_weight`` (recursively for
    nested pipelines); any other estimator needs ``sample_weight`` in fit.
    ``owner`` names the meta-estimator in error messages.
    """
    if isinstance(estimator, Pipeline):
        name, step = estimator.steps[-1]
        if step is None or step == "passthrough":
            raise ValueError(
                f"{owner} needs a final estimator in the Pipeline to receive "
                f"the weights; its last step {name!r} is {step!r}."
            )
        return f"{name}__{_sample_weight_key(step, owner)}"
    if not has_fit_parameter(estimator, "sample_weight"):
        raise ValueError(
            f"{owner} needs an estimator whose fit accepts sample_weight; "
            f"{_estimator_name(estimator)}.fit does not."
        )
    return "sample_weight"


class Reweighing(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Fit a classifier with Kamiran & Calders reweighing.

    A meta-estimator: ``fit`` computes :func:`reweighing_weights` from the
    labels and the groups, then fits a clone of ``estimator`` with them.
    ``predict``, ``predict_proba``, ``predict_log_proba``,
    ``decision_function`` and ``score`` delegate to that fitted clone and
    exist only when ``estimator`` has them. It works inside ``Pipeline``,
    ``GridSearchCV`` and ``cross_val_score`` like any classifier.

    Parameters
    ----------
    estimator : estimator instance
        The classifier to fit with the weights. Its ``fit`` must accept
        ``sample_weight``; a :class:`~sklearn.pipeline.Pipeline` is accepted
        too and the weights go to its final step (see Notes).
    sensitive_cols : str, int, list of those, callable or None, default=None
        Column name(s) or position(s) of ``X`` that hold the groups. They are
        group labels, not features: they are removed from ``X`` before the
        inner estimator sees it, in ``fit`` and in every prediction method.
        If None, pass ``sensitive_features=`` to ``fit``; ``X`` then goes to
        the inner estimator as it is. Or a callable X -> groups (called on
        every ``X``; no column is removed).

    Attributes
    ----------
    estimator_ : estimator instance
        The clone of ``estimator`` fitted with the weights.
    classes_ : ndarray of shape (n_classes,)
        The class labels, from ``estimator_``.
    groups_ : ndarray of shape (n_groups,)
        The group labels seen in ``fit`` (tuples for intersectional groups).
    weight_factors_ : ndarray of shape (n_groups, n_classes)
        ``P(g) P(c) / P(g, c)`` for each group (rows, in ``groups_`` order)
        and class (columns, in sorted label order); 0 for an empty cell.
    n_features_in_ : int
        Number of columns of the ``X`` passed to ``fit``, sensitive columns
        included.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of ``X`` in ``fit``, if they are all strings.

    See Also
    --------
    reweighing_weights : The weights alone.
    DisparateImpactRemover : Repairs the features instead of the weights.

    Notes
    -----
    How the weights reach ``estimator``:

    - Without metadata routing (scikit-learn's default), as ``sample_weight``
      to a plain estimator, or as ``<last step>__sample_weight`` to a
      ``Pipeline``, whose final step must then accept ``sample_weight``. Any
      other keyword given to ``fit`` is passed on to ``estimator.fit``.
    - With ``sklearn.set_config(enable_metadata_routing=True)``, as
      ``sample_weight`` through scikit-learn's routing: the estimator (or the
      pipeline step that should be weighted) must request it with
      ``set_fit_request(sample_weight=True)``, otherwise ``fit`` raises. As
      with any routed metadata, other steps of a Pipeline that accept
      ``sample_weight`` need their request set too (``False`` to fit them
      unweighted). Other keywords, and a ``sensitive_features=`` keyword, are
      routed to whichever inner estimators request them.

    A ``sample_weight`` given to ``fit`` is multiplied into the weights.

    **Dask.** When ``X``, ``y``, the groups or ``sample_weight`` is a Dask
    array, the weights are computed as :func:`reweighing_weights` computes
    them on Dask (one pass, a lazy dask array chunked like ``X``'s rows) and
    ``estimator`` gets the Dask collections as they are. Only estimators that
    fit on Dask collections (dask-ml's, for instance) keep the data on the
    cluster; a scikit-learn estimator converts them to numpy, gathering the
    whole data into one process, and ``fit`` warns so with a
    ``DaskInputWarning`` naming the estimator.

    References
    ----------
    F. Kamiran and T. Calders, "Data preprocessing techniques for
    classification without discrimination", Knowledge and Information Systems
    33(1), 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfair.preprocessing import Reweighing
    >>> rng = np.random.default_rng(0)
    >>> group = rng.integers(0, 2, 200)
    >>> X = np.column_stack([group, rng.normal(size=200) + group])
    >>> y = (X[:, 1] + rng.normal(size=200) > 0.5).astype(int)
    >>> clf = Reweighing(LogisticRegression(), sensitive_cols=0).fit(X, y)
    >>> clf.estimator_.n_features_in_  # the group column is not a feature
    1
    >>> clf.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"])],
        "sensitive_cols": [None, Hashable, "array-like", callable],
    }

    def __init__(self, estimator, *, sensitive_cols=None):
        self.estimator = estimator
        self.sensitive_cols = sensitive_cols

    @keep_state_on_error
    @_fit_context(
        # Reweighing.estimator is not validated yet.
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, *, sensitive_features=None, sample_weight=None, **fit_params):
        """Fit a clone of ``estimator`` with the reweighing weights.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training data, sensitive columns included when ``sensitive_cols``
            is set.
        y : array-like of shape (n_samples,)
            Class labels.
        sensitive_features : array-like of shape (n_samples,) or \
                (n_samples, k), default=None
            Group labels, when ``sensitive_cols`` is None.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights multiplied into the reweighing weights.
        **fit_params : dict
            Passed on to ``estimator.fit`` (routed there when metadata
            routing is enabled).

        Returns
        -------
        self : object
            The fitted meta-estimator.
        """
        if y is None:
            raise ValueError(
                "Reweighing requires y to be passed, but the target y is None."
            )
        _check_2d(X)
        X_model, sens = resolve_sensitive_features(
            X,
            sensitive_cols=self.sensitive_cols,
            sensitive_features=sensitive_features,
            method="fit",
        )
        validate_data(self, X, skip_check_array=True, reset=True)
        n_samples = _num_samples(X)
        if _num_samples(y) != n_samples:
            raise ValueError(
                f"y has {_num_samples(y)} rows but X has {n_samples}; they must match."
            )
        estimator = clone(self.estimator)
        if any_dask(X, y, sens, sample_weight):
            chunks = row_chunks(X, y, sens, sample_weight)
            weights, table, groups, _ = _dask_reweigh(y, sens, sample_weight, chunks)
            check_estimator_accepts_dask(estimator, "Reweighing")
        else:
            weights, table, groups, _ = _reweigh(
                y, sens, sample_weight, owner=type(self).__name__
            )
        check_two_groups(groups, "Reweighing", n_samples=n_samples)
        # A duck-typed estimator (no BaseEstimator) cannot request metadata,
        # so it gets the weights as without routing.
        if _routing_enabled() and hasattr(estimator, "get_metadata_routing"):
            self._check_sample_weight_requested(estimator)
            routed = process_routing(
                self,
                "fit",
                sample_weight=weights,
                sensitive_features=sensitive_features,
                **fit_params,
            )
            inner_params = dict(routed["estimator"]["fit"])
        else:
            key = _sample_weight_key(estimator)
            if key in fit_params:
                raise ValueError(
                    f"{key} was passed to Reweighing.fit; pass sample_weight= "
                    "instead, it is multiplied into the reweighing weights."
                )
            inner_params = {**fit_params, key: weights}
        self.estimator_ = estimator.fit(X_model, y, **inner_params)
        self.groups_ = groups
        self.weight_factors_ = table
        return self

    def _check_sample_weight_requested(self, estimator):
        """With routing on, the weights reach only an estimator that asks."""
        consumed = get_routing_for_object(estimator).consumes(
            method="fit", params=["sample_weight"]
        )
        if "sample_weight" in consumed:
            return
        if isinstance(estimator, Pipeline) or not isinstance(
            get_routing_for_object(estimator), MetadataRouter
        ):
            # Raises the plain error if it cannot take weights at all.
            _sample_weight_key(estimator)
        raise ValueError(
            "With metadata routing enabled, Reweighing passes its weights as "
            f"sample_weight, but {_estimator_name(estimator)} does not request "
            "it: call set_fit_request(sample_weight=True) on the estimator (for "
            "a Pipeline, on the step to be weighted)."
        )

    @property
    def classes_(self):
        """Class labels, from the fitted inner estimator."""
        return self.estimator_.classes_

    def _model_input(self, X):
        """``X`` as the inner estimator sees it: without the sensitive columns."""
        check_is_fitted(self)
        _check_2d(X)
        validate_data(self, X, skip_check_array=True, reset=False)
        if self.sensitive_cols is None:
            return X
        X_model, _, _ = split_sensitive_columns(X, self.sensitive_cols)
        return X_model

    def _delegate(self, method, X, params):
        X_model = self._model_input(X)
        if _routing_enabled():
            routed = process_routing(self, method, **params)
            params = routed["estimator"][method]
        else:
            _raise_for_params(params, self, method)
        return getattr(self.estimator_, method)(X_model, **params)

    @available_if(_estimator_has("predict"))
    def predict(self, X, **params):
        """Predict class labels with the fitted inner estimator.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples, with the sensitive columns when ``sensitive_cols`` is set.
        **params : dict
            Routed to ``estimator.predict`` (metadata routing only).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        return self._delegate("predict", X, params)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X, **params):
        """Class probabilities from the fitted inner estimator.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples, with the sensitive columns when ``sensitive_cols`` is set.
        **params : dict
            Routed to ``estimator.predict_proba`` (metadata routing only).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in ``classes_`` order.
        """
        return self._delegate("predict_proba", X, params)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X, **params):
        """Log class probabilities from the fitted inner estimator.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples, with the sensitive columns when ``sensitive_cols`` is set.
        **params : dict
            Routed to ``estimator.predict_log_proba`` (metadata routing only).

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns in ``classes_`` order.
        """
        return self._delegate("predict_log_proba", X, params)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X, **params):
        """Decision function of the fitted inner estimator.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples, with the sensitive columns when ``sensitive_cols`` is set.
        **params : dict
            Routed to ``estimator.decision_function`` (metadata routing only).

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Decision scores.
        """
        return self._delegate("decision_function", X, params)

    @available_if(_estimator_has("score"))
    def score(self, X, y, sample_weight=None, **params):
        """Score of the fitted inner estimator (accuracy for a classifier).

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Samples, with the sensitive columns when ``sensitive_cols`` is set.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to ``estimator.score`` (routed, with metadata routing).
        **params : dict
            Routed to ``estimator.score`` (metadata routing only).

        Returns
        -------
        score : float
            ``estimator_.score`` on ``X`` without the sensitive columns.
        """
        X_model = self._model_input(X)
        if _routing_enabled():
            routed = process_routing(
                self, "score", sample_weight=sample_weight, **params
            )
            params = routed["estimator"]["score"]
        else:
            _raise_for_params(params, self, "score")
            if sample_weight is not None:
                params = {"sample_weight": sample_weight}
        return self.estimator_.score(X_model, y, **params)

    def get_metadata_routing(self):
        """Get metadata routing of this object.

        Reweighing consumes ``sensitive_features`` and ``sample_weight`` in
        ``fit`` itself and routes its weights, and any other metadata, to the
        inner estimator.

        Returns
        -------
        routing : MetadataRouter
            A :class:`~sklearn.utils.metadata_routing.MetadataRouter`
            encapsulating routing information.
        """
        mapping = MethodMapping().add(caller="fit", callee="fit")
        for method in (
            "predict",
            "predict_proba",
            "predict_log_proba",
            "decision_function",
            "score",
        ):
            mapping.add(caller=method, callee=method)
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(estimator=self.estimator, method_mapping=mapping)
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = inner_estimator_tags(self.estimator)
        tags.input_tags.sparse = inner.input_tags.sparse and self.sensitive_cols is None
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        if inner.classifier_tags is not None:
            tags.classifier_tags.multi_class = inner.classifier_tags.multi_class
        return tags
