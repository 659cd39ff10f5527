"""The one warning of skfair's fits about (group, label) cells too small to learn from.

A fairness constraint compares the groups' rates over cells (a group's rows,
or its rows of one label). In a cell of ``n`` rows one row moves the rate by
``1 / n``, and the rate's sampling noise is about ``0.5 / sqrt(n)``: below
~30 rows (noise ~0.09) a gap involving the cell says little about new data,
however exactly the training rows meet it. Every mitigator's fit calls
:func:`warn_small_cells` with the cells its constraint or repair uses.
"""

import warnings

import numpy as np

from ._sensitive import format_label

# Fewer rows than this in a cell: the cell's rate is mostly noise.
MIN_CELL_ROWS = 30
# The message names at most this many cells (the smallest first).
_MAX_NAMED = 5


def small_cells(codes, groups, y_codes=None, labels=None, *, min_rows=MIN_CELL_ROWS):
    """The cells with fewer than ``min_rows`` rows, smallest first.

    Parameters
    ----------
    codes : ndarray of shape (n_samples,)
        Group codes (``GroupEncoding.codes``), ``0 .. len(groups) - 1``.
    groups : array-like of shape (n_groups,)
        The group labels, for the message.
    y_codes : ndarray of shape (n_samples,), default=None
        Label codes ``0 .. len(labels) - 1``; None: the cells are the groups.
    labels : array-like, default=None
        The labels, for the message (required with ``y_codes``).
    min_rows : int, default=30
        The smallest number of rows a cell should have.

    Returns
    -------
    cells : list of (str, int)
        A description of each small cell present in the data and its number
        of rows (empty cells are left to the estimators' own errors).
    """
    codes = np.asarray(codes, dtype=np.intp)
    n_groups = len(groups)
    if y_codes is None:
        counts = np.bincount(codes, minlength=n_groups)[:, None]
        names = [[f"group {format_label(g)}"] for g in groups]
    else:
        n_labels = len(labels)
        flat = codes * n_labels + np.asarray(y_codes, dtype=np.intp)
        counts = np.bincount(flat, minlength=n_groups * n_labels).reshape(
            n_groups, n_labels
        )
        names = [
            [f"({format_label(g)}, y={format_label(label)})" for label in labels]
            for g in groups
        ]
    found = [
        (names[i][j], int(counts[i, j]))
        for i in range(counts.shape[0])
        for j in range(counts.shape[1])
        if 0 < counts[i, j] < min_rows
    ]
    return sorted(found, key=lambda cell: cell[1])


def warn_small_cells(
    codes,
    groups,
    y_codes=None,
    labels=None,
    *,
    owner,
    constraints=None,
    min_rows=MIN_CELL_ROWS,
):
    """Warn (:class:`~skfair.exceptions.SmallCellWarning`) about small cells.

    Parameters
    ----------
    codes, groups, y_codes, labels, min_rows
        As in :func:`small_cells`.
    owner : str
        The estimator's name, for the message.
    constraints : str, default=None
        The estimator's constraint: "demographic_parity" compares selection
        rates over whole groups, so the cells are then the groups, whatever
        ``y_codes``.

    Returns
    -------
    cells : list of (str, int)
        The small cells (empty: no warning).

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from skfair.utils._small_cells import warn_small_cells
    >>> codes = np.array([0] * 100 + [1] * 12)
    >>> y = np.array([0, 1] * 50 + [0] * 4 + [1] * 8)
    >>> with warnings.catch_warnings(record=True) as record:
    ...     warnings.simplefilter("always")
    ...     cells = warn_small_cells(codes, ["a", "b"], y, [0, 1], owner="Est")
    >>> cells
    [("('b', y=0)", 4), ("('b', y=1)", 8)]
    >>> print(record[0].message)  # doctest: +NORMALIZE_WHITESPACE
    Est: 2 (group, label) cells of the training rows have fewer than 30 rows:
    ('b', y=0) 4 rows, ('b', y=1) 8 rows. One row moves such a cell's rate by
    more than 1/30, so a gap that involves it is mostly noise, on these rows
    and on new ones; merge the group with a related one or leave it out of
    the groups (see the user guide's "Small groups").
    """
    from ..exceptions import SmallCellWarning

    if constraints == "demographic_parity":
        y_codes = labels = None
    cells = small_cells(codes, groups, y_codes, labels, min_rows=min_rows)
    if not cells:
        return cells
    kind = "groups" if y_codes is None else "(group, label) cells"
    if len(cells) == 1:
        kind = "group" if y_codes is None else "(group, label) cell"
    named = ", ".join(f"{name} {rows} rows" for name, rows in cells[:_MAX_NAMED])
    more = "" if len(cells) <= _MAX_NAMED else f" and {len(cells) - _MAX_NAMED} more"
    verb = "has" if len(cells) == 1 else "have"
    warnings.warn(
        f"{owner}: {len(cells)} {kind} of the training rows {verb} fewer than "
        f"{min_rows} rows: {named}{more}. One row moves such a cell's rate by "
        f"more than 1/{min_rows}, so a gap that involves it is mostly noise, on "
        "these rows and on new ones; merge the group with a related one or "
        'leave it out of the groups (see the user guide\'s "Small groups").',
        SmallCellWarning,
        stacklevel=3,
    )
    return cells
