"""Plain-text tables and one-line usage errors for the command-line tools.

Shared by :mod:`skfair._cli` (the argument parser and the audit) and
:mod:`skfair._demo`, so that neither imports the other for them.
"""

import numpy as np


class UsageError(Exception):
    """An error in the user's input, reported as one line."""


def format_table(header, rows, *, floatfmt="{:.4f}"):
    """Plain-text table (no pandas needed) with right-aligned numbers."""

    def cell(value):
        if isinstance(value, (float, np.floating)):
            return "nan" if np.isnan(value) else floatfmt.format(value)
        return str(value)

    cells = [[cell(v) for v in row] for row in rows]
    widths = [
        max(len(str(h)), *(len(r[j]) for r in cells)) for j, h in enumerate(header)
    ]
    lines = ["  ".join(str(h).rjust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells
    ]
    return "\n".join(lines)


def format_interval(low, high, *, floatfmt="{:.4f}"):
    """``[low, high]`` as text, ``nan`` for an undefined bound."""

    def bound(value):
        return "nan" if np.isnan(value) else floatfmt.format(value)

    return f"[{bound(low)}, {bound(high)}]"


def format_group_report(report):
    """Text of a group report, whether a DataFrame or a dict of arrays."""
    if hasattr(report, "to_string"):
        return report.to_string(float_format=lambda v: f"{v:.4f}")
    names = list(report)
    rows = zip(*(np.asarray(report[name]).tolist() for name in names), strict=True)
    return format_table(names, list(rows))
