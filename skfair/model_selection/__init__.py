"""Model selection under fairness constraints.

Helpers for choosing among models on the accuracy / fairness trade-off, and
estimators whose fairness bound is certified on held-out rows.
"""

from ._high_confidence import HighConfidenceFairClassifier
from ._refit import most_accurate_within

__all__ = ["HighConfidenceFairClassifier", "most_accurate_within"]
