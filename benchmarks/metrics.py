"""Benchmark skfair.metrics against one np.bincount pass and against fairlearn.

Figures (written to the "metrics" section of RESULTS.md and printed):

1. equalized_odds_difference on 10M rows / 4 groups (int64 arrays: groups
   0..3, y_true and y_pred 0/1) versus ONE ``np.bincount(sensitive_features)``
   over the same arrays (target: <= 3x);
2. the same metric versus fairlearn 0.15 at 200k rows (target: >= 100x);
3. peak extra memory of the 10M-row call measured with tracemalloc (numpy
   reports its allocations to it), relative to the size of the input arrays
   (target: < 2x).

Timings interleave the two sides and keep the best of several repeats, since
the machine may be shared. Run: ``python benchmarks/metrics.py``
(``--fairlearn-rows N`` changes fairlearn's size; 10M takes ~90 s).
"""

import argparse
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine_line, write_section  # noqa: E402

from skfair.metrics import equalized_odds_difference  # noqa: E402


def _data(n_rows, n_groups=4, seed=0):
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, n_groups, n_rows)  # int64
    y_true = rng.integers(0, 2, n_rows)
    y_pred = np.where(rng.random(n_rows) < 0.8, y_true, 1 - y_true)
    return y_true, y_pred, groups


def _interleaved_best(funcs, repeats):
    """Best wall time of each function, running them in turn ``repeats`` times."""
    best = [np.inf] * len(funcs)
    for _ in range(repeats):
        for i, func in enumerate(funcs):
            start = time.perf_counter()
            func()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def _peak_extra_bytes(func):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before


def _fairlearn_eod():
    try:
        from fairlearn.metrics import equalized_odds_difference as fl_eod
    except ImportError:
        return None
    return fl_eod


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--fairlearn-rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)

    # 1. versus one bincount pass
    y_true, y_pred, groups = _data(args.rows)
    input_bytes = y_true.nbytes + y_pred.nbytes + groups.nbytes
    t_bincount, t_skfair = _interleaved_best(
        [
            lambda: np.bincount(groups),
            lambda: equalized_odds_difference(
                y_true, y_pred, sensitive_features=groups
            ),
        ],
        args.repeats,
    )
    # 3. memory
    peak = _peak_extra_bytes(
        lambda: equalized_odds_difference(y_true, y_pred, sensitive_features=groups)
    )
    value_big = equalized_odds_difference(y_true, y_pred, sensitive_features=groups)
    del y_true, y_pred, groups

    # 2. versus fairlearn
    fl_eod = _fairlearn_eod()
    y_true, y_pred, groups = _data(args.fairlearn_rows, seed=1)
    t_fairlearn = t_skfair_small = value_fl = value_sk = None
    if fl_eod is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fl_repeats = 3 if args.fairlearn_rows <= 1_000_000 else 1
            t_fairlearn, t_skfair_small = _interleaved_best(
                [
                    lambda: fl_eod(y_true, y_pred, sensitive_features=groups),
                    lambda: equalized_odds_difference(
                        y_true, y_pred, sensitive_features=groups
                    ),
                ],
                fl_repeats,
            )
            # skfair's side is sub-millisecond: time it with more repeats.
            (t_skfair_small,) = _interleaved_best(
                [
                    lambda: equalized_odds_difference(
                        y_true, y_pred, sensitive_features=groups
                    )
                ],
                50,
            )
            value_fl = float(fl_eod(y_true, y_pred, sensitive_features=groups))
        value_sk = equalized_odds_difference(y_true, y_pred, sensitive_features=groups)

    rows_m = args.rows / 1e6
    lines = [
        "## Metrics: equalized_odds_difference speed and memory",
        "",
        machine_line(),
        "`python benchmarks/metrics.py`; int64 arrays (groups 0..3, y_true/y_pred "
        f"0/1); times are the best of {args.repeats} interleaved runs (fairlearn: "
        "best of 3).",
        "",
        "| comparison | skfair | peer | ratio | target |",
        "| --- | --- | --- | --- | --- |",
        f"| {rows_m:g}M rows vs one `np.bincount(sensitive_features)` | "
        f"{t_skfair * 1e3:.1f} ms | {t_bincount * 1e3:.1f} ms | "
        f"{t_skfair / t_bincount:.2f}x the bincount | <= 3x |",
    ]
    if t_fairlearn is not None:
        lines.append(
            f"| {args.fairlearn_rows / 1e3:g}k rows vs fairlearn 0.15 | "
            f"{t_skfair_small * 1e3:.2f} ms | {t_fairlearn * 1e3:.0f} ms | "
            f"{t_fairlearn / t_skfair_small:.0f}x faster | >= 100x |"
        )
    lines += [
        f"| peak extra memory at {rows_m:g}M rows (tracemalloc) | "
        f"{peak / 2**20:.2f} MiB | inputs {input_bytes / 2**20:.0f} MiB | "
        f"{peak / input_bytes:.4f}x the inputs | < 2x |",
        "",
        f"Values: skfair {value_big:.6f} at {rows_m:g}M rows"
        + (
            f"; at {args.fairlearn_rows / 1e3:g}k rows skfair {value_sk:.12f}, "
            f"fairlearn {value_fl:.12f}."
            if value_fl is not None
            else "; fairlearn not installed."
        ),
    ]
    markdown = "\n".join(lines)
    print(markdown)
    write_section("metrics", markdown)


if __name__ == "__main__":
    main()
