"""In-processing: estimators that are fair by construction of their training.

:class:`ConstrainedLogisticRegression` fits an L2 logistic regression whose
groups' mean predicted probabilities are constrained, solved by sequential
convex programming with cvxpy.
"""

from ._adversarial import AdversarialDebiasing
from ._constrained_logistic import ConstrainedLogisticRegression

__all__ = ["AdversarialDebiasing", "ConstrainedLogisticRegression"]
