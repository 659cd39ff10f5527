"""Reductions: fair classifiers from any estimator that takes sample weights.

:class:`ExponentiatedGradient` and :class:`GridSearch` implement the reductions
of Agarwal et al. (2018): a fairness-constrained classification problem is
solved by a sequence of cost-sensitive fits of the wrapped estimator.
"""

from ._exponentiated_gradient import ExponentiatedGradient
from ._grid_search import GridSearch

__all__ = ["ExponentiatedGradient", "GridSearch"]
