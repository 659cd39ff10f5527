"""Randomized binary decisions: reproducible draws and their expected accuracy.

Shared by the estimators whose decisions are randomized
(:class:`~skfair.postprocessing.ThresholdOptimizer`,
:class:`~skfair.reductions.ExponentiatedGradient`): a row's draw is a hash of
the row and the seed (:func:`~skfair.utils._row_hash.row_uniforms`), never
its position in the batch.
"""

from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state

from ._row_hash import row_uniforms
from ._sensitive import check_n_samples, format_label
from ._validation import check_sample_weight_1d


def prediction_seed(random_state):
    """The seed of one call to predict: the int itself, else a fresh draw."""
    if isinstance(random_state, Integral):
        return int(random_state)
    rng = check_random_state(random_state)
    return int(rng.randint(np.iinfo(np.int32).max))


def randomized_decisions(p, X, random_state):
    """Positive decisions drawn with probabilities ``p``, one hash per row of ``X``.

    Row ``i`` is positive iff ``u_i < p_i`` with ``u`` from
    :func:`row_uniforms` of ``X`` and the seed of ``random_state``; rows with
    ``p`` 0 or 1 need no draw. Returns a boolean array.
    """
    positive = p >= 1.0
    randomized = (p > 0.0) & (p < 1.0)
    if randomized.any():
        u = row_uniforms(X, prediction_seed(random_state))
        positive |= randomized & (u < p)
    return positive


def expected_accuracy(p, y, classes, sample_weight=None):
    """Expected accuracy of randomized decisions.

    ``p`` is either 1-D, each row's probability of the positive class
    ``classes[1]`` (binary decisions), or 2-D, each row's probability of
    each of ``classes`` (columns in that order). ``y`` must hold labels of
    ``classes`` (a ValueError names the first other one).
    """
    y_arr = np.asarray(y)
    if y_arr.ndim == 2 and y_arr.shape[1] == 1:
        y_arr = y_arr[:, 0]
    n_samples = p.shape[0]
    check_n_samples(y_arr, n_samples, name="y")
    unknown = ~np.isin(y_arr, classes)
    if unknown.any():
        raise ValueError(
            f"y holds label {format_label(y_arr[unknown][0])}, which is not "
            f"one of the classes seen in fit {classes.tolist()}."
        )
    weights = check_sample_weight_1d(sample_weight, n_samples)
    if p.ndim == 1:
        correct = np.where(y_arr == classes[1], p, 1.0 - p)
    else:
        correct = p[np.arange(n_samples), np.searchsorted(classes, y_arr)]
    return float(np.average(correct, weights=weights))
