"""Plot of a fitted ThresholdOptimizer: ROC hulls and chosen operating points."""

import numpy as np

from ..metrics._plot import group_label, import_pyplot


def plot_threshold_optimizer(estimator, ax=None):
    """Draw each group's ROC hull and the operating point its rule reaches.

    Groups whose false or true positive rate is undefined (no negatives or no
    positives) have no ROC curve and are left out.
    """
    plt = import_pyplot()
    if ax is None:
        _, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey", label="chance")
    for label, hull, point in zip(
        estimator.groups_,
        estimator.roc_hulls_,
        estimator.operating_points_,
        strict=True,
    ):
        if np.isnan(hull[:, :2]).any():
            continue
        name = group_label(label)
        (line,) = ax.plot(hull[:, 0], hull[:, 1], marker=".", label=f"{name} hull")
        ax.plot(
            point[0],
            point[1],
            marker="o",
            markersize=9,
            markerfacecolor="none",
            color=line.get_color(),
            linestyle="none",
            label=f"{name} operating point",
        )
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("False positive rate")
    ax.set_ylabel("True positive rate")
    constraints = estimator.constraints or "no parity constraint"
    ax.set_title(f"ThresholdOptimizer ({constraints})")
    ax.legend(loc="lower right", fontsize="small")
    return ax
