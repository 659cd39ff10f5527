"""The probe harness, the notes, the Adult data and the helpers the peers share.

A probe is a callable producing one cell of the feature table; every
exception it raises becomes the cell's text, so one system's failure never
stops the table. The contexts below (``Adult``, ``PostProcessing``,
``UnseenGroup``, ``WeightedMetricData``, ``IntersectionalMetricData``) are
built once per feature and handed to each peer's probe, so the four systems
are measured on the same rows and against the same reference.
"""

import importlib
import inspect
import logging
import time
import warnings

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skfair.datasets import load_adult
from skfair.datasets._loaders import ADULT_NUMERIC
from skfair.metrics import equalized_odds_difference

SYSTEMS = ("skfair", "fairlearn", "AIF360", "scikit-lego")
NUMERIC = list(ADULT_NUMERIC)  # Adult's six numeric columns
N_TRAIN = 4000  # Adult rows used by the probes (train and test subsamples)
SEED = 0
NOTES = []  # (feature, system, text): one-line findings of the probes
NOTE_HOOKS = []  # extra attempts run after the table, for the notes only


class NotOffered(Exception):
    """Raised by a probe when the system has no such tool (checked at run time)."""


def _note(feature, system, text):
    NOTES.append((feature, system, text))


def _short(exc, limit=90):
    message = " ".join(str(exc).split())
    if len(message) > limit:
        message = message[: limit - 3].rstrip() + "..."
    return f"{type(exc).__name__}: {message}".replace("|", "/")


def _run_probe(probe):
    """The cell of one probe: its verdict, or what it raised."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return probe()
    except NotOffered as exc:
        return f"n/a (not offered: {exc})"
    except Exception as exc:  # noqa: BLE001 - a probe records any failure
        return f"no ({_short(exc)})"


def _attempt(label, func):
    """One named attempt inside a probe: ``(ok, text)`` without raising."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = func()
    except Exception as exc:  # noqa: BLE001
        return False, f"{label}: no ({_short(exc, 70)})"
    return True, f"{label}: yes ({value})" if value is not None else f"{label}: yes"


def _combine(attempts):
    """A cell from several attempts: ``yes`` only if every one worked."""
    results = [_attempt(label, func) for label, func in attempts]
    if all(ok for ok, _ in results):
        return "yes: " + "; ".join(text.split(": yes", 1)[0] for _, text in results)
    return "<br>".join(text for _, text in results)


def _require_absent(module, names, what):
    """NotOffered after checking that none of ``names`` exists in ``module``."""
    mod = importlib.import_module(module)
    present = [n for n in names if hasattr(mod, n)]
    if present:  # the table's premise is wrong: make it visible
        raise RuntimeError(f"{module} has {present}; write a probe for it")
    raise NotOffered(f"no {what} in {module}")


def _quiet_imports():
    """Import the peers once, with AIF360's optional-extra log lines silenced."""
    logging.disable(logging.WARNING)
    try:
        for module in (
            "fairlearn.postprocessing",
            "fairlearn.reductions",
            "fairlearn.metrics",
            "fairlearn.preprocessing",
            "aif360.sklearn.preprocessing",
            "aif360.sklearn.inprocessing",
            "aif360.sklearn.postprocessing",
            "aif360.sklearn.metrics",
            "aif360.algorithms.preprocessing",
            "aif360.algorithms.postprocessing",
            "sklego.linear_model",
            "sklego.preprocessing",
            "sklego.metrics",
        ):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                importlib.import_module(module)
    finally:
        logging.disable(logging.NOTSET)


# --------------------------------------------------------------------------
# Data


class Adult:
    """Adult subsamples in the shapes each system wants.

    ``frame``: the six numeric columns standardised (with the training
    rows' mean and scale) plus ``sex`` and ``race`` as category columns;
    ``male``: 0/1; ``A``: the full one-hot + standardised feature matrix
    without sex (for the post- and in-processing probes).
    """

    def __init__(self, n_rows=N_TRAIN, seed=SEED):
        rng = np.random.default_rng(seed)
        train, test = load_adult(split="train"), load_adult(split="test")
        parts = []
        for bunch in (train, test):
            rows = rng.choice(len(bunch.target), n_rows, replace=False)
            rows.sort()
            parts.append(
                (
                    bunch.data.iloc[rows].reset_index(drop=True),
                    bunch.target.to_numpy()[rows],
                )
            )
        (raw, self.y), (raw_test, self.y_test) = parts
        scaler = StandardScaler().fit(raw[NUMERIC])

        def small(frame):
            out = pd.DataFrame(scaler.transform(frame[NUMERIC]), columns=NUMERIC)
            out["sex"] = frame["sex"].to_numpy()
            out["race"] = frame["race"].to_numpy()
            return out.astype({"sex": "category", "race": "category"})

        self.frame, self.frame_test = small(raw), small(raw_test)
        self.sex = raw["sex"].astype(str).to_numpy()
        self.sex_test = raw_test["sex"].astype(str).to_numpy()
        self.race = raw["race"].astype(str).to_numpy()
        self.male = (self.sex == "Male").astype(float)
        self.male_test = (self.sex_test == "Male").astype(float)

        categorical = [
            c
            for c in raw.columns
            if c not in NUMERIC and c != "sex"  # sex is a group, not a feature
        ]
        encoder = make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), categorical),
            (StandardScaler(), NUMERIC),
            sparse_threshold=0.0,
        )
        self.A = encoder.fit_transform(raw.drop(columns="sex"))
        self.A_test = encoder.transform(raw_test.drop(columns="sex"))

    # Shapes wanted by each system ------------------------------------------
    @property
    def numeric(self):
        return self.frame[NUMERIC]

    @property
    def with_sex(self):
        """Numeric columns plus the ``sex`` category column (skfair)."""
        return self.frame[NUMERIC + ["sex"]]

    def indexed(self, frame=None, attrs=("sex",)):
        """AIF360's sklearn API: the protected attributes in the index."""
        frame = self.frame if frame is None else frame
        index = pd.MultiIndex.from_frame(frame[list(attrs)].astype(str))
        return frame[NUMERIC].set_index(index)

    def with_male(self, frame=None, male=None):
        """Numeric columns plus a 0/1 ``male`` column (scikit-lego, AIF360 EGR)."""
        frame = self.frame if frame is None else frame
        male = self.male if male is None else male
        return frame[NUMERIC].assign(male=male)

    def ndarray(self):
        """Column 0 the 0/1 group, then the numeric columns."""
        return np.column_stack([self.male, self.frame[NUMERIC].to_numpy()])


def _lr():
    return LogisticRegression(max_iter=1000)


def expected_eo_gap(p, y, groups):
    """Equalized-odds gap of expected decisions ``p`` (probabilities)."""
    labels = np.unique(groups)
    gaps = []
    for label in (1, 0):
        rates = [p[(groups == g) & (y == label)].mean() for g in labels]
        gaps.append(max(rates) - min(rates))
    return float(max(gaps))


def expected_accuracy(p, y):
    return float(np.mean(np.where(y == 1, p, 1 - p)))


# --------------------------------------------------------------------------
# scikit-learn tools: every peer's estimators are (label, estimator, grid, X)


def _search(estimator, grid, X, y, scoring=None, **fit_params):
    search = GridSearchCV(estimator, grid, cv=3, error_score="raise", scoring=scoring)
    return f"best score {search.fit(X, y, **fit_params).best_score_:.3f}"


def _cv(estimator, X, y, params=None):
    scores = cross_val_score(estimator, X, y, cv=3, params=params, error_score="raise")
    return f"mean score {np.mean(scores):.3f}"


def search_each(estimators, y, scoring=None, **fit_params):
    """The GridSearchCV cell of a peer: one attempt per estimator."""
    return _combine(
        (label, lambda e=e, g=g, X=X: _search(e, g, X, y, scoring, **fit_params))
        for label, e, g, X in estimators
    )


def cross_validate_each(estimators, y, params=None):
    """The cross_val_score cell of a peer: one attempt per estimator."""
    return _combine(
        (label, lambda e=e, X=X: _cv(e, X, y, params=params))
        for label, e, _, X in estimators
    )


def groups_in_x_probes(estimators):
    """The GridSearchCV and cross_val_score probes of a system whose estimators
    read the groups from X (``estimators(data)`` gives them)."""

    def grid_search(data):
        return search_each(estimators(data), data.y)

    def cross_val_score(data):
        return cross_validate_each(estimators(data), data.y)

    return grid_search, cross_val_score


def fit_score(model, X, y):
    return f"score {model.fit(X, y).score(X, y):.3f}"


def accuracy(model, X, y):
    return f"accuracy {np.mean(model.predict(X) == y):.3f}"


def fit_accuracy_each(factories, X, y):
    """One attempt per ``(label, make_model)``: the training accuracy."""
    return _combine(
        (label, lambda make=make: accuracy(make().fit(X, y), X, y))
        for label, make in factories
    )


def routed_search(data, estimator, grid, **kwargs):
    """GridSearchCV(...).fit(X, y, sensitive_features=sex) with routing on."""
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(estimator, grid, cv=3, error_score="raise", **kwargs)
        return search.fit(data.numeric, data.y, sensitive_features=data.sex).best_score_


def with_routing(probe):
    """The probe run with scikit-learn's metadata routing on."""

    def run(*args):
        with sklearn.config_context(enable_metadata_routing=True):
            return probe(*args)

    return run


def no_sensitive_features_keyword(classes):
    """n/a when no fit method of the system's tools takes sensitive_features."""
    for cls in classes:
        if "sensitive_features" in inspect.signature(cls.fit).parameters:
            return "has a sensitive_features keyword: write a probe"
    names = ", ".join(cls.__name__ for cls in classes)
    raise NotOffered(
        f"fit of {names} has no sensitive_features keyword; the groups come from X"
    )


# --------------------------------------------------------------------------
# Post- and in-processing


class PostProcessing:
    """The shared prefit LR on ``data.A`` that each post-processor wraps."""

    def __init__(self, data):
        self.data = data
        self.model = _lr().fit(data.A, data.y)
        self.scores = self.model.predict_proba(data.A)[:, 1]


def training_proba(model, data, method="predict_proba"):
    """P(positive) of a post-processor on the training rows, groups given."""
    return getattr(model, method)(data.A, sensitive_features=data.sex)[:, 1]


def eo_verdict(p, data):
    """The cell of exact post-processing from expected decisions ``p``."""
    gap = expected_eo_gap(p, data.y, data.sex)
    return (
        f"yes: training EO gap {gap:.1e}, accuracy {expected_accuracy(p, data.y):.3f}"
    )


class UnseenGroup:
    """Test rows labelled with a group the post-processor never saw."""

    def __init__(self, post, n=200):
        self.post, self.data, self.n = post, post.data, n
        self.X_new = post.data.A_test[:n]
        self.new_groups = np.full(n, "Unseen")

    def silently(self, pred):
        pred = np.asarray(pred).ravel()
        return (
            f"no error: predicts silently, {np.mean(pred == 1):.0%} positive of "
            f"{pred.size} rows (the LR alone: "
            f"{np.mean(self.post.model.predict(self.X_new) == 1):.0%})"
        )

    @staticmethod
    def raised(exc):
        return f"raises {_short(exc, 110)}"


def timed_fit(fit):
    start = time.perf_counter()
    model = fit()
    return model, time.perf_counter() - start


def inprocessing_verdict(data, predict, seconds):
    """The cell of an in-processing classifier: its test EO gap and fit time."""
    gap = equalized_odds_difference(
        data.y_test, predict(), sensitive_features=data.sex_test
    )
    return f"yes: test EO gap {gap:.3f}, fit {seconds:.1f} s"


# --------------------------------------------------------------------------
# Metrics


def _metric_data(n_rows, seed=1):
    rng = np.random.default_rng(seed)
    male = rng.integers(0, 2, n_rows)
    y_true = rng.integers(0, 2, n_rows)
    y_pred = np.where(rng.random(n_rows) < 0.8 + 0.05 * male, y_true, 1 - y_true)
    return y_true, y_pred, male


def timed_metric_cells(n_rows, metric_calls):
    """Each system's metric timing cell on the same ``n_rows`` arrays.

    ``metric_calls`` maps a system to a function of ``(y_true, y_pred, male)``
    returning ``(metric name, call)``.
    """
    y_true, y_pred, male = _metric_data(n_rows)
    callers, best = {}, {}
    for system, make_call in metric_calls.items():
        try:
            callers[system] = make_call(y_true, y_pred, male)
        except Exception as exc:  # noqa: BLE001 - recorded as the cell
            best[system] = exc
    # One untimed call each (imports, caches), then interleaved rounds; a
    # system slower than 5 s is timed once.
    for system, (_, call) in callers.items():
        try:
            start = time.perf_counter()
            call()
            best[system] = time.perf_counter() - start
        except Exception as exc:  # noqa: BLE001
            best[system] = exc
    for _ in range(3):
        for system, (_, call) in callers.items():
            if isinstance(best[system], Exception) or best[system] > 5:
                continue
            start = time.perf_counter()
            call()
            best[system] = min(best[system], time.perf_counter() - start)

    def cell(system):
        def probe():
            if isinstance(best[system], Exception):
                raise best[system]
            name, _ = callers[system]
            return f"yes: {best[system]:.3f} s ({name})"

        return probe

    return {system: cell(system) for system in SYSTEMS}


class WeightedMetricData:
    """Integer weights 1..3 and the rows repeated that many times."""

    def __init__(self):
        self.y_true, self.y_pred, self.male = _metric_data(3000, seed=2)
        self.weights = np.random.default_rng(3).integers(1, 4, self.y_true.size)
        self.repeat = np.repeat(np.arange(self.y_true.size), self.weights)

    def check(self, metric, group_keyword):
        """Weighted ``metric`` must equal the metric on the repeated rows."""
        r = self.repeat
        w = metric(
            self.y_true,
            self.y_pred,
            **{group_keyword: self.male},
            sample_weight=self.weights,
        )
        repeated = metric(
            self.y_true[r], self.y_pred[r], **{group_keyword: self.male[r]}
        )
        if not np.isclose(w, repeated, rtol=0, atol=1e-12):
            return f"no (weighted {w:.6f} != repeated rows {repeated:.6f})"
        return f"yes: equals repeating the rows ({w:.4f})"


def worst_case_eo_probes(load_metric):
    """The three metric probes of an ``equalized_odds_difference``.

    skfair and fairlearn both offer ``equalized_odds_difference(y_true,
    y_pred, sensitive_features=..., sample_weight=...)``; ``load_metric()``
    imports it, so that a failed import is that system's cell.
    """

    def metric_speed(y_true, y_pred, male):
        metric = load_metric()
        return (
            "equalized_odds_difference",
            lambda: metric(y_true, y_pred, sensitive_features=male),
        )

    def metric_sample_weight(weighted):
        return weighted.check(load_metric(), "sensitive_features")

    def intersectional_metric(inter):
        value = load_metric()(
            inter.y_true, inter.y_pred, sensitive_features=inter.groups
        )
        return inter.check(value, "DataFrame of 2 columns")

    return metric_speed, metric_sample_weight, intersectional_metric


def _worst_case_eo(y_true, y_pred, labels):
    """Reference: worst TPR / FPR gap over the intersectional labels."""
    gaps = []
    for outcome in (1, 0):
        rates = [
            y_pred[(labels == g) & (y_true == outcome)].mean()
            for g in np.unique(labels)
            if ((labels == g) & (y_true == outcome)).any()
        ]
        gaps.append(max(rates) - min(rates))
    return max(gaps)


class IntersectionalMetricData:
    """Synthetic sex x race predictions and their worst-case EO gap by hand.

    Synthetic, so that every sex x race group is large enough for its rates
    to mean something (Adult's small race groups would be a few rows here).
    """

    def __init__(self, n=100_000):
        rng = np.random.default_rng(4)
        self.sex = rng.choice(["Female", "Male"], n, p=[0.35, 0.65])
        self.race = rng.choice(
            ["White", "Black", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other"],
            n,
            p=[0.6, 0.15, 0.1, 0.08, 0.07],
        )
        self.groups = pd.DataFrame({"sex": self.sex, "race": self.race})
        self.y_true = rng.integers(0, 2, n)
        hit_rate = 0.7 + 0.1 * (self.sex == "Male") + 0.05 * (self.race == "White")
        self.y_pred = np.where(rng.random(n) < hit_rate, self.y_true, 1 - self.y_true)
        labels = (self.groups["sex"] + "|" + self.groups["race"]).to_numpy()
        self.reference = _worst_case_eo(self.y_true, self.y_pred, labels)
        self.n_groups = len(np.unique(labels))

    def check(self, value, how):
        if np.isclose(value, self.reference, rtol=0, atol=1e-12):
            return (
                f"yes: {value:.4f} = the worst case over the {self.n_groups} sex x "
                f"race groups computed by hand ({how})"
            )
        return (
            f"no: {value:.4f}, the worst-case gap over the groups is "
            f"{self.reference:.4f}"
        )
