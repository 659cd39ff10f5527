"""The one place where skfair reaches into scikit-learn's private API.

scikit-learn's own estimators, and most third-party ones, use these helpers;
they have no public equivalent, and their paths or behaviour may change
between releases without deprecation. Every skfair module imports them from
here, never from scikit-learn's private paths, so that a change in a new
release is fixed once, in this file. The oldest release they are checked
against is the ``scikit-learn`` floor of ``pyproject.toml``, which CI installs
in its minimum-versions environment (``.ci/min-versions.txt``).

* ``_fit_context``: the decorator of ``fit`` that validates the parameters
  against ``_parameter_constraints`` and sets up nested validation
  (``sklearn.base``, 1.3+).
* ``HasMethods``, ``Interval``, ``StrOptions``: parameter constraints
  (``sklearn.utils._param_validation``, 1.2+).
* ``_raise_for_params``, ``_routing_enabled``: metadata-routing helpers of
  meta-estimators (``sklearn.utils.metadata_routing``, 1.4+).
* ``_num_samples``: the number of rows of any array-like, DataFrame or
  sparse matrix without converting it (``sklearn.utils.validation``).
* ``_safe_indexing``: rows (or columns) of any array-like, DataFrame or
  sparse matrix by position, without converting it (``sklearn.utils``).
* ``_get_output_config``: the ``set_output`` configuration an estimator
  uses (``sklearn.utils._set_output``, 1.2+).
* ``_Scorer``: the class of :func:`sklearn.metrics.make_scorer`'s objects,
  subclassed by skfair's scorers so that search tools route metadata to them
  as to any scorer (``sklearn.metrics._scorer``, 1.4+).
"""

from sklearn.base import _fit_context
from sklearn.metrics._scorer import _Scorer
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.metadata_routing import _raise_for_params, _routing_enabled
from sklearn.utils.validation import _num_samples

__all__ = [
    "HasMethods",
    "Interval",
    "StrOptions",
    "_Scorer",
    "_fit_context",
    "_get_output_config",
    "_num_samples",
    "_raise_for_params",
    "_routing_enabled",
    "_safe_indexing",
]
