"""``audit_report``: one self-contained HTML page of a fairness audit.

The page is plain HTML and CSS: no script, and nothing loaded from anywhere
(the figures are inline SVG drawn by matplotlib, with their text as paths, so
no font is needed either), so it reads offline and travels as one e-mail
attachment. Every number comes from one count table of the (group, y_true,
y_pred) cells:

- the headline (:class:`Headline`, shared with ``python -m skfair audit``)
  uses the groups with at least ``min_group_size`` rows of each true label;
  its differences get the simultaneous Newcombe intervals of
  :func:`skfair.metrics._intervals.gap_bounds`, valid at every cell size,
  and a gap is "beyond sampling noise" only when the lower end is above 0;
- the ratios get the default intervals of :func:`skfair.metrics.bootstrap_ci`
  (simultaneous Wilson boxes; posterior draws for average odds and
  disparate impact, same seed), and a zero-width one claims nothing;
- each group's rates get Wilson score intervals; an undefined rate (no rows
  of the label it divides by) is NaN, shown as "undefined", and no reading
  names its group.
"""

import html
import io
import re
import warnings
from itertools import combinations

import numpy as np

from .. import __version__
from ._bootstrap import (
    DEFAULT_QUANTILES,
    check_bootstrap_params,
    table_intervals,
)
from ._intervals import (
    check_confidence,
    difference_bounds,
    gap_bounds,
    rate_counts,
    rate_intervals,
)
from ._plot import group_label, import_pyplot, interval_bars
from ._report import check_min_group_size

# The fairness metrics of the page, in its order, with short names.
_SYMMETRIC = [
    ("demographic_parity_difference", "Demographic parity difference"),
    ("demographic_parity_ratio", "Demographic parity ratio"),
    ("equalized_odds_difference", "Equalized odds difference"),
    ("equalized_odds_ratio", "Equalized odds ratio"),
    ("equal_opportunity_difference", "Equal opportunity difference"),
    ("equal_opportunity_ratio", "Equal opportunity ratio"),
]
# These compare one privileged group with the others: shown for two groups,
# the second in sorted order taken as privileged (as the metrics do).
_PRIVILEGED = [
    ("average_odds_difference", "Average odds difference"),
    ("disparate_impact_ratio", "Disparate impact ratio"),
]
_RATES = [
    ("selection", "selection rate"),
    ("tpr", "true positive rate"),
    ("fpr", "false positive rate"),
]
# Below this, a gap's interval "reaches" zero (a ratio's, one).
_TOUCH = 0.005

_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
       Arial, sans-serif; color: #1d1d1f; background: #fff; margin: 0;
       line-height: 1.45; font-size: 15px; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 32px 0 8px; border-bottom: 2px solid #e3e6ea;
     padding-bottom: 4px; }
p.lead { font-size: 16px; color: #444; margin: 0 0 16px; }
.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr));
         gap: 10px; margin: 12px 0; }
.fact { background: #f4f6f9; border-radius: 6px; padding: 8px 12px; }
.fact b { display: block; font-size: 20px; }
.fact span { color: #555; font-size: 13px; }
.headline { border-left: 5px solid #c44e52; background: #fcf3f3; padding: 10px 14px;
            margin: 14px 0; font-size: 16px; }
.headline.ok { border-color: #4c956c; background: #f1f8f3; }
.warn { border-left: 5px solid #d39b2a; background: #fdf7ea; padding: 8px 14px;
        margin: 10px 0; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 14px; }
th, td { padding: 5px 8px; border-bottom: 1px solid #e3e6ea; text-align: right;
         vertical-align: top; }
th { background: #f4f6f9; font-weight: 600; }
td.name, th.name, td.reading { text-align: left; }
td.reading { color: #333; max-width: 520px; }
tr.small td { background: #fdf7ea; }
.ci { color: #666; white-space: nowrap; font-size: 13px; }
.tag { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 8px;
       background: #d39b2a; color: #fff; margin-left: 4px; }
.noise { color: #777; }
figure { margin: 16px 0; page-break-inside: avoid; }
figure svg { max-width: 100%; height: auto; }
figcaption { color: #444; font-size: 14px; }
footer { color: #777; font-size: 12px; margin-top: 36px; }
@media print { main { max-width: none; padding: 0; } h2 { page-break-after: avoid; }
               body { font-size: 12px; } }
"""


def _feature_names(sensitive_features, n_columns):
    """Names of the sensitive columns: from a DataFrame, Series or dict."""
    from ..utils._dataframe import as_frame, as_series

    if isinstance(sensitive_features, dict):
        return [str(k) for k in sensitive_features]
    frame = as_frame(sensitive_features)
    if frame is not None:
        return [str(c) for c in frame.columns]
    series = as_series(sensitive_features)
    if series is not None and series.name is not None:
        return [str(series.name)]
    if n_columns == 1:
        return ["group"]
    return [f"column {i + 1}" for i in range(n_columns)]


def _as_groups(sensitive_features):
    """Codes, labels and column names of the groups (intersections for 2-D)."""
    from ..utils import encode_groups

    features = sensitive_features
    if isinstance(features, dict):
        features = np.column_stack(
            [np.asarray(v, dtype=object) for v in features.values()]
        )
    encoding = encode_groups(features)
    groups = list(encoding.groups.tolist())
    n_columns = len(groups[0]) if groups and isinstance(groups[0], tuple) else 1
    return encoding.codes, groups, _feature_names(sensitive_features, n_columns)


def _pct(value):
    return "n/a" if not np.isfinite(value) else f"{100 * value:.1f}%"


def _num(value, digits=3):
    return "n/a" if not np.isfinite(value) else f"{value:.{digits}f}"


def _rows(count):
    """``count`` rows, in words."""
    count = int(count)
    return f"{count:,} row" if count == 1 else f"{count:,} rows"


def _points(value):
    return "n/a" if not np.isfinite(value) else f"{100 * value:.1f} points"


# ---------------------------------------------------------------- headline

# The gap metrics of the headline, with the rates whose largest gap each is.
_GAPS = [
    ("demographic_parity_difference", ("selection",)),
    ("equal_opportunity_difference", ("tpr",)),
    ("equalized_odds_difference", ("tpr", "fpr")),
]
# The rates each ratio compares (a group with one undefined is left out).
_RATIO_KINDS = {
    "demographic_parity_ratio": ("selection",),
    "equal_opportunity_ratio": ("tpr",),
    "equalized_odds_ratio": ("tpr", "fpr"),
    "average_odds_difference": ("tpr", "fpr"),
    "disparate_impact_ratio": ("selection",),
}
_ASSUMPTION = (
    "It assumes that the rows are an independent sample of the population the "
    "decisions are made on, and that the decisions were fixed before these "
    "rows were seen (the model was neither fitted nor tuned on them)."
)


def defined_rates(table, kind):
    """Each group's rate, NaN where its denominator has no rows (undefined)."""
    successes, trials = rate_counts(table, kind)
    out = np.full(np.shape(trials), np.nan)
    np.divide(successes, trials, out=out, where=trials > 0)
    return out


def _spread(rates):
    """Largest minus smallest defined rate; NaN with fewer than two."""
    defined = rates[np.isfinite(rates)]
    return float(defined.max() - defined.min()) if defined.size >= 2 else np.nan


def _pair(names, rates, first, second, lows, highs, pair):
    """Pair ``pair`` of ``first``/``second`` with its interval, higher rate first."""
    g, h, low, high = first[pair], second[pair], lows[pair], highs[pair]
    if rates[g] < rates[h]:  # so that the difference is positive
        g, h, low, high = h, g, -high, -low
    return {
        "high_group": names[g],
        "high_rate": float(rates[g]),
        "low_group": names[h],
        "low_rate": float(rates[h]),
        "gap": float(rates[g] - rates[h]),
        "interval": (float(low), float(high)),
    }


class Headline:
    """Which groups the headline metrics use, and the headline's intervals.

    A group enters the headline when each of its (group, true label) cells
    has at least ``min_group_size`` rows (or always, with
    ``include_small_groups``): with fewer, its rates are too uncertain for
    the largest gap over the groups to say anything but "this group is
    small". The gaps' intervals are simultaneous Newcombe intervals
    (:func:`skfair.metrics._intervals.gap_bounds`), valid at every cell
    size; a gap is beyond sampling noise only when its lower end is above 0.

    Parameters
    ----------
    raw : ndarray of shape (n_groups, 2, 2)
        Row counts of the (group, y_true, y_pred) cells.
    labels : list of str
        The groups' names.
    min_group_size : int or None
        None: no group is left out.
    include_small_groups : bool
        Keep the groups with a small cell in the headline (they are still
        flagged).
    confidence : float
        Level of the intervals.
    certify : float or None
        With a level, the certified one-sided upper bounds of the gaps
        (:func:`skfair.metrics._certified.gap_upper_bound_from_table`).
    """

    def __init__(
        self, raw, labels, *, min_group_size, include_small_groups, confidence, certify
    ):
        from ._certified import gap_upper_bound_from_table

        raw = np.asarray(raw, dtype=np.float64)
        self.labels = list(labels)
        self.confidence = confidence
        self.min_group_size = min_group_size
        self.positives = raw[:, 1, :].sum(axis=-1)
        self.negatives = raw[:, 0, :].sum(axis=-1)
        smallest = np.minimum(self.positives, self.negatives)
        self.small = (
            smallest < min_group_size
            if min_group_size is not None
            else np.zeros(len(self.labels), bool)
        )
        self.included_small = bool(include_small_groups) and self.small.any()
        self.used = np.ones_like(self.small) if include_small_groups else ~self.small
        self.excluded = self.small & ~self.used
        self.table = raw[self.used]
        self.rates = {kind: defined_rates(self.table, kind) for kind, _ in _RATES}
        self.gaps, self.certified = {}, {}
        enough = self.used.sum() >= 2
        for name, kinds in _GAPS:
            estimate = max(
                (_spread(self.rates[kind]) for kind in kinds),
                key=lambda v: np.nan_to_num(v, nan=-1.0),
            )
            low, high = (
                gap_bounds(self.table, kinds, confidence=confidence, method="newcombe")
                if enough
                else (np.nan, np.nan)
            )
            self.gaps[name] = (estimate, low, high)
            if certify is not None and enough:
                self.certified[name] = gap_upper_bound_from_table(
                    self.table, metric=name, confidence=certify
                )
        # The pairs to look at next are always two well-populated groups.
        populated = ~self.small
        self.largest = (
            self._largest_pairs(raw[populated], np.flatnonzero(populated))
            if populated.sum() >= 2
            else []
        )

    def beyond_noise(self, name):
        """Whether the gap's interval excludes 0 (its lower end is above 0)."""
        low = self.gaps[name][1]
        return bool(np.isfinite(low) and low > 0)

    def _largest_pairs(self, table, groups):
        """Per rate, the pair of ``groups`` with the largest gap, with its interval.

        The intervals are Newcombe's, Bonferroni-widened for the pairs of
        groups compared (as the lower ends of the gap intervals are), so
        that picking the largest pair of a rate does not void them. Each
        rate also names its clearest pair, the one whose interval lies
        farthest from 0 (often two large groups, while the largest gap may
        involve a smaller one). Sorted by gap, largest first; pairs with an
        undefined rate are skipped.
        """
        names = [self.labels[g] for g in groups]
        first, second = (
            np.array(side, dtype=np.intp)
            for side in zip(*combinations(range(len(names)), 2), strict=True)
        )
        tail = (1 - self.confidence) / 2 / first.size
        found = []
        for kind, title in _RATES:
            rates = defined_rates(table, kind)
            signed = rates[first] - rates[second]
            defined = np.isfinite(signed)
            if not defined.any():
                continue
            successes, trials = rate_counts(table, kind)
            lows, highs = difference_bounds(successes, trials, first, second, tail=tail)
            distance = np.where(defined, np.maximum(np.maximum(lows, -highs), 0), -1)

            pairs = (names, rates, first, second, lows, highs)
            largest = _pair(
                *pairs, int(np.argmax(np.where(defined, np.abs(signed), -1)))
            )
            clearest = int(np.argmax(distance))
            found.append(
                {
                    "kind": kind,
                    "title": title,
                    **largest,
                    "clearest": _pair(*pairs, clearest)
                    if distance[clearest] > 0
                    else None,
                    "comparisons": int(first.size),
                }
            )
        found.sort(key=lambda pair: -pair["gap"])
        return found

    def exclusion_reason(self, g):
        """Why group ``g`` is small, in words."""
        cells = [
            f"{int(count):,} truly {what} row{'' if count == 1 else 's'}"
            for count, what in (
                (self.positives[g], "positive"),
                (self.negatives[g], "negative"),
            )
            if count < self.min_group_size
        ]
        return f"{' and '.join(cells)}, under {self.min_group_size} of a label"


def bootstrap_metrics(counts, head, names, *, n_boot, rng, quantiles):
    """Bootstrap estimates and intervals of the metrics ``names`` (ratios).

    Each metric is computed on the headline groups whose rates it compares
    are all defined (a group with an undefined rate is left out of it, as
    ``zero_division=np.nan`` does), with one draw of resamples per set of
    groups: usually one set for all, so that the intervals are those of
    :func:`skfair.metrics.bootstrap_ci` on the same groups and seed.

    Returns a dict mapping each name to ``(estimate, [low, high])``.
    """
    from ._counts import GroupCounts

    used = np.flatnonzero(head.used)
    by_groups = {}
    for name in names:
        defined = np.ones(used.size, bool)
        for kind in _RATIO_KINDS[name]:
            defined &= np.isfinite(head.rates[kind])
        by_groups.setdefault(tuple(used[defined].tolist()), []).append(name)
    out = {}
    for keep, some in by_groups.items():
        if len(keep) < 2:
            out.update({name: (np.nan, np.array([np.nan, np.nan])) for name in some})
            continue
        keep = np.array(keep, dtype=np.intp)
        subset = GroupCounts(
            counts.groups[keep],
            counts.weighted[keep],
            counts.raw[keep],
            counts.y_labels,
        )
        with warnings.catch_warnings():
            # Resampled ratios of tiny cells can be 0/0; their quantiles are
            # then NaN, which the page shows as undefined.
            warnings.simplefilter("ignore", RuntimeWarning)
            estimates, intervals = table_intervals(
                subset, some, n_boot=n_boot, rng=rng, quantiles=quantiles
            )
        for name in some:
            out[name] = (estimates[name], intervals[name][[0, -1]])
    return out


class _Audit:
    """The numbers of the page, computed once."""

    def __init__(
        self,
        y_true,
        y_pred,
        codes,
        groups,
        *,
        pos_label,
        n_boot,
        rng,
        quantiles,
        min_group_size,
        include_small_groups,
        confidence,
        y_score,
    ):
        from ._counts import _as_label_vector
        from ._dispatch import group_counts

        self.counts = group_counts(
            y_true, y_pred, sensitive_features=codes, pos_label=pos_label, raw=True
        )
        # group_counts labels the groups by their codes 0..k-1 (all present).
        self.groups = groups
        self.labels = [group_label(g) for g in groups]
        self.sizes = self.counts.raw.sum(axis=(1, 2))
        self.level = float(quantiles[-1] - quantiles[0])
        self.head = Headline(
            self.counts.raw,
            self.labels,
            min_group_size=min_group_size,
            include_small_groups=include_small_groups,
            confidence=self.level,
            certify=confidence,
        )
        self.small = self.head.small
        used = self.head.used
        self.head_labels = [self.labels[g] for g in np.flatnonzero(used)]
        names = [name for name, _ in _SYMMETRIC]
        if used.sum() == 2:
            names += [name for name, _ in _PRIVILEGED]
        self.names = names
        self.estimates, self.intervals = {}, {}
        for name, (estimate, low, high) in self.head.gaps.items():
            self.estimates[name] = estimate
            self.intervals[name] = np.array([low, high])
        bootstrapped = bootstrap_metrics(
            self.counts,
            self.head,
            [name for name in names if name not in self.estimates],
            n_boot=n_boot,
            rng=rng,
            quantiles=quantiles,
        )
        for name, (estimate, interval) in bootstrapped.items():
            self.estimates[name] = estimate
            self.intervals[name] = interval
        # Per-group rates: NaN where undefined, with Wilson intervals.
        table = self.counts.raw
        self.rates, self.rate_ci = {}, {}
        for kind, _ in _RATES:
            self.rates[kind] = defined_rates(table, kind)
            low, high = rate_intervals(
                table, kind, confidence=self.level, method="wilson"
            )
            undefined = ~np.isfinite(self.rates[kind])
            self.rate_ci[kind] = (
                np.where(undefined, np.nan, low),
                np.where(undefined, np.nan, high),
            )
        for kind in ("precision", "accuracy"):
            self.rates[kind] = defined_rates(table, kind)
        self.base_rate = self.head.positives / self.sizes
        total = table.sum(axis=0)[None]
        self.overall = {
            kind: float(defined_rates(total, kind)[0])
            for kind in ("selection", "tpr", "fpr", "precision", "accuracy")
        }
        self.overall["base"] = float(total[0, 1].sum() / total.sum())
        self.score = None
        if y_score is not None:
            truth = _as_label_vector(y_true, "y_true") == pos_label
            self.score = _ScoreCurves(truth, y_score, codes, len(groups))


class _ScoreCurves:
    """ROC curves, AUCs and score histograms of the groups."""

    def __init__(self, truth, y_score, codes, n_groups):
        from sklearn.metrics import roc_auc_score, roc_curve

        score = np.asarray(y_score, dtype=np.float64)
        if score.ndim != 1 or score.shape[0] != codes.shape[0]:
            raise ValueError(
                f"y_score must hold one score per row ({codes.shape[0]}); got "
                f"shape {score.shape}."
            )
        if not np.all(np.isfinite(score)):
            raise ValueError("y_score has NaN or infinite values.")
        self.curves, self.auc = [], np.full(n_groups, np.nan)
        for g in range(n_groups):
            rows = codes == g
            t, s = truth[rows], score[rows]
            if t.min() == t.max():  # one class only: no ROC curve
                self.curves.append(None)
                continue
            fpr, tpr, _ = roc_curve(t, s)
            self.curves.append((fpr, tpr))
            self.auc[g] = roc_auc_score(t, s)
        self.score, self.codes = score, codes
        self.overall_auc = (
            roc_auc_score(truth, score) if truth.min() != truth.max() else np.nan
        )


# ---------------------------------------------------------------- readings


def _noise_clause(audit, name):
    """Whether the interval tells the gap from sampling noise, in words."""
    low, high = audit.intervals[name]
    if not (np.isfinite(low) and np.isfinite(high)):
        return "The interval is undefined (too few rows)."
    if name in audit.head.gaps:
        if audit.head.beyond_noise(name):
            return "Its interval excludes 0: more than sampling noise."
        return "Its interval reaches 0: this could be sampling noise."
    if high - low < 1e-9:
        # A bootstrap of cells of one or two rows draws the same table every
        # time: a zero-width interval then says nothing about the noise.
        return (
            "Its bootstrap interval has zero width (cells too small to "
            "resample): it cannot tell this from sampling noise."
        )
    if name == "average_odds_difference":
        parity = low <= 0 <= high
    elif name == "disparate_impact_ratio":
        parity = low <= 1 <= high
    elif name.endswith("_ratio"):
        parity = high >= 1 - _TOUCH
    else:
        parity = low <= _TOUCH
    if parity:
        return "Its interval reaches parity: this could be sampling noise."
    return "Its interval excludes parity: more than sampling noise."


def _extremes(audit, kind):
    """The most and least favoured headline groups by a rate.

    Undefined rates are NaN, so no group without rows of a label is named.
    """
    rates = audit.head.rates[kind]
    if not np.isfinite(rates).any():
        return "n/a", np.nan, "n/a", np.nan
    hi, lo = int(np.nanargmax(rates)), int(np.nanargmin(rates))
    labels = audit.head_labels
    return labels[hi], rates[hi], labels[lo], rates[lo]


def _reading(audit, name):
    """A one-line plain-language reading of a metric's value."""
    value = audit.estimates[name]
    if name.startswith("demographic_parity"):
        hi, hi_rate, lo, lo_rate = _extremes(audit, "selection")
        if name.endswith("difference"):
            text = (
                f"Selection rates differ by up to {_points(value)} between groups "
                f"({hi}: {_pct(hi_rate)}, {lo}: {_pct(lo_rate)})."
            )
        else:
            text = (
                f"The least-selected group ({lo}) is selected {_num(value, 2)} times "
                f"as often as the most-selected ({hi}); the four-fifths rule "
                "flags ratios below 0.8."
            )
    elif name.startswith("equal_opportunity"):
        hi, hi_rate, lo, lo_rate = _extremes(audit, "tpr")
        if name.endswith("difference"):
            text = (
                f"Among truly positive rows, the share predicted positive differs "
                f"by up to {_points(value)} ({hi}: {_pct(hi_rate)}, {lo}: "
                f"{_pct(lo_rate)})."
            )
        else:
            text = (
                f"The truly positive rows of {lo} are predicted positive "
                f"{_num(value, 2)} times as often as those of {hi}."
            )
    elif name.startswith("equalized_odds"):
        tpr_gap = _spread(audit.head.rates["tpr"])
        fpr_gap = _spread(audit.head.rates["fpr"])
        if name.endswith("difference"):
            text = (
                f"The groups' error rates differ by up to {_points(value)}: the "
                f"larger of the true-positive-rate gap ({_points(tpr_gap)}) and "
                f"the false-positive-rate gap ({_points(fpr_gap)})."
            )
        else:
            text = (
                f"The smaller of the groups' TPR and FPR ratios is {_num(value, 2)}"
                " (1 means equal error rates in every group)."
            )
    else:
        privileged, other = audit.head_labels[1], audit.head_labels[0]
        if name == "average_odds_difference":
            text = (
                f"{other}'s FPR and TPR minus {privileged}'s, averaged: "
                f"{_num(value) if not np.isfinite(value) else f'{value:+.3f}'} "
                f"(0 means equal error rates; {privileged} is taken "
                "as privileged)."
            )
        else:
            text = (
                f"{other} is selected {_num(value, 2)} times as often as "
                f"{privileged} (AIF360's disparate impact; below 0.8 fails the "
                "four-fifths rule)."
            )
    return f"{text} {_noise_clause(audit, name)}"


# ---------------------------------------------------------------- figures


def _svg(fig, salt):
    """The figure as an inline ``<svg>`` element (text as paths, no fonts)."""
    plt = import_pyplot()
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": salt}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # The RDF metadata names a few vocabularies by URL; it is not needed.
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    return re.sub(r'\s+xmlns:(dc|cc|rdf)="[^"]*"', "", text)


def _group_height(audit):
    return 1.0 + 0.42 * len(audit.labels)


def _rate_figure(audit, kinds, salt):
    plt = import_pyplot()
    fig, axes = plt.subplots(
        1, len(kinds), figsize=(5.2 * len(kinds), _group_height(audit)), squeeze=False
    )
    for ax, (kind, title) in zip(axes[0], kinds, strict=True):
        interval_bars(
            ax,
            audit.labels,
            audit.rates[kind],
            audit.rate_ci[kind][0],
            audit.rate_ci[kind][-1],
            overall=audit.overall[kind],
            small=audit.small,
            title=title,
        )
        # Rates near 0 (FPR, selection) would be slivers on a [0, 1] axis.
        with np.errstate(all="ignore"):
            values = np.concatenate([audit.rate_ci[kind][-1], audit.rates[kind]])
        top = np.nanmax(values) if np.isfinite(values).any() else 1.0
        ax.set_xlim(0, min(1.02, 1.15 * top + 0.02))
        # An undefined rate has no bar: say so where the bar would be.
        positions = np.arange(len(audit.labels))[::-1]
        for g in np.flatnonzero(~np.isfinite(audit.rates[kind])):
            ax.text(
                0.01,
                positions[g],
                "undefined (no rows)",
                transform=ax.get_yaxis_transform(),
                va="center",
                fontsize=9,
                color="#555",
            )
    for ax in axes[0][1:]:
        ax.tick_params(axis="y", labelleft=False)
    fig.tight_layout()
    return _svg(fig, salt)


# Ten colours that stay apart (matplotlib's tab10), and line styles that
# tell the curves apart once the colours repeat (and in grey print).
_CURVE_COLORS = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
]  # fmt: skip
_CURVE_DASHES = ["solid", (0, (5, 2)), (0, (1, 1.5)), (0, (6, 2, 1, 2))]


def curve_styles(n_curves):
    """A distinct (colour, line style) for each of ``n_curves`` curves.

    The colour changes with every curve and the line style with every ten,
    so up to 40 curves differ in one or the other and no two consecutive
    ones share a colour; beyond 40 the pairs repeat.
    """
    return [
        {
            "color": _CURVE_COLORS[i % len(_CURVE_COLORS)],
            "linestyle": _CURVE_DASHES[(i // len(_CURVE_COLORS)) % len(_CURVE_DASHES)],
        }
        for i in range(n_curves)
    ]


def _roc_figure(audit, salt):
    plt = import_pyplot()
    fig, ax = plt.subplots(figsize=(9.5, 4.8))
    curves = audit.score
    styles = curve_styles(len(audit.labels))
    for g, label in enumerate(audit.labels):
        if curves.curves[g] is not None:
            fpr, tpr = curves.curves[g]
            ax.plot(
                fpr,
                tpr,
                **styles[g],
                linewidth=1.5,
                label=f"{label} (AUC {_num(curves.auc[g])})",
            )
    ax.plot([0, 1], [0, 1], color="#999", linestyle=":", linewidth=1)
    ax.set_xlabel("false positive rate", fontsize=10)
    ax.set_ylabel("true positive rate", fontsize=10)
    ax.set_title("ROC curve of each group", fontsize=11)
    ax.legend(fontsize=10, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    ax.set_aspect("equal")
    ax.tick_params(labelsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _svg(fig, salt)


def _horizontal():
    """boxplot's keyword for horizontal boxes (``vert`` before matplotlib 3.10)."""
    import matplotlib

    major, minor = (int(p) for p in matplotlib.__version__.split(".")[:2])
    return (
        {"orientation": "horizontal"} if (major, minor) >= (3, 10) else {"vert": False}
    )


def _score_figure(audit, salt):
    """Box plots of the groups' scores (5th to 95th percentile whiskers)."""
    plt = import_pyplot()
    curves = audit.score
    fig, ax = plt.subplots(figsize=(9.5, _group_height(audit)))
    positions = np.arange(len(audit.labels))[::-1]
    ax.boxplot(
        [curves.score[curves.codes == g] for g in range(len(audit.labels))],
        positions=positions,
        **_horizontal(),
        whis=(5, 95),
        showfliers=False,
        widths=0.6,
        patch_artist=True,
        boxprops={"facecolor": "#c9d5ea", "edgecolor": "#4c72b0"},
        medianprops={"color": "#c44e52", "linewidth": 1.5},
    )
    ax.set_yticks(positions, audit.labels, fontsize=10)
    ax.tick_params(axis="x", labelsize=10)
    ax.set_xlabel(
        "score (box: quartiles and median; whiskers: 5th-95th percentile)", fontsize=10
    )
    ax.set_title("Score distribution of each group", fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return _svg(fig, salt)


# ---------------------------------------------------------------- the page


def _interval_text(low, high, digits=3):
    return f"[{_num(low, digits)}, {_num(high, digits)}]"


def _scope(audit):
    """Which groups the headline uses, in one sentence."""
    head = audit.head
    n_used = int(head.used.sum())
    if head.min_group_size is None:
        return f"Over all {n_used} groups."
    if head.included_small:
        return (
            f"Over all {n_used} groups, {int(head.small.sum())} of them with "
            f"a label cell under {head.min_group_size} rows (included on "
            "request: the gaps involving them are mostly noise)."
        )
    text = (
        f"Over the {n_used} groups with at least {head.min_group_size} rows "
        "of each true label"
    )
    if head.excluded.any():
        text += f"; {int(head.excluded.sum())} smaller group(s) left out (below)"
    return text + "."


def _next_look(audit):
    """What to look at next: the largest gap between two headline groups."""
    head = audit.head
    if not head.largest:
        return ""
    pair = head.largest[0]
    level = round(100 * head.confidence)

    def between(found):
        low, high = found["interval"]
        return (
            f"<b>{html.escape(found['high_group'])}</b> "
            f"({_pct(found['high_rate'])}) against "
            f"<b>{html.escape(found['low_group'])}</b> ({_pct(found['low_rate'])})"
            f": {_points(found['gap'])}, {level}% interval "
            f"[{100 * low:.1f}, {100 * high:.1f}] points"
        )

    text = (
        '<p class="next"><b>What to look at next:</b> the largest gap between '
        f"two well-populated groups is the {pair['title']} of {between(pair)} "
        f"(Newcombe, simultaneous over the {pair['comparisons']} pairs of "
        "groups)."
    )
    clearest = pair["clearest"]
    if clearest is not None and clearest["high_group"] + clearest["low_group"] != (
        pair["high_group"] + pair["low_group"]
    ):
        text += (
            f" The clearest {pair['title']} gap (its interval farthest from 0) "
            f"is {between(clearest)}."
        )
    return text + "</p>"


def _headline(audit, names):
    """The page's first finding: which gaps are more than sampling noise.

    The largest difference alone can mislead: on small groups it may be the
    noisiest one, while a smaller gap between large groups is certain. So
    the headline uses the well-populated groups, and a gap is "beyond
    sampling noise" only when its interval, valid at every cell size,
    excludes 0.
    """
    head = audit.head
    differences = [name for name, _ in _GAPS]
    if head.used.sum() < 2:
        return (
            '<p class="headline">Fewer than two groups have at least '
            f"{head.min_group_size} rows of each true label: there is no headline "
            "gap. Pass <code>include_small_groups=True</code> (<code>"
            "--include-small-groups</code>) or a smaller <code>min_group_size"
            "</code> to compare the small groups, knowing that their gaps are "
            "mostly noise.</p>"
        )

    def shown(name):
        low, high = audit.intervals[name]
        return (
            f"<b>{html.escape(names[name].lower())} {_num(audit.estimates[name])}"
            f"</b> {_interval_text(low, high)}"
        )

    level = round(100 * head.confidence)
    real = [n for n in differences if head.beyond_noise(n)]
    real.sort(key=lambda n: -audit.estimates[n])
    largest = max(differences, key=lambda n: np.nan_to_num(audit.estimates[n], nan=-1))
    scope = html.escape(_scope(audit))
    if real:
        text = (
            f"Gaps beyond sampling noise (their {level}% intervals exclude 0): "
            + "; ".join(shown(n) for n in real)
            + "."
        )
        if largest not in real:
            text += f" The largest, {shown(largest)}, could be sampling noise."
        return f'<p class="headline">{text} {scope}</p>'
    text = (
        "No gap is distinguishable from sampling noise (every interval reaches "
        f"zero); the largest is {shown(largest)}."
    )
    return f'<p class="headline ok">{text} {scope}</p>'


def _certified(audit, confidence):
    """The certified upper bounds of the gaps, with what they assume."""
    if confidence is None or not audit.head.certified:
        return []
    level = f"{100 * confidence:g}"
    names = dict(_SYMMETRIC)
    rows = "".join(
        f'<tr><td class="name">{html.escape(names[name])}<br>'
        f'<code class="ci">{name}</code></td>'
        f"<td>{_num(audit.estimates[name])}</td>"
        f"<td><b>{_num(bound)}</b></td></tr>"
        for name, bound in audit.head.certified.items()
    )
    return [
        '<h2 id="certified">Certified bounds</h2>',
        f"<p>With probability at least {level}%, the population gap of these "
        "decisions is at most the bound below (<code>skfair.metrics."
        "gap_upper_bound</code>: exact Clopper-Pearson bounds of the rates, "
        f"one-sided, on the headline groups). {html.escape(_ASSUMPTION)}</p>",
        '<table><thead><tr><th class="name">metric</th><th>value on these '
        f"rows</th><th>{level}% certified upper bound</th></tr></thead><tbody>"
        + rows
        + "</tbody></table>",
    ]


def _metrics_table(audit, names, level):
    rows = []
    for name in audit.names:
        low, high = audit.intervals[name]
        rows.append(
            f'<tr><td class="name">{html.escape(names[name])}<br>'
            f'<code class="ci">{name}</code></td>'
            f"<td><b>{_num(audit.estimates[name])}</b></td>"
            f'<td class="ci">{_interval_text(low, high)}</td>'
            f'<td class="reading">{html.escape(_reading(audit, name))}</td></tr>'
        )
    return (
        f'<table><thead><tr><th class="name">metric</th><th>value</th>'
        f"<th>{level}% interval</th>"
        '<th class="name">reading</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table>"
    )


_UNDEFINED = '<span class="noise">undefined</span>'


def _rate_text(value):
    """A rate, or "undefined" where its denominator has no rows."""
    return _num(value) if np.isfinite(value) else _UNDEFINED


def _tag(audit, g):
    if audit.head.excluded[g]:
        return '<span class="tag">left out</span>'
    if audit.small[g]:
        return '<span class="tag">small</span>'
    return ""


def _group_table(audit, level):
    score = audit.score
    head = [
        '<th class="name">group</th>',
        "<th>rows</th>",
        "<th>truly positive / negative</th>",
        "<th>share</th>",
        "<th>base rate</th>",
    ]
    head += [
        f"<th>{title}<br><span class='ci'>{level}% interval</span></th>"
        for _, title in _RATES
    ]
    head += ["<th>precision</th>", "<th>accuracy</th>"]
    if score is not None:
        head.append("<th>AUC</th>")
    total = audit.sizes.sum()
    rows = []
    for g, label in enumerate(audit.labels):
        cells = [
            f'<td class="name">{html.escape(label)}{_tag(audit, g)}</td>',
            f"<td>{int(audit.sizes[g]):,}</td>",
            f"<td>{int(audit.head.positives[g]):,} / "
            f"{int(audit.head.negatives[g]):,}</td>",
            f"<td>{_pct(audit.sizes[g] / total)}</td>",
            f"<td>{_num(audit.base_rate[g])}</td>",
        ]
        for kind, _ in _RATES:
            ci = audit.rate_ci[kind]
            cells.append(
                f"<td>{_rate_text(audit.rates[kind][g])}<br><span class='ci'>"
                f"{_interval_text(ci[0][g], ci[-1][g])}</span></td>"
                if np.isfinite(audit.rates[kind][g])
                else f"<td>{_UNDEFINED}</td>"
            )
        cells += [
            f"<td>{_rate_text(audit.rates['precision'][g])}</td>",
            f"<td>{_rate_text(audit.rates['accuracy'][g])}</td>",
        ]
        if score is not None:
            cells.append(f"<td>{_num(score.auc[g])}</td>")
        row_class = ' class="small"' if audit.small[g] else ""
        rows.append(f"<tr{row_class}>" + "".join(cells) + "</tr>")
    overall = audit.overall
    cells = [
        '<td class="name"><b>all rows</b></td>',
        f"<td>{int(total):,}</td>",
        f"<td>{int(audit.head.positives.sum()):,} / "
        f"{int(audit.head.negatives.sum()):,}</td>",
        "<td>100%</td>",
        f"<td>{_num(overall['base'])}</td>",
    ]
    cells += [f"<td>{_rate_text(overall[kind])}</td>" for kind, _ in _RATES]
    cells += [
        f"<td>{_rate_text(overall['precision'])}</td>",
        f"<td>{_rate_text(overall['accuracy'])}</td>",
    ]
    if score is not None:
        cells.append(f"<td>{_num(score.overall_auc)}</td>")
    rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        "<table><thead><tr>"
        + "".join(head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _fact(value, caption):
    value = html.escape(str(value))
    return f'<div class="fact"><b>{value}</b><span>{caption}</span></div>'


def _small_groups_note(audit, min_group_size):
    """The warning that lists the small groups, their sizes and the reason."""
    head = audit.head
    if not head.small.any():
        return []
    flagged = "; ".join(
        f"{html.escape(audit.labels[g])} ({_rows(audit.sizes[g])}: "
        f"{html.escape(head.exclusion_reason(g))})"
        for g in np.flatnonzero(head.small)
    )
    if head.included_small:
        what = (
            "are included in the headline metrics on request; their rates, "
            "and every gap involving them, are mostly noise (see their wide "
            "intervals)"
        )
    else:
        what = (
            "are left out of the headline metrics (their rates, and every gap "
            "involving them, are mostly noise; they keep their row in the "
            "tables and figures, with their wide intervals); "
            "<code>include_small_groups=True</code> "
            "(<code>--include-small-groups</code>) puts them back"
        )
    return [
        f'<p class="warn"><b>Small groups</b> (fewer than {min_group_size} rows '
        f"of a true label) {what}: {flagged}.</p>"
    ]


def _page(
    audit, *, source, columns, pos_label, n_boot, quantiles, min_group_size, confidence
):
    names = dict(_SYMMETRIC + _PRIVILEGED)
    level = round(100 * (quantiles[-1] - quantiles[0]))
    n_rows = int(audit.sizes.sum())
    title = f"Fairness audit of {source}" if source else "Fairness audit"
    grouping = " × ".join(columns)
    kind = "intersectional groups" if len(columns) > 1 else "groups"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>",
        "<body><main>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="lead">{n_rows:,} rows; predictions compared with true labels, '
        f"positive label <b>{html.escape(repr(pos_label))}</b>; "
        f"{len(audit.labels)} {kind} by <b>{html.escape(grouping)}</b>.</p>",
        '<div class="facts">',
        _fact(f"{n_rows:,}", "rows audited"),
        _fact(len(audit.labels), f"{kind} ({html.escape(grouping)})"),
        _fact(_pct(audit.overall["selection"]), "selected overall"),
        _fact(_pct(audit.overall["accuracy"]), "accuracy overall"),
        _fact(
            int(audit.head.excluded.sum()),
            f"groups left out of the headline (under {min_group_size} rows of a label)"
            if min_group_size is not None
            else "small groups (not checked)",
        ),
        "</div>",
        *_small_groups_note(audit, min_group_size),
        _headline(audit, names),
        _next_look(audit),
        '<p class="sizes"><b>Groups (rows):</b> '
        + " · ".join(
            f"{html.escape(label)} ({int(size):,})" + _tag(audit, g)
            for g, (label, size) in enumerate(
                zip(audit.labels, audit.sizes, strict=True)
            )
        )
        + "</p>",
    ]
    parts += [
        "<h2>Fairness metrics</h2>",
        "<p>Differences are 0 and ratios 1 at parity. "
        f"{html.escape(_scope(audit))} Intervals ({level}%): the differences' "
        "are simultaneous Newcombe hybrid score intervals of the largest gap "
        "over the groups' rates, valid at every cell size (a gap is beyond "
        "sampling noise only when its interval excludes 0); the ratios' are "
        "simultaneous intervals (every group's rate in a Bonferroni box of "
        "Wilson intervals, the ratio bounded over the box), average odds' and "
        f"disparate impact's percentile intervals of {n_boot:,} posterior "
        "draws (Dirichlet(counts + 1/2)) of each group's cells. "
        "A group whose rate is undefined (no rows of the label it divides by) "
        "is left out of that rate's comparisons.</p>",
        _metrics_table(audit, names, level),
        *_certified(audit, confidence),
        "<h2>Rates by group</h2>",
        "<figure>",
        _rate_figure(audit, [_RATES[0]], "selection"),
        f"<figcaption>Figure 1. Share of each group predicted positive, with "
        f"{level}% Wilson score intervals (whiskers); dashed: all rows. Hatched "
        "bars: small groups.</figcaption></figure>",
        "<figure>",
        _rate_figure(audit, _RATES[1:], "errors"),
        "<figcaption>Figure 2. True positive rate (truly positive rows predicted "
        "positive) and false positive rate (truly negative rows predicted "
        f"positive) of each group, with {level}% Wilson score intervals; "
        "equalized odds asks for both to be equal across groups. A group "
        "without rows of a label has no such rate: it is marked undefined."
        "</figcaption></figure>",
    ]
    if audit.score is not None:
        parts += [
            "<h2>Scores by group</h2>",
            "<figure>",
            _roc_figure(audit, "roc"),
            "<figcaption>Figure 3. Each group's ROC curve (its own colour and "
            "line style), with its AUC: curves that differ mean that no single "
            "threshold gives the groups equal error rates.</figcaption></figure>",
            "<figure>",
            _score_figure(audit, "scores"),
            "<figcaption>Figure 4. Distribution of each group's scores.</figcaption>"
            "</figure>",
        ]
    parts += [
        "<h2>Groups</h2>",
        f"<p>Rates with {level}% Wilson score intervals (never of zero width, "
        "even for a cell of one row); \u201cundefined\u201d where a group has no "
        "rows of the label a rate divides by.</p>",
        _group_table(audit, level),
        "<footer>",
        f"Made by skfair {html.escape(__version__)} "
        "(<code>skfair.metrics.audit_report</code>). Methods: per-group rates, "
        "Wilson score intervals; differences, simultaneous Newcombe hybrid "
        "score intervals (for the lower end, pairs screened in two steps, "
        "then Bonferroni over those that can reach the gap); the largest "
        "pair's gap, a Newcombe interval Bonferroni-widened "
        "over every pair and rate compared; ratios between groups, simultaneous "
        "intervals from a Bonferroni box of Wilson intervals; average odds and "
        "disparate impact, percentile intervals of posterior "
        "(Dirichlet(counts + 1/2)) draws of each group's (true label, "
        "prediction) cells; as <code>skfair.metrics.bootstrap_ci</code> "
        "computes them by default. Every interval assumes independent rows "
        "and decisions fixed before the rows were seen.",
        "</footer></main></body></html>",
    ]
    return "\n".join(parts) + "\n"


def audit_report(
    y_true,
    y_pred,
    *,
    sensitive_features,
    y_score=None,
    pos_label=1,
    n_boot=1000,
    ci_quantiles=DEFAULT_QUANTILES,
    min_group_size=30,
    include_small_groups=False,
    confidence=None,
    random_state=0,
    source=None,
    path=None,
):
    """A fairness audit as one self-contained HTML page.

    The page states what was audited (rows, positive label, the groups and
    their sizes, small groups flagged), gives every fairness metric with its
    interval and a one-line plain-language reading, names the largest gap
    between two well-populated groups with its interval, draws the groups'
    selection rates and true and false positive rates with their intervals
    (and, with ``y_score``, their ROC curves and score distributions), and
    ends with the per-group table. It loads nothing from anywhere: no
    script, stylesheet, font or image file (the figures are inline SVG), so
    it reads offline and can be sent as one file. Needs matplotlib
    (``pip install 'skfair[plot]'``).

    The headline metrics use the groups with at least ``min_group_size``
    rows of each true label: the largest gap over all groups is otherwise
    the gap of the smallest, noisiest ones. The other groups are listed with
    their sizes and keep their rows in the tables and figures. A difference
    is called "beyond sampling noise" only when its simultaneous Newcombe
    interval (valid at every cell size) excludes 0; the groups' rates carry
    Wilson score intervals; the ratios get :func:`skfair.metrics.bootstrap_ci`'s
    default intervals. An
    undefined rate (a group without rows of the label it divides by) shows
    as "undefined" and is left out of that rate's comparisons.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted binary labels.
    sensitive_features : array-like, Series, DataFrame or dict
        Group of each row; several columns give intersectional groups. The
        page names the columns after a DataFrame's columns, a Series' name or
        a dict's keys.
    y_score : array-like of shape (n_samples,), default=None
        Scores (higher: more likely positive), for the groups' ROC curves,
        AUCs and score distributions.
    pos_label : object, default=1
        The positive label of ``y_true`` and ``y_pred``.
    n_boot : int, default=1000
        Bootstrap resamples of each group's rows (of its count table: fast),
        for the ratios' intervals.
    ci_quantiles : sequence of two floats, default=(0.025, 0.975)
        The bootstrap interval's quantiles; their distance is the level of
        every other interval of the page.
    min_group_size : int or None, default=30
        Groups with fewer rows of either true label are flagged as small and
        left out of the headline metrics; None flags none.
    include_small_groups : bool, default=False
        Keep the small groups in the headline metrics (still flagged).
    confidence : float in (0, 1), default=None
        With a level, the page adds the certified upper bounds of the
        headline gaps' population values (``gap_upper_bound``: demographic
        parity, equal opportunity, equalized odds) at that level.
    random_state : int, Generator or None, default=0
        Seed of the resampling (by default fixed: the same data give the same
        page).
    source : str, default=None
        What was audited (e.g. the file name), for the page's title.
    path : str or path-like, default=None
        If given, the page is also written there (UTF-8).

    Returns
    -------
    html : str
        The page.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skfair.metrics import audit_report
    >>> page = audit_report([1, 0, 1, 0, 1, 0], [1, 0, 0, 1, 1, 1],
    ...                     sensitive_features=["a", "a", "a", "b", "b", "b"],
    ...                     n_boot=100, min_group_size=None)
    >>> page.startswith("<!DOCTYPE html>"), page.count("<svg")
    (True, 2)
    """
    from ._bootstrap import check_generator

    n_boot, quantiles = check_bootstrap_params(n_boot, ci_quantiles)
    if quantiles.size != 2 or quantiles[0] >= quantiles[1]:
        raise ValueError(
            "ci_quantiles must be two increasing quantiles (the interval's "
            f"bounds); got {ci_quantiles!r}."
        )
    check_min_group_size(min_group_size)
    if not isinstance(include_small_groups, (bool, np.bool_)):
        raise ValueError(
            f"include_small_groups must be True or False; got {include_small_groups!r}."
        )
    if confidence is not None:
        confidence = check_confidence(confidence)
    if sensitive_features is None:
        raise ValueError("sensitive_features is required: the group of every row.")
    import_pyplot()  # fail before computing anything without matplotlib
    codes, groups, columns = _as_groups(sensitive_features)
    return render_audit(
        y_true,
        y_pred,
        codes,
        groups,
        columns,
        y_score=y_score,
        pos_label=pos_label,
        n_boot=n_boot,
        quantiles=quantiles,
        min_group_size=min_group_size,
        include_small_groups=bool(include_small_groups),
        confidence=confidence,
        rng=check_generator(random_state),
        source=source,
        path=path,
    )


def render_audit(
    y_true,
    y_pred,
    codes,
    groups,
    columns,
    *,
    y_score,
    pos_label,
    n_boot,
    quantiles,
    min_group_size,
    rng,
    source,
    path,
    include_small_groups=False,
    confidence=None,
    shown_pos_label=None,
):
    """The page from groups encoded once (``codes`` index ``groups``).

    The command-line audit comes here directly with the groups it has
    encoded and 0/1 labels; ``shown_pos_label`` is then the label the page
    names as positive (the file's, not 1).
    """
    audit = _Audit(
        y_true,
        y_pred,
        codes,
        groups,
        pos_label=pos_label,
        n_boot=n_boot,
        rng=rng,
        quantiles=quantiles,
        min_group_size=min_group_size,
        include_small_groups=include_small_groups,
        confidence=confidence,
        y_score=y_score,
    )
    page = _page(
        audit,
        source=source,
        columns=columns,
        pos_label=pos_label if shown_pos_label is None else shown_pos_label,
        n_boot=n_boot,
        quantiles=quantiles,
        min_group_size=min_group_size,
        confidence=confidence,
    )
    if path is not None:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(page)
    return page
