"""The groups' rates of hard decisions, and the exact threshold correction.

A linear model's decisions are ``z > t`` for its scores ``z`` and a
threshold ``t`` (0 for ``predict``). As ``t`` sweeps from above the largest
score to below the smallest, the rows turn positive one by one in order of
score, so every group's rate on every label slice is a step function of the
number of positive rows; both ends (no row positive, every row positive) give
every group the same rate. ``feasible_threshold`` scans all thresholds at once
with cumulative sums and returns the one closest to 0 on either side that
meets the bounds; the caller picks the side of smaller loss.
"""

import numpy as np
import scipy.sparse as sp

from ._scp import rate_gaps

# Positions scanned per block: bounds the (n_cells, block) array in memory.
_BLOCK_CELLS = 2**22


def decision_rates(cells, z):
    """Each cell's (weighted) rate of the decisions ``z > 0``."""
    return cells @ (z > 0).astype(np.float64)


def decision_gaps(cells, z, n_slices):
    """Largest minus smallest group rate of the decisions ``z > 0``, per slice."""
    return rate_gaps(decision_rates(cells, z), n_slices)


def rate_steps(cells, n_slices):
    """Per slice, the largest change one row makes to one group's rate.

    Rates move in such steps, so a gap below this cannot always be met by a
    nonconstant classifier (unweighted: one over the smallest group's number
    of rows in the slice).
    """
    largest_share = cells.max(axis=1).toarray().ravel()
    return largest_share.reshape(n_slices, -1).max(axis=1)


def _scan_gaps(cells, order, n_slices):
    """Gaps per slice when the first ``k`` rows of ``order`` are positive.

    Returns an array of shape (n_samples + 1, n_slices).
    """
    n_cells, n_samples = cells.shape
    coo = sp.coo_matrix(cells)
    # Each row of the data is in at most one cell: its cell and its share.
    cell_of_row = np.full(n_samples, -1, dtype=np.intp)
    share_of_row = np.zeros(n_samples)
    cell_of_row[coo.col] = coo.row
    share_of_row[coo.col] = coo.data
    cell_of_row, share_of_row = cell_of_row[order], share_of_row[order]
    gaps = np.zeros((n_samples + 1, n_slices))
    running = np.zeros(n_cells)
    block = max(1, _BLOCK_CELLS // max(n_cells, 1))
    for start in range(0, n_samples, block):
        stop = min(start + block, n_samples)
        in_cell = cell_of_row[start:stop] >= 0
        steps = np.zeros((n_cells, stop - start))
        steps[cell_of_row[start:stop][in_cell], np.flatnonzero(in_cell)] = share_of_row[
            start:stop
        ][in_cell]
        rates = running[:, None] + np.cumsum(steps, axis=1)
        per_slice = rates.reshape(n_slices, -1, stop - start)
        gaps[start + 1 : stop + 1] = (per_slice.max(axis=1) - per_slice.min(axis=1)).T
        running = rates[:, -1]
    return gaps


def feasible_threshold(cells, z, n_slices, bounds):
    """Thresholds nearest to 0 whose decisions ``z > t`` meet the gap bounds.

    Parameters
    ----------
    cells : sparse matrix of shape (n_cells, n_samples)
        ``cells[c, i]`` is row ``i``'s share of cell ``c``'s weight.
    z : ndarray of shape (n_samples,)
        Decision-function values.
    n_slices : int
    bounds : ndarray of shape (n_slices,)
        Largest allowed gap per slice.

    Returns
    -------
    thresholds : list of float
        ``[0.0]`` if the decisions at 0 meet the bounds; otherwise the
        feasible thresholds nearest to 0 from below and from above (one of
        them at least exists: no row positive, or every row positive). Each
        lies halfway between two distinct scores, so that rounding cannot
        move a row across it.
    """
    order = np.argsort(-z, kind="stable")
    ordered = z[order]
    feasible = np.all(_scan_gaps(cells, order, n_slices) <= bounds + 1e-12, axis=1)
    # Position k (the first k rows positive) is a threshold only between two
    # distinct scores: tied rows cross together.
    separation = 1e-9 * (1.0 + np.abs(ordered))
    distinct = np.ones(z.size + 1, dtype=bool)
    distinct[1:-1] = ordered[:-1] - ordered[1:] > separation[1:]
    candidates = np.flatnonzero(feasible & distinct)
    current = int(np.count_nonzero(z > 0))
    if feasible[current] and distinct[current]:
        return [0.0]
    below = candidates[candidates < current]
    above = candidates[candidates > current]
    picks = ([below[-1]] if below.size else []) + ([above[0]] if above.size else [])
    thresholds = []
    for k in picks:
        if k == 0:
            thresholds.append(float(ordered[0] + 1e-6 * (1.0 + abs(ordered[0]))))
        elif k == z.size:
            thresholds.append(float(ordered[-1] - 1e-6 * (1.0 + abs(ordered[-1]))))
        else:
            thresholds.append(float(0.5 * (ordered[k - 1] + ordered[k])))
    return thresholds
