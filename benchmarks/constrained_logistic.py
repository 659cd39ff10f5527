"""ConstrainedLogisticRegression measured the way users measure it.

What users measure is the equalized-odds gap of the hard decisions
(``equalized_odds_difference(y, clf.predict(X), sensitive_features=g)``), on
the data the model was fitted on and on held-out data. One run measures:

1. A tolerance sweep on Adult (fit on the train split, measured on the test
   split, ``sex`` the group and not a feature) and on German Credit
   (``age_group`` the group; ``age``, ``sex`` and ``personal_status_sex``
   removed from the features; a 70/30 split stratified by group and label).
   Categorical columns are one-hot encoded, numeric ones standardised. For
   each ``gap_of`` ("predict", the default: the decisions' gaps;
   "predict_proba": the groups' mean probabilities; "decision_function":
   the groups' mean scores, tolerance in logits) and tolerance: the training
   EO gap of ``predict``, whether it is within the documented bound
   ``tolerance + 1.5 / (smallest group-label cell)``, test accuracy, test EO
   gap, fit time and iterations.
2. Peers on Adult: fairlearn's ``ExponentiatedGradient(LogisticRegression(),
   EqualizedOdds(difference_bound=b))`` for several bounds ``b`` (a
   randomised classifier: accuracy and EO are the mean over 10 prediction
   draws), scikit-learn's unconstrained ``LogisticRegression`` and
   scikit-lego's ``EqualOpportunityClassifier`` (when installed). The
   accuracy/EO frontier of the default sweep (fits that no other fit beats
   on both counts, joined linearly in order of test EO; not extrapolated
   below the smallest EO reached) is compared with each
   ExponentiatedGradient point, and the sweep's median fit time with
   ExponentiatedGradient(0.01)'s.
3. Several seeds: Adult (train and test pooled, 2/3-1/3 splits) and German
   Credit (70/30 splits), each split stratified by group and label, seeds
   0-19: tolerance 0 and 0.02 (default ``gap_of``), the unconstrained
   ``LogisticRegression``, ExponentiatedGradient(0.01) and an exact
   ThresholdOptimizer (tolerance 0; it sees the group) as the noise floor;
   mean, median and max over the seeds of the training EO gap, the test EO
   gap and the test accuracy.

Targets (issue 10): the training EO gap of ``predict`` within the bound for
every default-``gap_of`` row; tolerance 0 keeps Adult's test EO <= 0.02; the
frontier reaches ExponentiatedGradient(0.01)'s accuracy at its test EO (and,
aiming higher, every ExponentiatedGradient point); the median fit is >= 5x
faster than ExponentiatedGradient(0.01)'s.

Run: ``python benchmarks/constrained_logistic.py`` (4 minutes on two shared
cores; most of it is ExponentiatedGradient, whose fits take 25-100 s each
depending on the load). ``--quick`` (or the
environment variable ``CLR_BENCH_QUICK=1``) fits ExponentiatedGradient at
``b = 0.01`` only and uses two seeds; ``ROUNDS=k`` times every skfair fit
as the best of ``k`` (default 1).
"""

import argparse
import os
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder, StandardScaler

try:
    from _heldout import frontier_accuracy
    from _report import machine_line, write_section
except ImportError:  # run from the repository root as a module
    from benchmarks._heldout import frontier_accuracy
    from benchmarks._report import machine_line, write_section

from skfair.datasets import load_adult, load_german_credit
from skfair.inprocessing import ConstrainedLogisticRegression
from skfair.metrics import equalized_odds_difference as EOD
from skfair.postprocessing import ThresholdOptimizer

TOLERANCES = (0.0, 0.005, 0.01, 0.02, 0.05, 0.08)
# gap_of="decision_function" bounds mean scores: its tolerance is in logits.
LOGIT_TOLERANCES = (0.0, 0.25, 0.5, 1.0)
EG_BOUNDS = (0.005, 0.01, 0.02, 0.05)
EG_REFERENCE = 0.01
SEED_TOLERANCES = (0.0, 0.02)
# Held-out gaps scatter by about 0.02 from split to split (Adult's smallest
# test cell has ~590 rows): 20 splits, so that the means say something.
SEEDS = tuple(range(20))
QUICK_SEEDS = (0, 1)
# The documented bound on the training gap of the decisions: tolerance plus
# this many rate steps (one step = 1 / smallest group-label cell).
STEPS = 1.5
ROUNDS = int(os.environ.get("ROUNDS", "1"))
N_DRAWS = 10
GERMAN_DROPPED = ("age", "sex", "personal_status_sex")


# -- data ----------------------------------------------------------------------


def _encoder(X):
    """One-hot the categorical columns, standardise the numeric ones (dense)."""
    # Not "category" only: concatenating splits whose categories differ
    # (Adult's native-country) leaves strings.
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    numeric = [c for c in X.columns if c not in categorical]
    return ColumnTransformer(
        [
            ("onehot", OneHotEncoder(handle_unknown="ignore"), categorical),
            ("scale", StandardScaler(), numeric),
        ],
        sparse_threshold=0.0,
    )


def _encode(X_train, X_test):
    """Fit the encoding on the training rows only; transform both."""
    encoder = _encoder(X_train)
    return encoder.fit_transform(X_train), encoder.transform(X_test)


class Split:
    """Encoded training and test data of one data set and one split."""

    def __init__(self, name, group_name, X_train, y_train, g_train, X_test, y_test,
                 g_test):  # fmt: skip
        self.name, self.group_name = name, group_name
        self.A, self.A_test = _encode(X_train, X_test)
        self.y, self.y_test = np.asarray(y_train), np.asarray(y_test)
        self.g, self.g_test = np.asarray(g_train), np.asarray(g_test)
        cells = pd.crosstab(self.g, self.y)
        self.smallest_cell = int(cells.to_numpy().min())

    def bound(self, tolerance):
        return tolerance + STEPS / self.smallest_cell

    def describe(self):
        return (
            f"{self.name}: fit on {self.A.shape[0]} rows x {self.A.shape[1]} "
            f"features, tested on {self.A_test.shape[0]} rows; group = "
            f"{self.group_name}; smallest training group-label cell "
            f"{self.smallest_cell} rows (bound = tolerance + {STEPS}/"
            f"{self.smallest_cell} = tolerance + "
            f"{STEPS / self.smallest_cell:.4f})"
        )


def _pop_group(X, column):
    X = X.copy()
    return X, np.asarray(X.pop(column).astype(str))


def _stratified(X, y, g, test_size, seed):
    """Split stratified by (group, label), so every cell keeps its share."""
    strata = pd.Series(g).astype(str).to_numpy() + "|" + np.asarray(y).astype(str)
    return train_test_split(
        X, y, g, test_size=test_size, random_state=seed, stratify=strata
    )


def adult_official():
    X_train, y_train = load_adult(split="train", return_X_y=True)
    X_test, y_test = load_adult(split="test", return_X_y=True)
    X_train, g_train = _pop_group(X_train, "sex")
    X_test, g_test = _pop_group(X_test, "sex")
    return Split("Adult", "sex", X_train, y_train, g_train, X_test, y_test, g_test)


def adult_pooled(seed):
    parts = [load_adult(split=s, return_X_y=True) for s in ("train", "test")]
    X = pd.concat([p[0] for p in parts], ignore_index=True)
    y = pd.concat([p[1] for p in parts], ignore_index=True)
    X, g = _pop_group(X, "sex")
    X_tr, X_te, y_tr, y_te, g_tr, g_te = _stratified(X, y, g, 1 / 3, seed)
    return Split("Adult", "sex", X_tr, y_tr, g_tr, X_te, y_te, g_te)


def german(seed):
    X, y = load_german_credit(return_X_y=True)
    X = X.drop(columns=list(GERMAN_DROPPED))
    X, g = _pop_group(X, "age_group")
    X_tr, X_te, y_tr, y_te, g_tr, g_te = _stratified(X, y, g, 0.3, seed)
    return Split("German Credit", "age_group", X_tr, y_tr, g_tr, X_te, y_te, g_te)


# -- fitting and measuring -------------------------------------------------------


def timed(fit, rounds=1):
    """The fitted model of the last round and the best time over ``rounds``."""
    best = np.inf
    for _ in range(rounds):
        start = time.perf_counter()
        out = fit()
        best = min(best, time.perf_counter() - start)
    return out, best


def fit_clr(data, tolerance, gap_of="predict", rounds=ROUNDS):
    """Fit skfair's model; return it, its fit time and its warnings' names."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model, seconds = timed(
            lambda: ConstrainedLogisticRegression(
                tolerance=tolerance, gap_of=gap_of
            ).fit(data.A, data.y, sensitive_features=data.g),
            rounds,
        )
    names = sorted({w.category.__name__ for w in caught})
    return model, seconds, names


def measure(model, data):
    """Training EO, test accuracy and test EO of a deterministic model."""
    train_eo = float(EOD(data.y, model.predict(data.A), sensitive_features=data.g))
    pred = model.predict(data.A_test)
    acc = float(np.mean(pred == data.y_test))
    eo = float(EOD(data.y_test, pred, sensitive_features=data.g_test))
    return train_eo, acc, eo


def measure_grouped(model, data):
    """``measure`` for a model that takes the groups at prediction time."""
    train = model.predict(data.A, sensitive_features=data.g)
    pred = model.predict(data.A_test, sensitive_features=data.g_test)
    return (
        float(EOD(data.y, train, sensitive_features=data.g)),
        float(np.mean(pred == data.y_test)),
        float(EOD(data.y_test, pred, sensitive_features=data.g_test)),
    )


def fit_lr(data):
    return timed(lambda: LogisticRegression().fit(data.A, data.y))


def sweep(data):
    """One row per (gap_of, tolerance)."""
    configs = [("predict", t) for t in TOLERANCES]
    configs += [("predict_proba", t) for t in TOLERANCES]
    configs += [("decision_function", t) for t in LOGIT_TOLERANCES]
    rows = []
    for gap_of, tol in configs:
        model, seconds, caught = fit_clr(data, tol, gap_of)
        train_eo, acc, eo = measure(model, data)
        row = dict(
            gap_of=gap_of,
            tolerance=tol,
            constrained=float(np.max(model.constrained_gaps_)),
            reported=float(np.max(model.training_gaps_)),
            train_eo=train_eo,
            acc=acc,
            eo=eo,
            seconds=seconds,
            n_iter=int(model.n_iter_[0]),
            warnings=caught,
        )
        if gap_of != "decision_function":  # a bound in rate units
            row["bound"] = data.bound(tol)
            row["holds"] = train_eo <= row["bound"]
        rows.append(row)
        print(
            f"  {data.name} gap_of={gap_of:<17} tolerance {tol:<6} train EO "
            f"{train_eo:.4f} test acc {acc:.4f} test EO {eo:.4f} fit "
            f"{seconds:.2f} s ({row['n_iter']} iter) {' '.join(caught)}",
            flush=True,
        )
    return rows


def fit_expgrad(data, bound):
    from fairlearn.reductions import EqualizedOdds, ExponentiatedGradient

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ExponentiatedGradient(
            LogisticRegression(), EqualizedOdds(difference_bound=bound)
        ).fit(data.A, data.y, sensitive_features=data.g)


def evaluate_expgrad(model, data):
    """Test accuracy and EO, each the mean over ``N_DRAWS`` prediction draws."""
    accs, eos = [], []
    for seed in range(N_DRAWS):
        pred = model.predict(data.A_test, random_state=seed)
        accs.append(np.mean(pred == data.y_test))
        eos.append(EOD(data.y_test, pred, sensitive_features=data.g_test))
    train_eos = [
        EOD(data.y, model.predict(data.A, random_state=seed), sensitive_features=data.g)
        for seed in range(N_DRAWS)
    ]
    return float(np.mean(train_eos)), float(np.mean(accs)), float(np.mean(eos))


def fit_sklego(data):
    from sklego.linear_model import EqualOpportunityClassifier

    reference = np.unique(data.g)[-1]
    A_with_group = np.column_stack([data.A, (data.g == reference).astype(float)])
    model = EqualOpportunityClassifier(
        covariance_threshold=0.0,
        positive_target=1,
        sensitive_cols=[data.A.shape[1]],
        max_iter=1000,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model, seconds = timed(lambda: model.fit(A_with_group, data.y))
    pred = model.predict(
        np.column_stack([data.A_test, (data.g_test == reference).astype(float)])
    )
    train_pred = model.predict(A_with_group)
    return (
        float(EOD(data.y, train_pred, sensitive_features=data.g)),
        float(np.mean(pred == data.y_test)),
        float(EOD(data.y_test, pred, sensitive_features=data.g_test)),
        seconds,
    )


def peers(data, bounds):
    """ExponentiatedGradient at each bound, LogisticRegression, scikit-lego."""
    out = {"expgrad": []}
    for bound in bounds:
        model, seconds = timed(lambda bound=bound: fit_expgrad(data, bound))
        train_eo, acc, eo = evaluate_expgrad(model, data)
        out["expgrad"].append(
            dict(bound=bound, train_eo=train_eo, acc=acc, eo=eo, seconds=seconds)
        )
        print(
            f"  ExponentiatedGradient({bound}) fit {seconds:.1f} s: test acc "
            f"{acc:.4f} test EO {eo:.4f}",
            flush=True,
        )
    lr, seconds = fit_lr(data)
    out["lr"] = (*measure(lr, data), seconds)
    try:
        out["sklego"] = fit_sklego(data)
    except ImportError as exc:
        out["sklego"] = f"not importable ({exc})"
    return out


def seed_study(make, name, seeds):
    """Per model: its tolerance (None: LogisticRegression) and, for each seed,
    (train EO, test accuracy, test EO, within the bound)."""
    expgrad = f"ExponentiatedGradient(EqualizedOdds({EG_REFERENCE}))"
    exact_post = (
        "ThresholdOptimizer(LogisticRegression(), tolerance=0) (sees the group)"
    )
    results = {
        "LogisticRegression() (unconstrained)": (None, []),
        expgrad: (None, []),
        exact_post: (None, []),
    }
    results.update({f"tolerance={t}": (t, []) for t in SEED_TOLERANCES})
    for seed in seeds:
        data = make(seed)
        lr, _ = fit_lr(data)
        results["LogisticRegression() (unconstrained)"][1].append(
            (*measure(lr, data), None)
        )
        # The peer over the same seeds: held-out gaps scatter by split, so a
        # comparison on one split alone says little.
        eg = fit_expgrad(data, EG_REFERENCE)
        results[expgrad][1].append((*evaluate_expgrad(eg, data), None))
        # An exact post-processor that uses the group at prediction time: its
        # training gaps are 0 in expectation, so its held-out gaps show the
        # split-to-split noise floor.
        post = ThresholdOptimizer(
            lr, prefit=True, constraints="equalized_odds", tolerance=0.0, random_state=0
        ).fit(data.A, data.y, sensitive_features=data.g)
        results[exact_post][1].append((*measure_grouped(post, data), None))
        for tol in SEED_TOLERANCES:
            model, seconds, caught = fit_clr(data, tol, rounds=1)
            train_eo, acc, eo = measure(model, data)
            holds = train_eo <= data.bound(tol)
            results[f"tolerance={tol}"][1].append((train_eo, acc, eo, holds))
            print(
                f"  {name} seed {seed} tolerance {tol}: train EO {train_eo:.4f} "
                f"(bound {data.bound(tol):.4f}) test acc {acc:.4f} test EO "
                f"{eo:.4f} fit {seconds:.1f} s {' '.join(caught)}",
                flush=True,
            )
    return results


# -- report ----------------------------------------------------------------------


def _fmt(value, digits=4):
    if value is None or np.isnan(value):
        return "not reached (every fit has a larger test EO)"
    return f"{value:.{digits}f}"


def sweep_table(data, rows):
    lines = [
        f"**{data.describe()}.**",
        "",
        "| gap_of | tolerance | constrained gap | train EO of predict | bound "
        "| within bound | test accuracy | test EO | fit (s) | iterations "
        "| warnings |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        unit = " (logits)" if r["gap_of"] == "decision_function" else ""
        bound = f"{r['bound']:.4f}" if "bound" in r else "n/a"
        holds = ("yes" if r["holds"] else "**NO**") if "holds" in r else "n/a"
        lines.append(
            f"| {r['gap_of']} | {r['tolerance']}{unit} | {r['constrained']:.4f} | "
            f"{r['train_eo']:.4f} | {bound} | {holds} | {r['acc']:.4f} | "
            f"{r['eo']:.4f} | {r['seconds']:.2f} | {r['n_iter']} | "
            f"{', '.join(r['warnings']) or '-'} |"
        )
    return lines


def peer_table(data, out):
    lines = [
        "",
        f"Peers on {data.name} (same split; ExponentiatedGradient is randomised: "
        f"its figures are the mean over {N_DRAWS} prediction draws):",
        "",
        "| peer | train EO | test accuracy | test EO | fit (s) |",
        "|---|---|---|---|---|",
    ]
    train_eo, acc, eo, seconds = out["lr"]
    lines.append(
        f"| sklearn LogisticRegression() (unconstrained) | {train_eo:.4f} | "
        f"{acc:.4f} | {eo:.4f} | {seconds:.2f} |"
    )
    for e in out["expgrad"]:
        lines.append(
            f"| fairlearn ExponentiatedGradient(LR, EqualizedOdds({e['bound']})) | "
            f"{e['train_eo']:.4f} | {e['acc']:.4f} | {e['eo']:.4f} | "
            f"{e['seconds']:.1f} |"
        )
    if isinstance(out["sklego"], str):
        lines.append(
            f"| scikit-lego EqualOpportunityClassifier | {out['sklego']} | | | |"
        )
    else:
        train_eo, acc, eo, seconds = out["sklego"]
        lines.append(
            "| scikit-lego EqualOpportunityClassifier(covariance_threshold=0) | "
            f"{train_eo:.4f} | {acc:.4f} | {eo:.4f} | {seconds:.2f} |"
        )
    return lines


def comparison_lines(rows, out):
    default = [r for r in rows if r["gap_of"] == "predict"]
    points = [(r["eo"], r["acc"]) for r in default]
    every = [(r["eo"], r["acc"]) for r in rows]
    lines = [
        "",
        "| ExponentiatedGradient bound | its test EO | its accuracy | skfair frontier "
        "(gap_of=predict) at that EO | reached? | frontier of all skfair rows "
        "| reached? |",
        "|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for e in out["expgrad"]:
        ours = frontier_accuracy(points, e["eo"])
        ours_all = frontier_accuracy(every, e["eo"])
        ok, ok_all = ours >= e["acc"], ours_all >= e["acc"]
        verdicts.append((e["bound"], ok, ok_all))
        lines.append(
            f"| {e['bound']} | {e['eo']:.4f} | {e['acc']:.4f} | {_fmt(ours)} | "
            f"{'yes' if ok else '**no**'} | {_fmt(ours_all)} | "
            f"{'yes' if ok_all else '**no**'} |"
        )
    reference = next((e for e in out["expgrad"] if e["bound"] == EG_REFERENCE), None)
    median_fit = float(np.median([r["seconds"] for r in default]))
    lines.append("")
    if reference is not None:
        ours = frontier_accuracy(points, reference["eo"])
        ok = ours >= reference["acc"]
        speedup = reference["seconds"] / median_fit
        lines += [
            f"- Frontier (gap_of=predict sweep) at ExponentiatedGradient("
            f"{EG_REFERENCE})'s test EO {reference['eo']:.4f}: **{_fmt(ours)}** vs "
            f"its {reference['acc']:.4f} -> {'target met' if ok else 'TARGET MISSED'}.",
            f"- Median fit of the gap_of=predict sweep {median_fit:.2f} s vs "
            f"ExponentiatedGradient({EG_REFERENCE}) {reference['seconds']:.1f} s: "
            f"**{speedup:.1f}x** faster (target 5x: "
            f"{'met' if speedup >= 5 else 'MISSED'}).",
        ]
    dominated = all(v[1] for v in verdicts)
    lines.append(
        f"- Dominates ExponentiatedGradient's whole frontier (bounds "
        f"{', '.join(str(v[0]) for v in verdicts)}) with the gap_of=predict sweep: "
        f"**{'yes' if dominated else 'no'}**; with every skfair row: "
        f"**{'yes' if all(v[2] for v in verdicts) else 'no'}**."
    )
    tol0 = next(r for r in default if r["tolerance"] == 0.0)
    lines.append(
        f"- Tolerance 0: test EO {tol0['eo']:.4f} (target <= 0.02: "
        f"{'met' if tol0['eo'] <= 0.02 else 'MISSED'})."
    )
    return lines


def seed_table(studies):
    lines = [
        "| data | model | seeds | train EO mean | train EO max | test EO mean "
        "| test EO median | test EO max | test EO <= 0.02 | test accuracy mean "
        "| test accuracy min | within bound |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, results in studies.items():
        for model, (tol, per_seed) in results.items():
            values = np.array([p[:3] for p in per_seed])  # train EO, acc, test EO
            within = (
                "n/a"
                if tol is None
                else f"{sum(p[3] for p in per_seed)}/{len(per_seed)}"
            )
            lines.append(
                f"| {name} | {model} | {len(values)} | {values[:, 0].mean():.4f} | "
                f"{values[:, 0].max():.4f} | {values[:, 2].mean():.4f} | "
                f"{np.median(values[:, 2]):.4f} | {values[:, 2].max():.4f} | "
                f"{np.sum(values[:, 2] <= 0.02)}/{len(values)} | "
                f"{values[:, 1].mean():.4f} | {values[:, 1].min():.4f} | {within} |"
            )
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get("CLR_BENCH_QUICK", "") not in ("", "0"),
        help=f"ExponentiatedGradient at b={EG_REFERENCE} only, seeds "
        f"{QUICK_SEEDS} only (also: CLR_BENCH_QUICK=1)",
    )
    args = parser.parse_args(argv)
    bounds = (EG_REFERENCE,) if args.quick else EG_BOUNDS
    seeds = QUICK_SEEDS if args.quick else SEEDS
    start = time.perf_counter()

    adult = adult_official()
    print(adult.describe(), flush=True)
    adult_rows = sweep(adult)
    adult_peers = peers(adult, bounds)
    german_data = german(0)
    print(german_data.describe(), flush=True)
    german_rows = sweep(german_data)
    lr, seconds = fit_lr(german_data)
    german_lr = (*measure(lr, german_data), seconds)
    studies = {
        "Adult": seed_study(adult_pooled, "Adult", seeds),
        "German Credit": seed_study(german, "German Credit", seeds),
    }
    total = time.perf_counter() - start

    default_rows = [r for r in adult_rows + german_rows if r["gap_of"] == "predict"]
    all_within = all(r["holds"] for r in default_rows)
    lines = [
        "## ConstrainedLogisticRegression (equalized odds of the decisions)",
        "",
        machine_line(),
        f"`python benchmarks/constrained_logistic.py{' --quick' if args.quick else ''}`"
        f", one run, {total / 60:.1f} min. EO = equalized_odds_difference of "
        "`predict` (skfair.metrics). Constrained gap = max of "
        "`constrained_gaps_` (what gap_of bounds: decisions' rates, mean "
        "probabilities, or mean scores in logits). Bound = tolerance + "
        f"{STEPS} / smallest group-label cell of the training data (the rates' "
        f"granularity), for the rows whose tolerance is in rate units. Fit "
        f"times: best of {ROUNDS}.",
        f"Training EO of predict within the bound for every gap_of=predict row "
        f"(both data sets): **{'yes' if all_within else 'NO'}**.",
        "",
        "### Adult (group = sex): tolerance sweep",
        "",
        *sweep_table(adult, adult_rows),
        *peer_table(adult, adult_peers),
        *comparison_lines(adult_rows, adult_peers),
        "",
        "### German Credit (group = age_group): tolerance sweep",
        "",
        *sweep_table(german_data, german_rows),
        "",
        f"Unconstrained LogisticRegression(): train EO {german_lr[0]:.4f}, test "
        f"accuracy {german_lr[1]:.4f}, test EO {german_lr[2]:.4f}, fit "
        f"{german_lr[3]:.2f} s.",
        "",
        "### Several seeds (gap_of=predict)",
        "",
        f"Adult: train and test pooled ({adult.A.shape[0] + adult.A_test.shape[0]} "
        "rows), 2/3-1/3 splits; German Credit: 70/30 splits; every split "
        f"stratified by group and label, seeds {', '.join(map(str, seeds))}. "
        "Within bound: seeds whose training EO of predict is <= tolerance + "
        f"{STEPS} / smallest cell.",
        "",
        *seed_table(studies),
    ]
    markdown = "\n".join(lines)
    print(markdown)
    write_section("constrained_logistic", markdown)


if __name__ == "__main__":
    main()
