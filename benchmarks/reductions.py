"""skfair.reductions on Adult beside fairlearn's reductions, in one run.

Adult's train/test split from ``skfair.datasets.load_adult``, one-hot +
standardised features with sex removed (the encoding of ``frontier.py``), sex
as the sensitive feature. BLAS is pinned to one thread while timing, so the
two systems' fits compare like for like.

- ExponentiatedGradient(LogisticRegression, equalized_odds, tolerance=0.01)
  beside fairlearn's ExponentiatedGradient(EqualizedOdds(0.01)): fit time,
  test accuracy (expected, from predict_proba; and of one seeded predict) and
  test equalized-odds gap of the decisions.
- The same with HistGradientBoostingClassifier(random_state=0).
- GridSearch(LogisticRegression, demographic_parity, grid_size=11) beside
  fairlearn's GridSearch, and the plain LogisticRegression's test DP gap.

Usage: ``python benchmarks/reductions.py [--quick] [--no-fairlearn]``.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine_line, write_section  # noqa: E402
from frontier import AdultSplits, _timed  # noqa: E402

from skfair.metrics import (  # noqa: E402
    demographic_parity_difference,
    equalized_odds_difference,
)
from skfair.reductions import ExponentiatedGradient, GridSearch  # noqa: E402


def _expected_accuracy(p, y):
    return float(np.mean(np.where(y == 1, p, 1.0 - p)))


def _row(system, model, seconds, data, p, y_pred, extra=""):
    return {
        "system": system,
        "model": model,
        "seconds": seconds,
        "expected_accuracy": _expected_accuracy(p, data.y_test),
        "accuracy": float(np.mean(y_pred == data.y_test)),
        "eo_gap": equalized_odds_difference(
            data.y_test, y_pred, sensitive_features=data.sex_test
        ),
        "dp_gap": demographic_parity_difference(
            data.y_test, y_pred, sensitive_features=data.sex_test
        ),
        "extra": extra,
    }


def _skfair_eg(data, estimator, name):
    eg, seconds = _timed(
        lambda: ExponentiatedGradient(
            estimator, constraints="equalized_odds", tolerance=0.01, random_state=0
        ).fit(data.A, data.y, sensitive_features=data.sex)
    )
    p = eg.predict_proba(data.A_test)[:, 1]
    extra = (
        f"{eg.n_iter_} iterations, {eg.n_oracle_calls_} fits, "
        f"{int((eg.weights_ > 0).sum())} of {len(eg.predictors_)} predictors used, "
        f"duality gap {eg.best_gap_:.1e}"
    )
    return _row("skfair", name, seconds, data, p, eg.predict(data.A_test), extra)


def _fairlearn_eg(data, estimator, name):
    from fairlearn.reductions import EqualizedOdds
    from fairlearn.reductions import ExponentiatedGradient as FairlearnEG

    eg, seconds = _timed(
        lambda: FairlearnEG(estimator, EqualizedOdds(difference_bound=0.01)).fit(
            data.A, data.y, sensitive_features=data.sex
        )
    )
    p = eg._pmf_predict(data.A_test)[:, 1]
    y_pred = eg.predict(data.A_test, random_state=0)
    extra = f"{eg.last_iter_ + 1} iterations, {eg.n_oracle_calls_} fits"
    return _row("fairlearn", name, seconds, data, p, y_pred, extra)


def _grid(data, with_fairlearn):
    rows = []
    base, seconds = _timed(
        lambda: LogisticRegression(max_iter=1000).fit(data.A, data.y)
    )
    pred = base.predict(data.A_test)
    rows.append(_row("scikit-learn", "LogisticRegression", seconds, data, pred, pred))
    gs, seconds = _timed(
        lambda: GridSearch(
            LogisticRegression(max_iter=1000),
            constraints="demographic_parity",
            grid_size=11,
        ).fit(data.A, data.y, sensitive_features=data.sex)
    )
    pred = gs.predict(data.A_test)
    extra = f"{len(gs.predictors_)} predictors, chosen #{gs.best_idx_}"
    rows.append(
        _row("skfair", "GridSearch(LR, DP, 11)", seconds, data, pred, pred, extra)
    )
    if with_fairlearn:
        from fairlearn.reductions import DemographicParity
        from fairlearn.reductions import GridSearch as FairlearnGS

        fl, seconds = _timed(
            lambda: FairlearnGS(
                LogisticRegression(max_iter=1000), DemographicParity(), grid_size=11
            ).fit(data.A, data.y, sensitive_features=data.sex)
        )
        pred = fl.predict(data.A_test)
        extra = f"{len(fl.predictors_)} predictors, chosen #{fl.best_idx_}"
        rows.append(
            _row(
                "fairlearn", "GridSearch(LR, DP, 11)", seconds, data, pred, pred, extra
            )
        )
    return rows


def _table(rows):
    lines = [
        "| system | model | fit (s) | test accuracy (expected) | test accuracy "
        "(predict) | test EO gap | test DP gap | notes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['system']} | {r['model']} | {r['seconds']:.1f} | "
            f"{r['expected_accuracy']:.4f} | {r['accuracy']:.4f} | "
            f"{r['eo_gap']:.4f} | {r['dp_gap']:.4f} | {r['extra']} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="LR rows only")
    parser.add_argument("--no-fairlearn", action="store_true")
    args = parser.parse_args(argv)
    data = AdultSplits()
    with_fairlearn = not args.no_fairlearn
    eg_rows, ratios = [], []
    models = [("LogisticRegression", lambda: LogisticRegression(max_iter=1000))]
    if not args.quick:
        models.append(
            (
                "HistGradientBoosting",
                lambda: HistGradientBoostingClassifier(random_state=0),
            )
        )
    with threadpool_limits(1):
        for name, make in models:
            ours = _skfair_eg(data, make(), f"ExponentiatedGradient({name})")
            eg_rows.append(ours)
            print(ours, flush=True)
            if with_fairlearn:
                theirs = _fairlearn_eg(data, make(), f"ExponentiatedGradient({name})")
                eg_rows.append(theirs)
                print(theirs, flush=True)
                ratios.append((name, theirs["seconds"] / ours["seconds"]))
        grid_rows = _grid(data, with_fairlearn)
    for r in grid_rows:
        print(r, flush=True)
    ratio_text = "; ".join(f"{name}: **{ratio:.1f}x**" for name, ratio in ratios)
    lr_base = grid_rows[0]["dp_gap"]
    gs_gap = grid_rows[1]["dp_gap"]
    markdown = "\n".join(
        [
            "## Reductions: ExponentiatedGradient and GridSearch on Adult",
            "",
            machine_line(),
            "Adult train (32,561 rows) / test (16,281 rows) from "
            "`skfair.datasets.load_adult`; one-hot + standardised features, "
            "sex not a feature, sex the sensitive feature; BLAS pinned to one "
            "thread (threadpoolctl) for every fit; all rows from this one run. "
            "Equalized odds at tolerance 0.01: skfair bounds every pairwise "
            "difference of TPR and FPR by 0.01, fairlearn's "
            "`EqualizedOdds(difference_bound=0.01)` bounds each group's "
            "difference from the overall rate. Expected accuracy is the mean "
            "over the randomized decisions (from `predict_proba`); the EO and "
            "DP gaps are of the decisions of one seeded `predict`.",
            "",
            _table(eg_rows + grid_rows),
            "",
            f"ExponentiatedGradient fit speed-up over fairlearn in this run: "
            f"{ratio_text or 'fairlearn not run'}.",
            f"GridSearch test DP gap {gs_gap:.4f} against LogisticRegression's "
            f"{lr_base:.4f} (ratio {gs_gap / lr_base:.2f}).",
            "",
            "Reproduce: `python benchmarks/reductions.py`.",
        ]
    )
    write_section("reductions", markdown)
    print(markdown)


if __name__ == "__main__":
    main()
