"""Post-processing: fair decisions from the scores of a fitted model.

:class:`ThresholdOptimizer` finds group-specific randomized thresholds under a
fairness constraint (Hardt, Price & Srebro, 2016) by an exact linear program.
"""

from ._threshold_optimizer import ThresholdOptimizer

__all__ = ["ThresholdOptimizer"]
