"""``python -m skfair demo``: the accuracy / fairness table on bundled data.

Each model is a scikit-learn Pipeline: a ColumnTransformer scales the numeric
columns, one-hot encodes the categorical ones and passes the sensitive column
through as the last column (only the mitigators read it, through
``sensitive_cols=-1``; by skfair's rule it is a group label, not a feature).
Plain numpy object arrays are used so the demo needs no pandas.
"""

import re
import time
from dataclasses import dataclass

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skfair._console import (
    UsageError,
    format_group_report,
    format_interval,
    format_table,
)

_SENSITIVE_LAST = -1


@dataclass
class DemoData:
    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    feature_names: list
    sensitive: str

    @property
    def sensitive_index(self):
        return self.feature_names.index(self.sensitive)

    def groups(self, X):
        return X[:, self.sensitive_index]


def _load(dataset, sensitive):
    from sklearn.model_selection import train_test_split

    from skfair.datasets import load_adult, load_german_credit, load_meps_insurance

    if dataset == "adult":
        train = load_adult(split="train", as_frame=False)
        test = load_adult(split="test", as_frame=False)
        X_train, y_train, X_test, y_test = (
            train.data,
            train.target,
            test.data,
            test.target,
        )
        bunch = train
    else:
        loader = {"german": load_german_credit, "meps": load_meps_insurance}[dataset]
        bunch = loader(as_frame=False)
        X_train, X_test, y_train, y_test = train_test_split(
            bunch.data,
            bunch.target,
            test_size=0.3,
            random_state=0,
            stratify=bunch.target,
        )
    sensitive = sensitive or bunch.sensitive_feature_names[0]
    if sensitive not in bunch.sensitive_feature_names:
        raise UsageError(
            f"--sensitive must be one of {bunch.sensitive_feature_names} for "
            f"{dataset}; got {sensitive!r}."
        )
    return DemoData(
        dataset, X_train, y_train, X_test, y_test, list(bunch.feature_names), sensitive
    )


def _numeric_columns(data):
    """Columns other than the group whose values are floats (numeric features)."""
    return [
        j
        for j, name in enumerate(data.feature_names)
        if name != data.sensitive and isinstance(data.X_train[0, j], float)
    ]


def _preprocessor(data, *, keep_sensitive):
    """Scale numeric columns, one-hot the rest; optionally pass the group through."""
    numeric = _numeric_columns(data)
    categorical = [
        j
        for j, name in enumerate(data.feature_names)
        if name != data.sensitive and j not in numeric
    ]
    steps = [
        ("num", StandardScaler(), numeric),
        (
            "cat",
            OneHotEncoder(handle_unknown="ignore", sparse_output=False),
            categorical,
        ),
    ]
    if keep_sensitive:
        steps.append(("group", "passthrough", [data.sensitive_index]))
    return ColumnTransformer(steps)


def _logistic():
    return LogisticRegression(max_iter=1000)


def _baseline(data):
    return make_pipeline(_preprocessor(data, keep_sensitive=False), _logistic())


def _reweighing(data):
    from skfair.preprocessing import Reweighing

    return make_pipeline(
        _preprocessor(data, keep_sensitive=True),
        Reweighing(_logistic(), sensitive_cols=_SENSITIVE_LAST),
    )


def _disparate_impact_remover(data):
    from skfair.preprocessing import DisparateImpactRemover

    # The remover works on the raw rows (it passes every column through at its
    # position), so the usual preprocessing can follow it unchanged.
    remover = DisparateImpactRemover(
        sensitive_cols=data.sensitive_index,
        columns=_numeric_columns(data),
        random_state=0,
    )
    return make_pipeline(
        remover, _preprocessor(data, keep_sensitive=False), _logistic()
    )


def _threshold_optimizer(data):
    from skfair.postprocessing import ThresholdOptimizer

    return make_pipeline(
        _preprocessor(data, keep_sensitive=True),
        ThresholdOptimizer(
            _logistic(),
            constraints="equalized_odds",
            sensitive_cols=_SENSITIVE_LAST,
            random_state=0,
        ),
    )


def _constrained_logistic(data):
    from skfair.inprocessing import ConstrainedLogisticRegression

    return make_pipeline(
        _preprocessor(data, keep_sensitive=True),
        ConstrainedLogisticRegression(
            constraints="equalized_odds",
            tolerance=0.01,
            sensitive_cols=_SENSITIVE_LAST,
        ),
    )


def _adversarial(data):
    from skfair.inprocessing import AdversarialDebiasing

    return make_pipeline(
        _preprocessor(data, keep_sensitive=True),
        AdversarialDebiasing(
            constraints="equalized_odds",
            sensitive_cols=_SENSITIVE_LAST,
            random_state=0,
        ),
    )


def _calibrated_eq_odds(data):
    from skfair.postprocessing import CalibratedEqualizedOdds

    return make_pipeline(
        _preprocessor(data, keep_sensitive=True),
        CalibratedEqualizedOdds(
            _logistic(), sensitive_cols=_SENSITIVE_LAST, random_state=0
        ),
    )


# The bound the demo's certified model is asked for. On Adult (by sex) the
# tightest bound the safety half could certify is about 0.06, but a model
# fitted on the other half loses some of its fairness on new rows: the
# candidates tested in sequence pass 0.1 (the chosen one's bound is 0.091,
# at tolerance 0.05). German Credit's 700 training rows cannot (the tightest
# certifiable bound is about 0.17), nor can MEPS's by ethnicity (the "other"
# group has 63 uninsured training rows; about 0.14), and the demo says why.
_CERTIFIED_BOUND = 0.1


def _without_group(data):
    """The DemoData's columns as the model sees them: the group column removed."""
    reduced = list(data.feature_names)
    del reduced[data.sensitive_index]
    return DemoData(
        data.name,
        np.delete(data.X_train, data.sensitive_index, axis=1),
        data.y_train,
        np.delete(data.X_test, data.sensitive_index, axis=1),
        data.y_test,
        reduced,
        sensitive=None,
    )


def _high_confidence(data):
    from skfair.model_selection import HighConfidenceFairClassifier
    from skfair.postprocessing import ThresholdOptimizer

    # The preprocessing is inside the certified model, so that nothing the
    # tested model is made of has seen the safety rows. HighConfidence-
    # FairClassifier removes the group column before the pipeline sees it.
    model = make_pipeline(
        _preprocessor(_without_group(data), keep_sensitive=False),
        ThresholdOptimizer(_logistic(), random_state=0),
    )
    return HighConfidenceFairClassifier(
        model,
        constraints="equalized_odds",
        bound=_CERTIFIED_BOUND,
        tolerances=[0.05, 0.02, 0.0],
        sensitive_cols=data.sensitive_index,
        random_state=0,
    )


# (label, factory) in table order. A factory takes the DemoData and returns an
# unfitted estimator whose fit(X, y) and predict(X) take the raw rows.
MODELS = [
    ("LogisticRegression (baseline)", _baseline),
    ("Reweighing + LR", _reweighing),
    ("DisparateImpactRemover + LR", _disparate_impact_remover),
    ("ConstrainedLogisticRegression, EO tolerance 0.01", _constrained_logistic),
    ("ThresholdOptimizer(LR), equalized odds", _threshold_optimizer),
    ("AdversarialDebiasing, equalized odds", _adversarial),
    ("CalibratedEqualizedOdds(LR), generalized FNR", _calibrated_eq_odds),
    (f"HighConfidenceFairClassifier(TO), EO <= {_CERTIFIED_BOUND}", _high_confidence),
]


@dataclass
class DemoResult:
    label: str
    accuracy: float
    eo_gap: float
    dp_gap: float
    fit_seconds: float
    train_eo_gap: float
    eo_interval: tuple = (np.nan, np.nan)
    dp_interval: tuple = (np.nan, np.nan)
    note: str = ""


# Bootstrap resamples of the test rows' count table behind the gaps' intervals
# (milliseconds: the table, not the rows, is resampled).
_N_BOOT = 1000


def _evaluate(label, factory, data):
    import warnings

    from skfair.exceptions import CertificationWarning
    from skfair.metrics import equalized_odds_difference
    from skfair.metrics._bootstrap import table_intervals
    from skfair.metrics._dispatch import group_counts

    model = factory(data)
    start = time.perf_counter()
    with warnings.catch_warnings():
        # The certified model's fallback warning is the note printed below.
        warnings.simplefilter("ignore", CertificationWarning)
        model.fit(data.X_train, data.y_train)
    fit_seconds = time.perf_counter() - start
    y_pred = model.predict(data.X_test)
    groups = data.groups(data.X_test)
    # The decisions' gap on the rows the model was fitted on: what a
    # training-data bound (ConstrainedLogisticRegression's tolerance) holds.
    train_eo_gap = equalized_odds_difference(
        data.y_train,
        model.predict(data.X_train),
        sensitive_features=data.groups(data.X_train),
    )
    names = ["equalized_odds_difference", "demographic_parity_difference"]
    counts = group_counts(data.y_test, y_pred, sensitive_features=groups, raw=True)
    gaps, intervals = table_intervals(
        counts, names, n_boot=_N_BOOT, rng=np.random.default_rng(0)
    )
    result = DemoResult(
        label,
        float(np.mean(y_pred == data.y_test)),
        gaps[names[0]],
        gaps[names[1]],
        fit_seconds,
        train_eo_gap,
        tuple(intervals[names[0]]),
        tuple(intervals[names[1]]),
        _certification_note(label, model),
    )
    return result, y_pred


def _certification_note(label, model):
    """What a certified model's certificate says, in one sentence (else "")."""
    if not hasattr(model, "certified_"):
        return ""
    if model.certified_:
        return (
            f"{label}: certified, with 95% confidence, an equalized-odds gap "
            f"<= {model.bound} on new rows from the same population (upper "
            f"bound {model.upper_bound_:.3f} from the held-out safety rows; "
            f"tolerance {model.tolerance_:g}, fitted on the other half)."
        )
    return (
        f"{label}: could not certify {model.bound} at 95% (the tested "
        f"model's bound is {model.upper_bound_:.3f}; the tightest this data "
        f"could certify is about {model.tightest_bound_:.3f}), so it predicts "
        f"the majority label {model.majority_label_} for every row."
    )


def _noise_note(data, groups):
    """One line on how far a test gap can move by chance on these data.

    A rate measured on ``m`` rows has a standard error of at most
    ``0.5 / sqrt(m)``; a gap compares two of them, so gaps on a test set
    whose smallest (group, label) cell has ``m`` rows scatter by about
    ``0.7 / sqrt(m)`` whatever the model.
    """
    from skfair.utils import encode_groups

    codes = encode_groups(groups).codes
    labels = np.unique(data.y_test, return_inverse=True)[1]
    smallest = int(np.bincount(codes * 2 + labels).min())
    noise = 0.7 / np.sqrt(max(smallest, 1))
    return (
        f"Test gaps are estimates: the smallest (group, label) cell of the test "
        f"rows has {smallest} rows, so a gap moves by about {noise:.3f} by chance "
        "alone (compare with the training gap)."
    )


def _model_key(label):
    """Short name of a model for --models: its label's first word, lower case."""
    return re.match(r"\w+", label).group().lower()


def _select_models(names):
    if names is None:
        return MODELS
    wanted = {n.strip().lower() for n in names.split(",") if n.strip()}
    known = [_model_key(label) for label, _ in MODELS]
    unknown = wanted - set(known)
    if unknown:
        raise UsageError(f"unknown model(s) {sorted(unknown)}; choose from {known}.")
    return [(label, f) for label, f in MODELS if _model_key(label) in wanted]


def run_demo(args, out):
    from skfair.metrics import group_report

    data = _load(args.dataset, args.sensitive)
    models = _select_models(args.models)
    print(
        f"skfair demo: {data.name}, {len(data.y_train)} training and "
        f"{len(data.y_test)} test rows, groups by {data.sensitive!r}",
        file=out,
    )
    results = []
    baseline_pred = None
    for i, (label, factory) in enumerate(models, start=1):
        print(f"[{i}/{len(models)}] fitting {label} ...", file=out, flush=True)
        result, y_pred = _evaluate(label, factory, data)
        results.append(result)
        if baseline_pred is None:
            baseline_pred = y_pred
            baseline_label = label
    groups = data.groups(data.X_test)
    print(f"\nGroup report of {baseline_label} on the test rows:", file=out)
    report = group_report(data.y_test, baseline_pred, sensitive_features=groups)
    # The test rows are unweighted: their weighted count is their count.
    if isinstance(report, dict):
        del report["weighted_count"]
    else:
        report = report.drop(columns="weighted_count")
    print(format_group_report(report), file=out)
    print("\nTest accuracy and fairness gaps (lower gap is fairer):", file=out)
    header = [
        "model",
        "accuracy",
        "EO gap [95% interval]",
        "DP gap [95% interval]",
        "train EO gap",
        "fit s",
    ]
    rows = [
        (
            r.label,
            r.accuracy,
            f"{r.eo_gap:.4f} {format_interval(*r.eo_interval)}",
            f"{r.dp_gap:.4f} {format_interval(*r.dp_interval)}",
            r.train_eo_gap,
            f"{r.fit_seconds:.2f}",
        )
        for r in results
    ]
    print(format_table(header, rows), file=out)
    print(
        "Intervals: 95%, from the test rows' counts: each pair of groups' rate "
        "difference gets Newcombe's score interval, which stays wide for small "
        "groups; a gap whose interval reaches 0 could be noise.",
        file=out,
    )
    print(_noise_note(data, groups), file=out)
    for r in results:
        if r.note:
            print(r.note, file=out)
    if args.plot:
        _plot(results, args.plot, data)
        print(f"\nwrote {args.plot}", file=out)
    return 0


def _plot(results, path, data):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError(
            "--plot needs matplotlib: pip install 'skfair[plot]'."
        ) from None
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for r in results:
        ax.scatter(r.eo_gap, r.accuracy, s=40)
        ax.annotate(
            r.label,
            (r.eo_gap, r.accuracy),
            fontsize=8,
            xytext=(4, 4),
            textcoords="offset points",
        )
    ax.margins(x=0.5, y=0.1)  # room for the labels right of the points
    ax.set_xlabel("equalized-odds gap (test)")
    ax.set_ylabel("accuracy (test)")
    ax.set_title(f"{data.name}: accuracy / fairness trade-off by {data.sensitive}")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
