"""Held-out evaluation over stratified splits: splits, summaries, frontiers.

The pieces of ``frontier.py`` that do not depend on any model: the stratified
70/30 splits (strata = group x label), the summary of a metric over splits
(mean, standard deviation, a t interval of the mean), the frontier of a
method's settings (the upper envelope of their means) and the synthetic
six-group population.
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats
from sklearn.model_selection import StratifiedShuffleSplit


def stratified_splits(y, groups, *, n_splits, test_size=0.3, seed=0):
    """(train, test) row indices of ``n_splits`` splits stratified by group x label.

    Every (group, label) cell keeps its share in both parts, so that a small
    group is neither missing from a test set nor all in it.
    """
    strata = np.char.add(
        np.char.add(np.asarray(groups).astype(str), "|"), np.asarray(y).astype(str)
    )
    splitter = StratifiedShuffleSplit(
        n_splits=n_splits, test_size=test_size, random_state=seed
    )
    return list(splitter.split(np.zeros(len(strata)), strata))


def run_splits(data, run_split, report_split, *, n_splits, test_size=0.3, seed=0):
    """``run_split(data, train, test)`` on each stratified split of ``data``.

    One BLAS thread (fit times comparable across methods) and warnings off
    (the benchmarks report the figures, not the fits' chatter);
    ``report_split(i, result)`` prints each split's progress. Returns the
    results, in split order.
    """
    import warnings

    from threadpoolctl import threadpool_limits

    results = []
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        splits = stratified_splits(
            data.y, data.groups, n_splits=n_splits, test_size=test_size, seed=seed
        )
        for i, (train, test) in enumerate(splits):
            results.append(run_split(data, train, test))
            report_split(i, results[-1])
    return results


def stratified_subsample(y, groups, n_rows, seed=0):
    """Indices of ``n_rows`` rows, stratified by group x label (for ``--quick``)."""
    if n_rows >= len(y):
        return np.arange(len(y))
    keep, _ = stratified_splits(
        y, groups, n_splits=1, test_size=len(y) - n_rows, seed=seed
    )[0]
    return np.sort(keep)


@dataclass(frozen=True)
class Summary:
    """A metric over splits: mean, sample standard deviation, 95% t interval."""

    mean: float
    sd: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values, confidence=0.95):
        values = np.asarray(values, dtype=float)
        n = len(values)
        mean = float(values.mean())
        if n < 2:
            return cls(mean, float("nan"), float("nan"), float("nan"), n)
        sd = float(values.std(ddof=1))
        half = stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / np.sqrt(n)
        low, high = mean - half, mean + half
        if sd > 0:
            # The same interval by scipy's own route.
            check = stats.t.interval(
                confidence, n - 1, loc=mean, scale=stats.sem(values)
            )
            assert np.allclose((low, high), check), ((low, high), check)
        return cls(mean, sd, float(low), float(high), n)

    def fmt(self, digits=4):
        """``mean +- sd``."""
        if self.n < 2:
            return f"{self.mean:.{digits}f}"
        return f"{self.mean:.{digits}f} ± {self.sd:.{digits}f}"

    def fmt_interval(self, digits=4):
        if self.n < 2:
            return "n/a"
        return f"[{self.low:.{digits}f}, {self.high:.{digits}f}]"


def pareto(points):
    """The (gap, accuracy) points that no other point beats on both, by gap."""
    front = []
    for gap, acc in sorted(points, key=lambda p: (p[0], -p[1])):
        if not front or acc > front[-1][1]:
            front.append((gap, acc))
    return front


def frontier_accuracy(points, gap):
    """The upper envelope of ``points`` (mean gap, mean accuracy) at ``gap``.

    The Pareto points joined linearly (a mixture of two models reaches the
    segment between them: its rates, hence its accuracy, are the mixture of
    theirs, and its gap is at most the mixture of their gaps); past the largest
    gap the best accuracy. NaN below the smallest gap: no setting got there.
    """
    front = pareto(points)
    gaps = np.array([p[0] for p in front])
    accs = np.array([p[1] for p in front])
    if gap < gaps[0]:
        return float("nan")
    return float(np.interp(gap, gaps, accs))


def best_setting_accuracy(points, gap):
    """Best mean accuracy of one setting whose mean gap is at most ``gap``."""
    accs = [acc for point_gap, acc in points if point_gap <= gap]
    return max(accs) if accs else float("nan")


# The synthetic population: six groups, two of them small (< 100 rows), which
# differ in their feature means and base rates; the group is not a feature
# but the features carry it, as in real data.
SYNTHETIC_GROUPS = {
    # name: (rows, shift of the first three features, label offset in logits)
    "g1": (4000, 0.0, 0.0),
    "g2": (2500, 0.4, -0.6),
    "g3": (1500, -0.5, 0.5),
    "g4": (800, 0.8, -1.0),
    "g5": (90, -0.9, -1.4),
    "g6": (60, 1.2, 0.9),
}
SYNTHETIC_FEATURES = 8


def synthetic_population(seed=0):
    """(X, y, groups) of the synthetic six-group population (fixed seed)."""
    rng = np.random.default_rng(seed)
    weights = rng.normal(0.0, 0.8, SYNTHETIC_FEATURES)
    X, y, groups = [], [], []
    for name, (rows, shift, offset) in SYNTHETIC_GROUPS.items():
        features = rng.normal(0.0, 1.0, (rows, SYNTHETIC_FEATURES))
        features[:, :3] += shift
        # A noisier label in the groups with a shift, so the groups' error
        # rates differ for any one linear model.
        noise = rng.normal(0.0, 0.5 + abs(shift), rows)
        logit = features @ weights + offset - 0.7 + noise
        X.append(features)
        y.append((logit > 0).astype(int))
        groups.append(np.full(rows, name))
    return np.vstack(X), np.concatenate(y), np.concatenate(groups)
