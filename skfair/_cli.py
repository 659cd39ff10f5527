"""Command line: ``python -m skfair demo`` and ``python -m skfair audit``.

The demo fits a baseline and skfair's mitigators on a bundled dataset and
prints one table of test accuracy, fairness gaps and fit time. The audit
prints the same group report for a user's own predictions in a CSV file.
Every expected failure (a missing file or column, a non-binary target) is one
line on stderr and exit status 2, never a traceback.
"""

import argparse
import csv
import sys

import numpy as np

from skfair import __version__
from skfair._console import UsageError, format_group_report, format_table

_PROG = "python -m skfair"
_FAIRNESS_COLUMNS = [
    ("equalized_odds_difference", "EO gap"),
    ("demographic_parity_difference", "DP gap"),
    ("equal_opportunity_difference", "EOpp gap"),
    ("demographic_parity_ratio", "DP ratio"),
]


def fairness_summary(y_true, y_pred, sensitive_features):
    """Rows of (metric name, value) for the headline fairness metrics."""
    from skfair import metrics

    return [
        (
            name,
            getattr(metrics, name)(
                y_true, y_pred, sensitive_features=sensitive_features
            ),
        )
        for name, _ in _FAIRNESS_COLUMNS
    ]


# ---------------------------------------------------------------- audit


def _read_csv_columns(path, wanted):
    """Columns ``wanted`` of a CSV file with a header row, as object arrays."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            try:
                header = next(reader)
            except StopIteration:
                raise UsageError(f"{path} is empty.") from None
            rows = list(reader)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}.") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UsageError(f"{path} is not a readable CSV file: {exc}.") from None
    header = [h.strip() for h in header]
    missing = [col for col in wanted if col not in header]
    if missing:
        raise UsageError(
            f"{path} has no column {', '.join(map(repr, missing))} "
            f"(columns: {', '.join(header)})."
        )
    if not rows:
        raise UsageError(f"{path} has a header but no rows.")
    width = len(header)
    bad = next((i for i, row in enumerate(rows) if len(row) != width), None)
    if bad is not None:
        raise UsageError(
            f"{path}: row {bad + 2} has {len(rows[bad])} fields, the header has "
            f"{width}."
        )
    table = np.array(rows, dtype=object)
    return {col: table[:, header.index(col)] for col in wanted}


def _binary_column(values, name, pos_label):
    from skfair.utils import check_binary_labels

    stripped = np.array([v.strip() for v in values], dtype=object)
    if (stripped == "").any():
        raise UsageError(f"column {name!r} has empty cells.")
    try:
        y01, _ = check_binary_labels(
            stripped, name=f"column {name!r}", pos_label=pos_label
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return y01


def run_audit(args, out):
    sensitive = [c.strip() for c in args.sensitive.split(",") if c.strip()]
    if not sensitive:
        raise UsageError("--sensitive names no column.")
    columns = _read_csv_columns(args.file, [args.target, args.prediction, *sensitive])
    y_true = _binary_column(columns[args.target], args.target, args.pos_label)
    y_pred = _binary_column(columns[args.prediction], args.prediction, args.pos_label)
    groups = [
        np.array([v.strip() for v in columns[c]], dtype=object) for c in sensitive
    ]
    if any((g == "").any() for g in groups):
        raise UsageError("a sensitive column has empty cells; every row needs a group.")
    sf = groups[0] if len(groups) == 1 else np.column_stack(groups)
    _print_report(out, y_true, y_pred, sf, title=f"{args.file}: {len(y_true)} rows")
    return 0


def _print_report(out, y_true, y_pred, sf, *, title):
    from skfair.metrics import group_report

    print(title, file=out)
    print(
        format_group_report(group_report(y_true, y_pred, sensitive_features=sf)),
        file=out,
    )
    print(file=out)
    print(
        format_table(["metric", "value"], fairness_summary(y_true, y_pred, sf)),
        file=out,
    )


# ---------------------------------------------------------------- parser


def _build_parser():
    parser = argparse.ArgumentParser(
        prog=_PROG, description="skfair: fairness estimators for scikit-learn."
    )
    parser.add_argument("--version", action="version", version=f"skfair {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo",
        help="fit a baseline and the mitigators on bundled data, print the table",
    )
    demo.add_argument("--dataset", choices=["adult", "german"], default="adult")
    demo.add_argument(
        "--sensitive",
        default=None,
        help="the sensitive column (default: sex)",
    )
    demo.add_argument(
        "--plot",
        metavar="FILE.png",
        default=None,
        help="write the accuracy / equalized-odds trade-off plot",
    )
    demo.add_argument(
        "--models", default=None, help="comma-separated subset of models to fit"
    )

    audit = commands.add_parser(
        "audit", help="group report and fairness metrics for predictions in a CSV"
    )
    audit.add_argument("file", help="CSV file with a header row")
    audit.add_argument("--target", required=True, help="column of true labels")
    audit.add_argument("--prediction", required=True, help="column of predictions")
    audit.add_argument(
        "--sensitive",
        required=True,
        help="sensitive column(s), comma-separated for intersections",
    )
    audit.add_argument(
        "--pos-label",
        default=None,
        help="the positive label (default: the larger of the two)",
    )
    return parser


def main(argv=None, out=None):
    """Entry point of ``python -m skfair``; returns the exit status."""
    out = sys.stdout if out is None else out
    args = _build_parser().parse_args(argv)
    try:
        if args.command == "audit":
            return run_audit(args, out)
        from skfair._demo import run_demo

        return run_demo(args, out)
    except UsageError as exc:
        print(f"{_PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 2
