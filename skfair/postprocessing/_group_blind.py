"""The threshold LP of group-blind post-processing: rules per inferred group.

A group model predicts each row's group ``h`` from its features; the decision
of a row is a randomized threshold rule of its score chosen by ``h``: with
probability ``lambda_{h,j}`` the rule "positive iff score >= t_{h,j}". The
candidate thresholds of inferred group ``h`` are one per distinct training
score among the rows the group model assigns to ``h`` (halfway to the next
lower score, the lowest one being -inf: "always") plus +inf ("never"): every
deterministic threshold rule on those rows, so mixtures of them are every
randomized threshold rule on them.

The constraints are on the TRUE groups: the expected true positive count of
true group ``g`` is ``sum_h sum_j lambda_{h,j} TP_{h,j,g}``, where
``TP_{h,j,g}`` is the weight of the positives of true group ``g`` among the
rows inferred ``h`` with score >= ``t_{h,j}``; likewise false positives and
selections. Every rate of every true group, and the expected cost, are
therefore linear in the weights, and the program is the same LP as
:class:`~skfair.postprocessing._lp._ThresholdProgram` (one lower and upper
bound per constrained rate, ``hi - lo <= tolerance``, one-sided rate-bound
rows), over these weights instead of ROC hull vertices. No hull is taken:
with several true groups inside one inferred group a threshold's point lives
in a space of 2 x n_groups counts, and every threshold stays a candidate.
The rows that tie the rates to the weights are sparse (an inferred group's
thresholds above its first row of true group ``g`` have zero counts for
``g``) and number ``2 x n_groups`` per rate, so HiGHS solves the program
with tens of thousands of thresholds in about a second.
"""

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ._lp import _ThresholdProgram
from ._roc import _group_then_descending_score_order, _midpoint


@dataclass(frozen=True)
class InferredGroupThresholds:
    """Candidate thresholds of one inferred group and their counts per true group.

    ``thresholds`` decrease from +inf ("never") to -inf ("always");
    ``true_positives[j, g]`` and ``false_positives[j, g]`` are the weights
    of the positives and negatives of true group ``g`` among the rows of
    this inferred group with score >= ``thresholds[j]``.
    """

    thresholds: np.ndarray
    true_positives: np.ndarray
    false_positives: np.ndarray

    @property
    def n_thresholds(self):
        return self.thresholds.size


def inferred_group_thresholds(scores, y01, weights, inferred, true, n_groups):
    """The candidate thresholds of every inferred group (see the module doc).

    Parameters
    ----------
    scores : ndarray of shape (n_samples,)
        Finite scores.
    y01 : ndarray of shape (n_samples,)
        1 for positives, 0 for negatives.
    weights : ndarray of shape (n_samples,) or None
        Non-negative row weights.
    inferred, true : ndarray of shape (n_samples,), int
        Inferred and true group code of each row, in ``range(n_groups)``.
    n_groups : int
        Number of groups.

    Returns
    -------
    thresholds : list of InferredGroupThresholds
        One per inferred group code; a code no row is inferred to has the
        two thresholds +inf and -inf with zero counts.
    """
    w = np.ones(scores.size) if weights is None else np.asarray(weights, float)
    keep = w > 0  # zero-weight rows move no count
    scores, y01, w = scores[keep], y01[keep], w[keep]
    inferred, true = inferred[keep], true[keep]
    order = _group_then_descending_score_order(scores, inferred, n_groups)
    s, h, g = scores[order], inferred[order], true[order]
    pos, wt = y01[order].astype(bool), w[order]
    n = s.size
    # One column per (true group, label): positives 0..G-1, negatives G..2G-1.
    column = np.where(pos, g, n_groups + g)
    step = sparse.csr_matrix(
        (wt, (np.arange(n), column)), shape=(n, 2 * n_groups)
    ).toarray()
    last_of_group = np.ones(n, dtype=bool)
    last_of_group[:-1] = h[1:] != h[:-1]
    block_end = last_of_group.copy()
    block_end[:-1] |= s[1:] != s[:-1]
    out = []
    starts = np.flatnonzero(np.concatenate(([True], last_of_group[:-1]))) if n else []
    by_code = {}
    for start in starts:
        code = int(h[start])
        stop = int(np.flatnonzero(last_of_group[start:])[0]) + start + 1
        cum = np.cumsum(step[start:stop], axis=0)
        ends = np.flatnonzero(block_end[start:stop])
        thr = np.full(ends.size, -np.inf)
        inner = ends[:-1] + start
        thr[:-1] = _midpoint(s[inner + 1], s[inner])
        counts = np.vstack([np.zeros(2 * n_groups), cum[ends]])
        by_code[code] = InferredGroupThresholds(
            thresholds=np.concatenate(([np.inf], thr)),
            true_positives=counts[:, :n_groups],
            false_positives=counts[:, n_groups:],
        )
    empty = np.zeros((2, n_groups))
    for code in range(n_groups):
        out.append(
            by_code.get(
                code,
                InferredGroupThresholds(
                    np.array([np.inf, -np.inf]), empty.copy(), empty.copy()
                ),
            )
        )
    return out


def _rate_matrix(blocks, rate, n_positives, n_negatives):
    """(n_thresholds_total, n_groups): each threshold's rate of each true group."""
    tp = np.vstack([b.true_positives for b in blocks])
    fp = np.vstack([b.false_positives for b in blocks])
    with np.errstate(divide="ignore", invalid="ignore"):
        if rate == "true_positive_rate":
            return tp / n_positives
        if rate == "false_positive_rate":
            return fp / n_negatives
        return (tp + fp) / (n_positives + n_negatives)


class GroupBlindProgram(_ThresholdProgram):
    """The LP over mixture weights per inferred group; rates on true groups.

    Same interface as :class:`_ThresholdProgram` (``solve``, ``diagnose``,
    ``rate_row``, ``weights``): ``RateBound.group`` is a TRUE group.
    """

    def __init__(self, blocks, costs, rates, tolerance):
        n_groups = blocks[0].true_positives.shape[1]
        self.blocks = blocks
        self.n_groups = n_groups
        self.sizes = sizes = np.array([b.n_thresholds for b in blocks])
        self.n_lambda = n_lambda = int(sizes.sum())
        self.starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        block_of = np.repeat(np.arange(len(blocks)), sizes)
        tp = np.vstack([b.true_positives for b in blocks])
        fp = np.vstack([b.false_positives for b in blocks])
        self.n_positives = n_pos = sum(b.true_positives[-1] for b in blocks)
        self.n_negatives = n_neg = sum(b.false_positives[-1] for b in blocks)
        n_rates = len(rates)
        self.n_vars = n_vars = n_lambda + 2 * n_rates

        # Totals of each inferred group (over true groups) for the cost.
        tp_all, fp_all = tp.sum(axis=1), fp.sum(axis=1)
        pos_h = np.array([b.true_positives[-1].sum() for b in blocks])[block_of]
        neg_h = np.array([b.false_positives[-1].sum() for b in blocks])[block_of]
        self.c = np.zeros(n_vars)
        self.c[:n_lambda] = (
            costs["fp"] * fp_all
            + costs["tn"] * (neg_h - fp_all)
            + costs["tp"] * tp_all
            + costs["fn"] * (pos_h - tp_all)
        )
        self.a_eq = sparse.csr_matrix(
            (np.ones(n_lambda), (block_of, np.arange(n_lambda))),
            shape=(len(blocks), n_vars),
        )
        self.b_eq = np.ones(len(blocks))

        self._rates = {
            rate: _rate_matrix(blocks, rate, n_pos, n_neg)
            for rate in ("true_positive_rate", "false_positive_rate", "selection_rate")
        }
        # Rate k, true group g: rate - hi <= 0 (row 2(kG + g)), lo - rate <= 0
        # (row 2(kG + g) + 1); last rows: hi - lo <= tolerance.
        blocks_ub = []
        for k, rate in enumerate(rates):
            coef = sparse.csc_matrix(np.nan_to_num(self._rates[rate]).T)
            lo_hi = np.zeros((n_groups, 2 * n_rates))
            lo_hi[:, 2 * k + 1] = -1.0
            upper = sparse.hstack([coef, sparse.csr_matrix(lo_hi)])
            lo_hi = np.zeros((n_groups, 2 * n_rates))
            lo_hi[:, 2 * k] = 1.0
            lower = sparse.hstack([-coef, sparse.csr_matrix(lo_hi)])
            blocks_ub += [upper, lower]
        if n_rates:
            gap = np.zeros((n_rates, n_vars))
            for k in range(n_rates):
                gap[k, n_lambda + 2 * k + 1] = 1.0
                gap[k, n_lambda + 2 * k] = -1.0
            self.a_ub = sparse.vstack([*blocks_ub, sparse.csr_matrix(gap)]).tocsr()
            self.b_ub = np.zeros(self.a_ub.shape[0])
            self.b_ub[-n_rates:] = tolerance
        else:
            self.a_ub = sparse.csr_matrix((0, n_vars))
            self.b_ub = np.zeros(0)

    def rate_row(self, group, rate):
        """The row vector of TRUE group ``group``'s ``rate`` in the variables."""
        row = np.zeros(self.n_vars)
        row[: self.n_lambda] = np.nan_to_num(self._rates[rate][:, group])
        return row

    def true_group_rates(self, weights, rate):
        """Each true group's expected ``rate`` under per-inferred-group weights."""
        return np.concatenate(weights) @ self._rates[rate]
