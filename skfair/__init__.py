"""skfair: fairness estimators that behave exactly like scikit-learn estimators.

Subpackages
-----------
metrics
    Group-fairness metrics from one weighted pass over (group, y_true, y_pred)
    cells, and scorers for hyperparameter search.
preprocessing
    :class:`~skfair.preprocessing.Reweighing`,
    :func:`~skfair.preprocessing.reweighing_weights` and
    :class:`~skfair.preprocessing.DisparateImpactRemover`.
inprocessing
    :class:`~skfair.inprocessing.ConstrainedLogisticRegression`.
postprocessing
    :class:`~skfair.postprocessing.ThresholdOptimizer`.
reductions
    :class:`~skfair.reductions.ExponentiatedGradient` and
    :class:`~skfair.reductions.GridSearch`: fair classifiers from any
    estimator that takes sample weights.
model_selection
    Choosing models on the accuracy / fairness trade-off, and certified
    fairness bounds on new data.
datasets
    Bundled UCI Adult and German Credit, usable offline.
exceptions
    skfair's warning and error classes.
"""

import importlib

__version__ = "0.1.0.dev0"

_SUBPACKAGES = [
    "datasets",
    "inprocessing",
    "exceptions",
    "metrics",
    "model_selection",
    "postprocessing",
    "preprocessing",
    "reductions",
    "utils",
]

__all__ = ["__version__", *_SUBPACKAGES]


def __getattr__(name):
    # Subpackages load on first use (``skfair.metrics``), as in scikit-learn, so
    # ``import skfair`` stays cheap: cvxpy is imported only by inprocessing.
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return __all__
