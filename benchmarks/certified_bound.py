"""Coverage and tightness of skfair.metrics.gap_upper_bound (issue 27, item 1).

A fixed LogisticRegression is fitted once on 20,000 rows of a synthetic
population; it is then audited on many fresh samples of 5,000 rows. For each
sample and metric the 95% upper bound is compared with the metric's
POPULATION value, computed from 1,000,000 fresh rows of every group (the
groups' tables are mixed in their population shares).

The population: six features, ``x0 = group + N(0, 0.8)`` a group proxy and
``x1..x5`` normal with group-dependent means; ``y`` is logistic in the
features with a group-dependent intercept, so the groups differ in size and
base rate. Three settings:

- ``two groups``: shares .7 / .3, base rates about .49 / .27;
- ``three groups``: shares .5 / .3 / .2;
- ``small cell``: shares .98 / .02, a sharper model, the small group with a
  high base rate, so that its negative cell holds ~12 rows of the 5,000;
  its false positive rate (~.15) is above the large group's, and a Wald
  interval collapses to 0 whenever none of those rows is predicted
  positive.

Beside skfair's default (each pair's bound from an inverted exact test of
the difference; a box for average odds) the table shows the box of
one-sided Clopper-Pearson bounds with the miss probability split by cell
size (the default's fallback for cells over 5,000 rows), the first
version's even split (``gap_bounds(method="exact", sides="upper")``) and a
simultaneous normal bound: Wald intervals of every rate the metric uses,
Bonferroni over those rates, the bound being the largest gap of their ends.

    python benchmarks/certified_bound.py           # 200 samples (~5 min)
    python benchmarks/certified_bound.py --quick   # 40 samples (~1 min)
"""

import argparse
import sys
import time
from pathlib import Path
from statistics import NormalDist

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine_line, write_section  # noqa: E402

from skfair.metrics import _certified, gap_upper_bound  # noqa: E402
from skfair.metrics._certified import (  # noqa: E402
    METRIC_RATES,
    gap_upper_bound_from_table,
)
from skfair.metrics._intervals import gap_bounds, rate_counts  # noqa: E402

CONFIDENCE = 0.95
SAMPLE_ROWS = 5_000
TRAIN_ROWS = 20_000
METRICS = tuple(METRIC_RATES)
COEF = np.array([0.8, 0.6, -0.5, 0.4, 0.3, -0.2])

# shares of the groups, their intercepts and their feature mean shifts.
SETTINGS = {
    "two groups": dict(shares=(0.7, 0.3), intercept=(0.0, -0.9), shift=(0.0, -0.4)),
    "three groups": dict(
        shares=(0.5, 0.3, 0.2), intercept=(0.0, -0.6, -1.0), shift=(0.0, -0.3, 0.3)
    ),
    # A sharper model (signal x3); the small group scores high, so that its
    # false positive rate (~.15, on ~12 negative rows) is the high side.
    "small cell": dict(
        shares=(0.98, 0.02), intercept=(-2.0, 0.0), shift=(0.0, 2.0), signal=3.0
    ),
}


def draw_group(n, group, setting, rng):
    """``n`` rows of one group: features (proxy first) and labels."""
    x = rng.normal(setting["shift"][group], 1.0, size=(n, 6))
    x[:, 0] = group + rng.normal(0.0, 0.8, size=n)
    signal = x[:, 1:] @ COEF[1:] * setting.get("signal", 1.0)
    logit = setting["intercept"][group] + signal + 0.3 * group
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return x, y


def draw(n, setting, rng):
    """``n`` rows of the mixture: features, labels, groups."""
    sizes = rng.multinomial(n, setting["shares"])
    parts = [draw_group(m, g, setting, rng) for g, m in enumerate(sizes)]
    groups = np.repeat(np.arange(len(sizes)), sizes)
    order = rng.permutation(n)
    x = np.concatenate([p[0] for p in parts])[order]
    y = np.concatenate([p[1] for p in parts])[order]
    return x, y, groups[order]


def population_table(model, setting, rows_per_group, rng):
    """Population frequencies of the (group, y_true, y_pred) cells."""
    table = np.zeros((len(setting["shares"]), 2, 2))
    for g, share in enumerate(setting["shares"]):
        x, y = draw_group(rows_per_group, g, setting, rng)
        pred = model.predict(x)
        cells = np.bincount(2 * y + pred, minlength=4).reshape(2, 2)
        table[g] = share * cells / rows_per_group
    return table


def metric_value(table, metric, privileged=0):
    """A metric's value on a table of cell frequencies (|AOD| for average odds)."""
    kinds = METRIC_RATES[metric]
    if metric == "average_odds_difference":
        others = np.arange(table.shape[0]) != privileged
        sides = np.stack([table[others].sum(axis=0), table[privileged]])
        rates = [np.divide(*rate_counts(sides, k)) for k in kinds]
        return abs(np.mean([r[0] - r[1] for r in rates]))
    gaps = [np.ptp(np.divide(*rate_counts(table, k))) for k in kinds]
    return max(gaps)


def wald_bound(table, metric, privileged=0):
    """Simultaneous normal bound: Wald intervals, Bonferroni over the rates."""
    kinds = METRIC_RATES[metric]
    if metric == "average_odds_difference":
        others = np.arange(table.shape[0]) != privileged
        table = np.stack([table[others].sum(axis=0), table[privileged]])
    counts = [rate_counts(table, k) for k in kinds]
    if any(np.any(n <= 0) for _, n in counts):
        return 1.0
    z = NormalDist().inv_cdf(1 - (1 - CONFIDENCE) / (2 * table.shape[0] * len(kinds)))
    ends = []
    for k, n in counts:
        p = k / n
        half = z * np.sqrt(p * (1 - p) / n)
        ends.append((np.clip(p - half, 0, 1), np.clip(p + half, 0, 1)))
    if metric == "average_odds_difference":
        above = np.mean([hi[0] - lo[1] for lo, hi in ends])
        below = np.mean([hi[1] - lo[0] for lo, hi in ends])
        return float(np.clip(max(above, below), 0, 1))
    return float(max(hi.max() - lo.min() for lo, hi in ends))


def box_bound(table, metric):
    """The default's fallback (a box split by size) for every pair."""
    saved = _certified._EXACT_TEST_ROWS
    _certified._EXACT_TEST_ROWS = -1
    try:
        return gap_upper_bound_from_table(
            table, metric=metric, confidence=CONFIDENCE, privileged_index=0
        )
    finally:
        _certified._EXACT_TEST_ROWS = saved


def even_split_bound(table, metric):
    """The first version: exact boxes with the tail split evenly."""
    if metric == "average_odds_difference":
        return np.nan
    _, upper = gap_bounds(
        table,
        METRIC_RATES[metric],
        confidence=CONFIDENCE,
        method="exact",
        sides="upper",
    )
    return upper


def run_setting(name, n_samples, rows_per_group, seed):
    from sklearn.linear_model import LogisticRegression

    setting = SETTINGS[name]
    rng = np.random.default_rng(seed)
    x, y, _ = draw(TRAIN_ROWS, setting, rng)
    model = LogisticRegression().fit(x, y)
    population = population_table(model, setting, rows_per_group, rng)
    truth = {m: metric_value(population, m) for m in METRICS}
    bounds = {
        m: {"default": [], "box": [], "even": [], "wald": [], "sample": []}
        for m in METRICS
    }
    smallest = []
    for _ in range(n_samples):
        x, y, groups = draw(SAMPLE_ROWS, setting, rng)
        pred = model.predict(x)
        table = np.zeros((len(setting["shares"]), 2, 2))
        np.add.at(table, (groups, y, pred), 1)
        smallest.append(table.sum(axis=2).min())
        for m in METRICS:
            extra = {"privileged_group": 0} if m == "average_odds_difference" else {}
            bounds[m]["default"].append(
                gap_upper_bound(
                    y,
                    pred,
                    sensitive_features=groups,
                    metric=m,
                    confidence=CONFIDENCE,
                    **extra,
                )
            )
            bounds[m]["box"].append(box_bound(table, m))
            bounds[m]["even"].append(even_split_bound(table, m))
            bounds[m]["wald"].append(wald_bound(table, m))
            bounds[m]["sample"].append(metric_value(table / table.sum(), m))
    rows = []
    for m in METRICS:
        row = {"setting": name, "metric": m, "truth": truth[m]}
        for method, values in bounds[m].items():
            values = np.asarray(values)
            row[f"{method}_cover"] = np.mean(values >= truth[m])
            row[f"{method}_excess"] = np.mean(values - truth[m])
        rows.append(row)
    base = [
        population[g, 1].sum() / population[g].sum() for g in range(len(population))
    ]
    return rows, np.median(smallest), base


def _cell(cover, excess):
    if np.isnan(excess):
        return "--"
    return f"{cover:.3f} / {excess:+.3f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    args = parser.parse_args()
    n_samples = 40 if args.quick else 200
    rows_per_group = 200_000 if args.quick else 1_000_000
    start = time.time()
    flag = " --quick" if args.quick else ""
    lines = [
        "## Certified gap bound: gap_upper_bound coverage and tightness",
        "",
        machine_line(),
        f"Command: `python benchmarks/certified_bound.py{flag}`; "
        f"{n_samples} samples of {SAMPLE_ROWS:,} rows per setting, confidence "
        f"{CONFIDENCE}, a fixed LogisticRegression fitted once on {TRAIN_ROWS:,} "
        f"other rows; population values from {rows_per_group:,} fresh rows per "
        "group. Each cell: coverage (share of samples whose bound is >= the "
        "population value) / mean (bound - population value). Targets for the "
        "default: coverage >= .925, mean excess <= .08. Average odds: the bound "
        "of |AOD|, privileged group 0.",
        "",
        "| setting | metric | population value | skfair default (exact test) "
        "| exact box, size split | exact box, even split | Wald, Bonferroni "
        "| sample value |",
        "|---|---|---|---|---|---|---|---|",
    ]
    notes = []
    for i, name in enumerate(SETTINGS):
        rows, smallest, base = run_setting(name, n_samples, rows_per_group, seed=i)
        notes.append(
            f"- {name}: base rates {', '.join(f'{b:.2f}' for b in base)}; "
            f"median smallest (group, label) cell {smallest:.0f} rows."
        )
        for r in rows:
            lines.append(
                f"| {r['setting']} | {r['metric']} | {r['truth']:.3f} | "
                f"{_cell(r['default_cover'], r['default_excess'])} | "
                f"{_cell(r['box_cover'], r['box_excess'])} | "
                f"{_cell(r['even_cover'], r['even_excess'])} | "
                f"{_cell(r['wald_cover'], r['wald_excess'])} | "
                f"{_cell(r['sample_cover'], r['sample_excess'])} |"
            )
    lines += ["", *notes, "", f"Wall time {time.time() - start:.0f} s."]
    text = "\n".join(lines)
    print(text)
    if not args.quick:
        write_section("certified_bound", text)


if __name__ == "__main__":
    main()
