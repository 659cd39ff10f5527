"""The Adult accuracy / equalized-odds frontier of every system, in one plot.

UCI Adult (fit on the train split, measured on the test split), group = sex.
Every model gets the same features: sex is not a feature, the categorical
columns are one-hot encoded and the numeric ones standardised (the two
DisparateImpactRemovers repair the raw numeric columns first, then the same
encoding is fitted on the repaired training rows). Points:

- skfair: Reweighing + LR, DisparateImpactRemover + LR, ThresholdOptimizer
  (prefit LR) at several tolerances, ConstrainedLogisticRegression at several
  tolerances, ExponentiatedGradient(LR) (skfair.reductions) at several
  tolerances;
- the unconstrained LogisticRegression baseline;
- fairlearn 0.15: ThresholdOptimizer (prefit LR) and, with ``--with-expgrad``
  (slow: ~30-130 s), ExponentiatedGradient(LR, EqualizedOdds(0.01));
- AIF360 0.6.1: Reweighing (its weights into LR) and DisparateImpactRemover
  + LR; AIF360's remover cannot transform unseen rows, so it is refitted on
  the test rows (as in benchmarks/preprocessing.py);
- scikit-lego: EqualOpportunityClassifier(covariance_threshold=0).

Randomized classifiers (the ThresholdOptimizers, ExponentiatedGradient) are
judged by their expected decisions (the probability of a positive decision),
so the figures carry no sampling noise; deterministic ones by their
predictions. Writes ``docs/_static/frontier.png`` and section "frontier" of
RESULTS.md.

Run: ``python benchmarks/frontier.py [--with-expgrad] [--quick]``.
"""

import argparse
import logging
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder, StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine_line, write_section  # noqa: E402

from skfair.datasets import load_adult  # noqa: E402
from skfair.datasets._loaders import ADULT_NUMERIC  # noqa: E402
from skfair.metrics import equalized_odds_difference  # noqa: E402
from skfair.postprocessing import ThresholdOptimizer  # noqa: E402
from skfair.preprocessing import DisparateImpactRemover, Reweighing  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PLOT = ROOT / "docs" / "_static" / "frontier.png"
NUMERIC = list(ADULT_NUMERIC)  # Adult's six numeric columns
TO_TOLERANCES = (0.0, 0.01, 0.02, 0.05)
CLR_TOLERANCES = (0.0, 0.01, 0.02, 0.05)
EG_TOLERANCES = (0.01, 0.02, 0.05)
QUICK_TOLERANCES = (0.0, 0.05)
EXPGRAD_BOUND = 0.01


@dataclass
class Point:
    system: str
    method: str
    setting: str
    accuracy: float
    eo_gap: float
    fit_seconds: float
    randomized: bool = False


class AdultSplits:
    """Adult train/test with the encoding shared by every model."""

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
        X, X_test = X.drop(columns="sex"), X_test.drop(columns="sex")
        categorical = [c for c in X.columns if c not in NUMERIC]
        encoder = make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), categorical),
            (StandardScaler(), NUMERIC),
            sparse_threshold=0.0,
        )
        return encoder.fit_transform(X), encoder.transform(X_test)


def _lr():
    return LogisticRegression(max_iter=1000)


def _timed(fit):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = fit()
    return model, time.perf_counter() - start


def expected_eo_gap(p, y, groups):
    """Equalized-odds gap of expected decisions ``p`` (worst of TPR, FPR gaps)."""
    gaps = []
    for outcome in (1, 0):
        rates = [p[(groups == g) & (y == outcome)].mean() for g in np.unique(groups)]
        gaps.append(max(rates) - min(rates))
    return float(max(gaps))


def expected_accuracy(p, y):
    return float(np.mean(np.where(y == 1, p, 1 - p)))


class Frontier:
    """Fits every system's models and collects their test points."""

    def __init__(self, data):
        self.data = data
        self.points = []
        self.notes = []

    def add_predictions(self, system, method, setting, y_pred, seconds):
        d = self.data
        y_pred = np.asarray(y_pred).astype(int)
        eo = equalized_odds_difference(d.y_test, y_pred, sensitive_features=d.sex_test)
        # Cross-check the expected-decision helper against skfair.metrics.
        assert np.isclose(
            eo, expected_eo_gap(y_pred.astype(float), d.y_test, d.sex_test)
        )
        self._add(
            Point(
                system, method, setting, float(np.mean(y_pred == d.y_test)), eo, seconds
            )
        )

    def add_expected(self, system, method, setting, p, seconds):
        d = self.data
        self._add(
            Point(
                system,
                method,
                setting,
                expected_accuracy(p, d.y_test),
                expected_eo_gap(p, d.y_test, d.sex_test),
                seconds,
                randomized=True,
            )
        )

    def _add(self, point):
        self.points.append(point)
        print(
            f"[frontier] {point.system:<12} {point.method} {point.setting}: "
            f"accuracy {point.accuracy:.4f}, EO gap {point.eo_gap:.4f}, "
            f"fit {point.fit_seconds:.2f} s",
            flush=True,
        )

    # -- baseline and skfair ------------------------------------------------

    def baseline(self):
        d = self.data
        self.lr, seconds = _timed(lambda: _lr().fit(d.A, d.y))
        self.add_predictions(
            "baseline",
            "LogisticRegression",
            "unconstrained",
            self.lr.predict(d.A_test),
            seconds,
        )

    def skfair_reweighing(self):
        d = self.data
        model, seconds = _timed(
            lambda: Reweighing(_lr()).fit(d.A, d.y, sensitive_features=d.sex)
        )
        self.add_predictions(
            "skfair", "Reweighing + LR", "", model.predict(d.A_test), seconds
        )

    def skfair_dir(self):
        d = self.data

        def repair():
            remover = DisparateImpactRemover(
                sensitive_cols="sex", columns=NUMERIC, random_state=0
            ).set_output(transform="pandas")
            return remover.fit(d.X), remover

        (_, remover), seconds = _timed(repair)
        A, A_test = d.encode(remover.transform(d.X), remover.transform(d.X_test))
        model, lr_seconds = _timed(lambda: _lr().fit(A, d.y))
        self.add_predictions(
            "skfair",
            "DisparateImpactRemover + LR",
            "repair_level=1, fitted on train",
            model.predict(A_test),
            seconds + lr_seconds,
        )

    def skfair_threshold(self, tolerances):
        d = self.data
        for tol in tolerances:
            model, seconds = _timed(
                lambda tol=tol: ThresholdOptimizer(
                    self.lr, prefit=True, tolerance=tol, random_state=0
                ).fit(d.A, d.y, sensitive_features=d.sex)
            )
            p = model.predict_proba(d.A_test, sensitive_features=d.sex_test)[:, 1]
            self.add_expected(
                "skfair", "ThresholdOptimizer(LR)", f"tolerance={tol:g}", p, seconds
            )

    def skfair_constrained(self, tolerances):
        try:
            from skfair.inprocessing import ConstrainedLogisticRegression
        except ImportError as exc:
            note = (
                "skfair ConstrainedLogisticRegression skipped: not importable "
                f"({type(exc).__name__}: {exc})."
            )
            print(f"[frontier] NOTE: {note}", flush=True)
            self.notes.append(note)
            return
        d = self.data
        for tol in tolerances:
            model, seconds = _timed(
                lambda tol=tol: ConstrainedLogisticRegression(
                    constraints="equalized_odds", tolerance=tol
                ).fit(d.A, d.y, sensitive_features=d.sex)
            )
            self.add_predictions(
                "skfair",
                "ConstrainedLogisticRegression",
                f"tolerance={tol:g}",
                model.predict(d.A_test),
                seconds,
            )

    def skfair_expgrad(self, tolerances):
        from skfair.reductions import ExponentiatedGradient

        d = self.data
        for tol in tolerances:
            model, seconds = _timed(
                lambda tol=tol: ExponentiatedGradient(
                    _lr(), constraints="equalized_odds", tolerance=tol, random_state=0
                ).fit(d.A, d.y, sensitive_features=d.sex)
            )
            p = model.predict_proba(d.A_test)[:, 1]
            self.add_expected(
                "skfair", "ExponentiatedGradient(LR)", f"tolerance={tol:g}", p, seconds
            )

    # -- fairlearn ----------------------------------------------------------

    def fairlearn_threshold(self):
        from fairlearn.postprocessing import ThresholdOptimizer as FairlearnTO

        d = self.data
        model, seconds = _timed(
            lambda: FairlearnTO(
                estimator=self.lr,
                constraints="equalized_odds",
                prefit=True,
                predict_method="predict_proba",
            ).fit(d.A, d.y, sensitive_features=d.sex)
        )
        p = model._pmf_predict(d.A_test, sensitive_features=d.sex_test)[:, 1]
        self.add_expected(
            "fairlearn",
            "ThresholdOptimizer(LR)",
            "equalized_odds (no tolerance)",
            p,
            seconds,
        )

    def fairlearn_expgrad(self):
        from fairlearn.reductions import EqualizedOdds, ExponentiatedGradient

        d = self.data
        model, seconds = _timed(
            lambda: ExponentiatedGradient(
                _lr(), EqualizedOdds(difference_bound=EXPGRAD_BOUND)
            ).fit(d.A, d.y, sensitive_features=d.sex)
        )
        p = model._pmf_predict(d.A_test)[:, 1]
        self.add_expected(
            "fairlearn",
            "ExponentiatedGradient(LR, EqualizedOdds)",
            f"difference_bound={EXPGRAD_BOUND:g}",
            p,
            seconds,
        )

    # -- AIF360 -------------------------------------------------------------

    @staticmethod
    def _aif_dataset(X, y):
        from aif360.datasets import BinaryLabelDataset

        df = X[NUMERIC].astype(float).reset_index(drop=True)
        df["sex"] = (X["sex"] == "Male").to_numpy(dtype=float)
        df["label"] = np.asarray(y, dtype=float)
        return BinaryLabelDataset(
            df=df,
            label_names=["label"],
            protected_attribute_names=["sex"],
            favorable_label=1,
            unfavorable_label=0,
        )

    def aif360_reweighing(self):
        from aif360.algorithms.preprocessing import Reweighing as AifReweighing

        d = self.data

        def fit():
            weights = (
                AifReweighing(
                    unprivileged_groups=[{"sex": 0}], privileged_groups=[{"sex": 1}]
                )
                .fit_transform(self._aif_dataset(d.X, d.y))
                .instance_weights
            )
            return _lr().fit(d.A, d.y, sample_weight=weights)

        model, seconds = _timed(fit)
        self.add_predictions(
            "AIF360",
            "Reweighing + LR",
            "weights into LR",
            model.predict(d.A_test),
            seconds,
        )

    def aif360_dir(self):
        from aif360.algorithms.preprocessing import DisparateImpactRemover as AifDIR

        d = self.data

        def repaired(X, y):
            out = AifDIR(repair_level=1.0, sensitive_attribute="sex").fit_transform(
                self._aif_dataset(X, y)
            )
            frame = X.copy()
            columns = list(out.feature_names)
            for name in NUMERIC:
                frame[name] = out.features[:, columns.index(name)]
            return frame

        X_rep, seconds = _timed(lambda: repaired(d.X, d.y))
        # No transform for unseen rows: refit on the test rows (labels unused).
        X_test_rep = repaired(d.X_test, d.y_test)
        A, A_test = d.encode(X_rep, X_test_rep)
        model, lr_seconds = _timed(lambda: _lr().fit(A, d.y))
        self.add_predictions(
            "AIF360",
            "DisparateImpactRemover + LR",
            "repair_level=1, refitted on test",
            model.predict(A_test),
            seconds + lr_seconds,
        )

    # -- scikit-lego --------------------------------------------------------

    def sklego_equal_opportunity(self):
        from sklego.linear_model import EqualOpportunityClassifier

        d = self.data
        male, male_test = (d.sex == "Male"), (d.sex_test == "Male")
        A = np.column_stack([d.A, male.astype(float)])
        A_test = np.column_stack([d.A_test, male_test.astype(float)])
        model, seconds = _timed(
            lambda: EqualOpportunityClassifier(
                covariance_threshold=0.0,
                positive_target=1,
                sensitive_cols=[A.shape[1] - 1],
                max_iter=1000,
            ).fit(A, d.y)
        )
        self.add_predictions(
            "scikit-lego",
            "EqualOpportunityClassifier",
            "covariance_threshold=0",
            model.predict(A_test),
            seconds,
        )


def _run_step(frontier, step, *args):
    """Run one system's step; a failure becomes a note, not a crash."""
    try:
        step(*args)
    except Exception as exc:  # noqa: BLE001 - one peer failing must not stop the rest
        note = f"{step.__name__} failed: {type(exc).__name__}: {exc}"
        print(f"[frontier] NOTE: {note}", flush=True)
        frontier.notes.append(note)


COLORS = {
    "baseline": "black",
    "skfair": "tab:blue",
    "fairlearn": "tab:orange",
    "AIF360": "tab:green",
    "scikit-lego": "tab:red",
}
# The skfair sweeps share the colour: tell their lines apart.
LINESTYLES = {"ConstrainedLogisticRegression": "--", "ExponentiatedGradient(LR)": ":"}
MARKERS = {
    "LogisticRegression": "o",
    "Reweighing + LR": "s",
    "DisparateImpactRemover + LR": "D",
    "ThresholdOptimizer(LR)": "^",
    "ConstrainedLogisticRegression": "v",
    "ExponentiatedGradient(LR, EqualizedOdds)": "P",
    "ExponentiatedGradient(LR)": "P",
    "EqualOpportunityClassifier": "X",
}


def plot(points, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Sized for the docs' content column (7.5 in = 750 px at 100 dpi, shown
    # at that width), every text at 10 pt or more, saved at 2x for sharp
    # screens.
    fig, ax = plt.subplots(figsize=(7.5, 9.5))
    groups = {}
    for point in points:
        groups.setdefault((point.system, point.method), []).append(point)
    # skfair last and filled, the peers hollow and larger, so that points
    # that coincide (same weights, same LP optimum) stay visible.
    order = sorted(groups, key=lambda key: key[0] == "skfair")
    for system, method in order:
        members = sorted(groups[system, method], key=lambda p: p.eo_gap)
        label = f"{system}: {method}" if system != "baseline" else method
        if system == "AIF360" and method.startswith("DisparateImpactRemover"):
            label += " (refitted on test rows: cannot transform unseen data)"
        if any(p.randomized for p in members):
            label += ", expected"
        filled = system in ("skfair", "baseline")
        ax.plot(
            [p.eo_gap for p in members],
            [p.accuracy for p in members],
            marker=MARKERS.get(method, "o"),
            color=COLORS[system],
            markerfacecolor=COLORS[system] if filled else "none",
            markeredgewidth=1.0 if filled else 1.8,
            linestyle=LINESTYLES.get(method, "-") if len(members) > 1 else "none",
            linewidth=1.0,
            markersize=7 if filled else 12,
            label=label,
        )
        if len(members) > 1:
            for p in members:
                ax.annotate(
                    p.setting.replace("tolerance=", "tol "),
                    (p.eo_gap, p.accuracy),
                    textcoords="offset points",
                    xytext=(5, 3),
                    fontsize=10,
                    color=COLORS[system],
                )
    ax.set_xlabel("test equalized-odds gap (max of the TPR and FPR gaps)", fontsize=10)
    ax.set_ylabel("test accuracy", fontsize=10)
    ax.tick_params(labelsize=10)
    ax.set_title("UCI Adult, group = sex (up-left is better)", fontsize=11)
    ax.grid(True, alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    rank = {system: i for i, system in enumerate(COLORS)}
    legend_order = sorted(
        range(len(labels)),
        key=lambda i: (rank[order[i][0]], labels[i]),
    )
    ax.legend(
        [handles[i] for i in legend_order],
        [labels[i] for i in legend_order],
        fontsize=10,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08),
        ncol=1,
        frameon=False,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=200)
    plt.close(fig)
    return path.stat().st_size


def _flags(args):
    return (" --with-expgrad" if args.with_expgrad else "") + (
        " --quick" if args.quick else ""
    )


def to_markdown(frontier, args, size, seconds):
    d = frontier.data
    lines = [
        "## Adult accuracy / equalized-odds frontier, every system",
        "",
        machine_line(),
        f"`python benchmarks/frontier.py{_flags(args)}` ({seconds:.0f} s). Fit on "
        "the Adult "
        f"train split ({len(d.y):,} rows), measured on the test split "
        f"({len(d.y_test):,} rows), group = sex. Same features for every model: "
        f"sex dropped, categoricals one-hot, numerics standardised "
        f"({d.A.shape[1]} columns); the DisparateImpactRemovers repair the six "
        "raw numeric columns first. EO gap = max of the TPR and FPR gaps between "
        "the sexes (skfair.metrics.equalized_odds_difference for deterministic "
        "predictions); rows marked *expected* are randomized classifiers judged "
        "by their expected decisions (skfair `predict_proba`, fairlearn "
        "`_pmf_predict`), which removes sampling noise. LogisticRegression("
        "max_iter=1000) everywhere; the ThresholdOptimizers post-process the "
        "baseline LR (prefit; their fit time excludes it). Fit times are single "
        "runs on a shared machine.",
        "",
        "| system | method | setting | test accuracy | test EO gap | fit (s) |",
        "|---|---|---|---|---|---|",
    ]
    rank = {system: i for i, system in enumerate(COLORS)}
    for p in sorted(frontier.points, key=lambda p: rank[p.system]):
        setting = p.setting + (", *expected*" if p.randomized else "")
        lines.append(
            f"| {p.system} | {p.method} | {setting.strip(', ')} | {p.accuracy:.4f} | "
            f"{p.eo_gap:.4f} | {p.fit_seconds:.2f} |"
        )
    lines += [""]
    if not args.with_expgrad:
        lines.append(
            "- fairlearn ExponentiatedGradient not run (pass `--with-expgrad`; "
            "`python benchmarks/run.py` does)."
        )
    lines.append(
        "- AIF360's DisparateImpactRemover has no transform for unseen rows "
        "(`transform` raises NotImplementedError), so its test rows are a refit "
        "on the test rows themselves: an advantage a deployed model would not have."
    )
    for note in frontier.notes:
        lines.append(f"- {note}")
    rel = Path("..") / PLOT.relative_to(ROOT)
    lines += [
        "",
        f"Plot: `{PLOT.relative_to(ROOT)}` ({size / 1024:.0f} KB).",
        "",
        f"![Adult frontier]({rel.as_posix()})",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--with-expgrad",
        action="store_true",
        help="also fit fairlearn's ExponentiatedGradient (slow: ~30-130 s)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="two tolerances per sweep instead of four"
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    logging.disable(logging.WARNING)  # AIF360 logs its missing optional extras
    try:
        data = AdultSplits()
        frontier = Frontier(data)
        frontier.baseline()
        to_tols = QUICK_TOLERANCES if args.quick else TO_TOLERANCES
        clr_tols = QUICK_TOLERANCES if args.quick else CLR_TOLERANCES
        eg_tols = QUICK_TOLERANCES[1:] if args.quick else EG_TOLERANCES
        steps = [
            (frontier.skfair_reweighing,),
            (frontier.skfair_dir,),
            (frontier.skfair_threshold, to_tols),
            (frontier.skfair_constrained, clr_tols),
            (frontier.skfair_expgrad, eg_tols),
            (frontier.fairlearn_threshold,),
            (frontier.aif360_reweighing,),
            (frontier.aif360_dir,),
            (frontier.sklego_equal_opportunity,),
        ]
        if args.with_expgrad:
            steps.append((frontier.fairlearn_expgrad,))
        for step, *step_args in steps:
            _run_step(frontier, step, *step_args)
    finally:
        logging.disable(logging.NOTSET)
    size = plot(frontier.points, PLOT)
    markdown = to_markdown(frontier, args, size, time.perf_counter() - start)
    write_section("frontier", markdown)
    print(markdown)
    return frontier.points


if __name__ == "__main__":
    main()
