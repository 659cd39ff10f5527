"""ThresholdOptimizer on Dask arrays: an exact, mergeable summary of the scores.

A group's ROC points depend on the rows only through, for each distinct score
of the group, the weight of its positives and of its negatives (the rule
"positive iff score >= t" cannot split rows with equal scores). That table is
additive: each block of rows is scored by the prefit estimator and tabulated
on the cluster, and the driver merges the blocks' tables by group label and
score (not a worker: the merged table may outgrow a worker's memory limit).
The driver then holds one (score, positive weight, negative weight) row per
distinct score of each group, at most the number of training rows and far
fewer when the scores repeat (a tree model, rounded probabilities), and fits
the rules exactly as the in-memory path does on rows: the ROC points, hull
vertices and thresholds are the same, so is the linear program.

``predict`` and ``predict_proba`` map the in-memory methods over the blocks of
rows: a row's decision depends on the row and the seed only, so the blocks
give the in-memory decisions.
"""

import numpy as np

from ..utils import check_sample_weight_1d, encode_groups
from ..utils._dask import (
    as_row_blocks,
    label_array,
    row_chunks,
    sorted_label_order,
)
from ..utils._sensitive import (
    GroupEncoding,
    check_two_groups,
    format_label,
    python_label,
)
from ..utils._validation import _check_labels_present


def _labels_1d(y):
    y = np.asarray(y)
    return y[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y


def _block_summary(estimator, X, y, sensitive_features, sample_weight):
    """One block's labels of y and, per group, its distinct-score table.

    Returns ``(labels, {group: (scores, positive_weight, negative_weight)})``
    with ``scores`` sorted and unique; ``None`` for an empty block.
    """
    if len(y) == 0:
        return None
    y = _labels_1d(y)
    _check_labels_present(y)
    labels = {python_label(label) for label in np.unique(y)}
    if not labels <= {python_label(c) for c in estimator.classes_}:
        return labels, {}  # the driver raises, naming the labels
    scores = estimator._scores(X)
    if scores.shape[0] != y.shape[0]:
        raise ValueError(
            f"the wrapped estimator's scores have {scores.shape[0]} rows for a "
            f"block of {y.shape[0]}; they must match."
        )
    weights = check_sample_weight_1d(sample_weight, y.shape[0])
    weights = np.ones(y.shape[0]) if weights is None else weights
    positive = y == estimator.classes_[1]
    groups = encode_groups(sensitive_features)
    table = {}
    for code, group in enumerate(groups.groups):
        rows = groups.codes == code
        table[python_label(group)] = _score_table(
            scores[rows], positive[rows], weights[rows]
        )
    return labels, table


def _score_table(scores, positive, weights):
    """Sorted distinct scores and the weight of their positives and negatives."""
    distinct, cell = np.unique(scores, return_inverse=True)
    pos = np.bincount(cell, weights=weights * positive, minlength=distinct.size)
    total = np.bincount(cell, weights=weights, minlength=distinct.size)
    return distinct, pos, total - pos


def _merge_summaries(summaries):
    """Merge the blocks' summaries by group label, then by score, at once.

    Each group's tables are concatenated and their distinct scores found by
    one sort: ``O(d log d)`` for ``d`` (block, distinct score) entries, where
    pairwise merges in a tree would sort the growing tables at every level.
    """
    summaries = [summary for summary in summaries if summary is not None]
    if not summaries:
        return None
    labels = set().union(*(labels for labels, _ in summaries))
    per_group = {}
    for _, tables in summaries:
        for group, table in tables.items():
            per_group.setdefault(group, []).append(table)
    merged = {}
    for group, tables in per_group.items():
        if len(tables) == 1:
            merged[group] = tables[0]
            continue
        scores, pos, neg = (
            np.concatenate(parts) for parts in zip(*tables, strict=True)
        )
        distinct, cell = np.unique(scores, return_inverse=True)
        merged[group] = (
            distinct,
            np.bincount(cell, pos, distinct.size),
            np.bincount(cell, neg, distinct.size),
        )
    return labels, merged


def _fit_classes(estimator):
    """The two classes, from the prefit estimator (needed to score a block)."""
    classes = getattr(estimator, "classes_", None)
    if classes is None or len(classes) != 2:
        raise ValueError(
            "On Dask input ThresholdOptimizer reads the two classes from the "
            "prefit estimator's classes_, which it needs to score each block; "
            f"{type(estimator).__name__} has "
            + ("no classes_." if classes is None else f"classes_ {list(classes)}.")
        )
    return np.unique(np.asarray(classes))


def fit_on_dask(
    optimizer, X, X_model, raw_groups, y, sample_weight, sensitive_features
):
    """Fit ``optimizer``'s binary rules on Dask input, in one pass over the data."""
    import dask

    if not optimizer.prefit:
        raise ValueError(
            "ThresholdOptimizer fits on Dask input only with prefit=True: fit "
            "the estimator first (for instance on a sample, or with a Dask-aware "
            "library), then pass it with prefit=True; the scores are then "
            "computed block by block on the cluster."
        )
    if raw_groups is None:  # pragma: no cover - resolve_sensitive_features raises
        raise ValueError("ThresholdOptimizer needs the sensitive features.")
    optimizer.estimator_ = optimizer._fit_estimator(
        X, X_model, y, sample_weight, sensitive_features, {}
    )
    optimizer.classes_ = _fit_classes(optimizer.estimator_)
    optimizer.score_method_ = optimizer._find_score_method()

    chunks = row_chunks(X, y, raw_groups, sample_weight)
    blocks = zip(
        as_row_blocks(X_model, "X", chunks, max_ndim=2),
        as_row_blocks(y, "y", chunks, max_ndim=1),
        as_row_blocks(raw_groups, "sensitive_features", chunks, max_ndim=2),
        as_row_blocks(sample_weight, "sample_weight", chunks, max_ndim=1),
        strict=True,
    )
    parts = [dask.delayed(_block_summary)(optimizer, *block) for block in blocks]
    # The blocks' summaries are merged where the merged one is needed, on the
    # driver: a merge on a worker would hold both halves and the result (at
    # the root, three times the driver's final summary) within one worker's
    # memory limit; 20 million continuous scores overflowed 1.5 GB workers.
    summary = _merge_summaries(dask.compute(*parts))
    if summary is None:
        raise ValueError("y is empty; ThresholdOptimizer needs training rows.")
    labels, tables = summary
    _check_labels(labels, optimizer.classes_)

    group_labels = list(tables)
    order = sorted_label_order(group_labels, "sensitive_features")
    optimizer.groups_ = label_array([group_labels[i] for i in order])
    check_two_groups(optimizer.groups_, type(optimizer).__name__, n_samples=sum(chunks))
    scores, y01, weights, codes = _weighted_rows(
        [tables[group_labels[i]] for i in order]
    )
    encoding = GroupEncoding(codes=codes, groups=optimizer.groups_)
    costs = optimizer._objective_costs(y01, weights)
    rate_bounds = optimizer._check_rates(y01, weights, encoding)
    optimizer._fit_rules(scores, y01, weights, codes, costs, rate_bounds)
    return optimizer


def _weighted_rows(tables):
    """The groups' summaries as weighted rows, in group order.

    A positive row per distinct score with positive weight there, a negative
    row per score with negative weight (and, for a score of no weight at all,
    its positive row, so that every distinct score stays a threshold
    candidate as in memory). Continuous scores have one label per score:
    about one row each, half of the two rows per score a plain expansion
    would give (zero-weight rows change no ROC point).
    """
    parts = []
    for code, (score, positive, negative) in enumerate(tables):
        keep_positive = (positive > 0) | ~(negative > 0)
        keep_negative = negative > 0
        for keep, label, weight in (
            (keep_positive, 1, positive),
            (keep_negative, 0, negative),
        ):
            n_kept = int(keep.sum())
            parts.append(
                (
                    score[keep],
                    np.full(n_kept, label, dtype=np.int8),
                    weight[keep],
                    np.full(n_kept, code, dtype=np.intp),
                )
            )
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))


def _check_labels(labels, classes):
    """y must hold exactly the two classes of the prefit estimator."""
    known = [python_label(c) for c in classes]
    unknown = sorted(labels - set(known), key=str)
    if unknown:
        raise ValueError(
            f"y holds label {format_label(unknown[0])}; on Dask input y must "
            f"hold the prefit estimator's two classes {known} (binary "
            "classification; multiclass y needs in-memory data)."
        )
    missing = [c for c in known if c not in labels]
    if missing:
        raise ValueError(
            f"y holds one class only ({sorted(labels, key=str)}); "
            "ThresholdOptimizer needs both classes."
        )


def _block_output(optimizer, method, X, sensitive_features):
    return getattr(optimizer, method)(X, sensitive_features=sensitive_features)


def predict_on_dask(optimizer, method, X, sensitive_features):
    """``optimizer.<method>`` mapped over the row blocks: a lazy dask array."""
    import dask
    import dask.array as da

    chunks = row_chunks(X, sensitive_features)
    X_blocks = as_row_blocks(X, "X", chunks, max_ndim=2)
    sf_blocks = as_row_blocks(
        sensitive_features, "sensitive_features", chunks, max_ndim=2
    )
    if method == "predict":
        tail, dtype = (), np.asarray(optimizer.classes_).dtype
    else:
        tail, dtype = (len(optimizer.classes_),), np.float64
    parts = [
        da.from_delayed(
            dask.delayed(_block_output)(optimizer, method, Xb, sb),
            shape=(n_rows, *tail),
            dtype=dtype,
        )
        for n_rows, Xb, sb in zip(chunks, X_blocks, sf_blocks, strict=True)
    ]
    return da.concatenate(parts) if len(parts) > 1 else parts[0]
