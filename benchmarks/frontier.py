"""Held-out accuracy / equalized-odds frontiers over stratified splits.

What a user comparing mitigators on new data measures: every setting of every
method is fitted on the training part of ``N_SPLITS`` stratified 70/30 splits
(strata = group x label, fixed seeds) and judged on the held-out 30% by the
test accuracy and the test equalized-odds gap
(:func:`skfair.metrics.equalized_odds_difference`) of ``predict``.
Randomized classifiers predict with a fixed ``random_state``: the decisions,
and the gap, that a user gets. Per setting: the mean and standard deviation
over splits of both, a 95% interval of the mean (t with n_splits - 1 degrees
of freedom), the mean training gap of the same decisions, the mean share of
positive decisions and the mean fit time. A method's frontier is the upper
envelope of its settings' means (accuracy against mean test gap).

Data (the group is never a feature; categoricals one-hot, numerics
standardised, the encoding fitted on each training part):

- Adult/sex and Adult/race (5 groups): UCI Adult, train and test files pooled;
- German Credit/sex (``personal_status_sex``, which encodes sex, dropped too);
- MEPS/ethnicity: the 1996 Medical Expenditure Panel Survey extract (target
  insurance; three groups, "other" of 365 rows; gender stays a feature);
- a synthetic population of six groups, two of them small (< 100 rows),
  generated here (``_heldout.synthetic_population``).

Methods, every one in the same run on the same splits, with
LogisticRegression(max_iter=1000) as every base model:

- the unconstrained LogisticRegression;
- skfair ConstrainedLogisticRegression (equalized odds; tolerances
  ``CLR_TOLERANCES``), ExponentiatedGradient(LR) (``EG_TOLERANCES``),
  GridSearch(LR, equalized odds, ``grid_size=GS_GRID_SIZE``) at the constraint
  weights ``GS_WEIGHTS`` (one fit per split: a weight only changes which of
  the fitted predictors is kept, by the documented rule, checked against the
  fitted model's own choice), ThresholdOptimizer (prefit LR; ``TO_TOLERANCES``;
  its fit time excludes the LR), Reweighing + LR;
- fairlearn 0.15 ExponentiatedGradient(LR, EqualizedOdds(0.01)) (with
  ``--expgrad-sweep``: at ``FAIRLEARN_EG_SWEEP`` on Adult/sex) and
  ThresholdOptimizer(prefit LR, equalized_odds).

scikit-lego is not installed in the benchmark environment; its point is
dropped (the previous single-split figure had it).

Writes ``docs/_static/frontier.png`` (the held-out frontiers),
``docs/_static/heldout_gap.png`` (mean held-out gap against tolerance on
Adult/sex) and section "frontier" of RESULTS.md: one table per data set, then
the checks of issue 28's items 2-4.

Run: ``python benchmarks/frontier.py [--quick] [--expgrad-sweep]
[--no-expgrad] [--data NAME,...]``. ``--quick`` (2 splits, fewer settings,
subsampled rows) is a smoke test. ``--data`` runs some of the data sets
(``DATASETS``' keys, e.g. ``--data meps``) and only prints their tables: a
partial run leaves RESULTS.md and the plots as they are.
"""

import argparse
import logging
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _heldout import (  # noqa: E402
    SYNTHETIC_GROUPS,
    Summary,
    best_setting_accuracy,
    frontier_accuracy,
    pareto,
    stratified_splits,
    stratified_subsample,
    synthetic_population,
)
from _report import machine_line, write_section  # noqa: E402

from skfair.datasets import (  # noqa: E402
    load_adult,
    load_german_credit,
    load_meps_insurance,
)
from skfair.datasets._loaders import ADULT_NUMERIC, MEPS_NUMERIC  # noqa: E402
from skfair.metrics import equalized_odds_difference  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PLOT = ROOT / "docs" / "_static" / "frontier.png"
GAP_PLOT = ROOT / "docs" / "_static" / "heldout_gap.png"
NUMERIC = list(ADULT_NUMERIC)  # Adult's six numeric columns

N_SPLITS = 5
TEST_SIZE = 0.3
CLR_TOLERANCES = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05)
EG_TOLERANCES = (0.005, 0.01, 0.02, 0.05)
TO_TOLERANCES = (0.0, 0.01, 0.02, 0.05)
GS_GRID_SIZE = 20
GS_WEIGHTS = (0.5, 0.8, 0.95)
FAIRLEARN_EG_BOUND = 0.01
FAIRLEARN_EG_SWEEP = (0.005, 0.01, 0.02, 0.05)
SEED = 0  # splits, subsamples and every random_state

QUICK = {
    "n_splits": 2,
    "rows": 6000,
    "clr": (0.0, 0.05),
    "eg": (0.05,),
    "to": (0.0, 0.05),
    "gs": (0.5,),
}

CLR = "ConstrainedLogisticRegression"
EG = "ExponentiatedGradient(LR)"
TO = "ThresholdOptimizer(LR)"
GS = "GridSearch(LR)"
FL_EG = "fairlearn ExponentiatedGradient(LR)"
FL_TO = "fairlearn ThresholdOptimizer(LR)"
LR_NAME = "LogisticRegression"
RW = "Reweighing + LR"


# -- features and data ----------------------------------------------------------


def encode(X, X_test, numeric):
    """One-hot the other columns, standardise ``numeric``; fitted on ``X``."""
    categorical = [c for c in X.columns if c not in numeric]
    encoder = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), categorical),
        (StandardScaler(), list(numeric)),
        sparse_threshold=0.0,
    )
    return encoder.fit_transform(X), encoder.transform(X_test)


class AdultSplits:
    """Adult's official train/test files with the encoding shared by every model.

    (The single split of the earlier frontier; ``benchmarks/reductions.py``
    still measures on it.)
    """

    def __init__(self):
        train, test = load_adult(split="train"), load_adult(split="test")
        self.X, self.X_test = train.data, test.data
        self.y, self.y_test = train.target.to_numpy(), test.target.to_numpy()
        self.sex = self.X["sex"].astype(str).to_numpy()
        self.sex_test = self.X_test["sex"].astype(str).to_numpy()
        self.A, self.A_test = self.encode(self.X, self.X_test)

    @staticmethod
    def encode(X, X_test):
        """One-hot + standardise, sex dropped; fitted on the training rows."""
        return encode(X.drop(columns="sex"), X_test.drop(columns="sex"), NUMERIC)


@dataclass
class Dataset:
    """One data set: its rows (group column removed) and how to encode them."""

    name: str
    group_name: str
    X: pd.DataFrame
    y: np.ndarray
    groups: np.ndarray
    numeric: list
    note: str = ""

    def subsample(self, n_rows):
        keep = stratified_subsample(self.y, self.groups, n_rows, seed=SEED)
        return Dataset(
            self.name,
            self.group_name,
            self.X.iloc[keep].reset_index(drop=True),
            self.y[keep],
            self.groups[keep],
            self.numeric,
            self.note,
        )

    def splits(self, n_splits):
        for train, test in stratified_splits(
            self.y, self.groups, n_splits=n_splits, test_size=TEST_SIZE, seed=SEED
        ):
            yield Split(self, train, test)


class Split:
    """The encoded training and test rows of one split, and its fitted LR."""

    def __init__(self, data, train, test):
        self.A, self.A_test = encode(
            data.X.iloc[train], data.X.iloc[test], data.numeric
        )
        self.y, self.y_test = data.y[train], data.y[test]
        self.g, self.g_test = data.groups[train], data.groups[test]
        self.lr = None  # the baseline, reused by the prefit post-processors


def _adult(group_name):
    X = load_adult(split="all").data
    # Pooling the two files leaves native-country's categories unequal: plain
    # strings for every categorical column.
    X = X.astype({c: str for c in X.columns if c not in NUMERIC})
    y = load_adult(split="all").target.to_numpy()
    groups = X.pop(group_name).to_numpy()
    return Dataset(f"Adult/{group_name}", group_name, X, y, groups, NUMERIC)


def _german():
    data = load_german_credit()
    X = data.data.drop(columns=["personal_status_sex"])
    X = X.astype({c: str for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])})
    groups = X.pop("sex").astype(str).to_numpy()
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]
    return Dataset(
        "German Credit/sex",
        "sex",
        X,
        data.target.to_numpy(),
        groups,
        numeric,
        note="personal_status_sex (which encodes sex) dropped",
    )


def _synthetic():
    features, y, groups = synthetic_population(seed=SEED)
    columns = [f"x{i}" for i in range(features.shape[1])]
    sizes = ", ".join(
        f"{name} {rows}" for name, (rows, _, _) in SYNTHETIC_GROUPS.items()
    )
    return Dataset(
        "synthetic/6 groups",
        "group",
        pd.DataFrame(features, columns=columns),
        y,
        groups,
        columns,
        note=f"rows per group: {sizes}",
    )


def _meps():
    data = load_meps_insurance()
    numeric = list(MEPS_NUMERIC)
    X = data.data.astype({c: str for c in data.data.columns if c not in numeric})
    groups = X.pop("ethnicity").to_numpy()
    return Dataset(
        "MEPS/ethnicity",
        "ethnicity",
        X,
        data.target.to_numpy(),
        groups,
        numeric,
        note="target insurance; gender stays a feature",
    )


# --data keys, in the order of the tables (the first is the plot's main panel).
DATASETS = {
    "adult-sex": lambda: _adult("sex"),
    "adult-race": lambda: _adult("race"),
    "german": _german,
    "meps": _meps,
    "synthetic": _synthetic,
}


def datasets(names=None):
    """The data sets named (``DATASETS``' keys), all of them by default."""
    names = list(DATASETS) if names is None else names
    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        raise SystemExit(
            f"frontier.py: unknown data set(s) {unknown}; choose from {list(DATASETS)}."
        )
    return [DATASETS[n]() for n in names]


# -- methods --------------------------------------------------------------------


def _lr():
    return LogisticRegression(max_iter=1000)


def _timed(fit):
    """The fitted model and its wall time, warnings silenced."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = fit()
    return model, time.perf_counter() - start


def _timed_recording(fit):
    """The fitted model, its wall time and the warnings it emitted."""
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = fit()
    seconds = time.perf_counter() - start
    return model, seconds, [f"{w.category.__name__}: {w.message}" for w in caught]


@dataclass
class Fit:
    """One setting fitted on one split: its decisions on both parts."""

    train_pred: np.ndarray
    test_pred: np.ndarray
    seconds: float
    warnings: list = field(default_factory=list)


class Methods:
    """The settings of every method, fitted split by split."""

    def __init__(self, *, clr, eg, to, gs):
        self.clr, self.eg, self.to, self.gs = clr, eg, to, gs

    def fit_all(self, split, fairlearn_eg_bounds):
        """Yield (method, setting, tolerance, Fit) for every setting on ``split``."""
        yield LR_NAME, "unconstrained", None, self._baseline(split)
        yield RW, "", None, self._reweighing(split)
        for tol in self.clr:
            yield CLR, f"tolerance={tol:g}", tol, self._clr(split, tol)
        for tol in self.eg:
            yield EG, f"tolerance={tol:g}", tol, self._skfair_eg(split, tol)
        for weight, fit in self._grid_search(split):
            yield GS, f"constraint_weight={weight:g}", None, fit
        for tol in self.to:
            yield TO, f"tolerance={tol:g}", tol, self._skfair_to(split, tol)
        yield FL_TO, "equalized_odds", None, self._fairlearn_to(split)
        for bound in fairlearn_eg_bounds:
            yield (
                FL_EG,
                f"EqualizedOdds({bound:g})",
                bound,
                self._fairlearn_eg(split, bound),
            )

    @staticmethod
    def _decisions(model, split, seconds, caught=(), *, groups=False, **predict_kw):
        """``model``'s decisions on both parts (``groups``: it needs them)."""

        def predict(A, g):
            kw = dict(predict_kw, sensitive_features=g) if groups else predict_kw
            return np.asarray(model.predict(A, **kw)).astype(int)

        return Fit(
            predict(split.A, split.g),
            predict(split.A_test, split.g_test),
            seconds,
            list(caught),
        )

    def _baseline(self, split):
        split.lr, seconds = _timed(lambda: _lr().fit(split.A, split.y))
        return self._decisions(split.lr, split, seconds)

    def _reweighing(self, split):
        from skfair.preprocessing import Reweighing

        model, seconds, caught = _timed_recording(
            lambda: Reweighing(_lr()).fit(split.A, split.y, sensitive_features=split.g)
        )
        return self._decisions(model, split, seconds, caught)

    def _clr(self, split, tol):
        from skfair.inprocessing import ConstrainedLogisticRegression

        model, seconds, caught = _timed_recording(
            lambda: ConstrainedLogisticRegression(
                constraints="equalized_odds", tolerance=tol
            ).fit(split.A, split.y, sensitive_features=split.g)
        )
        return self._decisions(model, split, seconds, caught)

    def _skfair_eg(self, split, tol):
        from skfair.reductions import ExponentiatedGradient

        model, seconds, caught = _timed_recording(
            lambda: ExponentiatedGradient(
                _lr(), constraints="equalized_odds", tolerance=tol, random_state=SEED
            ).fit(split.A, split.y, sensitive_features=split.g)
        )
        return self._decisions(model, split, seconds, caught)

    def _grid_search(self, split):
        from skfair.reductions import GridSearch

        model, seconds, caught = _timed_recording(
            lambda: GridSearch(
                _lr(), constraints="equalized_odds", grid_size=GS_GRID_SIZE
            ).fit(split.A, split.y, sensitive_features=split.g)
        )
        errors = np.asarray(model.training_errors_)
        gaps = np.asarray(model.training_gaps_)
        for weight in self.gs:
            # GridSearch's documented selection at this weight (ties: first).
            chosen = int(np.argmin((1 - weight) * errors + weight * gaps))
            if weight == model.constraint_weight:
                assert chosen == model.best_idx_, (chosen, model.best_idx_)
            predictor = model.predictors_[chosen]
            yield weight, self._decisions(predictor, split, seconds, caught)

    def _skfair_to(self, split, tol):
        from skfair.postprocessing import ThresholdOptimizer

        model, seconds, caught = _timed_recording(
            lambda: ThresholdOptimizer(
                split.lr, prefit=True, tolerance=tol, random_state=SEED
            ).fit(split.A, split.y, sensitive_features=split.g)
        )
        return self._decisions(model, split, seconds, caught, groups=True)

    def _fairlearn_to(self, split):
        from fairlearn.postprocessing import ThresholdOptimizer as FairlearnTO

        model, seconds, caught = _timed_recording(
            lambda: FairlearnTO(
                estimator=split.lr,
                constraints="equalized_odds",
                prefit=True,
                predict_method="predict_proba",
            ).fit(split.A, split.y, sensitive_features=split.g)
        )
        return self._decisions(
            model,
            split,
            seconds,
            caught,
            groups=True,
            random_state=SEED,
        )

    def _fairlearn_eg(self, split, bound):
        from fairlearn.reductions import EqualizedOdds, ExponentiatedGradient

        model, seconds, caught = _timed_recording(
            lambda: ExponentiatedGradient(
                _lr(), EqualizedOdds(difference_bound=bound)
            ).fit(split.A, split.y, sensitive_features=split.g)
        )
        return self._decisions(model, split, seconds, caught, random_state=SEED)


# -- measuring ------------------------------------------------------------------


def eo_gap(y_true, y_pred, groups):
    with warnings.catch_warnings():
        # A small group's test cell can be empty in --quick runs: fairlearn's
        # value (the group left at rate 0) is kept, as the metric documents.
        warnings.simplefilter("ignore")
        return float(
            equalized_odds_difference(y_true, y_pred, sensitive_features=groups)
        )


@dataclass
class Result:
    """One setting of one method on one data set, over the splits."""

    dataset: str
    method: str
    setting: str
    tolerance: float
    accuracy: list = field(default_factory=list)
    test_gap: list = field(default_factory=list)
    train_gap: list = field(default_factory=list)
    positive_share: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    warnings: dict = field(default_factory=dict)  # message -> number of fits
    warned_fits: int = 0  # fits that emitted any warning

    def add(self, split, fit):
        self.accuracy.append(float(np.mean(fit.test_pred == split.y_test)))
        self.test_gap.append(eo_gap(split.y_test, fit.test_pred, split.g_test))
        self.train_gap.append(eo_gap(split.y, fit.train_pred, split.g))
        self.positive_share.append(float(np.mean(fit.test_pred == 1)))
        self.seconds.append(fit.seconds)
        self.warned_fits += bool(fit.warnings)
        for message in dict.fromkeys(fit.warnings):
            self.warnings[message] = self.warnings.get(message, 0) + 1

    @property
    def acc(self):
        return Summary.of(self.accuracy)

    @property
    def gap(self):
        return Summary.of(self.test_gap)

    @property
    def point(self):
        return (self.gap.mean, self.acc.mean)


def _cross_check_metric(split, fit):
    """skfair's gap of the first split's baseline equals fairlearn's."""
    from fairlearn.metrics import equalized_odds_difference as fairlearn_eod

    ours = eo_gap(split.y_test, fit.test_pred, split.g_test)
    theirs = fairlearn_eod(split.y_test, fit.test_pred, sensitive_features=split.g_test)
    assert np.isclose(ours, theirs), (ours, theirs)


def run_dataset(data, methods, n_splits, fairlearn_eg_bounds):
    results = {}
    for i, split in enumerate(data.splits(n_splits)):
        start = time.perf_counter()
        for method, setting, tol, fit in methods.fit_all(split, fairlearn_eg_bounds):
            if i == 0 and method == LR_NAME:
                _cross_check_metric(split, fit)
            print(
                f"[frontier]   {data.name} split {i + 1}: {method} {setting} "
                f"fit {fit.seconds:.1f} s",
                flush=True,
            )
            key = (method, setting)
            if key not in results:
                results[key] = Result(data.name, method, setting, tol)
            results[key].add(split, fit)
        print(
            f"[frontier] {data.name} split {i + 1}/{n_splits}: "
            f"{time.perf_counter() - start:.0f} s",
            flush=True,
        )
    for r in results.values():
        print(
            f"[frontier] {data.name:<20} {r.method} {r.setting}: acc {r.acc.fmt()}, "
            f"test EO {r.gap.fmt()}, train EO {np.mean(r.train_gap):.4f}, "
            f"fit {np.mean(r.seconds):.2f} s",
            flush=True,
        )
    return list(results.values())


# -- the checks of issue 28 ------------------------------------------------------


def _of(results, method):
    return [r for r in results if r.method == method]


def _points(results, method):
    return [r.point for r in _of(results, method)]


def _at(results, method, tolerance):
    for r in _of(results, method):
        if r.tolerance is not None and np.isclose(r.tolerance, tolerance):
            return r
    return None


def _met(ok):
    return "**met**" if ok else "**unmet**"


def _fmt(value, digits=4):
    return "n/a" if value is None or np.isnan(value) else f"{value:.{digits}f}"


def monotone_line(results, method, dataset):
    """Is the mean held-out gap non-increasing as the tolerance decreases?"""
    rows = sorted(
        (r for r in _of(results, method) if r.tolerance is not None),
        key=lambda r: r.tolerance,
    )
    if len(rows) < 2:
        return None
    means = [r.gap.mean for r in rows]
    ok = all(a <= b for a, b in zip(means, means[1:], strict=False))
    listing = ", ".join(f"{r.tolerance:g}: {r.gap.mean:.4f}" for r in rows)
    return (
        f"- {dataset}, {method}: mean held-out EO non-increasing as the tolerance "
        f"decreases ({listing}): {_met(ok)}."
    )


def within_line(results, method, dataset):
    """For tolerance >= .01: mean held-out gap <= tolerance + .01?"""
    rows = [
        r
        for r in _of(results, method)
        if r.tolerance is not None and r.tolerance >= 0.01 - 1e-12
    ]
    if not rows:
        return None
    parts, ok = [], True
    for r in sorted(rows, key=lambda r: r.tolerance):
        inside = r.gap.mean <= r.tolerance + 0.01
        ok &= inside
        parts.append(
            f"{r.tolerance:g}: {r.gap.mean:.4f} {r.gap.fmt_interval()} "
            f"{'<=' if inside else '>'} {r.tolerance + 0.01:.3f}"
        )
    return (
        f"- {dataset}, {method}: mean held-out EO within tolerance + .01 for "
        f"tolerance >= .01 ({'; '.join(parts)}): {_met(ok)}."
    )


def interval_line(results, method, dataset):
    """Small data: the held-out gap per tolerance with its interval, no verdict."""
    rows = sorted(
        (r for r in _of(results, method) if r.tolerance is not None),
        key=lambda r: r.tolerance,
    )
    if not rows:
        return None
    parts = "; ".join(
        f"{r.tolerance:g}: {r.gap.mean:.4f} {r.gap.fmt_interval()} "
        f"(train {np.mean(r.train_gap):.4f})"
        for r in rows
    )
    return (
        f"- {dataset}, {method}: mean held-out EO [95% interval] by tolerance: {parts}."
    )


def item2_lines(results, sweep):
    fl = _of(results, FL_EG)
    reference = next(
        (r for r in fl if np.isclose(r.tolerance, FAIRLEARN_EG_BOUND)), None
    )
    if reference is None:
        return ["- fairlearn ExponentiatedGradient not run: item 2 not measured."]
    x, z = reference.point
    clr = frontier_accuracy(_points(results, CLR), x)
    clr_best = best_setting_accuracy(_points(results, CLR), x)
    eg = frontier_accuracy(_points(results, EG), x)
    lines = [
        f"- Adult/sex, at fairlearn EG({FAIRLEARN_EG_BOUND:g})'s mean held-out EO "
        f"{x:.4f} (its mean accuracy {z:.4f}): CLR's frontier reaches "
        f"{_fmt(clr)} (best single tolerance with mean EO <= {x:.4f}: "
        f"{_fmt(clr_best)}) vs the target {z + 0.002:.4f} (= +.002): "
        f"{_met(not np.isnan(clr) and clr >= z + 0.002)}; skfair EG's frontier "
        f"reaches {_fmt(eg)} vs {z:.4f}: {_met(not np.isnan(eg) and eg >= z)}.",
    ]
    if sweep and len(fl) > 1:
        beaten = []
        for r in sorted(fl, key=lambda r: r.tolerance):
            ours = frontier_accuracy(_points(results, CLR), r.gap.mean)
            beaten.append(not np.isnan(ours) and ours >= r.acc.mean)
            lines.append(
                f"  - fairlearn EG({r.tolerance:g}): EO {r.gap.mean:.4f}, acc "
                f"{r.acc.mean:.4f}; CLR's frontier there {_fmt(ours)}."
            )
        lines.append(
            "- Moonshot, CLR's frontier dominates fairlearn EG's whole frontier "
            f"({', '.join(f'{r.tolerance:g}' for r in fl)}): {_met(all(beaten))}."
        )
    else:
        lines.append(
            "- Moonshot (CLR dominates fairlearn EG at .005/.01/.02/.05) not "
            "measured: fairlearn EG ran at .01 only (`--expgrad-sweep` runs the "
            "four bounds)."
        )
    return lines


def warned_summary(results):
    """Per method: how many of its fits emitted a warning (any setting)."""
    n_fits = {}
    warned = {}
    for r in results:
        n_fits[r.method] = n_fits.get(r.method, 0) + len(r.seconds)
        warned[r.method] = warned.get(r.method, 0) + r.warned_fits
    return "; ".join(
        f"{LABELS[m]} {warned[m]}/{n_fits[m]} fits" for m in ORDER if m in n_fits
    )


def item4_lines(results, dataset):
    clr = sorted(_of(results, CLR), key=lambda r: r.tolerance)
    if not clr:
        return []
    accs = [r.acc.mean for r in clr]
    # "Does not drop as the tolerance grows": no larger tolerance loses more
    # than .003 against any smaller one.
    worst_drop = max(
        (accs[i] - accs[j] for i in range(len(accs)) for j in range(i + 1, len(accs))),
        default=0.0,
    )
    listing = ", ".join(
        f"{r.tolerance:g}: acc {r.acc.mean:.4f}, positive share "
        f"{np.mean(r.positive_share):.3f}"
        for r in clr
    )
    lines = [
        f"- {dataset}, CLR by tolerance: {listing}. Largest accuracy drop as the "
        f"tolerance grows {max(worst_drop, 0.0):.4f} (target <= .003): "
        f"{_met(worst_drop <= 0.003)}."
    ]
    constant = [
        r
        for r in clr
        if min(np.mean(r.positive_share), 1 - np.mean(r.positive_share)) < 0.01
    ]
    to = {round(r.tolerance, 6): r for r in _of(results, TO)}
    parts = []
    for r in constant:
        twin = to.get(round(r.tolerance, 6))
        if twin is not None:
            parts.append(
                f"tolerance {r.tolerance:g} (ThresholdOptimizer at that tolerance: "
                f"positive share {np.mean(twin.positive_share):.3f}, mean training "
                f"EO {np.mean(twin.train_gap):.4f})"
            )
        else:
            parts.append(f"tolerance {r.tolerance:g}")
    lines.append(
        f"- {dataset}, CLR near-constant models (mean positive share within .01 of "
        f"0 or 1): {'; '.join(parts) if parts else 'none'}: {_met(not constant)}."
    )
    reference = _at(results, TO, 0.05)
    if reference is not None:
        x, z = reference.point
        ours = frontier_accuracy(_points(results, CLR), x)
        lines.append(
            f"- {dataset}, at ThresholdOptimizer(.05)'s mean held-out EO {x:.4f} "
            f"(its mean accuracy {z:.4f}): CLR's frontier reaches {_fmt(ours)} vs "
            f"{z - 0.005:.4f} (= -.005): "
            f"{_met(not np.isnan(ours) and ours >= z - 0.005)}."
        )
    lines.append(f"- {dataset}, warnings: {warned_summary(results)}.")
    messages = {}
    for r in clr:
        for message, count in r.warnings.items():
            messages.setdefault(message, []).append(f"{r.tolerance:g} ({count})")
    for message, where in messages.items():
        short = message if len(message) <= 300 else message[:297] + "..."
        lines.append(
            f"  - CLR warned at tolerance (fits) {', '.join(where)}: `{short}`"
        )
    return lines


# -- figures --------------------------------------------------------------------

COLORS = {
    LR_NAME: "black",
    CLR: "tab:blue",
    EG: "tab:cyan",
    GS: "tab:purple",
    TO: "tab:green",
    RW: "tab:brown",
    FL_EG: "tab:orange",
    FL_TO: "tab:red",
}
MARKERS = {
    LR_NAME: "o",
    CLR: "v",
    EG: "P",
    GS: "D",
    TO: "^",
    RW: "s",
    FL_EG: "P",
    FL_TO: "^",
}
LABELS = {
    LR_NAME: "LogisticRegression",
    CLR: "skfair ConstrainedLogisticRegression",
    EG: "skfair ExponentiatedGradient(LR)",
    GS: "skfair GridSearch(LR)",
    TO: "skfair ThresholdOptimizer(LR)",
    RW: "skfair Reweighing + LR",
    FL_EG: "fairlearn ExponentiatedGradient(LR)",
    FL_TO: "fairlearn ThresholdOptimizer(LR)",
}


def _frontier_panel(ax, results, title, fontsize, annotate):
    for method in COLORS:
        rows = _of(results, method)
        if not rows:
            continue
        peer = method.startswith("fairlearn")
        color = COLORS[method]
        points = [r.point for r in rows]
        ax.plot(
            [p[0] for p in points],
            [p[1] for p in points],
            linestyle="none",
            marker=MARKERS[method],
            markersize=10 if peer else 6,
            markerfacecolor="none" if peer else color,
            markeredgewidth=1.6 if peer else 1.0,
            color=color,
            label=LABELS[method],
        )
        front = pareto(points)
        if len(front) > 1:
            ax.plot(
                [p[0] for p in front],
                [p[1] for p in front],
                color=color,
                linewidth=1.0,
                linestyle="--" if peer else "-",
            )
        if annotate and method in (CLR, EG, TO):
            for r in rows:
                ax.annotate(
                    f"{r.tolerance:g}",
                    r.point,
                    textcoords="offset points",
                    xytext=(4, 3),
                    fontsize=fontsize - 1,
                    color=color,
                )
    ax.set_title(title, fontsize=fontsize + 1)
    ax.tick_params(labelsize=fontsize - 1)
    ax.grid(True, alpha=0.3)


def plot_frontier(by_dataset, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(by_dataset)
    # Sized for the docs' content column (7.5 in wide), text at 9-11 pt: the
    # first data set large, the others in rows of three panels (two when
    # there are four).
    others = names[1:]
    n_cols = 2 if len(others) == 4 else 3
    n_rows = max(1, -(-len(others) // n_cols))
    fig = plt.figure(figsize=(7.5, 7.4 + 2.6 * n_rows + (0.4 if n_cols == 2 else 0)))
    grid = fig.add_gridspec(
        n_rows + 2, n_cols, height_ratios=(5.2, *[2.6] * n_rows, 1.2)
    )
    main = fig.add_subplot(grid[0, :])
    first = by_dataset[names[0]]
    _frontier_panel(
        main,
        first,
        f"{names[0]}: means over {first[0].acc.n} held-out splits "
        "(numbers: tolerances)",
        10,
        annotate=True,
    )
    main.set_xlabel("mean test equalized-odds gap of predict", fontsize=10)
    main.set_ylabel("mean test accuracy", fontsize=10)
    for i, name in enumerate(others):
        ax = fig.add_subplot(grid[1 + i // n_cols, i % n_cols])
        _frontier_panel(ax, by_dataset[name], name, 8, annotate=False)
        ax.set_xlabel("mean test EO", fontsize=8)
        if i % n_cols == 0:
            ax.set_ylabel("mean test accuracy", fontsize=8)
    legend = fig.add_subplot(grid[-1, :])
    legend.axis("off")
    handles, labels = main.get_legend_handles_labels()
    legend.legend(handles, labels, ncol=2, fontsize=9, loc="center", frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=200)
    plt.close(fig)
    return path.stat().st_size


def plot_heldout_gap(results, dataset, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 5.0))
    tolerances = sorted(
        {r.tolerance for r in results if r.method in (CLR, EG, TO)} | {0.0}
    )
    line = np.array([min(tolerances), max(tolerances)])
    ax.plot(line, line, color="grey", linewidth=1.0, label="y = tolerance")
    ax.plot(
        line,
        line + 0.01,
        color="grey",
        linewidth=1.0,
        linestyle=":",
        label="y = tolerance + .01",
    )
    # Small horizontal offsets keep the interval bars apart.
    for offset, method in zip(
        (-0.0008, 0.0, 0.0008, 0.0016), (CLR, EG, TO, FL_EG), strict=True
    ):
        rows = sorted(
            (r for r in _of(results, method) if r.tolerance is not None),
            key=lambda r: r.tolerance,
        )
        if not rows:
            continue
        means = np.array([r.gap.mean for r in rows])
        lows = np.array([r.gap.low for r in rows])
        highs = np.array([r.gap.high for r in rows])
        peer = method.startswith("fairlearn")
        ax.errorbar(
            [r.tolerance + offset for r in rows],
            means,
            yerr=np.vstack([means - lows, highs - means]),
            color=COLORS[method],
            marker=MARKERS[method],
            markersize=9 if peer else 6,
            markerfacecolor="none" if peer else COLORS[method],
            linestyle="none" if peer else "-",
            linewidth=1.0,
            capsize=3,
            label=LABELS[method] + (" (bound)" if peer else ""),
        )
    n = results[0].acc.n
    ax.set_xlabel("tolerance (fairlearn: difference_bound)", fontsize=10)
    ax.set_ylabel("mean test equalized-odds gap of predict", fontsize=10)
    ax.set_title(
        f"{dataset}: held-out gap against tolerance, means over {n} splits\n"
        "(bars: 95% t interval of the mean)",
        fontsize=10,
    )
    ax.tick_params(labelsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=9, loc="upper left", frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=200)
    plt.close(fig)
    return path.stat().st_size


# -- report ---------------------------------------------------------------------

ORDER = (LR_NAME, CLR, EG, GS, TO, RW, FL_EG, FL_TO)


def table(data, results, n_splits):
    n_train = int(round(len(data.y) * (1 - TEST_SIZE)))
    cells = pd.crosstab(data.groups, data.y)
    smallest = cells.stack().idxmin()
    lines = [
        f"### {data.name}",
        "",
        f"{len(data.y):,} rows ({n_train:,} train / {len(data.y) - n_train:,} "
        f"test per split), {cells.shape[0]} groups of {data.group_name}; smallest "
        f"(group, label) cell: {smallest[0]}, y={smallest[1]}: "
        f"{int(cells.to_numpy().min())} rows in all, ~"
        f"{int(cells.to_numpy().min() * TEST_SIZE)} per test set."
        + (f" {data.note}." if data.note else ""),
        "",
        "| method | setting | test accuracy | test EO | test EO 95% interval | "
        "train EO | positive share | fit (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rank = {m: i for i, m in enumerate(ORDER)}
    for r in sorted(results, key=lambda r: rank[r.method]):
        lines.append(
            f"| {LABELS[r.method]} | {r.setting} | {r.acc.fmt()} | {r.gap.fmt()} | "
            f"{r.gap.fmt_interval()} | {np.mean(r.train_gap):.4f} | "
            f"{np.mean(r.positive_share):.3f} | {np.mean(r.seconds):.2f} |"
        )
    return lines


def checks(by_dataset, sweep):
    lines = ["### Issue 28, items 2-4, on these means", ""]
    adult_sex = by_dataset.get("Adult/sex", [])
    if adult_sex:  # not in a --data run without it
        lines += ["Item 2 (Adult/sex):", ""] + item2_lines(adult_sex, sweep) + [""]
    lines += ["Item 3 (the tolerance on new data):", ""]
    for method in (CLR, EG):
        for line in (
            monotone_line(adult_sex, method, "Adult/sex"),
            within_line(adult_sex, method, "Adult/sex"),
        ):
            if line:
                lines.append(line)
    for name, results in by_dataset.items():
        if name == "Adult/sex":
            continue
        for method in (CLR, EG):
            line = monotone_line(results, method, name)
            if line and name.startswith("Adult"):
                lines.append(line)
            elif name != "Adult/race":
                # Small data or small groups: the gap is mostly sampling
                # noise; its interval, not a verdict.
                line = interval_line(results, method, name)
                if line:
                    lines.append(line)
    lines += ["", "Item 4 (more than two groups, small groups):", ""]
    for name in ("Adult/race", "synthetic/6 groups"):
        if name in by_dataset:
            lines += item4_lines(by_dataset[name], name)
    return lines


def _flags(args):
    return "".join(
        flag
        for flag, on in (
            (" --quick", args.quick),
            (" --expgrad-sweep", args.expgrad_sweep),
            (" --no-expgrad", args.no_expgrad),
            (f" --data {args.data}", args.data is not None),
        )
        if on
    )


def to_markdown(by_data, args, n_splits, sizes, seconds):
    lines = [
        "## Held-out accuracy / equalized-odds frontiers over stratified splits",
        "",
        machine_line(),
        f"`python benchmarks/frontier.py{_flags(args)}` ({seconds / 60:.1f} min). "
        f"Every setting fitted on each of {n_splits} stratified "
        f"{1 - TEST_SIZE:.0%}/{TEST_SIZE:.0%} splits (strata = group x label, "
        f"seed {SEED}) and judged on the held-out rows. Entries are mean ± "
        "standard deviation over the splits; the interval is the 95% t interval "
        f"of the mean ({n_splits - 1} df); EO = "
        "skfair.metrics.equalized_odds_difference (max of the TPR and FPR gaps; "
        "equal to fairlearn's, checked) of `predict`; randomized classifiers "
        f"(ExponentiatedGradients, ThresholdOptimizers) predict with "
        f"random_state={SEED}. Train EO: the same decisions' gap on the training "
        "rows; positive share: of the test decisions; fit: mean wall time on a "
        "shared 2-core machine (the ThresholdOptimizers post-process the "
        "split's baseline LR, prefit: their time excludes it). "
        f"LogisticRegression(max_iter=1000) is every base model; the group is "
        "never a feature. GridSearch: one fit per split "
        f"(grid_size={GS_GRID_SIZE}); each constraint_weight is the predictor "
        "its documented rule keeps. Frontier = the upper envelope of a "
        "method's settings' means (Pareto points joined linearly).",
        "",
    ]
    if args.quick:
        lines += [
            f"**--quick smoke run**: {n_splits} splits, rows subsampled to "
            f"{QUICK['rows']:,} per data set, fewer settings: not figures to cite.",
            "",
        ]
    for data, results in by_data:
        lines += table(data, results, n_splits) + [""]
    lines += checks({d.name: r for d, r in by_data}, args.expgrad_sweep) + [""]
    lines += [
        "- scikit-lego is not installed in the benchmark environment: its point "
        "is dropped.",
    ]
    if args.no_expgrad:
        lines.append("- fairlearn ExponentiatedGradient skipped (`--no-expgrad`).")
    for path, size in sizes.items():
        lines.append(f"- Plot: `{path.relative_to(ROOT)}` ({size / 1024:.0f} KB).")
    lines += [""]
    for path in sizes:
        rel = (Path("..") / path.relative_to(ROOT)).as_posix()
        lines.append(f"![{path.stem}]({rel})")
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK['n_splits']} splits, {QUICK['rows']} rows per data set, "
        "fewer settings (a smoke test)",
    )
    parser.add_argument(
        "--expgrad-sweep",
        action="store_true",
        help="fairlearn ExponentiatedGradient at "
        f"{', '.join(f'{b:g}' for b in FAIRLEARN_EG_SWEEP)} on Adult/sex "
        f"(default: {FAIRLEARN_EG_BOUND:g} only)",
    )
    parser.add_argument(
        "--no-expgrad",
        action="store_true",
        help="skip fairlearn's ExponentiatedGradient (the slowest fits)",
    )
    parser.add_argument(
        "--data",
        default=None,
        metavar="NAME,...",
        help=f"run only these data sets (of {', '.join(DATASETS)}) and print "
        "their tables; RESULTS.md and the plots are left as they are",
    )
    args = parser.parse_args(argv)
    names = None if args.data is None else [n.strip() for n in args.data.split(",")]
    start = time.perf_counter()
    n_splits = QUICK["n_splits"] if args.quick else N_SPLITS
    methods = Methods(
        clr=QUICK["clr"] if args.quick else CLR_TOLERANCES,
        eg=QUICK["eg"] if args.quick else EG_TOLERANCES,
        to=QUICK["to"] if args.quick else TO_TOLERANCES,
        gs=QUICK["gs"] if args.quick else GS_WEIGHTS,
    )
    by_data = []
    logging.disable(logging.WARNING)
    try:
        # One BLAS thread: on a shared machine more threads only contend (an
        # Adult LR fit took 4.1 s with two, 0.9 s with one); the same for all.
        with threadpool_limits(limits=1):
            for data in datasets(names):
                if args.quick:
                    data = data.subsample(QUICK["rows"])
                bounds = () if args.no_expgrad else (FAIRLEARN_EG_BOUND,)
                if args.expgrad_sweep and data.name == "Adult/sex":
                    bounds = () if args.no_expgrad else FAIRLEARN_EG_SWEEP
                by_data.append((data, run_dataset(data, methods, n_splits, bounds)))
    finally:
        logging.disable(logging.NOTSET)
    by_name = {d.name: r for d, r in by_data}
    if names is not None:
        markdown = to_markdown(by_data, args, n_splits, {}, time.perf_counter() - start)
        print(markdown)
        print(
            f"[frontier] --data {args.data}: a partial run; RESULTS.md and the plots "
            "are left unchanged.",
            flush=True,
        )
        return by_data
    sizes = {
        PLOT: plot_frontier(by_name, PLOT),
        GAP_PLOT: plot_heldout_gap(by_name["Adult/sex"], "Adult/sex", GAP_PLOT),
    }
    markdown = to_markdown(by_data, args, n_splits, sizes, time.perf_counter() - start)
    write_section("frontier", markdown)
    print(markdown)
    return by_data


if __name__ == "__main__":
    main()
