"""Per-group ROC curves and their upper convex hulls, from one sort of the scores.

A deterministic rule "predict positive iff score >= t" can only take as many
distinct operating points on the training data as there are distinct scores in
a group (plus "never"), so the candidate points of a group are the cumulative
(weighted) counts of negatives and positives at the end of each block of equal
scores, in decreasing score order. Rows tied on a score always fall on the same
side of such a threshold; splitting a tie is a randomisation, which the mixing
of two vertices (in ``_lp``) already covers.

Everything is kept in weighted-count space (false positives, true positives)
rather than rates: the counts are what both the objective and the constraints
are linear in, and a group without positives or negatives stays well defined.
"""

from dataclasses import dataclass

import numpy as np
from scipy.spatial import ConvexHull


@dataclass(frozen=True)
class GroupROCHull:
    """Vertices of one group's ROC convex hull, in weighted-count space.

    Vertex ``v`` is the rule "positive iff score >= thresholds[v]"; on the
    training data it predicts positive a weight ``false_positives[v]`` of the
    group's negatives and ``true_positives[v]`` of its positives. Vertices are
    ordered by decreasing threshold: the first is "never" (threshold +inf) and
    the last is "always" (threshold -inf).
    """

    false_positives: np.ndarray
    true_positives: np.ndarray
    thresholds: np.ndarray
    n_negatives: float
    n_positives: float

    @property
    def n_vertices(self):
        return self.thresholds.size

    @property
    def fpr(self):
        """False positive rate of each vertex (NaN if the group has no negatives)."""
        if self.n_negatives <= 0:
            return np.full(self.n_vertices, np.nan)
        return self.false_positives / self.n_negatives

    @property
    def tpr(self):
        """True positive rate of each vertex (NaN if the group has no positives)."""
        if self.n_positives <= 0:
            return np.full(self.n_vertices, np.nan)
        return self.true_positives / self.n_positives


def _midpoint(lower, upper):
    """A threshold t with lower < t <= upper, halfway where floats allow."""
    # 0.5 * a + 0.5 * b cannot overflow; rounding may land on an end point, in
    # which case the upper score itself still separates the two blocks.
    mid = 0.5 * lower + 0.5 * upper
    bad = ~((mid > lower) & (mid <= upper))
    mid[bad] = upper[bad]
    return mid


def _group_then_descending_score_order(scores, codes, n_groups):
    """Row order by group code, and within a group by decreasing score."""
    # Two sorts beat one np.lexsort by ~3x: a quicksort of the scores, then a
    # stable sort of the (small-integer) codes, which numpy does by radix.
    by_score = np.argsort(-scores)
    small = np.uint16 if n_groups <= np.iinfo(np.uint16).max else np.int64
    by_group = np.argsort(codes[by_score].astype(small, copy=False), kind="stable")
    return by_score[by_group]


def group_roc_points(scores, y01, sample_weight, codes, n_groups):
    """Candidate ROC points of every group, from one lexicographic sort.

    Parameters
    ----------
    scores : ndarray of shape (n_samples,), float
        Finite scores; larger means more likely positive.
    y01 : ndarray of shape (n_samples,)
        1 for positives, 0 for negatives.
    sample_weight : ndarray of shape (n_samples,) or None
        Non-negative weights.
    codes : ndarray of shape (n_samples,), int
        Group code of each row, in ``range(n_groups)``.
    n_groups : int
        Number of groups.

    Returns
    -------
    points : list of tuple (false_positives, true_positives, thresholds)
        For each group, its candidate points in decreasing threshold order,
        starting with "never" (0, 0, +inf) and ending with "always" (-inf).
    """
    if sample_weight is not None and not (sample_weight > 0).all():
        # Zero-weight rows move no ROC point; dropping them keeps every block
        # of equal scores strictly heavier than zero, so no duplicate points.
        keep = sample_weight > 0
        scores, y01, codes = scores[keep], y01[keep], codes[keep]
        sample_weight = sample_weight[keep]

    order = _group_then_descending_score_order(scores, codes, n_groups)
    sorted_scores = scores[order]
    sorted_codes = codes[order]
    positive = y01[order]
    n = sorted_scores.size
    if sample_weight is None:
        # Integer counts are exact in float64 (below 2**53 rows).
        cum_tp = np.cumsum(positive, dtype=np.float64)
        cum_fp = np.arange(1.0, n + 1.0) - cum_tp
    else:
        weight = sample_weight[order]
        tp_step = weight * positive
        # Adding non-negative steps never decreases a float sum, so counts
        # stay monotone within a group and differences below are >= 0.
        cum_tp = np.cumsum(tp_step)
        cum_fp = np.cumsum(weight - tp_step)

    last_of_group = np.ones(n, dtype=bool)
    last_of_group[:-1] = sorted_codes[1:] != sorted_codes[:-1]
    block_end = last_of_group.copy()
    block_end[:-1] |= sorted_scores[1:] != sorted_scores[:-1]

    ends = np.flatnonzero(block_end)
    end_group = sorted_codes[ends]
    group_last = np.flatnonzero(last_of_group)
    tp_before = np.zeros(n_groups)
    fp_before = np.zeros(n_groups)
    if group_last.size:
        present = sorted_codes[group_last]
        tp_before[present[1:]] = cum_tp[group_last[:-1]]
        fp_before[present[1:]] = cum_fp[group_last[:-1]]
    true_positives = cum_tp[ends] - tp_before[end_group]
    false_positives = cum_fp[ends] - fp_before[end_group]

    # A block's vertex separates its score from the next lower score of the
    # same group; the group's last block is "always" (-inf), so that at
    # predict time scores below anything seen in fit are still covered.
    thresholds = np.full(ends.size, -np.inf)
    inner = ~last_of_group[ends]
    inner_ends = ends[inner]
    thresholds[inner] = _midpoint(
        sorted_scores[inner_ends + 1], sorted_scores[inner_ends]
    )

    bounds = np.zeros(n_groups + 1, dtype=np.intp)
    np.cumsum(np.bincount(end_group, minlength=n_groups), out=bounds[1:])
    points = []
    for g in range(n_groups):
        sl = slice(bounds[g], bounds[g + 1])
        if bounds[g] == bounds[g + 1]:
            # No row of positive weight: "never" and "always" coincide.
            fp = np.zeros(2)
            tp = np.zeros(2)
            thr = np.array([np.inf, -np.inf])
        else:
            fp = np.concatenate(([0.0], false_positives[sl]))
            tp = np.concatenate(([0.0], true_positives[sl]))
            thr = np.concatenate(([np.inf], thresholds[sl]))
        points.append((fp, tp, thr))
    return points


def _drop_locally_concave(fpr, tpr, candidates):
    """Drop candidates on or below the segment joining their two neighbours.

    Such a point lies in the convex hull of other points (its neighbours and
    the bottom edge), so it is not a hull vertex, and removing any set of
    non-vertices leaves the hull unchanged; all are dropped at once.
    """
    x, y = fpr[candidates], tpr[candidates]
    # Cross product of (p - a) and (b - a) for a, p, b consecutive: negative
    # iff p is strictly above the line from a to b (a strict "right turn").
    cross = (x[1:-1] - x[:-2]) * (y[2:] - y[:-2]) - (y[1:-1] - y[:-2]) * (
        x[2:] - x[:-2]
    )
    keep = np.ones(candidates.size, dtype=bool)
    keep[1:-1] = cross < 0
    return candidates[keep]


def _upper_hull_indices(fpr, tpr):
    """Indices of the vertices of the upper-left ROC hull, in curve order.

    ``fpr`` and ``tpr`` are non-decreasing, start at (0, 0) and end at (1, 1).
    Vectorised passes drop points that are not locally convex; a chain with
    only strict right turns is concave, hence it is the hull, and on ROC
    curves each pass roughly halves the candidates. Passes that stop paying
    off (contrived curves can need one pass per point) hand the rest to Qhull.
    """
    # Exact duplicates (a block whose weight is lost to rounding) would each
    # look redundant next to the other and vanish together; keep one.
    moved = np.ones(fpr.size, dtype=bool)
    moved[1:] = (np.diff(fpr) != 0) | (np.diff(tpr) != 0)
    moved[-1] = True
    candidates = np.flatnonzero(moved)
    while candidates.size > 2:
        remaining = _drop_locally_concave(fpr, tpr, candidates)
        if remaining.size == candidates.size:
            return candidates
        shrunk_enough = remaining.size <= 0.75 * candidates.size
        candidates = remaining
        if not shrunk_enough:
            return _qhull_upper_chain(fpr, tpr, candidates)
    return candidates


def _qhull_upper_chain(fpr, tpr, candidates):
    """Upper-left hull of the candidate points, by Qhull, in O(n log n).

    Adding the corner (1, 0) makes the point set full-dimensional (a triangle
    at least), and every vertex of its convex hull but that corner lies on the
    upper-left chain from (0, 0) to (1, 1).
    """
    m = candidates.size
    points = np.empty((m + 1, 2))
    points[:m, 0] = fpr[candidates]
    points[:m, 1] = tpr[candidates]
    points[m] = (1.0, 0.0)
    vertices = ConvexHull(points).vertices
    vertices = vertices[vertices < m]
    # The end points are extreme in directions (-1, -1) and (1, 1); include
    # them explicitly so that rounding inside Qhull can never drop them.
    return candidates[np.union1d(vertices, [0, m - 1])]


def roc_hull(false_positives, true_positives, thresholds):
    """Reduce one group's candidate points to the vertices of its ROC hull.

    Parameters
    ----------
    false_positives, true_positives, thresholds : ndarray
        One group's candidate points, as returned by :func:`group_roc_points`.

    Returns
    -------
    hull : GroupROCHull
    """
    n_negatives = float(false_positives[-1])
    n_positives = float(true_positives[-1])
    if n_negatives > 0 and n_positives > 0:
        keep = _upper_hull_indices(
            false_positives / n_negatives, true_positives / n_positives
        )
    else:
        # Only one of the two rates exists; every value of it is a mixture of
        # "never" and "always".
        keep = np.array([0, thresholds.size - 1])
    return GroupROCHull(
        false_positives=false_positives[keep],
        true_positives=true_positives[keep],
        thresholds=thresholds[keep],
        n_negatives=n_negatives,
        n_positives=n_positives,
    )


def group_roc_hulls(scores, y01, sample_weight, codes, n_groups):
    """ROC hull of every group; see :func:`group_roc_points` for the arguments."""
    return [
        roc_hull(*points)
        for points in group_roc_points(scores, y01, sample_weight, codes, n_groups)
    ]
