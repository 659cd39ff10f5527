"""Post-processing: fair decisions from the scores of a fitted model.

:class:`ThresholdOptimizer` finds group-specific randomized thresholds under a
fairness constraint (Hardt, Price & Srebro, 2016) by an exact linear program,
for binary and multiclass targets. :class:`BarycenterRegressor` moves a
regressor's predictions to the Wasserstein barycenter of the groups'
prediction distributions (demographic parity for regression).
:class:`RejectOptionClassifier` (Kamiran, Karim & Zhang, 2012) favours the
deprived group in a critical region around the decision boundary.
:class:`CalibratedEqualizedOdds` (Pleiss et al., 2017) equalizes a
generalized error rate while keeping the scores calibrated.
"""

from ._barycenter import BarycenterRegressor
from ._calibrated_eq_odds import CalibratedEqualizedOdds
from ._reject_option import RejectOptionClassifier
from ._threshold_optimizer import ThresholdOptimizer

__all__ = [
    "BarycenterRegressor",
    "CalibratedEqualizedOdds",
    "RejectOptionClassifier",
    "ThresholdOptimizer",
]
