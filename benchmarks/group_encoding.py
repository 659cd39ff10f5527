"""Group encoding speed by input kind, before and after issue 12 item 8.

equalized_odds_difference and reweighing_weights on 10M rows and 100 groups,
the groups given as a bare ``pandas.Categorical``, a Series of ``category``
dtype, a numpy object array of strings and a Series of strings. Before the
fix a bare Categorical took 19 s (numpy turned it into strings and sorted
them) and numpy object strings 13 s (np.unique sorts Python objects); now the
categorical codes are used directly and object labels are factorized once.

Each case runs in a fresh process on the ``skfair`` of the base revision
("before", ``--before``, default d8edf12) and of this checkout ("after"),
see ``_before_after.py``. Run: ``python benchmarks/group_encoding.py``
(``--rows N`` for a smaller run; the figures go to the "group_encoding"
section of RESULTS.md).
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

KINDS = ["categorical", "series_category", "numpy_object", "series_str"]
FUNCTIONS = ["equalized_odds_difference", "reweighing_weights"]
N_GROUPS = 100


def _groups(kind, n_rows, seed=0):
    import pandas as pd

    rng = np.random.default_rng(seed)
    names = np.array([f"group{i:03d}" for i in range(N_GROUPS)], dtype=object)
    labels = names[rng.integers(0, N_GROUPS, n_rows)]
    return {
        "categorical": lambda: pd.Categorical(labels),
        "series_category": lambda: pd.Series(labels, dtype="category"),
        "numpy_object": lambda: labels,
        "series_str": lambda: pd.Series(labels),
    }[kind]()


def _case(function, kind, n_rows, repeats):
    from skfair.metrics import equalized_odds_difference
    from skfair.preprocessing import reweighing_weights

    n_rows, repeats = int(n_rows), int(repeats)
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 2, n_rows)
    y_pred = rng.integers(0, 2, n_rows)
    groups = _groups(kind, n_rows)
    if function == "equalized_odds_difference":

        def call():
            equalized_odds_difference(y_true, y_pred, sensitive_features=groups)
    else:

        def call():
            reweighing_weights(y_true, sensitive_features=groups)

    return measure(call, repeats=repeats)


def _child_cases():
    return {
        f"{function}:{kind}": (lambda n, r, f=function, k=kind: _case(f, k, n, r))
        for function in FUNCTIONS
        for kind in KINDS
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--before", default="d8edf12", help="git revision")
    parser.add_argument("--repeats", type=int, default=2, help="after side")
    args = parser.parse_args(argv)

    before_dir = export_revision(args.before)
    rows = []
    for function in FUNCTIONS:
        for kind in KINDS:
            case = f"{function}:{kind}"
            # The slow "before" cases run once: they take 10-20 s each.
            before = run_case(
                __file__, case, before_dir, extra_args=[str(args.rows), "1"]
            )
            after = run_case(
                __file__,
                case,
                REPO,
                extra_args=[str(args.rows), str(args.repeats)],
            )
            assert "error" in before or before["skfair_path"].startswith(
                str(before_dir)
            ), before
            row = (
                function,
                kind,
                seconds(before),
                seconds(after),
                ratio(before, after),
                mib(before, "extra_peak_mib"),
                mib(after, "extra_peak_mib"),
            )
            print(" | ".join(row), flush=True)
            rows.append(row)

    table = [
        f"{args.rows:,} rows, {N_GROUPS} groups; before = skfair at "
        f"{args.before}, after = this checkout; each case in a fresh process "
        "(best of 1 run before, "
        f"{args.repeats} after).",
        "",
        "Memory: how far the call raised the process's peak RSS above the peak "
        "reached with the data built (``extra_peak_mib``).",
        "",
        "| function | groups given as | before | after | speed-up "
        "| memory before | memory after |",
        "|---|---|---|---|---|---|---|",
        *(
            f"| `{f}` | {k} | {b} | {a} | {r} | {mb} | {ma} |"
            for f, k, b, a, r, mb, ma in rows
        ),
        "",
        machine_line(),
    ]
    write_section(
        "group_encoding", "## Group encoding by input kind\n\n" + "\n".join(table)
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(_child_cases(), sys.argv[2:])
    else:
        main()
