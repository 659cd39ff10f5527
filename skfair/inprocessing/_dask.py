"""ConstrainedLogisticRegression on Dask arrays: sums over the rows, block by block.

Everything an iteration of the sequential convex program needs of the data
is a sum over the rows: the loss, the groups' rates, the gradient and the
rates' Jacobian (``weights' @ A``), the Hessian (a weighted Gram product).
Each block of rows computes its part where it lies; the parts (at most
``n_params`` squared numbers) are summed in a tree and only the sums reach
the driver, where the convex subproblem is solved by cvxpy at the size of
the coefficient vector, exactly as in memory.

The scores ``z = A @ theta`` of the current iterate are kept on the cluster
(8 bytes a row); the rows' labels, cells and weights too (5 bytes a row
without weights). ``X`` itself is read once per trial step (the trial's
scores, its loss and rates, and the gradient and Jacobian there in one
pass) and once per fresh curvature (every few accepted steps): persist
``X`` when it fits in the cluster's memory; otherwise each pass recomputes
its blocks from their source (streaming).

The arithmetic per row is that of the in-memory program (the same scaling,
single-precision Gram and trial increments), so the iterates agree with the
in-memory fit up to the order of the sums. The exact threshold correction
needs the rows in order of score near the threshold only: it gathers the
rows whose scores lie in a window around 0 and the cells' rates above it,
and widens the window until the search ends inside it (see
``_decisions.window_thresholds``), which gives the in-memory thresholds.
"""

import numpy as np
from scipy.special import expit, log_expit
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import validate_data

from ..utils import check_sample_weight_1d, encode_groups
from ..utils._dask import (
    as_dask_array,
    as_row_blocks,
    is_dask_collection,
    label_array,
    sorted_label_order,
    tree_reduce,
)
from ..utils._sensitive import check_two_groups, python_label
from ._decisions import rate_gaps, window_thresholds
from ._problem import (
    _SINGLE_STEP_MIN_SIZE,
    _RateConstrainedLogistic,
    _weighted_gram,
    dense_design,
    soft_curvatures,
    soft_slopes,
    soft_values,
)
from ._training import (
    TrainingProblem,
    check_cells_have_weight,
    check_class_weight,
    check_total_weight,
    check_two_classes,
    constraint_slices,
)

# Rows gathered by the first window of the threshold search; each retry
# quadruples the window's half-width.
_WINDOW_ROWS = 2**16


# ---------------------------------------------------------------------------
# Validation: one pass for labels, groups, weights and the columns' moments
# ---------------------------------------------------------------------------


def _split_columns(estimator, X):
    """The model's columns and the groups of a 2-D dask ``X``."""
    cols = estimator.sensitive_cols
    if cols is None:
        return X, None
    positions = [cols] if isinstance(cols, (int, np.integer)) else cols
    if callable(cols) or not all(
        isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in positions
    ):
        raise ValueError(
            "with a Dask array X, sensitive_cols must be integer column "
            f"positions (got {cols!r}); or pass the groups as "
            "sensitive_features=."
        )
    n_columns = X.shape[1]
    positions = [
        int(c) % n_columns if -n_columns <= c < n_columns else c for c in positions
    ]
    bad = [c for c in positions if not 0 <= c < n_columns]
    if bad:
        raise ValueError(
            f"sensitive_cols {bad} out of range for X's {n_columns} columns."
        )
    keep = [c for c in range(n_columns) if c not in positions]
    groups = X[:, positions[0]] if len(positions) == 1 else X[:, positions]
    return X[:, keep], groups


def _block_summary(X, y, groups, sample_weight):
    """One block's labels, (group, label) weights and weighted column moments."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    y = y[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y has {y.shape[0]} rows in a block of {X.shape[0]}.")
    weight = check_sample_weight_1d(sample_weight, X.shape[0])
    weight = np.ones(X.shape[0]) if weight is None else weight
    encoding = encode_groups(groups)
    labels, label_codes = np.unique(y, return_inverse=True)
    cell = encoding.codes * labels.size + label_codes
    n_cells = encoding.groups.size * labels.size
    total_weight = np.bincount(cell, weights=weight, minlength=n_cells)
    largest = np.zeros(n_cells)
    np.maximum.at(largest, cell, weight)
    cells = {}
    for k in np.flatnonzero(np.bincount(cell, minlength=n_cells)):
        g, c = divmod(int(k), labels.size)
        key = (python_label(encoding.groups[g]), python_label(labels[c]))
        cells[key] = (total_weight[k], largest[k])
    total = weight.sum()
    mean = weight @ X / total if total > 0 else np.zeros(X.shape[1])
    spread = weight @ (X - mean) ** 2
    finite = bool(np.isfinite(X).all())
    return dict(cells=cells, total=total, mean=mean, spread=spread, finite=finite)


def _merge_summaries(a, b):
    """Merge two summaries (Chan et al.'s update for the moments)."""
    cells = dict(a["cells"])
    for key, (weight, largest) in b["cells"].items():
        old = cells.get(key, (0.0, 0.0))
        cells[key] = (old[0] + weight, max(old[1], largest))
    total = a["total"] + b["total"]
    if total > 0:
        delta = b["mean"] - a["mean"]
        mean = a["mean"] + delta * (b["total"] / total)
        spread = (
            a["spread"] + b["spread"] + delta**2 * (a["total"] * b["total"] / total)
        )
    else:
        mean, spread = a["mean"], a["spread"] + b["spread"]
    return dict(
        cells=cells,
        total=total,
        mean=mean,
        spread=spread,
        finite=a["finite"] and b["finite"],
    )


def _sorted_labels(labels, name):
    labels = list(labels)
    return label_array([labels[i] for i in sorted_label_order(labels, name)])


def _check_target(labels):
    """The checks of the in-memory fit, on the distinct labels of y."""
    distinct = np.asarray(labels)
    check_classification_targets(distinct)
    y_type = type_of_target(distinct, input_name="y")
    if y_type not in ("binary", "multiclass") or distinct.size > 2:
        raise ValueError(
            "Only binary classification is supported. The type of the target "
            f"is {'multiclass' if y_type == 'binary' else y_type}."
        )
    check_two_classes(distinct)


def _scaling(summary, n_features, fit_intercept):
    """``_problem._column_scaling`` from the merged moments."""
    total = summary["total"]
    if fit_intercept:
        mean = summary["mean"]
        square = summary["spread"] / total
    else:
        mean = np.zeros(n_features)
        square = summary["spread"] / total + summary["mean"] ** 2
    scale = np.sqrt(square)
    scale[~(scale > 1e-12 * (1.0 + np.abs(mean)))] = 1.0
    return mean, scale


def _block_rows(y, groups, sample_weight, positive_label, group_index, slices):
    """A block's compact rows: labels 0/1, cell codes, weights (or None)."""
    y = np.asarray(y)
    y = y[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y
    y01 = (y == positive_label).astype(np.int8)
    encoding = encode_groups(groups)
    local = np.array([group_index[python_label(g)] for g in encoding.groups])
    codes = local[encoding.codes]
    n_groups = len(group_index)
    cell = np.full(y01.shape[0], -1, dtype=np.int32)
    for k, label in enumerate(slices):
        rows = np.ones(y01.shape[0], dtype=bool) if label is None else y01 == label
        cell[rows] = k * n_groups + codes[rows]
    weight = check_sample_weight_1d(sample_weight, y01.shape[0])
    return y01, cell, weight


def dask_training_problem(estimator, X, y, sample_weight, sensitive_features):
    """Validate Dask input (one pass); the smooth program on its blocks."""
    import dask

    if not is_dask_collection(X):
        raise ValueError(
            "ConstrainedLogisticRegression got Dask y, sample_weight or "
            "sensitive_features with an in-memory X; pass X as a Dask array "
            "too (its row chunks set the blocks)."
        )
    X = as_dask_array(X, "X")
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D Dask array; got shape {X.shape}.")
    X_model, groups = _split_columns(estimator, X)
    if groups is None:
        if sensitive_features is None:
            raise ValueError(
                "ConstrainedLogisticRegression.fit needs the groups: pass "
                "sensitive_features= (or set sensitive_cols)."
            )
        groups = sensitive_features
    elif sensitive_features is not None:
        raise ValueError(
            "sensitive_cols is set, so the groups come from X; do not also "
            "pass sensitive_features=."
        )
    validate_data(estimator, X, skip_check_array=True, reset=True)
    X_model = X_model.rechunk({1: -1})
    chunks = X_model.chunks[0]
    X_blocks = list(X_model.to_delayed().ravel())
    y_blocks = as_row_blocks(y, "y", chunks, max_ndim=1)
    group_blocks = as_row_blocks(groups, "sensitive_features", chunks, max_ndim=2)
    weight_blocks = as_row_blocks(sample_weight, "sample_weight", chunks, max_ndim=1)
    delayed = dask.delayed
    parts = [
        delayed(_block_summary)(*block)
        for block in zip(X_blocks, y_blocks, group_blocks, weight_blocks, strict=True)
        if block[0] is not None
    ]
    (summary,) = dask.compute(tree_reduce(parts, _merge_summaries))
    if not summary["finite"]:
        raise ValueError("Input X contains NaN or infinity.")
    classes = _sorted_labels({label for _, label in summary["cells"]}, "y")
    _check_target(classes)
    group_labels = _sorted_labels({group for group, _ in summary["cells"]}, "groups")
    encode_groups(group_labels)  # the in-memory checks of the labels
    check_two_groups(group_labels, type(estimator).__name__, n_samples=sum(chunks))
    n_groups = len(group_labels)
    group_index = {python_label(g): i for i, g in enumerate(group_labels)}
    class_index = {python_label(c): i for i, c in enumerate(classes)}
    weight = np.zeros((n_groups, 2))
    largest = np.zeros((n_groups, 2))
    for (group, label), (total, top) in summary["cells"].items():
        g, c = group_index[group], class_index[label]
        weight[g, c], largest[g, c] = total, top
    check_total_weight(summary["total"])
    check_class_weight(weight.sum(axis=0), classes)
    slices = constraint_slices(estimator.constraints)
    cell_weight = np.array(
        [weight.sum(axis=1) if label is None else weight[:, label] for label in slices]
    )
    cell_largest = np.array(
        [
            largest.max(axis=1) if label is None else largest[:, label]
            for label in slices
        ]
    )
    check_cells_have_weight(cell_weight, estimator.constraints, group_labels, classes)
    rows = dask.persist(
        *[
            delayed(_block_rows)(yb, gb, wb, classes[1], group_index, slices)
            for yb, gb, wb in zip(y_blocks, group_blocks, weight_blocks, strict=True)
        ]
    )
    mean, scale = _scaling(summary, X_model.shape[1], estimator.fit_intercept)
    model = _DaskRateConstrainedLogistic(
        X_blocks,
        list(rows),
        n_rows=X_model.shape[0],
        mean=mean,
        feature_scale=scale,
        total_weight=summary["total"],
        base_rate=weight[:, 1].sum() / summary["total"],
        cell_weight=cell_weight.ravel(),
        rate_step=float((cell_largest / cell_weight).max()),
        C=estimator.C,
        fit_intercept=estimator.fit_intercept,
    )
    return TrainingProblem(
        model=model,
        classes=classes,
        groups=group_labels,
        n_groups=n_groups,
        n_slices=len(slices),
        raw_scores=model.raw_scores,
    )


# ---------------------------------------------------------------------------
# The program's sums, block by block (per-block arguments first)
# ---------------------------------------------------------------------------


class _BlockScores:
    """Scores of the training rows, one (delayed or persisted) part per block.

    ``scores - t`` shifts them lazily (the threshold correction).
    ``first_order`` holds the gradient and Jacobian sums at these scores when
    the pass that made them computed those too.
    """

    def __init__(self, blocks, first_order=None):
        self.blocks = blocks
        self.first_order = first_order

    def __sub__(self, shift):
        import dask

        return _BlockScores([dask.delayed(np.subtract)(z, shift) for z in self.blocks])


class _Rows:
    """A block's per-row weights, from its compact rows (see ``_block_rows``)."""

    def __init__(self, rows, program):
        self.y01, self.cell, weight = rows
        total_weight, cell_weight = program["total_weight"], program["cell_weight"]
        weight = np.ones(self.y01.shape[0]) if weight is None else weight
        self.loss_weight = weight / total_weight
        in_cell = self.cell >= 0
        self.share = np.zeros(weight.shape[0])
        self.share[in_cell] = weight[in_cell] / cell_weight[self.cell[in_cell]]
        self.n_cells = cell_weight.size

    def cell_sums(self, values):
        """Per cell, the sum of ``share * values`` (the cells' rates)."""
        in_cell = self.cell >= 0
        return np.bincount(
            self.cell[in_cell],
            weights=self.share[in_cell] * values[in_cell],
            minlength=self.n_cells,
        )


def _block_design(X, program):
    scaling = program["scaling"]
    return dense_design(np.asarray(X, dtype=np.float64), *scaling)


def _block_scores(X, theta, program):
    return _block_design(X, program) @ theta


def _block_raw_scores(X, coef, intercept):
    return np.asarray(X, dtype=np.float64) @ coef + intercept


def _block_step_scores(X, z, step, program):
    A = _block_design(X, program)
    if program["single"]:
        return z + A.astype(np.float32) @ step.astype(np.float32)
    return z + A @ step


def _block_sums(X, rows, z, with_first_order, program):
    """The block's loss, cells' soft-decision sums and, if asked, first order."""
    rows = _Rows(rows, program)
    loss = rows.loss_weight @ (np.logaddexp(0.0, z) - rows.y01 * z)
    parts = [np.atleast_1d(loss)]
    parts += [rows.cell_sums(soft_values(z, t)) for t in program["temperatures"]]
    if with_first_order:
        parts.append(_first_order_sums(X, rows, z, program).ravel())
    return np.concatenate(parts)


def _block_scores_and_sums(X, rows, z, program):
    """A trial's scores and their sums: one read of the block for both."""
    return z, _block_sums(X, rows, z, True, program)


def _first_order_sums(X, rows, z, program):
    """``weights' @ A``, weights [loss residual, share * rate slope per cell]."""
    temperatures = program["temperatures"]
    weights = np.zeros((z.size, 1 + rows.n_cells * len(temperatures)))
    weights[:, 0] = rows.loss_weight * (expit(z) - rows.y01)
    in_cell = np.flatnonzero(rows.cell >= 0)
    for block, temperature in enumerate(temperatures):
        slopes = soft_slopes(z[in_cell], temperature)
        columns = 1 + block * rows.n_cells + rows.cell[in_cell]
        weights[in_cell, columns] = rows.share[in_cell] * slopes
    return weights.T @ _block_design(X, program)


def _block_first_order(X, rows, z, program):
    return _first_order_sums(X, _Rows(rows, program), z, program)


def _block_hessian(X, rows, z, multipliers, program):
    """The block's part of ``_RateConstrainedLogistic.lagrangian_hessian``."""
    rows = _Rows(rows, program)
    proba = expit(z)
    row_weight = rows.loss_weight * proba * (1.0 - proba)
    temperatures = program["temperatures"]
    if multipliers is not None and np.any(multipliers):
        in_cell = rows.cell >= 0
        per_block = np.split(multipliers, len(temperatures))
        for temperature, block in zip(temperatures, per_block, strict=True):
            if temperature is not None and np.any(block):
                per_row = np.zeros(z.size)
                per_row[in_cell] = rows.share[in_cell] * block[rows.cell[in_cell]]
                row_weight = row_weight + per_row * soft_curvatures(z, temperature)
    A = _block_design(X, program).astype(np.float32)
    return _weighted_gram(A, row_weight.astype(np.float32)).astype(np.float64)


def _block_decisions(rows, z, program):
    """Cells' sums of the decisions and of the soft decisions; positive weight."""
    rows = _Rows(rows, program)
    positive = (z > 0).astype(np.float64)
    return np.concatenate(
        [
            rows.cell_sums(positive),
            rows.cell_sums(soft_values(z, program["temperatures"][0])),
            [rows.loss_weight @ positive],
        ]
    )


def _block_window(rows, z, width, program):
    """Rows with ``|z| <= width``, the cells' rates above them, the neighbours."""
    rows = _Rows(rows, program)
    inside = np.abs(z) <= width
    above = z > width
    below = z < -width
    return dict(
        z=z[inside],
        cell=rows.cell[inside].astype(np.intp),
        share=rows.share[inside],
        base=rows.cell_sums(above.astype(np.float64)),
        above=z[above].min() if above.any() else np.inf,
        below=z[below].max() if below.any() else -np.inf,
        largest=np.abs(z).max() if z.size else 0.0,
    )


def _merge_windows(a, b):
    return dict(
        z=np.concatenate([a["z"], b["z"]]),
        cell=np.concatenate([a["cell"], b["cell"]]),
        share=np.concatenate([a["share"], b["share"]]),
        base=a["base"] + b["base"],
        above=min(a["above"], b["above"]),
        below=max(a["below"], b["below"]),
        largest=max(a["largest"], b["largest"]),
    )


def _first(pair):
    return pair[0]


def _second(pair):
    return pair[1]


class _DaskRateConstrainedLogistic(_RateConstrainedLogistic):
    """``_RateConstrainedLogistic`` whose sums over the rows run on Dask blocks.

    Scores are ``_BlockScores``; every method returns what the in-memory
    program's does (numbers and small arrays, on the driver).
    """

    def __init__(
        self,
        X_blocks,
        rows,
        *,
        n_rows,
        mean,
        feature_scale,
        total_weight,
        base_rate,
        cell_weight,
        rate_step,
        C,
        fit_intercept,
    ):
        self.X_blocks, self.rows, self.n_rows = X_blocks, rows, n_rows
        self.n_features = mean.size
        self.fit_intercept = fit_intercept
        self.mean, self.feature_scale = mean, feature_scale
        self.n_params = self.n_features + fit_intercept
        self._start_program(C, total_weight, cell_weight.size, base_rate)
        self.total_weight = total_weight
        self.cell_weight = cell_weight
        self._rate_step = rate_step
        # The in-memory rule of step_scores (single-precision increments).
        self._single = n_rows * self.n_params >= _SINGLE_STEP_MIN_SIZE

    def _program(self):
        """What every block function needs besides its rows (small)."""
        return dict(
            scaling=(self.mean, self.feature_scale, self.fit_intercept),
            total_weight=self.total_weight,
            cell_weight=self.cell_weight,
            temperatures=self.temperatures,
            single=self._single,
        )

    def _map(self, fn, *per_block, extra=()):
        """Delayed ``fn(block args..., *extra, program)`` for every block."""
        import dask

        program = self._program()
        return [
            dask.delayed(fn)(*args, *extra, program)
            for args in zip(*per_block, strict=True)
        ]

    def _sum(self, fn, *per_block, extra=(), merge=np.add):
        import dask

        (total,) = dask.compute(
            tree_reduce(self._map(fn, *per_block, extra=extra), merge)
        )
        return total

    # -- the in-memory program's interface ---------------------------------

    def scores(self, theta):
        return _BlockScores(self._map(_block_scores, self.X_blocks, extra=(theta,)))

    def raw_scores(self, coef, intercept):
        import dask

        return _BlockScores(
            [dask.delayed(_block_raw_scores)(X, coef, intercept) for X in self.X_blocks]
        )

    def step_scores(self, z, step):
        return _BlockScores(
            self._map(_block_step_scores, self.X_blocks, z.blocks, extra=(step,))
        )

    def evaluate(self, theta, z=None):
        """Objective, rates and (persisted) scores, with the first order there.

        The trial's gradient and Jacobian come in the pass that computes its
        scores, loss and rates: one read of ``X`` per trial step, and an
        accepted step needs no other.
        """
        import dask

        z = self.scores(theta) if z is None else z
        tasks = dask.persist(
            *self._map(_block_scores_and_sums, self.X_blocks, self.rows, z.blocks)
        )
        (sums,) = dask.compute(
            tree_reduce([dask.delayed(_second)(task) for task in tasks], np.add)
        )
        n_rates = self.n_cells * len(self.temperatures)
        loss = sums[0] + 0.5 * theta @ (self.reg * theta)
        rates = sums[1 : 1 + n_rates]
        rates[: self.n_cells] -= self.rate_offsets
        products = sums[1 + n_rates :].reshape(1 + n_rates, self.n_params)
        blocks = [dask.delayed(_first)(task) for task in tasks]
        return loss, rates, _BlockScores(blocks, products)

    def objective(self, theta, z):
        sums = self._sum(
            _block_sums, self.X_blocks, self.rows, z.blocks, extra=(False,)
        )
        return sums[0] + 0.5 * theta @ (self.reg * theta)

    def first_order(self, theta, z):
        products = z.first_order
        if products is None:
            products = self._sum(_block_first_order, self.X_blocks, self.rows, z.blocks)
        return products[0] + self.reg * theta, np.ascontiguousarray(products[1:])

    def lagrangian_hessian(self, z, multipliers):
        hessian = self._sum(
            _block_hessian, self.X_blocks, self.rows, z.blocks, extra=(multipliers,)
        )
        hessian[np.diag_indices_from(hessian)] += self.reg
        return hessian

    # -- the decisions' bound ---------------------------------------------

    def _decision_sums(self, z):
        sums = self._sum(_block_decisions, self.rows, z.blocks)
        n = self.n_cells
        return sums[:n], sums[n : 2 * n], float(sums[2 * n])

    def decision_rates(self, z):
        return self._decision_sums(z)[0]

    def decision_gaps(self, z, n_slices):
        return rate_gaps(self._decision_sums(z)[0], n_slices)

    def rate_step(self, n_slices):
        return self._rate_step

    def offsets_to_decisions(self, z):
        decided, smooth, _ = self._decision_sums(z)
        return smooth - decided

    def positive_share(self, z):
        return self._decision_sums(z)[2]

    def feasible_thresholds(self, z, n_slices, bounds):
        """The in-memory thresholds, from windows of rows around 0.

        The first window's half-width would hold about ``_WINDOW_ROWS`` rows
        were the scores spread evenly up to the largest; it quadruples until
        the search on both sides ends inside it.
        """
        import dask

        z = _BlockScores(list(dask.persist(*z.blocks)))
        probe = self._window(z, -1.0)  # no row inside: just the largest |z|
        width = max(probe["largest"], 1e-300) * min(1.0, _WINDOW_ROWS / self.n_rows)
        while True:
            window = self._window(z, width)
            thresholds, ended = window_thresholds(
                window["z"],
                window["cell"],
                window["share"],
                window["base"],
                n_slices,
                bounds,
                above=None if np.isinf(window["above"]) else window["above"],
                below=None if np.isinf(window["below"]) else window["below"],
            )
            if all(ended):
                return thresholds
            width *= 4.0

    def _window(self, z, width):
        return self._sum(
            _block_window, self.rows, z.blocks, extra=(width,), merge=_merge_windows
        )


# ---------------------------------------------------------------------------
# Predictions: the in-memory methods, block by block
# ---------------------------------------------------------------------------


def _block_output(X, estimator, method):
    scores = np.asarray(X, dtype=np.float64) @ estimator.coef_[0]
    scores += estimator.intercept_[0]
    if method == "decision_function":
        return scores
    if method == "predict":
        return estimator.classes_[(scores > 0).astype(np.intp)]
    if method == "predict_proba":
        positive = expit(scores)
        return np.column_stack([1.0 - positive, positive])
    return np.column_stack([log_expit(-scores), log_expit(scores)])


def dask_scores(estimator, X, method):
    """``estimator.method(X)`` for a Dask array ``X``: a lazy dask array."""
    X = as_dask_array(X, "X")
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D Dask array; got shape {X.shape}.")
    validate_data(estimator, X, skip_check_array=True, reset=False)
    X_model, _ = _split_columns(estimator, X)
    if X_model.shape[1] != estimator.coef_.shape[1]:
        raise ValueError(
            f"X has {X_model.shape[1]} model features, but "
            f"ConstrainedLogisticRegression was fitted with "
            f"{estimator.coef_.shape[1]}."
        )
    X_model = X_model.rechunk({1: -1})
    two_columns = method in ("predict_proba", "predict_log_proba")
    dtype = estimator.classes_.dtype if method == "predict" else np.float64
    return X_model.map_blocks(
        _block_output,
        estimator,
        method,
        dtype=dtype,
        drop_axis=None if two_columns else 1,
        chunks=(X_model.chunks[0], (2,)) if two_columns else (X_model.chunks[0],),
    )
