"""Tests of plot_metric_frame: bars by group with interval whiskers."""

import numpy as np
import pandas as pd
import pytest

from skfair.metrics import (
    MetricFrame,
    plot_metric_frame,
    selection_rate,
    true_positive_rate,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    n = 300
    groups = np.array(["a"] * 150 + ["b"] * 140 + ["c"] * 10)
    y = rng.integers(0, 2, n)
    y_hat = (rng.random(n) < np.where(groups == "a", 0.6, 0.3)).astype(int)
    with pytest.warns(UserWarning, match="fewer than 20 rows"):
        return MetricFrame(
            metrics={"selection": selection_rate, "tpr": true_positive_rate},
            y_true=y,
            y_pred=y_hat,
            sensitive_features=pd.Series(groups, name="g"),
            n_boot=200,
            ci_quantiles=[0.05, 0.5, 0.95],
            random_state=0,
            min_group_size=20,
        )


def _whiskers(ax):
    (segments,) = [c for c in ax.collections if hasattr(c, "get_segments")]
    return np.array([[s[0][0], s[1][0]] for s in segments.get_segments()])


def test_bars_whiskers_and_small_groups_are_the_frames(frame):
    axes = plot_metric_frame(frame)
    assert [ax.get_title() for ax in axes] == ["selection", "tpr"]
    for ax, name in zip(axes, ["selection", "tpr"], strict=True):
        bars = ax.patches
        # Groups top to bottom: a, b, c.
        ticks = zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)
        labels = [t.get_text() for _, t in sorted(ticks, key=lambda p: -p[0])]
        assert labels == ["a", "b", "c"]
        widths = [bar.get_width() for bar in bars]
        np.testing.assert_allclose(widths, frame.by_group[name].to_numpy())
        # Whiskers span the first and last quantile (5% and 95%).
        expected = np.column_stack(
            [frame.by_group_ci[0][name], frame.by_group_ci[-1][name]]
        )
        np.testing.assert_allclose(_whiskers(ax), expected)
        assert [bool(bar.get_hatch()) for bar in bars] == [False, False, True]
        # The overall value is the dashed line.
        (line,) = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
        assert line.get_xdata()[0] == pytest.approx(frame.overall[name])
    plt.close("all")


def test_one_metric_on_given_axes_and_no_intervals():
    mf = MetricFrame(
        metrics=selection_rate,
        y_true=[0, 1, 0, 1],
        y_pred=[1, 1, 0, 1],
        sensitive_features=["x", "x", "y", "y"],
    )
    _, ax = plt.subplots()
    (drawn,) = plot_metric_frame(mf, axes=ax)
    assert drawn is ax and ax.get_title() == "selection_rate"
    assert [bar.get_width() for bar in ax.patches] == [1.0, 0.5]
    assert not [c for c in ax.collections if hasattr(c, "get_segments")]
    plt.close("all")


def test_bad_input_is_named(frame):
    with pytest.raises(TypeError, match="draws a MetricFrame"):
        plot_metric_frame(frame.by_group)
    with pytest.raises(ValueError, match=r"\['nope'\] are not metrics"):
        plot_metric_frame(frame, metrics="nope")
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="1 Axes for 2 metrics"):
        plot_metric_frame(frame, axes=ax)
    plt.close("all")
