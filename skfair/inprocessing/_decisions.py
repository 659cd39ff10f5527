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

# Positions scanned per block: bounds the (n_cells, block) array in memory.
_BLOCK_CELLS = 2**22


def rate_gaps(rates, n_slices):
    """Largest minus smallest group rate, per label slice."""
    per_slice = rates.reshape(n_slices, -1)
    return per_slice.max(axis=1) - per_slice.min(axis=1)


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


def row_cells(cells):
    """Each row's cell (``-1`` for none) and its share of that cell's weight."""
    n_samples = cells.shape[1]
    coo = sp.coo_matrix(cells)
    # Each row of the data is in at most one cell.
    cell_of_row = np.full(n_samples, -1, dtype=np.intp)
    share_of_row = np.zeros(n_samples)
    cell_of_row[coo.col] = coo.row
    share_of_row[coo.col] = coo.data
    return cell_of_row, share_of_row


def _scan_gaps(cell_of_row, share_of_row, base_rates, n_slices):
    """Gaps per slice when the first ``k`` rows (in the given order) are positive.

    ``base_rates`` are the cells' rates before the first row turns positive.
    Returns an array of shape (n_rows + 1, n_slices).
    """
    n_cells, n_rows = base_rates.size, cell_of_row.size
    gaps = np.zeros((n_rows + 1, n_slices))
    per_slice = base_rates.reshape(n_slices, -1)
    gaps[0] = per_slice.max(axis=1) - per_slice.min(axis=1)
    running = base_rates.astype(np.float64)
    block = max(1, _BLOCK_CELLS // max(n_cells, 1))
    for start in range(0, n_rows, block):
        stop = min(start + block, n_rows)
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
    cell_of_row, share_of_row = row_cells(cells)
    thresholds, _ = window_thresholds(
        z,
        cell_of_row,
        share_of_row,
        np.zeros(cells.shape[0]),
        n_slices,
        bounds,
    )
    return thresholds


def window_thresholds(
    z, cell_of_row, share_of_row, base_rates, n_slices, bounds, above=None, below=None
):
    """``feasible_threshold`` on a window of rows around the threshold 0.

    The window holds the rows whose scores lie between ``below`` and
    ``above`` (exclusive; ``None``: no row beyond), which must surround 0;
    ``base_rates`` are the cells' rates of the rows above the window (all
    positive whatever threshold in the window). Returns the thresholds and,
    per side (below 0, above 0), whether the search ended inside the window
    (a feasible threshold found, or the last row of the data reached): where
    it did not, only a wider window can tell.
    """
    order = np.argsort(-z, kind="stable")
    ordered = z[order]
    feasible = np.all(
        _scan_gaps(cell_of_row[order], share_of_row[order], base_rates, n_slices)
        <= bounds + 1e-12,
        axis=1,
    )
    # Position k (the first k rows positive) is a threshold only between two
    # distinct scores: tied rows cross together.
    extended = np.concatenate(
        [
            [np.inf if above is None else above],
            ordered,
            [-np.inf if below is None else below],
        ]
    )
    lower_scores = extended[1:]
    separation = np.where(
        np.isfinite(lower_scores), 1e-9 * (1.0 + np.abs(lower_scores)), 0.0
    )
    distinct = extended[:-1] - lower_scores > separation
    candidates = np.flatnonzero(feasible & distinct)
    current = int(np.count_nonzero(z > 0))
    if feasible[current] and distinct[current]:
        return [0.0], (True, True)
    lower = candidates[candidates < current]  # fewer positives: t above 0
    higher = candidates[candidates > current]
    picks = ([lower[-1]] if lower.size else []) + ([higher[0]] if higher.size else [])
    thresholds = [_threshold_at(extended, k) for k in picks]
    ended = (bool(lower.size) or above is None, bool(higher.size) or below is None)
    return thresholds, ended


def _threshold_at(extended, k):
    """Halfway between the ``k``-th and ``k+1``-th scores of ``extended``.

    ``extended`` holds the window's scores in decreasing order between the
    scores just above and just below it (infinite past the data's ends, where
    the threshold is put just beyond the last score instead).
    """
    first, second = extended[k], extended[k + 1]
    if np.isinf(first):
        return float(second + 1e-6 * (1.0 + abs(second)))
    if np.isinf(second):
        return float(first - 1e-6 * (1.0 + abs(first)))
    return float(0.5 * (first + second))
