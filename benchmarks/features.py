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

The probes live in ``benchmarks/_features/``, one module per system (each
with one function per feature, the same names in every module); this script
assembles the table from them.

Run: ``python benchmarks/features.py`` (``--quick`` times the metrics on 200k
rows instead of 1M).
"""

import argparse
import logging
import sys
import time
from functools import partial
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _features import (  # noqa: E402
    aif360_probes,
    fairlearn_probes,
    skfair_probes,
    sklego_probes,
)
from _features._common import (  # noqa: E402
    N_TRAIN,
    NOTE_HOOKS,
    NOTES,
    SYSTEMS,
    Adult,
    IntersectionalMetricData,
    PostProcessing,
    UnseenGroup,
    WeightedMetricData,
    _quiet_imports,
    _run_probe,
    timed_metric_cells,
)
from _report import machine_line, write_section  # noqa: E402

PEERS = {
    "skfair": skfair_probes,
    "fairlearn": fairlearn_probes,
    "AIF360": aif360_probes,
    "scikit-lego": sklego_probes,
}


def _per_peer(name, context):
    """Each system's probe of feature ``name`` on the feature's shared context."""
    return {
        system: partial(getattr(PEERS[system], name), context) for system in SYSTEMS
    }


def build_table(quick=False):
    """Run every probe; return (feature, {system: cell}) rows and timings."""
    _quiet_imports()
    metric_rows = 200_000 if quick else 1_000_000
    data = Adult()
    post = PostProcessing(data)
    features = [
        ("GridSearchCV, default scoring", lambda: _per_peer("grid_search", data)),
        (
            "cross_val_score, default scoring",
            lambda: _per_peer("cross_val_score", data),
        ),
        (
            "Pipeline with numpy arrays (group = column 0)",
            lambda: _per_peer("numpy_pipeline", data),
        ),
        (
            "Pre-processor transforms unseen rows (DisparateImpactRemover)",
            lambda: _per_peer("dir_unseen_rows", data),
        ),
        (
            "Reweighing inside a Pipeline",
            lambda: _per_peer("reweighing_pipeline", data),
        ),
        (
            "Exact (LP) equalized-odds post-processing: training gap",
            lambda: _per_peer("exact_postprocessing", post),
        ),
        (
            "Tolerance for equalized odds in the post-processor",
            lambda: _per_peer("postprocessing_tolerance", post),
        ),
        (
            "Unseen group at predict",
            lambda: _per_peer("unseen_group", UnseenGroup(post)),
        ),
        (
            "Equalized-odds in-processing classifier",
            lambda: _per_peer("eo_inprocessing", data),
        ),
        (
            f"Fairness metric on {metric_rows / 1e6:g}M rows (time)",
            lambda: timed_metric_cells(
                metric_rows, {s: PEERS[s].metric_speed for s in SYSTEMS}
            ),
        ),
        (
            "sample_weight in metrics",
            lambda: _per_peer("metric_sample_weight", WeightedMetricData()),
        ),
        (
            "Intersectional groups (sex x race) in the EO metric",
            lambda: _per_peer("intersectional_metric", IntersectionalMetricData()),
        ),
        (
            "Intersectional groups in a mitigator",
            lambda: _per_peer("intersectional_mitigator", data),
        ),
        (
            "Metadata routing: GridSearchCV, set_fit_request(sensitive_features=True)",
            lambda: _per_peer("metadata_routing", data),
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
