"""Bars by group with bootstrap whiskers (matplotlib, imported on first use).

:func:`plot_metric_frame` draws a :class:`MetricFrame`; the audit report
(:mod:`skfair.metrics._audit_report`) draws its rate figures with the same
:func:`interval_bars`, from plain arrays, so that it needs no pandas.
"""

import numpy as np

# Colours of the bars: groups, and groups flagged as small (their rates are
# mostly noise, so they are drawn paler and hatched).
_BAR = "#4c72b0"
_SMALL = "#b8c6df"
_OVERALL = "#c44e52"


def import_pyplot():
    """matplotlib's pyplot, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "Plotting needs matplotlib, which cannot be imported; install it "
            "with pip install 'skfair[plot]'."
        ) from exc
    return plt


def group_label(label):
    """A group's label as text: intersections joined by commas."""
    if isinstance(label, tuple):
        return ", ".join(str(part) for part in label)
    return str(label)


def interval_bars(
    ax, labels, values, lows=None, highs=None, *, overall=None, small=None, title=""
):
    """Horizontal bars of ``values`` by group, with ``[lows, highs]`` whiskers.

    A NaN value (an undefined rate) gets no bar but the word "undefined"
    in its row: a bar of length 0 would read as a rate of 0.

    Parameters
    ----------
    ax : matplotlib Axes
    labels : sequence of str
        The groups, drawn top to bottom in this order.
    values, lows, highs : array-like of shape (n_groups,)
        Each group's value and interval bounds (None: no whiskers).
    overall : float, default=None
        The value on all rows, drawn as a dashed line.
    small : array-like of bool, default=None
        Groups drawn pale and hatched (too few rows to trust their values).
    title : str
    """
    values = np.asarray(values, dtype=np.float64)
    positions = np.arange(len(values))[::-1]
    small = np.zeros(len(values), bool) if small is None else np.asarray(small, bool)
    colors = np.where(small, _SMALL, _BAR)
    undefined = np.isnan(values)
    bars = ax.barh(positions, np.nan_to_num(values), color=colors, height=0.6)
    for bar, is_small, is_undefined in zip(bars, small, undefined, strict=True):
        if is_undefined:
            bar.set_visible(False)
        elif is_small:
            bar.set_hatch("//")
    for position in positions[undefined]:
        ax.text(
            0.01,
            position,
            "undefined",
            transform=ax.get_yaxis_transform(),  # x in axes units, y in data
            va="center",
            ha="left",
            fontsize=9,
            fontstyle="italic",
            color="dimgray",
        )
    if lows is not None and highs is not None:
        lows = np.asarray(lows, dtype=np.float64)
        highs = np.asarray(highs, dtype=np.float64)
        # Whiskers from the interval's bounds; a bound may sit on either side
        # of the value (a basic interval need not contain it), so draw the
        # segment itself rather than errorbar's distances from the value.
        ax.hlines(positions, lows, highs, color="black", linewidth=1.5)
        for bound in (lows, highs):
            ax.plot(bound, positions, "|", color="black", markersize=10)
    if overall is not None and np.isfinite(overall):
        ax.axvline(overall, color=_OVERALL, linestyle="--", linewidth=1.2)
        ax.set_xlabel(f"dashed: all rows ({overall:.3g})", fontsize=10)
    ax.set_yticks(positions, labels, fontsize=10)
    ax.tick_params(axis="x", labelsize=10)
    ax.set_title(title, fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.set_ylim(-0.6, len(values) - 0.4)
    return ax


def plot_metric_frame(metric_frame, *, metrics=None, axes=None, figsize=None):
    """Bars of each metric by group, with the bootstrap intervals as whiskers.

    One panel per metric, groups top to bottom in the order of
    ``metric_frame.by_group``. The whiskers span the first and last of the
    frame's ``ci_quantiles`` (none when it has no intervals); a dashed line
    marks the overall value; groups listed in
    ``metric_frame.small_groups`` are drawn pale and hatched; a group whose
    value is NaN (an undefined rate, e.g. the true positive rate of a group
    without positive rows) has no bar but the word "undefined". Needs
    matplotlib (``pip install 'skfair[plot]'``).

    Parameters
    ----------
    metric_frame : MetricFrame
        With scalar metrics; built with ``n_boot`` and ``ci_quantiles`` for
        whiskers.
    metrics : str or list of str, default=None
        The metrics to draw (columns of ``by_group``); None: all of them.
    axes : matplotlib Axes or array of Axes, default=None
        One per metric; None: a new figure with one row of panels.
    figsize : tuple of float, default=None
        Size of the new figure (ignored with ``axes``); by default it grows
        with the number of groups.

    Returns
    -------
    axes : ndarray of matplotlib Axes
        One per metric.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skfair.metrics import MetricFrame, plot_metric_frame, selection_rate
    >>> mf = MetricFrame(metrics={"selection rate": selection_rate},
    ...                  y_true=[1, 0, 1, 0, 1, 0], y_pred=[1, 0, 0, 1, 1, 1],
    ...                  sensitive_features=["a", "a", "a", "b", "b", "b"],
    ...                  n_boot=100, ci_quantiles=[0.025, 0.975], random_state=0)
    >>> axes = plot_metric_frame(mf)
    >>> [ax.get_title() for ax in axes]
    ['selection rate']
    """
    from ._metric_frame import MetricFrame

    if not isinstance(metric_frame, MetricFrame):
        raise TypeError(
            f"plot_metric_frame draws a MetricFrame; got {type(metric_frame).__name__}."
        )
    by_group = metric_frame.by_group
    frame = by_group.to_frame() if by_group.ndim == 1 else by_group
    names = list(frame.columns)
    if metrics is not None:
        wanted = [metrics] if isinstance(metrics, str) else list(metrics)
        unknown = [m for m in wanted if m not in names]
        if unknown or not wanted:
            raise ValueError(
                f"metrics {unknown or wanted!r} are not metrics of the frame; "
                f"choose among {names}."
            )
        names = wanted
    intervals = None
    if metric_frame.n_boot is not None:
        ci = metric_frame.by_group_ci
        intervals = [c.to_frame() if c.ndim == 1 else c for c in (ci[0], ci[-1])]
    overall = metric_frame.overall
    if metric_frame.control_levels:
        overall = {}  # one overall value per control level: no single line
    elif np.ndim(overall) == 0:
        overall = {frame.columns[0]: overall}
    plt = import_pyplot()
    if axes is None:
        n_groups = len(frame.index)
        height = figsize[1] if figsize else 1.2 + 0.45 * n_groups
        width = figsize[0] if figsize else 4.5 * len(names)
        _, axes = plt.subplots(
            1, len(names), figsize=(width, height), squeeze=False, layout="constrained"
        )
    axes = np.atleast_1d(np.asarray(axes, dtype=object)).ravel()
    if axes.size != len(names):
        raise ValueError(
            f"axes has {axes.size} Axes for {len(names)} metrics; pass one per metric."
        )
    small = set(metric_frame.small_groups)
    for ax, name in zip(axes, names, strict=True):
        values = frame[name]
        try:
            values = values.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"metric {name!r} has non-scalar values, which cannot be drawn."
            ) from exc
        # Every group with rows gets a row; its NaN value (an undefined rate)
        # is drawn as undefined. Combinations absent from the data are left out.
        present = metric_frame._cells.sizes > 0
        labels = [group_label(g) for g in frame.index[present]]
        lows = highs = None
        if intervals is not None:
            lows = intervals[0][name].to_numpy(np.float64)[present]
            highs = intervals[1][name].to_numpy(np.float64)[present]
        interval_bars(
            ax,
            labels,
            values.to_numpy()[present],
            lows,
            highs,
            overall=overall.get(name),
            small=[g in small for g in frame.index[present]],
            title=str(name),
        )
    return axes
