"""Feature table: skfair vs fairlearn vs AIF360 vs scikit-lego, every cell run.

Each cell of the table is the outcome of a small probe function that tries the
feature with that system on small data (an Adult subsample, or synthetic
arrays for the 1M-row metric timing) and records what happened:

- ``yes`` (with the measured figure where there is one),
- ``no (<ExceptionType>: first words of the message)`` when the attempt raised,
  or ``no (<what went wrong>)`` when it ran but gave a wrong answer,
- ``n/a (not offered: ...)`` when the system has no such tool; this too is
  checked at run time (the class or keyword is looked up in the installed
  package), not taken from the documentation,
- a plain description for behaviour rows (e.g. what happens with a group that
  was not seen in fit).

Every probe catches every exception, so one system's failure never stops the
table. Writes section "features" of RESULTS.md and prints it.

Run: ``python benchmarks/features.py`` (``--quick`` times the metrics on 200k
rows instead of 1M).
"""

import argparse
import importlib
import inspect
import logging
import sys
import time
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine_line, write_section  # noqa: E402

from skfair.datasets import load_adult  # noqa: E402
from skfair.datasets._loaders import ADULT_NUMERIC  # noqa: E402
from skfair.inprocessing import ConstrainedLogisticRegression  # noqa: E402
from skfair.metrics import equalized_odds_difference  # noqa: E402
from skfair.postprocessing import ThresholdOptimizer  # noqa: E402
from skfair.preprocessing import DisparateImpactRemover, Reweighing  # noqa: E402

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


def _sklego_no_postprocessing():
    """NotOffered after checking that no sklego.*postprocessing module exists."""
    import pkgutil

    import sklego

    names = [m.name for m in pkgutil.iter_modules(sklego.__path__)]
    found = [n for n in names if "postprocess" in n or "threshold" in n]
    if found:
        raise RuntimeError(f"sklego has modules {found}; write a probe for them")
    raise NotOffered("no post-processing module in sklego")


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
# The estimators each system offers for the scikit-learn-tool rows


def _skfair_estimators():
    """(label, estimator, param grid) with the groups read from the sex column."""
    drop_sex = make_column_transformer(("drop", ["sex"]), remainder="passthrough")
    remover = make_pipeline(
        DisparateImpactRemover(sensitive_cols="sex", random_state=0).set_output(
            transform="pandas"
        ),
        drop_sex,
        _lr(),
    )
    return [
        (
            "ThresholdOptimizer",
            ThresholdOptimizer(_lr(), sensitive_cols="sex", random_state=0),
            {"estimator__C": [0.1, 1.0]},
        ),
        (
            "Reweighing",
            Reweighing(_lr(), sensitive_cols="sex"),
            {"estimator__C": [0.1, 1.0]},
        ),
        ("DIR + LR pipeline", remover, {"logisticregression__C": [0.1, 1.0]}),
        (
            "ConstrainedLR",
            ConstrainedLogisticRegression(sensitive_cols="sex"),
            {"C": [0.1, 1.0]},
        ),
    ]


def _fairlearn_estimators():
    from fairlearn.postprocessing import ThresholdOptimizer as FairlearnTO
    from fairlearn.reductions import EqualizedOdds, ExponentiatedGradient

    return [
        (
            "ThresholdOptimizer",
            FairlearnTO(estimator=_lr(), predict_method="predict_proba"),
            {"estimator__C": [0.1, 1.0]},
        ),
        (
            "ExponentiatedGradient",
            ExponentiatedGradient(_lr(), EqualizedOdds()),
            {"estimator__C": [0.1, 1.0]},
        ),
    ]


def _aif360_estimators(data):
    """(label, estimator, grid, X) - each AIF360 tool wants its own X layout."""
    from aif360.sklearn.inprocessing import ExponentiatedGradientReduction
    from aif360.sklearn.postprocessing import (
        CalibratedEqualizedOdds,
        PostProcessingMeta,
    )
    from aif360.sklearn.preprocessing import Reweighing as AifReweighing
    from aif360.sklearn.preprocessing import ReweighingMeta

    return [
        (
            "ReweighingMeta",
            ReweighingMeta(_lr(), reweigher=AifReweighing(prot_attr="sex")),
            {"estimator__C": [0.1, 1.0]},
            data.indexed(),
        ),
        (
            "ExponentiatedGradientReduction",
            ExponentiatedGradientReduction("male", _lr(), "EqualizedOdds"),
            {"estimator__C": [0.1, 1.0]},
            data.with_male(),
        ),
        (
            "PostProcessingMeta(CalibratedEqualizedOdds)",
            PostProcessingMeta(
                _lr(), CalibratedEqualizedOdds(prot_attr="sex"), random_state=0
            ),
            {"estimator__C": [0.1, 1.0]},
            data.indexed(),
        ),
    ]


def _sklego_estimators():
    from sklego.linear_model import (
        DemographicParityClassifier,
        EqualOpportunityClassifier,
    )

    return [
        (
            "EqualOpportunityClassifier",
            EqualOpportunityClassifier(
                covariance_threshold=0.1, positive_target=1, sensitive_cols=["male"]
            ),
            {"estimator__C": [0.1, 1.0]},
        ),
        (
            "DemographicParityClassifier",
            DemographicParityClassifier(
                covariance_threshold=0.1, sensitive_cols=["male"]
            ),
            {"estimator__C": [0.1, 1.0]},
        ),
    ]


# --------------------------------------------------------------------------
# Probes: scikit-learn tools


def _search(estimator, grid, X, y, scoring=None, **fit_params):
    search = GridSearchCV(estimator, grid, cv=3, error_score="raise", scoring=scoring)
    return f"best score {search.fit(X, y, **fit_params).best_score_:.3f}"


def _cv(estimator, X, y, params=None):
    scores = cross_val_score(estimator, X, y, cv=3, params=params, error_score="raise")
    return f"mean score {np.mean(scores):.3f}"


def probe_grid_search(data):
    y = data.y

    def fairlearn_accuracy_note():
        # The default scoring needs a score method; scoring="accuracy" needs
        # only predict(X), which ThresholdOptimizer cannot do without groups.
        outcome = _combine(
            (
                label,
                lambda e=e, g=g: _search(
                    e, g, data.numeric, y, "accuracy", sensitive_features=data.sex
                ),
            )
            for label, e, g in _fairlearn_estimators()
        )
        _note(
            "GridSearchCV",
            "fairlearn",
            "with scoring='accuracy' instead: " + outcome.replace("<br>", "; "),
        )

    NOTE_HOOKS.append(fairlearn_accuracy_note)
    return {
        "skfair": lambda: _combine(
            (label, lambda e=e, g=g: _search(e, g, data.with_sex, y))
            for label, e, g in _skfair_estimators()
        ),
        "fairlearn": lambda: _combine(
            (
                label,
                lambda e=e, g=g: _search(
                    e, g, data.numeric, y, sensitive_features=data.sex
                ),
            )
            for label, e, g in _fairlearn_estimators()
        ),
        "AIF360": lambda: _combine(
            (label, lambda e=e, g=g, X=X: _search(e, g, X, y))
            for label, e, g, X in _aif360_estimators(data)
        ),
        "scikit-lego": lambda: _combine(
            (label, lambda e=e, g=g: _search(e, g, data.with_male(), y))
            for label, e, g in _sklego_estimators()
        ),
    }


def probe_cross_val_score(data):
    y = data.y
    return {
        "skfair": lambda: _combine(
            (label, lambda e=e: _cv(e, data.with_sex, y))
            for label, e, _ in _skfair_estimators()
        ),
        "fairlearn": lambda: _combine(
            (
                label,
                lambda e=e: _cv(
                    e, data.numeric, y, params={"sensitive_features": data.sex}
                ),
            )
            for label, e, _ in _fairlearn_estimators()
        ),
        "AIF360": lambda: _combine(
            (label, lambda e=e, X=X: _cv(e, X, y))
            for label, e, _, X in _aif360_estimators(data)
        ),
        "scikit-lego": lambda: _combine(
            (label, lambda e=e: _cv(e, data.with_male(), y))
            for label, e, _ in _sklego_estimators()
        ),
    }


def probe_numpy_pipeline(data):
    """A Pipeline fitted and scored on a plain ndarray (group in column 0)."""
    X, y = data.ndarray(), data.y

    def accuracy(model, **predict_params):
        return f"accuracy {np.mean(model.predict(X, **predict_params) == y):.3f}"

    def skfair():
        pipelines = [
            (
                "DIR -> ThresholdOptimizer",
                make_pipeline(
                    DisparateImpactRemover(sensitive_cols=0, random_state=0),
                    ThresholdOptimizer(_lr(), sensitive_cols=0, random_state=0),
                ),
            ),
            (
                "DIR -> Reweighing(scaler + LR)",
                make_pipeline(
                    DisparateImpactRemover(sensitive_cols=0, random_state=0),
                    Reweighing(
                        make_pipeline(StandardScaler(), _lr()), sensitive_cols=0
                    ),
                ),
            ),
            (
                "DIR -> ConstrainedLR",
                make_pipeline(
                    DisparateImpactRemover(sensitive_cols=0, random_state=0),
                    ConstrainedLogisticRegression(sensitive_cols=0),
                ),
            ),
        ]
        return _combine(
            (label, lambda p=p: f"score {p.fit(X, y).score(X, y):.3f}")
            for label, p in pipelines
        )

    def fairlearn():
        from fairlearn.postprocessing import ThresholdOptimizer as FairlearnTO
        from fairlearn.reductions import EqualizedOdds, ExponentiatedGradient

        Xf = X[:, 1:]  # fairlearn takes the groups separately, not as a column

        def threshold():
            model = make_pipeline(
                StandardScaler(),
                FairlearnTO(estimator=_lr(), predict_method="predict_proba"),
            ).fit(Xf, y, thresholdoptimizer__sensitive_features=data.sex)
            pred = model.predict(Xf, sensitive_features=data.sex, random_state=0)
            return f"accuracy {np.mean(pred == y):.3f}; groups passed by hand"

        def reduction():
            model = make_pipeline(
                StandardScaler(), ExponentiatedGradient(_lr(), EqualizedOdds())
            ).fit(Xf, y, exponentiatedgradient__sensitive_features=data.sex)
            return f"accuracy {np.mean(model.predict(Xf) == y):.3f}"

        result = _combine(
            [
                ("StandardScaler -> ThresholdOptimizer", threshold),
                ("StandardScaler -> ExponentiatedGradient", reduction),
            ]
        )
        _note(
            "Pipeline with numpy arrays",
            "fairlearn",
            "the groups are not a column: passed by hand, "
            "fit(X, y, thresholdoptimizer__sensitive_features=g) and "
            "predict(X, sensitive_features=g)",
        )
        try:
            make_pipeline(
                StandardScaler(),
                FairlearnTO(estimator=_lr(), predict_method="predict_proba"),
            ).fit(Xf, y, thresholdoptimizer__sensitive_features=data.sex).score(Xf, y)
        except Exception as exc:  # noqa: BLE001
            _note(
                "Pipeline with numpy arrays",
                "fairlearn",
                f"Pipeline(..., ThresholdOptimizer).score(X, y): {_short(exc)}",
            )
        return result

    def aif360():
        from aif360.sklearn.inprocessing import ExponentiatedGradientReduction
        from aif360.sklearn.preprocessing import Reweighing as AifReweighing
        from aif360.sklearn.preprocessing import ReweighingMeta

        attempts = [
            (
                "ReweighingMeta(prot_attr=0)",
                lambda: accuracy(
                    make_pipeline(
                        ReweighingMeta(_lr(), reweigher=AifReweighing(prot_attr=0))
                    ).fit(X, y)
                ),
            ),
            (
                "ExponentiatedGradientReduction(prot_attr=0)",
                lambda: accuracy(
                    make_pipeline(
                        ExponentiatedGradientReduction(0, _lr(), "EqualizedOdds")
                    ).fit(X, y)
                ),
            ),
        ]
        return _combine(attempts)

    def sklego():
        from sklego.linear_model import EqualOpportunityClassifier

        return _combine(
            [
                (
                    "StandardScaler -> EqualOpportunityClassifier",
                    lambda: accuracy(
                        make_pipeline(
                            StandardScaler(),
                            EqualOpportunityClassifier(
                                covariance_threshold=0.1,
                                positive_target=1,
                                sensitive_cols=[0],
                            ),
                        ).fit(X, y)
                    ),
                )
            ]
        )

    return {
        "skfair": skfair,
        "fairlearn": fairlearn,
        "AIF360": aif360,
        "scikit-lego": sklego,
    }


# --------------------------------------------------------------------------
# Probes: pre-processing


def probe_dir_unseen_rows(data):
    from scipy.stats import ks_2samp

    def ks(frame, male, column="hours-per-week"):
        values = np.asarray(frame[column], dtype=float)
        male = np.asarray(male, dtype=bool)
        return ks_2samp(values[male], values[~male]).statistic

    def skfair():
        X, X_test = data.with_sex, data.frame_test[NUMERIC + ["sex"]]
        remover = DisparateImpactRemover(sensitive_cols="sex", random_state=0)
        repaired = remover.set_output(transform="pandas").fit(X).transform(X_test)
        before, after = ks(X_test, data.male_test), ks(repaired, data.male_test)
        return (
            f"yes: test-row KS(hours-per-week) between the sexes {before:.3f} -> "
            f"{after:.3f}"
        )

    def aif360():
        from aif360.algorithms.preprocessing import DisparateImpactRemover as AifDIR
        from aif360.datasets import BinaryLabelDataset

        def dataset(frame, male, y):
            df = frame[NUMERIC].astype(float).assign(sex=male, label=y)
            return BinaryLabelDataset(
                df=df, label_names=["label"], protected_attribute_names=["sex"]
            )

        remover = AifDIR(sensitive_attribute="sex").fit(
            dataset(data.frame, data.male, data.y)
        )
        remover.transform(dataset(data.frame_test, data.male_test, data.y_test))
        return "yes"

    return {
        "skfair": skfair,
        "fairlearn": lambda: _require_absent(
            "fairlearn.preprocessing",
            ["DisparateImpactRemover"],
            "DisparateImpactRemover (its pre-processor is CorrelationRemover)",
        ),
        "AIF360": aif360,
        "scikit-lego": lambda: _require_absent(
            "sklego.preprocessing",
            ["DisparateImpactRemover"],
            "DisparateImpactRemover (its fairness pre-processor is InformationFilter)",
        ),
    }


def probe_reweighing_pipeline(data):
    y = data.y

    def score(model, X):
        return f"score {model.fit(X, y).score(X, y):.3f}"

    def skfair():
        scale_numeric = make_column_transformer(
            (StandardScaler(), NUMERIC),
            ("passthrough", ["sex"]),
            verbose_feature_names_out=False,
        ).set_output(transform="pandas")
        X = data.with_sex
        return _combine(
            [
                (
                    "ColumnTransformer -> Reweighing(LR)",
                    lambda: score(
                        make_pipeline(
                            scale_numeric, Reweighing(_lr(), sensitive_cols="sex")
                        ),
                        X,
                    ),
                ),
                (
                    "Reweighing(Pipeline(scaler, LR))",
                    lambda: score(
                        Reweighing(
                            make_pipeline(StandardScaler(), _lr()), sensitive_cols="sex"
                        ),
                        X,
                    ),
                ),
            ]
        )

    def aif360():
        from aif360.sklearn.preprocessing import Reweighing as AifReweighing
        from aif360.sklearn.preprocessing import ReweighingMeta

        X = data.indexed()

        def meta(estimator):
            return ReweighingMeta(estimator, reweigher=AifReweighing(prot_attr="sex"))

        return _combine(
            [
                (
                    "StandardScaler(pandas out) -> ReweighingMeta(LR)",
                    lambda: score(
                        make_pipeline(
                            StandardScaler().set_output(transform="pandas"),
                            meta(_lr()),
                        ),
                        X,
                    ),
                ),
                (
                    "ReweighingMeta(Pipeline(scaler, LR))",
                    lambda: score(meta(make_pipeline(StandardScaler(), _lr())), X),
                ),
            ]
        )

    return {
        "skfair": skfair,
        "fairlearn": lambda: _require_absent(
            "fairlearn.preprocessing", ["Reweighing"], "Reweighing"
        ),
        "AIF360": aif360,
        "scikit-lego": lambda: _require_absent(
            "sklego.preprocessing", ["Reweighing"], "Reweighing"
        ),
    }


# --------------------------------------------------------------------------
# Probes: post-processing


class PostProcessing:
    """The shared prefit LR on ``data.A`` and each system's post-processor."""

    def __init__(self, data):
        self.data = data
        self.model = _lr().fit(data.A, data.y)
        self.scores = self.model.predict_proba(data.A)[:, 1]

    def skfair(self, tolerance=0.0):
        return ThresholdOptimizer(
            self.model, prefit=True, tolerance=tolerance, random_state=0
        ).fit(self.data.A, self.data.y, sensitive_features=self.data.sex)

    def fairlearn(self, **kwargs):
        from fairlearn.postprocessing import ThresholdOptimizer as FairlearnTO

        return FairlearnTO(
            estimator=self.model,
            constraints="equalized_odds",
            prefit=True,
            predict_method="predict_proba",
            **kwargs,
        ).fit(self.data.A, self.data.y, sensitive_features=self.data.sex)

    def aif360_datasets(self, male, y, labels):
        from aif360.datasets import BinaryLabelDataset

        def dataset(label):
            df = pd.DataFrame({"male": male, "label": label})
            return BinaryLabelDataset(
                df=df, label_names=["label"], protected_attribute_names=["male"]
            )

        return dataset(y), dataset(labels)

    def aif360(self):
        from aif360.algorithms.postprocessing import EqOddsPostprocessing

        truth, predicted = self.aif360_datasets(
            self.data.male, self.data.y, (self.scores > 0.5).astype(float)
        )
        post = EqOddsPostprocessing(
            unprivileged_groups=[{"male": 0}], privileged_groups=[{"male": 1}], seed=0
        )
        return post.fit(truth, predicted)

    def aif360_expected(self, post):
        """P(positive) of AIF360's randomized flips, from its LP solution."""
        priv_p2p, priv_n2p, unpriv_p2p, unpriv_n2p = post.model_params.x
        hard = self.scores > 0.5
        male = self.data.male == 1
        return np.where(
            male,
            np.where(hard, priv_p2p, priv_n2p),
            np.where(hard, unpriv_p2p, unpriv_n2p),
        )


def probe_exact_postprocessing(post):
    data = post.data

    def verdict(p):
        gap = expected_eo_gap(p, data.y, data.sex)
        return (
            f"yes: training EO gap {gap:.1e}, accuracy "
            f"{expected_accuracy(p, data.y):.3f}"
        )

    def skfair():
        model = post.skfair()
        return verdict(model.predict_proba(data.A, sensitive_features=data.sex)[:, 1])

    def fairlearn():
        model = post.fairlearn()
        return verdict(model._pmf_predict(data.A, sensitive_features=data.sex)[:, 1])

    def aif360():
        result = verdict(post.aif360_expected(post.aif360()))
        return result + " (EqOddsPostprocessing: LP over flips of 0/1 labels)"

    return {
        "skfair": skfair,
        "fairlearn": fairlearn,
        "AIF360": aif360,
        "scikit-lego": _sklego_no_postprocessing,
    }


def probe_postprocessing_tolerance(post):
    data = post.data

    def skfair():
        exact, relaxed = post.skfair(0.0), post.skfair(0.05)
        p0, p5 = (
            m.predict_proba(data.A, sensitive_features=data.sex)[:, 1]
            for m in (exact, relaxed)
        )
        return (
            f"yes: tolerance=0.05 -> training EO gap "
            f"{expected_eo_gap(p5, data.y, data.sex):.3f}, accuracy "
            f"{expected_accuracy(p0, data.y):.3f} -> "
            f"{expected_accuracy(p5, data.y):.3f}"
        )

    def fairlearn():
        post.fairlearn(tol=0.05)
        return "yes (tol=0.05 accepted)"

    def aif360():
        from aif360.algorithms.postprocessing import EqOddsPostprocessing

        parameters = list(inspect.signature(EqOddsPostprocessing).parameters)
        if not any(k in p for p in parameters for k in ("tol", "eps", "slack")):
            return (
                "no (EqOddsPostprocessing has no tolerance parameter: "
                f"{', '.join(parameters)})"
            )
        return "yes"

    return {
        "skfair": skfair,
        "fairlearn": fairlearn,
        "AIF360": aif360,
        "scikit-lego": _sklego_no_postprocessing,
    }


def probe_unseen_group(post):
    """Fit on Male/Female, then predict rows whose group is new."""
    data = post.data
    n = 200
    X_new = data.A_test[:n]
    new_groups = np.full(n, "Unseen")

    def silently(pred):
        pred = np.asarray(pred).ravel()
        return (
            f"no error: predicts silently, {np.mean(pred == 1):.0%} positive of "
            f"{pred.size} rows (the LR alone: "
            f"{np.mean(post.model.predict(X_new) == 1):.0%})"
        )

    def raised(exc):
        return f"raises {_short(exc, 110)}"

    def skfair():
        model = post.skfair()
        try:
            pred = model.predict(X_new, sensitive_features=new_groups)
        except ValueError as exc:
            outcome = raised(exc)
        else:
            return silently(pred)
        remover = DisparateImpactRemover(random_state=0).fit(
            data.A, sensitive_features=data.sex
        )
        try:
            remover.transform(X_new, sensitive_features=new_groups)
        except ValueError:
            return outcome + " (DisparateImpactRemover.transform too)"
        return outcome + "; DisparateImpactRemover.transform: no error"

    def fairlearn():
        model = post.fairlearn()
        try:
            pred = model.predict(X_new, sensitive_features=new_groups, random_state=0)
        except Exception as exc:  # noqa: BLE001
            return raised(exc)
        return silently(pred)

    def aif360():
        fitted = post.aif360()
        truth, predicted = post.aif360_datasets(
            np.full(n, 2.0),  # neither the privileged (1) nor unprivileged (0)
            data.y_test[:n],
            post.model.predict(X_new).astype(float),
        )
        try:
            out = fitted.predict(predicted)
        except Exception as exc:  # noqa: BLE001
            return raised(exc)
        return silently(out.labels) + " (EqOddsPostprocessing; sex=2, fit saw 0/1)"

    def sklego():
        from sklego.linear_model import EqualOpportunityClassifier

        model = EqualOpportunityClassifier(
            covariance_threshold=0.1, positive_target=1, sensitive_cols=["male"]
        ).fit(data.with_male(), data.y)
        X_unseen = data.with_male(data.frame_test, np.full(len(data.y_test), 7.0))
        try:
            pred = model.predict(X_unseen)
        except Exception as exc:  # noqa: BLE001
            return raised(exc)
        same = np.array_equal(
            pred, model.predict(data.with_male(data.frame_test, data.male_test))
        )
        return (
            f"no error: {np.mean(pred == 1):.0%} positive with male=7 "
            "(EqualOpportunityClassifier); "
            + (
                "same predictions as with the true groups: the group is not used "
                "at predict"
                if same
                else "predictions differ from those with the true groups"
            )
        )

    return {
        "skfair": skfair,
        "fairlearn": fairlearn,
        "AIF360": aif360,
        "scikit-lego": sklego,
    }


# --------------------------------------------------------------------------
# Probes: in-processing


def probe_eo_inprocessing(data):
    def measured(predict, seconds):
        gap = equalized_odds_difference(
            data.y_test, predict(), sensitive_features=data.sex_test
        )
        return f"yes: test EO gap {gap:.3f}, fit {seconds:.1f} s"

    def timed_fit(fit):
        start = time.perf_counter()
        model = fit()
        return model, time.perf_counter() - start

    def skfair():
        model, seconds = timed_fit(
            lambda: ConstrainedLogisticRegression(
                constraints="equalized_odds", tolerance=0.0
            ).fit(data.A, data.y, sensitive_features=data.sex)
        )
        return measured(lambda: model.predict(data.A_test), seconds)

    def fairlearn():
        from fairlearn.reductions import EqualizedOdds, ExponentiatedGradient

        model, seconds = timed_fit(
            lambda: ExponentiatedGradient(_lr(), EqualizedOdds()).fit(
                data.A, data.y, sensitive_features=data.sex
            )
        )
        return measured(lambda: model.predict(data.A_test, random_state=0), seconds)

    def aif360():
        from aif360.sklearn.inprocessing import ExponentiatedGradientReduction

        columns = [f"x{i}" for i in range(data.A.shape[1])]
        X = pd.DataFrame(data.A, columns=columns).assign(male=data.male)
        X_test = pd.DataFrame(data.A_test, columns=columns).assign(male=data.male_test)
        model, seconds = timed_fit(
            lambda: ExponentiatedGradientReduction("male", _lr(), "EqualizedOdds").fit(
                X, data.y
            )
        )
        return measured(lambda: model.predict(X_test), seconds) + " (wraps fairlearn)"

    def sklego():
        import sklego.linear_model as linear_model

        _note(
            "Equalized-odds in-processing",
            "scikit-lego",
            "fair classifiers in sklego.linear_model: "
            + ", ".join(
                n
                for n in dir(linear_model)
                if n.endswith("Classifier") and not n.startswith(("_", "OneVs"))
            )
            + " (equal opportunity / demographic parity covariance constraints)",
        )
        return _require_absent(
            "sklego.linear_model",
            ["EqualizedOddsClassifier"],
            "equalized-odds classifier",
        )

    return {
        "skfair": skfair,
        "fairlearn": fairlearn,
        "AIF360": aif360,
        "scikit-lego": sklego,
    }


# --------------------------------------------------------------------------
# Probes: metrics


def _metric_data(n_rows, seed=1):
    rng = np.random.default_rng(seed)
    male = rng.integers(0, 2, n_rows)
    y_true = rng.integers(0, 2, n_rows)
    y_pred = np.where(rng.random(n_rows) < 0.8 + 0.05 * male, y_true, 1 - y_true)
    return y_true, y_pred, male


class _Predictions:
    """A stand-in 'estimator' whose predictions are column 0 of X (scikit-lego)."""

    def predict(self, X):
        return np.asarray(X)[:, 0]


def _metric_callers(y_true, y_pred, male):
    """For each system, (metric name, call) computing it on these arrays."""
    from aif360.sklearn.metrics import average_odds_difference
    from fairlearn.metrics import equalized_odds_difference as fl_eod
    from sklego.metrics import equal_opportunity_score

    X_sklego = np.column_stack([y_pred, male])
    scorer = equal_opportunity_score(sensitive_column=1)
    return {
        "skfair": (
            "equalized_odds_difference",
            lambda: equalized_odds_difference(y_true, y_pred, sensitive_features=male),
        ),
        "fairlearn": (
            "equalized_odds_difference",
            lambda: fl_eod(y_true, y_pred, sensitive_features=male),
        ),
        "AIF360": (
            "average_odds_difference",
            lambda: average_odds_difference(y_true, y_pred, prot_attr=male),
        ),
        "scikit-lego": (
            "equal_opportunity_score",
            lambda: scorer(_Predictions(), X_sklego, y_true),
        ),
    }


def probe_metric_speed(n_rows):
    y_true, y_pred, male = _metric_data(n_rows)
    callers = _metric_callers(y_true, y_pred, male)
    # One untimed call each (imports, caches), then interleaved rounds; a
    # system slower than 5 s is timed once.
    best = {}
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
            name, _ = callers[system]
            if isinstance(best[system], Exception):
                raise best[system]
            return f"yes: {best[system]:.3f} s ({name})"

        return probe

    return {system: cell(system) for system in SYSTEMS}


def probe_metric_sample_weight():
    """Integer weights must give the same value as repeating the rows."""
    y_true, y_pred, male = _metric_data(3000, seed=2)
    weights = np.random.default_rng(3).integers(1, 4, y_true.size)
    repeat = np.repeat(np.arange(y_true.size), weights)
    from aif360.sklearn.metrics import average_odds_difference
    from fairlearn.metrics import equalized_odds_difference as fl_eod
    from sklego.metrics import equal_opportunity_score

    def check(weighted, repeated):
        w, r = weighted(), repeated()
        if not np.isclose(w, r, rtol=0, atol=1e-12):
            return f"no (weighted {w:.6f} != repeated rows {r:.6f})"
        return f"yes: equals repeating the rows ({w:.4f})"

    def sklego():
        scorer = equal_opportunity_score(sensitive_column=1)
        scorer(
            _Predictions(),
            np.column_stack([y_pred, male]),
            y_true,
            sample_weight=weights,
        )
        return "yes"

    return {
        "skfair": lambda: check(
            lambda: equalized_odds_difference(
                y_true, y_pred, sensitive_features=male, sample_weight=weights
            ),
            lambda: equalized_odds_difference(
                y_true[repeat], y_pred[repeat], sensitive_features=male[repeat]
            ),
        ),
        "fairlearn": lambda: check(
            lambda: fl_eod(
                y_true, y_pred, sensitive_features=male, sample_weight=weights
            ),
            lambda: fl_eod(
                y_true[repeat], y_pred[repeat], sensitive_features=male[repeat]
            ),
        ),
        "AIF360": lambda: check(
            lambda: average_odds_difference(
                y_true, y_pred, prot_attr=male, sample_weight=weights
            ),
            lambda: average_odds_difference(
                y_true[repeat], y_pred[repeat], prot_attr=male[repeat]
            ),
        ),
        "scikit-lego": sklego,
    }


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


def probe_intersectional_metric():
    # Synthetic, so that every sex x race group is large enough for its rates
    # to mean something (Adult's small race groups would be a few rows here).
    rng = np.random.default_rng(4)
    n = 100_000
    sex = rng.choice(["Female", "Male"], n, p=[0.35, 0.65])
    race = rng.choice(
        ["White", "Black", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other"],
        n,
        p=[0.6, 0.15, 0.1, 0.08, 0.07],
    )
    groups = pd.DataFrame({"sex": sex, "race": race})
    y_true = rng.integers(0, 2, n)
    accuracy = 0.7 + 0.1 * (sex == "Male") + 0.05 * (race == "White")
    y_pred = np.where(rng.random(n) < accuracy, y_true, 1 - y_true)
    labels = (groups["sex"] + "|" + groups["race"]).to_numpy()
    reference = _worst_case_eo(y_true, y_pred, labels)
    n_groups = len(np.unique(labels))

    def check(value, how):
        if np.isclose(value, reference, rtol=0, atol=1e-12):
            return (
                f"yes: {value:.4f} = the worst case over the {n_groups} sex x race "
                f"groups computed by hand ({how})"
            )
        return f"no: {value:.4f}, the worst-case gap over the groups is {reference:.4f}"

    def fairlearn():
        from fairlearn.metrics import equalized_odds_difference as fl_eod

        return check(
            fl_eod(y_true, y_pred, sensitive_features=groups), "DataFrame of 2 columns"
        )

    def aif360():
        from aif360.sklearn.metrics import average_odds_difference

        index = pd.MultiIndex.from_frame(groups)
        value = average_odds_difference(
            pd.Series(y_true, index=index),
            pd.Series(y_pred, index=index),
            prot_attr=["sex", "race"],
            priv_group=("Male", "White"),
        )
        return (
            f"partly: average_odds_difference(prot_attr=['sex', 'race'], "
            f"priv_group=('Male', 'White')) = {value:.4f}, one intersection "
            f"against all other rows pooled; worst-case EO gap over the "
            f"{n_groups} groups {reference:.4f}"
        )

    def sklego():
        from sklego.metrics import equal_opportunity_score

        X = np.column_stack([y_pred, sex == "Male", race == "White"]).astype(float)
        equal_opportunity_score(sensitive_column=[1, 2])(_Predictions(), X, y_true)
        return "yes"

    return {
        "skfair": lambda: check(
            equalized_odds_difference(y_true, y_pred, sensitive_features=groups),
            "DataFrame of 2 columns",
        ),
        "fairlearn": fairlearn,
        "AIF360": aif360,
        "scikit-lego": sklego,
    }


def probe_intersectional_mitigator(data):
    frame, y = data.frame, data.y

    def skfair():
        model = ThresholdOptimizer(
            _lr(), sensitive_cols=["sex", "race"], random_state=0
        ).fit(frame, y)
        model.predict(frame)
        return (
            f"yes: ThresholdOptimizer(sensitive_cols=['sex', 'race']), "
            f"{len(model.groups_)} groups"
        )

    def fairlearn():
        from fairlearn.postprocessing import ThresholdOptimizer as FairlearnTO

        groups = frame[["sex", "race"]].astype(str)
        model = FairlearnTO(estimator=_lr(), predict_method="predict_proba").fit(
            data.numeric, y, sensitive_features=groups
        )
        model.predict(data.numeric, sensitive_features=groups, random_state=0)
        n_groups = len(model.interpolated_thresholder_.interpolation_dict)
        return (
            "yes: ThresholdOptimizer, sensitive_features = 2-column DataFrame, "
            f"{n_groups} groups"
        )

    def aif360():
        from aif360.sklearn.preprocessing import Reweighing as AifReweighing
        from aif360.sklearn.preprocessing import ReweighingMeta

        X = data.indexed(attrs=("sex", "race"))
        model = ReweighingMeta(
            _lr(), reweigher=AifReweighing(prot_attr=["sex", "race"])
        ).fit(X, y)
        n_groups = len(model.reweigher_.groups_)
        return f"yes: ReweighingMeta(prot_attr=['sex', 'race']), {n_groups} groups"

    def sklego():
        from sklego.linear_model import EqualOpportunityClassifier

        X = data.with_male().assign(white=(data.race == "White").astype(float))
        model = EqualOpportunityClassifier(
            covariance_threshold=0.0,
            positive_target=1,
            sensitive_cols=["male", "white"],
        ).fit(X, y)
        return (
            "runs: EqualOpportunityClassifier(sensitive_cols=['male', 'white']), "
            f"one covariance bound per indicator column, not per intersection "
            f"({np.mean(model.predict(X) == y):.3f} training accuracy)"
        )

    return {
        "skfair": skfair,
        "fairlearn": fairlearn,
        "AIF360": aif360,
        "scikit-lego": sklego,
    }


# --------------------------------------------------------------------------
# Probe: metadata routing


def probe_metadata_routing(data):
    """GridSearchCV(...).fit(X, y, sensitive_features=...) with routing on."""
    X, y = data.numeric, data.y

    def routed_search(estimator, grid, **kwargs):
        with sklearn.config_context(enable_metadata_routing=True):
            search = GridSearchCV(estimator, grid, cv=3, error_score="raise", **kwargs)
            return search.fit(X, y, sensitive_features=data.sex).best_score_

    def with_routing(probe):
        def run():
            with sklearn.config_context(enable_metadata_routing=True):
                return probe()

        return run

    @with_routing
    def skfair():
        to = (
            ThresholdOptimizer(_lr(), random_state=0)
            .set_fit_request(sensitive_features=True)
            .set_score_request(sensitive_features=True)
        )
        reweighing = Reweighing(
            _lr().set_fit_request(sample_weight=True)
        ).set_fit_request(sensitive_features=True)
        constrained = ConstrainedLogisticRegression().set_fit_request(
            sensitive_features=True
        )
        return _combine(
            [
                (
                    "ThresholdOptimizer",
                    lambda: f"{routed_search(to, {'estimator__C': [0.1, 1.0]}):.3f}",
                ),
                (
                    "Reweighing",
                    lambda: (
                        f"{routed_search(reweighing, {'estimator__C': [0.1, 1]}):.3f}"
                    ),
                ),
                (
                    "ConstrainedLR",
                    lambda: f"{routed_search(constrained, {'C': [0.1, 1.0]}):.3f}",
                ),
            ]
        )

    @with_routing
    def fairlearn():
        from fairlearn.postprocessing import ThresholdOptimizer as FairlearnTO
        from fairlearn.reductions import EqualizedOdds, ExponentiatedGradient

        def threshold(scoring):
            model = (
                FairlearnTO(estimator=_lr(), predict_method="predict_proba")
                .set_fit_request(sensitive_features=True)
                .set_predict_request(sensitive_features=True)
            )
            grid = {"estimator__C": [0.1, 1.0]}
            return f"{routed_search(model, grid, scoring=scoring):.3f}"

        def reduction():
            model = ExponentiatedGradient(_lr(), EqualizedOdds()).set_fit_request(
                sensitive_features=True
            )
            return f"{routed_search(model, {'estimator__C': [0.1, 1]}):.3f}"

        outcome = _combine(
            [
                ("ThresholdOptimizer", lambda: threshold(None)),
                ("ExponentiatedGradient", reduction),
            ]
        )
        _note(
            "Metadata routing",
            "fairlearn",
            "ThresholdOptimizer with set_predict_request and scoring='accuracy': "
            + _attempt("", lambda: threshold("accuracy"))[1].lstrip(": "),
        )
        return outcome

    def no_keyword(classes):
        """n/a when no fit method of the system's tools takes sensitive_features."""
        for cls in classes:
            if "sensitive_features" in inspect.signature(cls.fit).parameters:
                return "has a sensitive_features keyword: write a probe"
        names = ", ".join(cls.__name__ for cls in classes)
        raise NotOffered(
            f"fit of {names} has no sensitive_features keyword; the groups come from X"
        )

    def aif360():
        from aif360.sklearn.inprocessing import ExponentiatedGradientReduction
        from aif360.sklearn.postprocessing import PostProcessingMeta
        from aif360.sklearn.preprocessing import ReweighingMeta

        return no_keyword(
            [ReweighingMeta, ExponentiatedGradientReduction, PostProcessingMeta]
        )

    def sklego():
        from sklego.linear_model import (
            _DemographicParityClassifier,
            _EqualOpportunityClassifier,
        )

        return no_keyword([_EqualOpportunityClassifier, _DemographicParityClassifier])

    return {
        "skfair": skfair,
        "fairlearn": fairlearn,
        "AIF360": aif360,
        "scikit-lego": sklego,
    }


# --------------------------------------------------------------------------


def build_table(quick=False):
    """Run every probe; return (feature, {system: cell}) rows and timings."""
    _quiet_imports()
    metric_rows = 200_000 if quick else 1_000_000
    data = Adult()
    post = PostProcessing(data)
    features = [
        ("GridSearchCV, default scoring", lambda: probe_grid_search(data)),
        ("cross_val_score, default scoring", lambda: probe_cross_val_score(data)),
        (
            "Pipeline with numpy arrays (group = column 0)",
            lambda: probe_numpy_pipeline(data),
        ),
        (
            "Pre-processor transforms unseen rows (DisparateImpactRemover)",
            lambda: probe_dir_unseen_rows(data),
        ),
        ("Reweighing inside a Pipeline", lambda: probe_reweighing_pipeline(data)),
        (
            "Exact (LP) equalized-odds post-processing: training gap",
            lambda: probe_exact_postprocessing(post),
        ),
        (
            "Tolerance for equalized odds in the post-processor",
            lambda: probe_postprocessing_tolerance(post),
        ),
        ("Unseen group at predict", lambda: probe_unseen_group(post)),
        (
            "Equalized-odds in-processing classifier",
            lambda: probe_eo_inprocessing(data),
        ),
        (
            f"Fairness metric on {metric_rows / 1e6:g}M rows (time)",
            lambda: probe_metric_speed(metric_rows),
        ),
        ("sample_weight in metrics", probe_metric_sample_weight),
        (
            "Intersectional groups (sex x race) in the EO metric",
            probe_intersectional_metric,
        ),
        (
            "Intersectional groups in a mitigator",
            lambda: probe_intersectional_mitigator(data),
        ),
        (
            "Metadata routing: GridSearchCV, set_fit_request(sensitive_features=True)",
            lambda: probe_metadata_routing(data),
        ),
    ]
    rows, seconds = [], {}
    # scikit-lego logs a cvxpy solver warning on every fit; the probes report
    # outcomes, not log lines.
    logging.disable(logging.WARNING)
    try:
        for feature, make_probes in features:
            rows.append((feature, _run_feature(feature, make_probes, seconds)))
        for hook in NOTE_HOOKS:
            _run_probe(hook)
    finally:
        logging.disable(logging.NOTSET)
    return rows, seconds, metric_rows


def _run_feature(feature, make_probes, seconds):
    start = time.perf_counter()
    try:
        probes = make_probes()
    except Exception as exc:  # noqa: BLE001 - setting up the probes failed
        probes = {s: (lambda exc=exc: _reraise(exc)) for s in SYSTEMS}
    cells = {system: _run_probe(probes[system]) for system in SYSTEMS}
    seconds[feature] = time.perf_counter() - start
    print(f"[features] {feature}: {seconds[feature]:.1f} s", flush=True)
    for system in SYSTEMS:
        print(f"    {system}: {cells[system]}", flush=True)
    return cells


def _reraise(exc):
    raise exc


def _versions():
    out = {"skfair": version("skfair")}
    for system, dist in (
        ("fairlearn", "fairlearn"),
        ("AIF360", "aif360"),
        ("scikit-lego", "scikit-lego"),
    ):
        try:
            out[system] = version(dist)
        except Exception:  # noqa: BLE001
            out[system] = "not installed"
    return out


def to_markdown(rows, seconds, metric_rows):
    versions = _versions()
    header = "| feature | " + " | ".join(f"{s} {versions[s]}" for s in SYSTEMS) + " |"
    lines = [
        "## Feature table: skfair vs fairlearn vs AIF360 vs scikit-lego",
        "",
        machine_line(),
        "`python benchmarks/features.py`. Every cell is the outcome of a probe "
        "that ran the feature on an Adult subsample "
        f"({N_TRAIN:,} training rows, {N_TRAIN:,} test rows, group = sex; "
        "synthetic 0/1 arrays for the metric timing): **yes** = it worked "
        "(with the measured figure), **no (Exception: message)** = it raised, "
        "**n/a** = the installed package has no such tool (looked up at run "
        "time). Groups are given the way each system asks for them: skfair "
        "`sensitive_cols` / `sensitive_features`, fairlearn `sensitive_features=`, "
        "AIF360's sklearn API the DataFrame index (its ExponentiatedGradient"
        "Reduction: a column), scikit-lego a 0/1 column named in "
        "`sensitive_cols`. Error messages are cut at ~90 characters.",
        "",
        header,
        "|" + "---|" * (len(SYSTEMS) + 1),
    ]
    for feature, cells in rows:
        lines.append(f"| {feature} | " + " | ".join(cells[s] for s in SYSTEMS) + " |")
    lines += [
        "",
        "Probe notes:",
        "",
        "- GridSearchCV / cross_val_score: 3 folds, `error_score='raise'` so a "
        "failure shows its exception; fairlearn gets the groups as a fit "
        "parameter (`fit(X, y, sensitive_features=...)`), the only way it "
        "takes them.",
        "- Exact post-processing: a LogisticRegression prefit on the one-hot + "
        "standardised features (sex not a feature); the gap is that of the "
        "expected decisions (skfair `predict_proba`, fairlearn `_pmf_predict`, "
        "AIF360's flip probabilities from its LP solution), so no sampling "
        "noise; both skfair and fairlearn reach ~0, AIF360's EqOddsPostprocessing "
        "post-processes the 0/1 predictions, hence its lower accuracy.",
        "- Unseen group: the post-processor is fitted on Male/Female and asked "
        "to predict 200 test rows labelled with a new group.",
        "- Metric timing: one call per system on the same arrays (2 groups), "
        "best of 4 interleaved calls (a system slower than 5 s: one call). "
        "The systems do not compute the same quantity: AIF360 has no "
        "worst-case equalized-odds difference (average_odds_difference is "
        "the mean of the TPR and FPR gaps), scikit-lego only an equal-"
        "opportunity ratio scorer (called with a stand-in estimator whose "
        "predictions are a column of X).",
        "- sample_weight: integer weights 1..3 compared with repeating each "
        "row that many times.",
    ]
    for feature, system, text in NOTES:
        lines.append(f"- {feature}, {system}: {text.replace('|', '/')}")
    lines += [
        "",
        "Probe times (s): "
        + ", ".join(
            f"{feature.split(':')[0]} {t:.1f}" for feature, t in seconds.items()
        )
        + ".",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="time the metrics on 200k rows, not 1M"
    )
    args = parser.parse_args(argv)
    NOTES.clear()
    NOTE_HOOKS.clear()
    rows, seconds, metric_rows = build_table(quick=args.quick)
    markdown = to_markdown(rows, seconds, metric_rows)
    write_section("features", markdown)
    print(markdown)
    return rows


if __name__ == "__main__":
    main()
