"""Per-resample bootstrap cost of MetricFrame: skfair vs fairlearn.

Target (issue 13): on 200,000 rows, 8 groups and four count metrics
(selection rate, TPR, FPR, accuracy), skfair's ``MetricFrame(n_boot=...)``
costs at least 100x less per bootstrap resample than fairlearn's.

Both frames are built side by side in this process with BLAS pinned to one
thread (threadpoolctl). The cost per resample is (time with ``n_boot``
resamples - time without) / ``n_boot``; fairlearn gets fewer resamples
because each one recomputes the whole frame.

Run: ``python benchmarks/metric_frame.py [--rows 200000] [--n-boot 1000]
[--fairlearn-n-boot 10]``.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine_line, write_section  # noqa: E402


def make_data(n_rows, n_groups=8, seed=0):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, n_groups, n_rows)
    y = (rng.random(n_rows) < 0.3 + 0.05 * (group % 3)).astype(int)
    pred = (rng.random(n_rows) < np.where(y == 1, 0.75, 0.2) + 0.02 * group).astype(int)
    return y, pred, group


def _seconds(build, repeats=1):
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        build()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--fairlearn-n-boot", type=int, default=10)
    args = parser.parse_args(argv)

    import fairlearn.metrics as flm
    import sklearn.metrics as skm
    from threadpoolctl import threadpool_limits

    import skfair.metrics as sfm

    y, pred, group = make_data(args.rows)
    rows = []
    with threadpool_limits(limits=1):
        for name, module, frame, n_boot in (
            ("skfair", sfm, sfm.MetricFrame, args.n_boot),
            ("fairlearn 0.15", flm, flm.MetricFrame, args.fairlearn_n_boot),
        ):
            metrics = {
                "selection_rate": module.selection_rate,
                "tpr": module.true_positive_rate,
                "fpr": module.false_positive_rate,
                "accuracy": skm.accuracy_score,
            }

            def build(n_boot=None, frame=frame, metrics=metrics):
                kwargs = {}
                if n_boot:
                    kwargs = {
                        "n_boot": n_boot,
                        "ci_quantiles": [0.025, 0.975],
                        "random_state": 0,
                    }
                return frame(
                    metrics=metrics,
                    y_true=y,
                    y_pred=pred,
                    sensitive_features=group,
                    **kwargs,
                )

            plain = _seconds(build, repeats=3)
            boot = _seconds(lambda n_boot=n_boot, build=build: build(n_boot))
            per_resample = max(boot - plain, 0.0) / n_boot
            rows.append((name, plain, n_boot, boot, per_resample))
            print(
                f"{name}: frame {plain:.3f} s, with {n_boot} resamples {boot:.3f} s, "
                f"{per_resample * 1e3:.4f} ms per resample",
                flush=True,
            )
    ratio = rows[1][4] / rows[0][4]
    print(f"per-resample cost ratio (fairlearn / skfair): {ratio:.0f}x")
    lines = [
        "## MetricFrame bootstrap (issue 13)",
        "",
        machine_line(),
        "",
        f"{args.rows:,} rows, 8 groups, four count metrics (selection rate, TPR, "
        "FPR, accuracy), 95% intervals; BLAS pinned to one thread. Cost per "
        "resample = (time with n_boot resamples - time without) / n_boot.",
        "",
        "| library | frame (s) | n_boot | frame + bootstrap (s) | per resample (ms) |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {n} | {p:.3f} | {b} | {t:.3f} | {r * 1e3:.4f} |" for n, p, b, t, r in rows
    ]
    lines += ["", f"Per-resample cost ratio (fairlearn / skfair): **{ratio:.0f}x**."]
    write_section("metric_frame", "\n".join(lines))
    return ratio


if __name__ == "__main__":
    main()
