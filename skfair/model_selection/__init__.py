"""Model selection under fairness constraints.

Helpers for choosing among models on the accuracy / fairness trade-off, and
estimators whose fairness bound is certified on held-out rows.
"""

__all__ = []
