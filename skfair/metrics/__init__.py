"""Group-fairness metrics from one weighted pass, and scorers for model search.

Every metric is a cheap function of a small ``(n_groups, 2, 2)`` table of
weighted (group, y_true, y_pred) counts built in a single blocked
``np.bincount`` pass, so the metrics are fast on large data, accept dask arrays
(counted block by block) and agree with fairlearn's functions of the same name.

The metrics need numpy alone; ``make_fairness_scorer`` (scikit-learn's scorer
machinery) is imported on first use, so that the metrics, and the command-line
audit built on them, do not pay scikit-learn's import time (about 2 s of CPU,
most of it scipy.stats).
"""

from ._audit_report import audit_report
from ._bootstrap import bootstrap_ci
from ._certified import gap_confidence_interval, gap_upper_bound
from ._counterfactual import counterfactual_flip_rate
from ._fairness import (
    average_odds_difference,
    count,
    demographic_parity_difference,
    demographic_parity_ratio,
    disparate_impact_ratio,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_negative_rate,
    false_positive_rate,
    mean_prediction,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)
from ._metric_frame import MetricFrame, make_derived_metric
from ._multiclass import (
    multiclass_demographic_parity_difference,
    multiclass_equalized_odds_difference,
)
from ._plot import plot_metric_frame
from ._regression import (
    ks_distance_between_groups,
    loss_gap_between_groups,
    mean_difference_between_groups,
    wasserstein_distance_between_groups,
)
from ._report import group_report

__all__ = [
    "MetricFrame",
    "audit_report",
    "average_odds_difference",
    "bootstrap_ci",
    "count",
    "counterfactual_flip_rate",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "disparate_impact_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "false_negative_rate",
    "false_positive_rate",
    "gap_confidence_interval",
    "gap_upper_bound",
    "group_report",
    "ks_distance_between_groups",
    "loss_gap_between_groups",
    "make_derived_metric",
    "make_fairness_scorer",
    "mean_difference_between_groups",
    "mean_prediction",
    "plot_metric_frame",
    "multiclass_demographic_parity_difference",
    "multiclass_equalized_odds_difference",
    "selection_rate",
    "true_negative_rate",
    "true_positive_rate",
    "wasserstein_distance_between_groups",
]


def __getattr__(name):
    if name == "make_fairness_scorer":
        from ._scorer import make_fairness_scorer

        return make_fairness_scorer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
