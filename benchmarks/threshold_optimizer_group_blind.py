"""Group-blind ThresholdOptimizer on Adult: groups inferred from X at predict.

Issue 31, item 2: ``ThresholdOptimizer(..., group_estimator=...)`` learns to
predict sex from the features and fits one randomized threshold rule per
inferred group, with equalized odds measured on the TRUE groups of the
training rows (an exact LP); ``predict(X)`` needs no groups. The issue
measured OxonFair 0.3's inferred-group mode (a grid) at EO bound .02:
accuracy .8352, test EO .0241; at .05: .8485 / .0499 (three splits).

Here: UCI Adult (train and test files pooled), group = sex (never a
feature), ``N_SPLITS`` stratified 70/30 splits (strata sex x label,
``_heldout.stratified_splits``), categoricals one-hot and numerics
standardised, fitted on each training part (``frontier.encode``), base
LogisticRegression(max_iter=1000) (prefit), then
``ThresholdOptimizer(lr, prefit=True, constraints="equalized_odds",
tolerance=tol, group_estimator=LogisticRegression(max_iter=1000),
random_state=0)`` for tol in (.01, .02, .05). For comparison, on the same splits:
``ConstrainedLogisticRegression(constraints="equalized_odds",
tolerance=.02)`` (also group-blind at predict) and the ordinary
ThresholdOptimizer at .02, which needs the groups at predict, and the
group-blind one with ``group_cv=5`` (the LP sees out-of-fold inferred groups).

Reported as mean +- sd over splits: test accuracy and test equalized-odds gap
of ``predict`` (randomized decisions, fixed seed), the expected test accuracy
(``score``), the group model's test accuracy, the largest training EO gap of
the expected decisions (``predict_proba`` on the training rows, measured on
the true groups: the quantity the LP bounds) and the fit time (the base LR
excluded; the group model's fit included).

Targets (issue 31): at tolerance .02, mean test EO <= .03 and mean test
accuracy >= .8352.

Run: ``PYTHONPATH=. python benchmarks/threshold_optimizer_group_blind.py
[--quick]``; ``--quick`` (2 splits, 8,000 rows) is a smoke test and does not
write RESULTS.md.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _heldout import Summary, run_splits  # noqa: E402
from _report import machine_line, write_section  # noqa: E402
from frontier import DATASETS, encode  # noqa: E402

from skfair.inprocessing import ConstrainedLogisticRegression  # noqa: E402
from skfair.metrics import equalized_odds_difference  # noqa: E402
from skfair.postprocessing import ThresholdOptimizer  # noqa: E402

N_SPLITS = 5
TEST_SIZE = 0.3
SEED = 0
TARGET_TOLERANCE = 0.02
# .01 for context: what a tighter training bound buys on the test rows.
TOLERANCES = (0.01, TARGET_TOLERANCE, 0.05)
TARGET_EO = 0.03
TARGET_ACCURACY = 0.8352
QUICK_ROWS = 8000

LR = "LogisticRegression"
CLR = "ConstrainedLogisticRegression(tolerance=.02)"
CROSS = "ThresholdOptimizer(tolerance=.02, group_estimator=LR, group_cv=5)"
TO_GROUPS = "ThresholdOptimizer(tolerance=.02), groups at predict"


def blind(tol):
    return f"ThresholdOptimizer(tolerance={tol:g}, group_estimator=LR)"


def expected_eo_gap(y, p, groups):
    """Largest TPR or FPR gap of expected decisions ``p`` between groups."""
    gaps = []
    for label in (1, 0):
        rates = [p[(groups == k) & (y == label)].mean() for k in np.unique(groups)]
        gaps.append(max(rates) - min(rates))
    return float(max(gaps))


def evaluate(model, split, seconds, *, with_groups=False):
    (A, y, g), (A_test, y_test, g_test) = split
    kw = {"sensitive_features": g} if with_groups else {}
    kw_test = {"sensitive_features": g_test} if with_groups else {}
    pred = model.predict(A_test, **kw_test)
    out = {
        "accuracy": float(np.mean(pred == y_test)),
        "eo": equalized_odds_difference(y_test, pred, sensitive_features=g_test),
        "fit": seconds,
    }
    if isinstance(model, ThresholdOptimizer):  # decisions' probabilities
        p_train = model.predict_proba(A, **kw)[:, 1]
        p_test = model.predict_proba(A_test, **kw_test)[:, 1]
        out["expected_accuracy"] = float(
            np.mean(np.where(y_test == 1, p_test, 1 - p_test))
        )
        out["train_eo"] = expected_eo_gap(y, p_train, g)
    group_model = getattr(model, "group_estimator_", None)
    if group_model is not None:
        codes = np.searchsorted(model.groups_, g_test)
        out["group_accuracy"] = float(np.mean(group_model.predict(A_test) == codes))
    return out


def timed(fit):
    start = time.perf_counter()
    model = fit()
    return model, time.perf_counter() - start


def run_split(data, train, test):
    A, A_test = encode(data.X.iloc[train], data.X.iloc[test], data.numeric)
    y, y_test = data.y[train], data.y[test]
    g, g_test = data.groups[train], data.groups[test]
    split = ((A, y, g), (A_test, y_test, g_test))
    out = {}
    lr, seconds = timed(lambda: LogisticRegression(max_iter=1000).fit(A, y))
    pred = lr.predict(A_test)
    out[LR] = {
        "accuracy": float(np.mean(pred == y_test)),
        "eo": equalized_odds_difference(y_test, pred, sensitive_features=g_test),
        "fit": seconds,
    }
    for tol in TOLERANCES:
        model, seconds = timed(
            lambda tol=tol: ThresholdOptimizer(
                lr,
                prefit=True,
                constraints="equalized_odds",
                tolerance=tol,
                group_estimator=LogisticRegression(max_iter=1000),
                random_state=0,
            ).fit(A, y, sensitive_features=g)
        )
        out[blind(tol)] = evaluate(model, split, seconds)
        # The LP's size: candidate thresholds per inferred group.
        scores, inferred = lr.predict_proba(A)[:, 1], model.group_estimator_.predict(A)
        out[blind(tol)]["n_thresholds"] = [
            int(np.unique(scores[inferred == h]).size) + 1 for h in np.unique(inferred)
        ]
    model, seconds = timed(
        lambda: ThresholdOptimizer(
            lr,
            prefit=True,
            tolerance=TARGET_TOLERANCE,
            group_estimator=LogisticRegression(max_iter=1000),
            group_cv=5,
            random_state=0,
        ).fit(A, y, sensitive_features=g)
    )
    out[CROSS] = evaluate(model, split, seconds)
    model, seconds = timed(
        lambda: ThresholdOptimizer(
            lr, prefit=True, tolerance=TARGET_TOLERANCE, random_state=0
        ).fit(A, y, sensitive_features=g)
    )
    out[TO_GROUPS] = evaluate(model, split, seconds, with_groups=True)
    model, seconds = timed(
        lambda: ConstrainedLogisticRegression(
            constraints="equalized_odds", tolerance=TARGET_TOLERANCE
        ).fit(A, y, sensitive_features=g)
    )
    out[CLR] = evaluate(model, split, seconds)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 splits, 8,000 rows")
    args = parser.parse_args(argv)
    data = DATASETS["adult-sex"]()
    n_splits = N_SPLITS
    if args.quick:
        data = data.subsample(QUICK_ROWS)
        n_splits = 2

    def report_split(i, result):
        print(
            f"split {i}: "
            + "; ".join(
                f"{name}: acc {r['accuracy']:.4f} EO {r['eo']:.4f} fit {r['fit']:.2f} s"
                for name, r in result.items()
            ),
            flush=True,
        )

    results = run_splits(
        data, run_split, report_split, n_splits=n_splits, test_size=TEST_SIZE, seed=SEED
    )
    markdown = report(results, data, n_splits, args.quick)
    print(markdown)
    if not args.quick:
        write_section("threshold_optimizer_group_blind", markdown)


def _col(rows, key, digits=4):
    if key not in rows[0]:
        return "-"
    return Summary.of([r[key] for r in rows]).fmt(digits)


def report(results, data, n_splits, quick):
    names = [LR, *(blind(t) for t in TOLERANCES), CROSS, CLR, TO_GROUPS]
    lines = [
        "## ThresholdOptimizer group-blind: groups inferred from X (issue 31)",
        "",
        machine_line(),
        "`PYTHONPATH=. python benchmarks/threshold_optimizer_group_blind.py"
        f"{' --quick' if quick else ''}`; Adult (train + test pooled, "
        f"{len(data.y):,} rows), group = sex (not a feature), {n_splits} "
        "stratified 70/30 splits (strata sex x label), one-hot + standardised "
        "features, LogisticRegression(max_iter=1000) base, prefit. Group-blind: "
        "`ThresholdOptimizer(lr, prefit=True, constraints='equalized_odds', "
        "tolerance=tol, group_estimator=LogisticRegression(max_iter=1000), "
        "random_state=0)`, fitted with the true groups, predicting from X alone "
        "(one rule per inferred sex, equalized odds on the true sexes of the "
        "training rows); `group_cv=5`: the LP sees out-of-fold inferred groups "
        "of the training rows. Accuracy and EO gap are of `predict` on the test part "
        "(randomized decisions, fixed seed); expected accuracy is of "
        "`predict_proba`; training EO is the gap of the expected decisions on "
        "the training rows by true group (what the LP bounds); group model "
        "accuracy is the group_estimator's test accuracy at predicting sex. "
        "Fit: the post-processor's fit (group model included, base LR "
        "excluded); the LR's and CLR's own fit. Mean ± sd over splits.",
        "",
        "| model | test accuracy | expected test accuracy | test EO gap | "
        "training EO gap (expected) | group model accuracy | fit (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in names:
        rows = [r[name] for r in results]
        fit = np.mean([r["fit"] for r in rows])
        lines.append(
            f"| {name} | {_col(rows, 'accuracy')} | "
            f"{_col(rows, 'expected_accuracy')} | {_col(rows, 'eo')} | "
            f"{_col(rows, 'train_eo', 6)} | {_col(rows, 'group_accuracy')} | "
            f"{fit:.3f} |"
        )
    target = [r[blind(TARGET_TOLERANCE)] for r in results]
    mean_eo = float(np.mean([r["eo"] for r in target]))
    mean_acc = float(np.mean([r["accuracy"] for r in target]))
    worst_train = max(r["train_eo"] for r in target)
    clr = [r[CLR] for r in results]
    tight = [r[blind(TOLERANCES[0])] for r in results]
    tight_acc = float(np.mean([r["accuracy"] for r in tight]))
    tight_eo = float(np.mean([r["eo"] for r in tight]))
    tight_met = tight_acc >= TARGET_ACCURACY and tight_eo <= TARGET_EO
    lines += [
        "",
        "Per split (group-blind, tolerance .02): "
        + "; ".join(
            f"{i}: accuracy {r['accuracy']:.4f}, EO {r['eo']:.4f}, training EO "
            f"{r['train_eo']:.9f}, fit {r['fit']:.2f} s"
            for i, r in enumerate(target)
        )
        + ".",
        "",
        "LP size (candidate thresholds per inferred group, split 0): "
        f"{target[0]['n_thresholds']}.",
        "",
        "Targets (issue 31), group-blind at tolerance .02:",
        "",
        f"- mean test EO <= {TARGET_EO}: "
        f"**{'met' if mean_eo <= TARGET_EO else 'NOT met'}** ({mean_eo:.4f});",
        f"- mean test accuracy >= {TARGET_ACCURACY}: "
        f"**{'met' if mean_acc >= TARGET_ACCURACY else 'NOT met'}** "
        f"({mean_acc:.4f}; OxonFair's inferred mode: .8352 at test EO .0241, "
        "issue 31, three splits);",
        f"- training EO gap of the expected decisions <= .02 + 1e-9 on every "
        f"split: **{'met' if worst_train <= 0.02 + 1e-9 else 'NOT met'}** "
        f"(largest {worst_train:.12f}).",
        "",
        f"At tolerance {TOLERANCES[0]:g} (a tighter training bound than the "
        f"issue's .02): mean test accuracy {tight_acc:.4f} at mean test EO "
        f"{tight_eo:.4f}; both figures "
        f"{'meet' if tight_met else 'do not both meet'} the targets.",
        "",
        "With `group_cv=5` the LP bounds the gap of the rules applied to the "
        "out-of-fold inferred groups; the training EO column applies them to "
        "the groups the final group model (fitted on all training rows) "
        "infers, hence slightly above .02.",
        "",
        f"ConstrainedLogisticRegression(tolerance=.02) on the same splits: "
        f"accuracy {np.mean([r['accuracy'] for r in clr]):.4f}, test EO "
        f"{np.mean([r['eo'] for r in clr]):.4f} (the issue quotes .8441 at "
        ".028).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
