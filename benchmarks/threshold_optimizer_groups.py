"""ThresholdOptimizer fit with many groups: the direct LP against the split LP.

3e5 rows, 1,000 and 10,000 groups, a prefit scorer (so the fit is the ROC
hulls plus the LP), equalized odds (the default) and demographic parity.
"before" forces the direct LP over all groups (HiGHS; what every fit used
before), "after" is the default (``_split_lp.optimal_vertex_weights``: the
direct LP for equalized odds up to 1,000 groups, else the search over the
shared rate bounds). Each case runs in its own process, once, for its wall
time and peak resident memory; both must reach the same optimum (expected
training accuracy and constraint gap are reported side by side).

Run: python benchmarks/threshold_optimizer_groups.py  (about 4 minutes, most
of it the direct LP with 10,000 groups)
"""

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine_line, write_section  # noqa: E402
from threshold_optimizer import ColumnScorer  # noqa: E402

N_ROWS = 300_000
CASES = [
    (n_groups, constraints, route)
    for n_groups in (1_000, 10_000)
    for constraints in ("equalized_odds", "demographic_parity")
    for route in ("before", "after")
]


def many_groups(n_groups, n=N_ROWS, seed=0):
    """Scores, labels and groups; both labels in every group."""
    rng = np.random.RandomState(seed)
    groups = rng.randint(0, n_groups, n)
    z = rng.normal(size=n) + rng.normal(scale=0.3, size=n_groups)[groups]
    y = (rng.random_sample(n) < 1 / (1 + np.exp(-(1.5 * z - 0.5)))).astype(int)
    y[np.unique(groups, return_index=True)[1]] = 1
    y[n - 1 - np.unique(groups[::-1], return_index=True)[1]] = 0
    score = 1 / (1 + np.exp(-(z + 0.5 * rng.normal(size=n))))
    return score[:, None], y, groups


def run_case(n_groups, constraints, route):
    """Fit once in this process; return time, peak RSS and the result."""
    import skfair.postprocessing._threshold_optimizer as to_module
    from skfair.postprocessing import ThresholdOptimizer, _lp

    X, y, groups = many_groups(n_groups)
    if route == "before":
        to_module.optimal_vertex_weights = _lp.solve_vertex_weights
    est = ThresholdOptimizer(
        ColumnScorer().fit(X, y), prefit=True, constraints=constraints
    )
    start = time.perf_counter()
    est.fit(X, y, sensitive_features=groups)
    seconds = time.perf_counter() - start
    p = est.predict_proba(X, sensitive_features=groups)[:, 1]
    accuracy = float(np.mean(np.where(y == 1, p, 1 - p)))
    if constraints == "equalized_odds":
        gap = float(np.ptp(est.operating_points_, axis=0).max())
    else:
        gap = float(np.ptp(est.selection_rates_))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak_mb, "accuracy": accuracy, "gap": gap}


def main():
    if len(sys.argv) == 4 and sys.argv[1].isdigit():
        print(json.dumps(run_case(int(sys.argv[1]), sys.argv[2], sys.argv[3])))
        return
    results = {}
    for case in CASES:
        out = subprocess.run(
            [sys.executable, __file__, *map(str, case)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        results[case] = json.loads(out.strip().splitlines()[-1])
        print(case, results[case], flush=True)
    lines = [
        "## ThresholdOptimizer fit with many groups (direct LP vs split LP)",
        "",
        machine_line(),
        f"{N_ROWS:,} rows, prefit scorer, one run per case in its own process "
        "(peak RSS of that process).",
        "",
        "| groups | constraints | before: direct LP | after | ratio | "
        "peak MB before / after | expected accuracy before / after | "
        "gap before / after |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n_groups in (1_000, 10_000):
        for constraints in ("equalized_odds", "demographic_parity"):
            b = results[(n_groups, constraints, "before")]
            a = results[(n_groups, constraints, "after")]
            lines.append(
                f"| {n_groups:,} | {constraints} | {b['seconds']:.2f} s | "
                f"{a['seconds']:.2f} s | {b['seconds'] / a['seconds']:.1f}x | "
                f"{b['peak_mb']:.0f} / {a['peak_mb']:.0f} | "
                f"{b['accuracy']:.6f} / {a['accuracy']:.6f} | "
                f"{b['gap']:.1e} / {a['gap']:.1e} |"
            )
    write_section("threshold_optimizer_groups", "\n".join(lines))


if __name__ == "__main__":
    main()
