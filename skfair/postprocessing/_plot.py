"""Plot of a fitted ThresholdOptimizer: ROC hulls and chosen operating points."""

import numpy as np

from ..utils._sensitive import python_label


def _import_pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "ThresholdOptimizer.plot needs matplotlib, which is not installed; "
            "install it with `pip install matplotlib` (or `pip install "
            "skfair[plot]`)."
        ) from exc
    return plt


def _group_name(label):
    if isinstance(label, tuple):
        return ", ".join(str(v) for v in label)
    return str(python_label(label))


def plot_threshold_optimizer(estimator, ax=None):
    """Draw each group's ROC hull and the operating point its rule reaches.

    Groups whose false or true positive rate is undefined (no negatives or no
    positives) have no ROC curve and are left out.
    """
    plt = _import_pyplot()
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
        name = _group_name(label)
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
    ax.set_title(f"ThresholdOptimizer ({estimator.constraints})")
    ax.legend(loc="lower right", fontsize="small")
    return ax
