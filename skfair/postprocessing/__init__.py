"""Post-processing: fair decisions from the scores of a fitted model.

:class:`ThresholdOptimizer` finds group-specific randomized thresholds under a
fairness constraint (Hardt, Price & Srebro, 2016) by an exact linear program,
for binary and multiclass targets. :class:`BarycenterRegressor` moves a
regressor's predictions to the Wasserstein barycenter of the groups'
prediction distributions (demographic parity for regression).
"""

from ._barycenter import BarycenterRegressor
from ._threshold_optimizer import ThresholdOptimizer

__all__ = ["BarycenterRegressor", "ThresholdOptimizer"]
