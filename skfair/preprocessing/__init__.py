"""Preprocessing: reweighing and the disparate impact remover.

- :func:`reweighing_weights` and :class:`Reweighing` (Kamiran & Calders, 2012):
  sample weights under which group and label are independent, and a
  meta-estimator that fits a classifier with them.
- :class:`DisparateImpactRemover` (Feldman et al., 2015): repairs numeric
  features so that their distribution is the same in every group.
- :class:`CorrelationRemover`: removes the features' linear correlation with
  the (one-hot) groups.
- :class:`FairResampler` (Kamiran & Calders, 2012): uniform or preferential
  resampling of the training rows (``fit_resample``).
"""

from ._correlation_remover import CorrelationRemover
from ._disparate_impact import DisparateImpactRemover
from ._resampler import FairResampler
from ._reweighing import Reweighing, reweighing_weights

__all__ = [
    "CorrelationRemover",
    "DisparateImpactRemover",
    "FairResampler",
    "Reweighing",
    "reweighing_weights",
]
