"""``audit_report``: one self-contained HTML page of a fairness audit.

The page is plain HTML and CSS: no script, and nothing loaded from anywhere
(the figures are inline SVG drawn by matplotlib, with their text as paths, so
no font is needed either), so it reads offline and travels as one e-mail
attachment. Every number comes from one count table of the (group, y_true,
y_pred) cells and one set of its bootstrap resamples (stratified by group,
see :mod:`skfair.metrics._bootstrap`), so the page's intervals are those of
:func:`skfair.metrics.bootstrap_ci` with the same seed.
"""

import html
import io
import re

import numpy as np

from .. import __version__
from ._bootstrap import (
    DEFAULT_QUANTILES,
    check_bootstrap_params,
    nan_quantiles,
    table_intervals,
)
from ._fairness import _group_rates, _rate
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


def _points(value):
    return "n/a" if not np.isfinite(value) else f"{100 * value:.1f} points"


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
        self.small = (
            self.sizes < min_group_size
            if min_group_size is not None
            else np.zeros(len(groups), bool)
        )
        names = [name for name, _ in _SYMMETRIC]
        if len(groups) == 2:
            names += [name for name, _ in _PRIVILEGED]
        self.estimates, self.intervals, resampled = table_intervals(
            self.counts, names, n_boot=n_boot, rng=rng, quantiles=quantiles
        )
        self.names = names
        table = self.counts.weighted
        self.rates = {kind: _group_rates(table, kind) for kind, _ in _RATES}
        self.rate_ci = {
            kind: nan_quantiles(_group_rates(resampled, kind), quantiles)
            for kind, _ in _RATES
        }
        for kind in ("precision", "accuracy"):
            self.rates[kind] = _group_rates(table, kind)
        positives = table[:, 1, :].sum(axis=-1)
        self.base_rate = positives / table.sum(axis=(1, 2))
        total = table.sum(axis=0)
        self.overall = {
            kind: float(_rate(total, kind))
            for kind in ("selection", "tpr", "fpr", "precision", "accuracy")
        }
        self.overall["base"] = float(total[1].sum() / total.sum())
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


def _noise_clause(name, low, high):
    """Whether the interval tells the gap from sampling noise, in words."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "The interval is undefined (too few rows)."
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
    rates = audit.rates[kind]
    if np.all(np.isnan(rates)):
        return "n/a", np.nan, "n/a", np.nan
    hi, lo = int(np.nanargmax(rates)), int(np.nanargmin(rates))
    return audit.labels[hi], rates[hi], audit.labels[lo], rates[lo]


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
        tpr_gap = np.nanmax(audit.rates["tpr"]) - np.nanmin(audit.rates["tpr"])
        fpr_gap = np.nanmax(audit.rates["fpr"]) - np.nanmin(audit.rates["fpr"])
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
        privileged, other = audit.labels[1], audit.labels[0]
        if name == "average_odds_difference":
            text = (
                f"{other}'s FPR and TPR minus {privileged}'s, averaged: "
                f"{value:+.3f} (0 means equal error rates; {privileged} is taken "
                "as privileged)."
            )
        else:
            text = (
                f"{other} is selected {_num(value, 2)} times as often as "
                f"{privileged} (AIF360's disparate impact; below 0.8 fails the "
                "four-fifths rule)."
            )
    low, high = audit.intervals[name][0], audit.intervals[name][-1]
    return f"{text} {_noise_clause(name, low, high)}"


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
        top = np.nanmax(np.concatenate([audit.rate_ci[kind][-1], audit.rates[kind]]))
        ax.set_xlim(0, min(1.02, 1.15 * np.nan_to_num(top, nan=1.0) + 0.02))
    for ax in axes[0][1:]:
        ax.tick_params(axis="y", labelleft=False)
    fig.tight_layout()
    return _svg(fig, salt)


def _roc_figure(audit, salt):
    plt = import_pyplot()
    fig, ax = plt.subplots(figsize=(9.5, 4.8))
    colors = plt.get_cmap("tab10")
    curves = audit.score
    for g, label in enumerate(audit.labels):
        if curves.curves[g] is not None:
            fpr, tpr = curves.curves[g]
            ax.plot(
                fpr,
                tpr,
                color=colors(g % 10),
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


def _headline(audit, names):
    """The page's first finding: which gaps are more than sampling noise.

    The largest difference alone can mislead: on small groups it may be the
    noisiest one, while a smaller gap between large groups is certain.
    """
    differences = [n for n, _ in _SYMMETRIC if n.endswith("difference")]

    def shown(name):
        low, high = audit.intervals[name][[0, -1]]
        return (
            f"<b>{html.escape(names[name].lower())} {_num(audit.estimates[name])}"
            f"</b> {_interval_text(low, high)}"
        )

    real = [n for n in differences if audit.intervals[n][0] > _TOUCH]
    real.sort(key=lambda n: -audit.estimates[n])
    largest = max(differences, key=lambda n: np.nan_to_num(audit.estimates[n], nan=-1))
    if real:
        text = "Gaps beyond sampling noise: " + "; ".join(shown(n) for n in real) + "."
        if largest not in real:
            text += f" The largest, {shown(largest)}, could be sampling noise."
        return f'<p class="headline">{text}</p>'
    text = (
        "No gap is distinguishable from sampling noise (every interval reaches "
        f"zero); the largest is {shown(largest)}."
    )
    return f'<p class="headline ok">{text}</p>'


def _metrics_table(audit, names, level):
    rows = []
    for name in audit.names:
        low, high = audit.intervals[name][0], audit.intervals[name][-1]
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


def _group_table(audit, level):
    score = audit.score
    head = [
        '<th class="name">group</th>',
        "<th>rows</th>",
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
        tag = '<span class="tag">small</span>' if audit.small[g] else ""
        cells = [
            f'<td class="name">{html.escape(label)}{tag}</td>',
            f"<td>{int(audit.sizes[g]):,}</td>",
            f"<td>{_pct(audit.sizes[g] / total)}</td>",
            f"<td>{_num(audit.base_rate[g])}</td>",
        ]
        for kind, _ in _RATES:
            ci = audit.rate_ci[kind]
            cells.append(
                f"<td>{_num(audit.rates[kind][g])}<br><span class='ci'>"
                f"{_interval_text(ci[0][g], ci[-1][g])}</span></td>"
            )
        cells += [
            f"<td>{_num(audit.rates['precision'][g])}</td>",
            f"<td>{_num(audit.rates['accuracy'][g])}</td>",
        ]
        if score is not None:
            cells.append(f"<td>{_num(score.auc[g])}</td>")
        row_class = ' class="small"' if audit.small[g] else ""
        rows.append(f"<tr{row_class}>" + "".join(cells) + "</tr>")
    overall = audit.overall
    cells = [
        '<td class="name"><b>all rows</b></td>',
        f"<td>{int(total):,}</td>",
        "<td>100%</td>",
        f"<td>{_num(overall['base'])}</td>",
    ]
    cells += [f"<td>{_num(overall[kind])}</td>" for kind, _ in _RATES]
    cells += [
        f"<td>{_num(overall['precision'])}</td>",
        f"<td>{_num(overall['accuracy'])}</td>",
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


def _page(audit, *, source, columns, pos_label, n_boot, quantiles, min_group_size):
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
            int(audit.small.sum()),
            f"groups under {min_group_size} rows"
            if min_group_size is not None
            else "small groups (not checked)",
        ),
        "</div>",
        _headline(audit, names),
        '<p class="sizes"><b>Groups (rows):</b> '
        + " · ".join(
            f"{html.escape(label)} ({int(size):,})"
            + (' <span class="tag">small</span>' if small else "")
            for label, size, small in zip(
                audit.labels, audit.sizes, audit.small, strict=True
            )
        )
        + "</p>",
    ]
    if audit.small.any():
        flagged = ", ".join(
            f"{html.escape(audit.labels[g])} ({int(audit.sizes[g])} rows)"
            for g in np.flatnonzero(audit.small)
        )
        parts.append(
            f'<p class="warn"><b>Small groups</b> (fewer than {min_group_size} '
            f"rows; their rates, and every gap involving them, are mostly noise: "
            f"see their wide intervals): {flagged}.</p>"
        )
    parts += [
        "<h2>Fairness metrics</h2>",
        f"<p>Differences are 0 and ratios 1 at parity. Intervals: {level}% "
        f"bootstrap intervals from {n_boot:,} resamples of each group's rows.</p>",
        _metrics_table(audit, names, level),
        "<h2>Rates by group</h2>",
        "<figure>",
        _rate_figure(audit, [_RATES[0]], "selection"),
        f"<figcaption>Figure 1. Share of each group predicted positive, with "
        f"{level}% intervals (whiskers); dashed: all rows. Hatched bars: small "
        "groups.</figcaption></figure>",
        "<figure>",
        _rate_figure(audit, _RATES[1:], "errors"),
        "<figcaption>Figure 2. True positive rate (truly positive rows predicted "
        "positive) and false positive rate (truly negative rows predicted "
        f"positive) of each group, with {level}% intervals; equalized odds asks "
        "for both to be equal across groups.</figcaption></figure>",
    ]
    if audit.score is not None:
        parts += [
            "<h2>Scores by group</h2>",
            "<figure>",
            _roc_figure(audit, "roc"),
            "<figcaption>Figure 3. Each group's ROC curve, with its AUC: curves "
            "that differ mean that no single threshold gives the groups equal "
            "error rates.</figcaption></figure>",
            "<figure>",
            _score_figure(audit, "scores"),
            "<figcaption>Figure 4. Distribution of each group's scores.</figcaption>"
            "</figure>",
        ]
    parts += [
        "<h2>Groups</h2>",
        _group_table(audit, level),
        "<footer>",
        f"Made by skfair {html.escape(__version__)} "
        "(<code>skfair.metrics.audit_report</code>). Resamples are stratified "
        "by group (each group keeps its size) and drawn from the count table "
        "of (group, true label, prediction) cells; the differences' intervals "
        "are basic bootstrap intervals, the others percentile intervals, as "
        "<code>skfair.metrics.bootstrap_ci</code> computes them.",
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
    random_state=0,
    source=None,
    path=None,
):
    """A fairness audit as one self-contained HTML page.

    The page states what was audited (rows, positive label, the groups and
    their sizes, small groups flagged), gives every fairness metric with its
    bootstrap interval and a one-line plain-language reading, draws the
    groups' selection rates and true and false positive rates with their
    intervals (and, with ``y_score``, their ROC curves and score
    distributions), and ends with the per-group table. It loads nothing from
    anywhere: no script, stylesheet, font or image file (the figures are
    inline SVG), so it reads offline and can be sent as one file. Needs
    matplotlib (``pip install 'skfair[plot]'``).

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
        Bootstrap resamples of each group's rows (of its count table: fast).
    ci_quantiles : sequence of two floats, default=(0.025, 0.975)
        The interval's quantiles.
    min_group_size : int or None, default=30
        Groups with fewer rows are flagged as small; None flags none.
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
    )
    if path is not None:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(page)
    return page
