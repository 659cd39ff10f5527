"""DisparateImpactRemover.fit time and peak memory by number of groups, before/after.

Before issue 12 item 7, fit built the whole (groups x levels) table of the
groups' quantiles per column, about groups x rows cells: 4e5 rows in 1,000
weighted groups peaked at 6.5 GB. It is now evaluated a block of levels at a
time (memory about that of the column).

Each case runs in a fresh process on the ``skfair`` of the base revision
("before", ``--before``, default d8edf12) and of this checkout ("after"), see
``_before_after.py``; the peak resident memory is the child's ``ru_maxrss``
(data included) and "extra" is how far fit raised it. Run:
``python benchmarks/disparate_impact_scaling.py`` (figures go to the
"disparate_impact_scaling" section of RESULTS.md).
"""

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _before_after import (  # noqa: E402
    REPO,
    child_main,
    export_revision,
    measure,
    mib,
    ratio,
    run_case,
    seconds,
)
from _report import machine_line, write_section  # noqa: E402

# (rows, columns, groups, weighted)
CASES = [
    (400_000, 1, 1000, True),
    (1_000_000, 4, 2, False),
    (1_000_000, 4, 100, False),
]


def _case(n_rows, n_columns, n_groups, weighted):
    from skfair.preprocessing import DisparateImpactRemover

    n_rows, n_columns, n_groups = int(n_rows), int(n_columns), int(n_groups)
    rng = np.random.default_rng(0)
    groups = rng.integers(0, n_groups, n_rows)
    X = rng.normal(size=(n_rows, n_columns)) + (groups % 7)[:, None]
    weight = rng.uniform(0.5, 2.0, n_rows) if weighted == "True" else None
    remover = DisparateImpactRemover()
    return measure(
        lambda: remover.fit(X, sensitive_features=groups, sample_weight=weight)
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="d8edf12", help="git revision")
    args = parser.parse_args(argv)

    before_dir = export_revision(args.before)
    rows = []
    for case in CASES:
        extra = [str(value) for value in case]
        before = run_case(__file__, "fit", before_dir, extra_args=extra)
        after = run_case(__file__, "fit", REPO, extra_args=extra)
        n_rows, n_columns, n_groups, weighted = case
        label = (
            f"{n_rows:,} rows x {n_columns} col, {n_groups} groups"
            f"{', weighted' if weighted else ''}"
        )
        row = (
            label,
            seconds(before),
            seconds(after),
            ratio(before, after),
            f"{mib(before)} (+{mib(before, 'extra_peak_mib')})",
            f"{mib(after)} (+{mib(after, 'extra_peak_mib')})",
        )
        print(" | ".join(row), flush=True)
        rows.append(row)
    table = [
        f"DisparateImpactRemover.fit; before = skfair at {args.before}, after = "
        "this checkout; each case in a fresh process, one run. Peak RSS of the "
        "process (+ how far fit raised it).",
        "",
        "| case | fit before | fit after | speed-up | peak RSS before | "
        "peak RSS after |",
        "|---|---|---|---|---|---|",
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
        machine_line(),
    ]
    write_section(
        "disparate_impact_scaling",
        "## DisparateImpactRemover fit by number of groups\n\n" + "\n".join(table),
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main({"fit": _case}, sys.argv[2:])
    else:
        main()
