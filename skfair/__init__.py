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
datasets
    Bundled UCI Adult and German Credit, usable offline.
"""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
