"""Model selection under fairness constraints.

Helpers for choosing among models on the accuracy / fairness trade-off, and
estimators whose fairness bound is certified on held-out rows.
"""

from ._high_confidence import HighConfidenceFairClassifier

__all__ = ["HighConfidenceFairClassifier"]
