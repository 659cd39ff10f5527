"""Command line: ``python -m skfair demo`` and ``python -m skfair audit``.

The demo fits a baseline and skfair's mitigators on a bundled dataset and
prints one table of test accuracy, fairness gaps and fit time. The audit
reads a user's own predictions from a CSV file (or stdin): target and
prediction are read with one positive label, which must be given unless the
labels are 0/1 or False/True, and the groups are encoded once. It prints the
groups' rates with Wilson intervals and the headline of the HTML report
(:class:`skfair.metrics._audit_report.Headline`: the well-populated groups,
Newcombe gap intervals, the largest pairs, certified bounds on request).
Every expected failure (a missing file or column, a non-binary target, an
ambiguous positive label) is one line on stderr and exit status 2, never a
traceback.
"""

import argparse
import csv
import io
import os
import sys
import threading
import time

import numpy as np

from skfair import __version__
from skfair._console import (
    UsageError,
    format_interval,
    format_table,
)

_PROG = "python -m skfair"
_FAIRNESS_COLUMNS = [
    ("equalized_odds_difference", "EO gap"),
    ("demographic_parity_difference", "DP gap"),
    ("equal_opportunity_difference", "EOpp gap"),
    ("demographic_parity_ratio", "DP ratio"),
]
# The rates of the audit's group table: kind and column name.
_AUDIT_RATES = [
    ("selection", "selection_rate"),
    ("tpr", "true_positive_rate"),
    ("fpr", "false_positive_rate"),
]


# ---------------------------------------------------------------- audit

# Label pairs whose positive member is unambiguous; any other labels need
# --pos-label (guessing "the larger one" silently inverted audits).
_CONVENTIONAL_LABELS = [
    ("0", "1"),
    ("False", "True"),
    ("false", "true"),
    ("FALSE", "TRUE"),
]
_SNIFF_BYTES = 1 << 16
# The audit prints stage lines on stderr once it has run this long (seconds).
_PROGRESS_DELAY = 1.0


class _Progress:
    """Stage lines on stderr, shown only once the audit runs past a delay.

    A timer thread prints the current stage when the delay expires, so that
    a long first stage (reading a large file) is announced while it runs;
    later stages print as they start.
    """

    def __init__(self, stream, delay):
        self._stream = stream
        self._start = time.perf_counter()
        self._stage = None
        self._shown = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(delay, self._show)
        self._timer.daemon = True
        self._timer.start()

    def _print(self, text):
        elapsed = time.perf_counter() - self._start
        print(f"{_PROG} audit: {text} ({elapsed:.1f} s)", file=self._stream, flush=True)

    def _show(self):
        with self._lock:
            self._shown = True
            if self._stage is not None:
                self._print(self._stage)

    def stage(self, text):
        with self._lock:
            self._stage = text
            if self._shown:
                self._print(text)

    def close(self, *, finished):
        self._timer.cancel()
        with self._lock:
            if self._shown and finished:
                self._print("done")
            self._shown = False


def _read_bytes(source):
    """The whole input as bytes: a file, or stdin for ``-``."""
    if source == "-":
        stream = getattr(sys.stdin, "buffer", None)
        return stream.read() if stream is not None else sys.stdin.read().encode()
    try:
        with open(source, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {exc.strerror or exc}.") from None


def _parse_sep(sep):
    if sep is None:
        return None
    sep = {"\\t": "\t", "tab": "\t"}.get(sep, sep)
    if len(sep) != 1:
        raise UsageError(f"--sep must be one character (or 'tab'); got {sep!r}.")
    return sep


def _sniff_sep(data):
    """The separator of the first lines, among , ; tab and |; ',' if unclear."""
    sample = data[:_SNIFF_BYTES].decode("utf-8-sig", errors="replace")
    lines = sample.splitlines()
    if len(data) > _SNIFF_BYTES:
        lines = lines[:-1]  # the last line of the sample may be cut short
    try:
        return csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _decode(data, name):
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{name} is not a readable CSV file: {exc}.") from None


def _header(data, name, sep):
    first_line = data.split(b"\n", 1)[0]
    try:
        fields = next(
            csv.reader([_decode(first_line, name).rstrip("\r")], delimiter=sep)
        )
    except (StopIteration, csv.Error) as exc:
        raise UsageError(f"{name} is not a readable CSV file: {exc}.") from None
    return [field.strip() for field in fields]


def _check_layout(data, sep, width, name):
    """Every line has ``width`` fields; only trailing lines may be blank.

    Only for input without quote characters, where a line is a row and its
    fields are its separators plus one: a vectorised pass over the bytes.
    Returns the number of data rows.
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    newline = ord("\n")
    # Positions of every separator and line end, and which are line ends:
    # a line's field count is the distance between consecutive line ends.
    marks = np.flatnonzero((buf == ord(sep)) | (buf == newline))
    line_marks = np.flatnonzero(buf[marks] == newline)
    ends = marks[line_marks]
    if buf[-1] != newline:  # a last line without its line end
        line_marks = np.append(line_marks, marks.size)
        ends = np.append(ends, buf.size)
    fields = np.diff(line_marks, prepend=-1)
    starts = np.concatenate([[0], ends[:-1] + 1])
    lengths = ends - starts
    with_cr = lengths > 0
    with_cr[with_cr] = buf[ends[with_cr] - 1] == ord("\r")
    blank = (lengths - with_cr) == 0
    n_lines = ends.size
    while n_lines > 1 and blank[n_lines - 1]:
        n_lines -= 1
    fields = fields[:n_lines]
    fields[blank[:n_lines]] = 0
    bad = np.flatnonzero(fields != width)
    if bad.size:
        _raise_bad_row(name, bad[0] + 1, int(fields[bad[0]]), width)
    return n_lines - 1


def _raise_bad_row(name, row, n_fields, width):
    """``row`` counts like a spreadsheet: the header is row 1."""
    if n_fields == 0:
        raise UsageError(f"{name}: row {row} is blank; only trailing lines may be.")
    raise UsageError(
        f"{name}: row {row} has {n_fields} fields, the header has {width}."
    )


def _sorted_codes(codes, raw_labels):
    """Codes into the sorted, stripped, distinct labels; and those labels."""
    stripped = [str(label).strip() for label in raw_labels]
    labels = sorted(set(stripped))
    position = {label: i for i, label in enumerate(labels)}
    lookup = np.array([position[label] for label in stripped], dtype=np.intp)
    return lookup[codes], labels


def _columns_with_pandas(pd, data, sep, positions):
    frame = pd.read_csv(
        io.BytesIO(data),
        sep=sep,
        encoding="utf-8-sig",
        usecols=positions,
        dtype=object,  # the cells' text; factorizes faster than str dtypes
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=True,
        index_col=False,
    )
    out = []
    for position in positions:
        column = frame.iloc[:, positions.index(position)].to_numpy()
        codes, uniques = pd.factorize(column)
        out.append(_sorted_codes(codes, uniques))
    return out


def _polars_or_none():
    try:
        import polars
    except ImportError:  # polars is optional
        return None
    return polars


def _columns_with_polars(pl, data, sep, positions, n_rows):
    frame = pl.read_csv(
        io.BytesIO(data),
        separator=sep,
        columns=positions,
        infer_schema=False,  # the cells' text, as with pandas
        quote_char=None,  # only input without quote characters comes here
        encoding="utf8",
    ).head(n_rows)  # trailing blank lines are no rows
    out = []
    for j in range(len(positions)):
        # An empty cell is read as null: back to "", which the audit reports.
        cells = frame.to_series(j).fill_null("").to_numpy()
        labels, codes = np.unique(cells, return_inverse=True)
        out.append(_sorted_codes(codes.reshape(-1), labels.tolist()))
    return out


def _columns_with_csv(text, sep, positions, width, name):
    """The exact, slower reader: quoted fields, and no pandas needed."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    next(reader)  # the header, already parsed
    indexes = [{} for _ in positions]
    codes = [[] for _ in positions]
    blank_row = None
    row = 1
    try:
        for row, fields in enumerate(reader, start=2):
            if not fields:
                blank_row = blank_row or row
                continue
            if blank_row is not None:
                _raise_bad_row(name, blank_row, 0, width)
            if len(fields) != width:
                _raise_bad_row(name, row, len(fields), width)
            for index, column, position in zip(indexes, codes, positions, strict=True):
                column.append(index.setdefault(fields[position], len(index)))
    except csv.Error as exc:
        raise UsageError(f"{name}: row {row + 1} is not valid CSV: {exc}.") from None
    return [
        _sorted_codes(np.array(column, dtype=np.intp), list(index))
        for index, column in zip(indexes, codes, strict=True)
    ]


def _read_columns(source, wanted, sep):
    """Columns ``wanted`` of a CSV input with a header row.

    Returns a dict mapping each name to ``(codes, labels)``: the sorted
    distinct labels of the column (cell text, stripped) and each row's index
    into them; and the separator used. pandas' parser (or polars', whichever
    is installed) reads input without quote characters after a vectorised
    check of its layout; anything else (quoted fields, neither library) goes
    through the ``csv`` module.
    """
    name = "<stdin>" if source == "-" else source
    data = _read_bytes(source)
    if not data.strip():
        raise UsageError(f"{name} is empty.")
    sep = sep or _sniff_sep(data)
    header = _header(data, name, sep)
    missing = [col for col in dict.fromkeys(wanted) if col not in header]
    if missing:
        raise UsageError(
            f"{name} has no column {', '.join(map(repr, missing))} "
            f"(columns: {', '.join(header)})."
        )
    positions = sorted({header.index(col) for col in wanted})
    width = len(header)
    from skfair.metrics._report import _pandas_or_none

    pd = _pandas_or_none()
    pl = None if pd is not None else _polars_or_none()
    if (pd or pl) is not None and ord(sep) < 128 and b'"' not in data:
        n_rows = _check_layout(data, sep, width, name)
        if n_rows == 0:
            raise UsageError(f"{name} has a header but no rows.")
        if pd is not None:
            try:
                columns = _columns_with_pandas(pd, data, sep, positions)
            except UnicodeDecodeError as exc:
                raise UsageError(f"{name} is not a readable CSV file: {exc}.") from None
        else:
            _decode(data, name)  # polars' error for bad UTF-8 names no row
            columns = _columns_with_polars(pl, data, sep, positions, n_rows)
    else:
        columns = _columns_with_csv(_decode(data, name), sep, positions, width, name)
        if columns[0][0].size == 0:
            raise UsageError(f"{name} has a header but no rows.")
    by_position = dict(zip(positions, columns, strict=True))
    return {col: by_position[header.index(col)] for col in wanted}, sep


def _check_filled(column, codes, labels):
    if "" in labels:
        row = int(np.argmax(codes == labels.index(""))) + 2
        raise UsageError(
            f"column {column!r} is empty in row {row} (the header is row 1); "
            "every row needs a value."
        )


def _positive_label(target, prediction, pos_label):
    """The positive label shared by the target and prediction columns.

    Returns it with the sorted labels of both columns together.
    """
    (t_name, t_labels), (p_name, p_labels) = target, prediction
    for column, labels in (target, prediction):
        if len(labels) > 2:
            shown = ", ".join(map(repr, labels[:5]))
            raise UsageError(
                f"column {column!r} must be binary; it holds {len(labels)} "
                f"distinct labels ({shown}{', ...' if len(labels) > 5 else ''})."
            )
    union = sorted(set(t_labels) | set(p_labels))
    if len(union) > 2:
        raise UsageError(
            f"columns {t_name!r} ({', '.join(map(repr, t_labels))}) and "
            f"{p_name!r} ({', '.join(map(repr, p_labels))}) hold different "
            "labels; the target and the prediction must share one pair of labels."
        )
    shown = ", ".join(map(repr, union))
    if pos_label is None:
        for negative, positive in _CONVENTIONAL_LABELS:
            if set(union) <= {negative, positive}:
                return positive, union
        raise UsageError(
            f"which label is positive? columns {t_name!r} and {p_name!r} hold "
            f"{shown}; pass --pos-label with one of them."
        )
    pos_label = pos_label.strip()
    if pos_label not in union:
        if len(union) == 2:
            raise UsageError(
                f"--pos-label {pos_label!r} is not a label of columns {t_name!r} "
                f"and {p_name!r}, which hold {shown}."
            )
        print(
            f"{_PROG} audit: warning: no row has the positive label "
            f"{pos_label!r} (the only label is {shown}).",
            file=sys.stderr,
        )
    return pos_label, union


def _indicator(codes, labels, pos_label):
    """1 for the rows whose label is ``pos_label``, as uint8."""
    if pos_label not in labels:
        return np.zeros(codes.size, dtype=np.uint8)
    return (codes == labels.index(pos_label)).view(np.uint8)


def _encode_audit_groups(columns):
    """The rows' group codes and labels, from the columns' codes, once.

    The per-column codes index sorted labels, so encoding them with
    :func:`skfair.utils.encode_groups` sorts the (intersectional) groups as
    it would sort the labels themselves.
    """
    from skfair.utils import encode_groups

    codes = [c for c, _ in columns]
    enc = encode_groups(codes[0] if len(codes) == 1 else np.column_stack(codes))
    labels = np.empty(enc.n_groups, dtype=object)
    for i, group in enumerate(enc.groups.tolist()):
        if len(columns) == 1:
            labels[i] = columns[0][1][group]
        else:
            labels[i] = tuple(
                col_labels[code]
                for (_, col_labels), code in zip(columns, group, strict=True)
            )
    return enc.codes, labels


def _small_group_warning(head, out):
    """Warn on stderr, before the table it qualifies, about small groups.

    stdout is flushed first, so that the lines keep their order on a
    terminal and with ``2>&1``.
    """
    small = np.flatnonzero(head.small)
    if small.size == 0:
        return
    shown = ", ".join(
        f"{head.labels[g]!r}: {_rows(head.positives[g] + head.negatives[g])} "
        f"({head.exclusion_reason(g)})"
        for g in small[:10]
    )
    what = (
        "are in the headline metrics (--include-small-groups), which they make noisy"
        if head.included_small
        else "are left out of the headline metrics (--include-small-groups puts "
        "them back)"
    )
    out.flush()
    print(
        f"{_PROG} audit: warning: {small.size} group(s) have fewer than "
        f"{head.min_group_size} rows of a true label (--min-group-size) and "
        f"{what}; their rates are mostly noise: {shown}"
        f"{', ...' if small.size > 10 else ''}.",
        file=sys.stderr,
        flush=True,
    )


def run_audit(args, out):
    sensitive = [c.strip() for c in args.sensitive.split(",") if c.strip()]
    if not sensitive:
        raise UsageError("--sensitive names no column.")
    if args.min_group_size < 0:
        raise UsageError(f"--min-group-size must be >= 0; got {args.min_group_size}.")
    if args.n_boot < 0:
        raise UsageError(f"--n-boot must be >= 0; got {args.n_boot}.")
    if args.confidence is not None and not 0 < args.confidence < 1:
        raise UsageError(
            f"--confidence must be between 0 and 1 (e.g. 0.95); got {args.confidence}."
        )
    if args.score is not None and args.html is None:
        raise UsageError("--score is drawn in the HTML report: pass --html FILE too.")
    if args.html is not None:
        _check_output_path(args.html, "--html")
    sep = _parse_sep(args.sep)
    progress = _Progress(sys.stderr, _PROGRESS_DELAY)
    try:
        name = "<stdin>" if args.file == "-" else args.file
        progress.stage(f"reading {name}")
        wanted = [args.target, args.prediction, *sensitive]
        if args.score is not None:
            wanted.append(args.score)
        columns, sep = _read_columns(args.file, wanted, sep)
        for column, (codes, labels) in columns.items():
            _check_filled(column, codes, labels)
        target, prediction = columns[args.target], columns[args.prediction]
        pos_label, union = _positive_label(
            (args.target, target[1]), (args.prediction, prediction[1]), args.pos_label
        )
        # Bad scores fail before anything is printed.
        score = None
        if args.score is not None:
            score = _score_column(args.score, *columns[args.score])
        y_true = _indicator(*target, pos_label)
        y_pred = _indicator(*prediction, pos_label)
        progress.stage("encoding the groups and counting")
        groups, labels = _encode_audit_groups([columns[c] for c in sensitive])
        title = (
            f"{name}: {y_true.size} rows, positive label {pos_label!r} "
            f"(labels: {', '.join(map(repr, union))})"
        )
        if sep != ",":
            title += f", separator {sep!r}"
        _print_report(
            out,
            y_true,
            y_pred,
            groups,
            labels,
            title=title,
            min_group_size=args.min_group_size,
            include_small_groups=args.include_small_groups,
            n_boot=args.n_boot,
            confidence=args.confidence,
        )
        if args.html is not None:
            out.flush()  # the report before the stage line on stderr
            progress.stage(f"writing {args.html}")
            _write_html(
                args,
                name,
                (y_true, y_pred, score),
                groups,
                labels,
                sensitive,
                pos_label,
            )
            # Only now is the file there.
            print(f"\nwrote {args.html}", file=out)
    except BaseException:
        progress.close(finished=False)
        raise
    out.flush()
    progress.close(finished=True)
    return 0


def _score_column(column, codes, labels):
    """The numbers of a score column (its distinct cells parsed once)."""
    try:
        values = np.array([float(label) for label in labels])
    except ValueError:
        bad = next(v for v in labels if not _is_float(v))
        raise UsageError(
            f"column {column!r} (--score) must hold numbers; it holds {bad!r}."
        ) from None
    if not np.all(np.isfinite(values)):
        raise UsageError(f"column {column!r} (--score) holds NaN or infinite values.")
    return values[codes]


def _is_float(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _write_html(args, name, data, groups, labels, sensitive, pos_label):
    from skfair.metrics._audit_report import render_audit

    y_true, y_pred, score = data
    render_audit(
        y_true,
        y_pred,
        groups,
        list(labels),
        sensitive,
        y_score=score,
        pos_label=1,
        shown_pos_label=pos_label,
        n_boot=max(args.n_boot, 1),
        quantiles=np.array([0.025, 0.975]),
        min_group_size=args.min_group_size,
        include_small_groups=args.include_small_groups,
        confidence=args.confidence,
        rng=np.random.default_rng(0),
        source=name,
        path=args.html,
    )


def _rate_cells(table, kind, confidence):
    """Each row's rate and its Wilson interval as text; "undefined" if no rows."""
    from skfair.metrics._audit_report import defined_rates
    from skfair.metrics._intervals import rate_intervals

    rates = defined_rates(table, kind)
    lows, highs = rate_intervals(table, kind, confidence=confidence, method="wilson")
    cells = []
    for rate, low, high in zip(rates, lows, highs, strict=True):
        if np.isfinite(rate):
            cells.append((f"{rate:.4f}", format_interval(low, high, floatfmt="{:.3f}")))
        else:
            cells.append(("undefined", "(no rows)"))
    return cells


def _group_table(table, labels, head):
    """The audit's table of groups: counts, rates with intervals, headline use.

    The audit takes no weights, so there is no weighted count column.
    """
    from skfair.metrics._audit_report import defined_rates
    from skfair.metrics._plot import group_label

    full = np.concatenate([table, table.sum(axis=0)[None]])
    names = [group_label(label) for label in labels] + ["overall"]
    header = ["group", "count", "positives", "negatives", "base_rate"]
    columns = []
    for kind, name in _AUDIT_RATES:
        header += [name, "95% interval"]
        columns.append(_rate_cells(full, kind, 0.95))
    header += ["accuracy", "headline"]
    accuracy = defined_rates(full, "accuracy")
    used = np.append(head.used, False)
    small = np.append(head.small, False)
    rows = []
    for g, name in enumerate(names):
        positives, negatives = full[g, 1].sum(), full[g, 0].sum()
        row = [name, int(full[g].sum()), int(positives), int(negatives)]
        row.append(f"{positives / full[g].sum():.4f}")
        for cells in columns:
            row += list(cells[g])
        row.append(f"{accuracy[g]:.4f}")
        if g == len(labels):
            row.append("-")
        else:
            row.append(
                "small" if small[g] and used[g] else "yes" if used[g] else "excluded"
            )
        rows.append(row)
    return format_table(header, rows)


def _rows(count):
    count = int(count)
    return f"{count} row" if count == 1 else f"{count} rows"


def _noise_word(name, low, high, beyond):
    if not (np.isfinite(low) and np.isfinite(high)):
        return "undefined"
    if beyond is not None:
        return "beyond noise" if beyond else "could be noise"
    if high - low < 1e-9:  # a bootstrap of one-row cells: it tells nothing
        return "cannot tell"
    return "could be noise" if high >= 1 - 0.005 else "beyond noise"


def _print_report(
    out,
    y_true,
    y_pred,
    groups,
    labels,
    *,
    title,
    min_group_size,
    include_small_groups,
    n_boot,
    confidence,
):
    """Print the group table and the headline metrics.

    ``groups`` are integer codes (encoded once), so every metric below
    counts them directly without encoding the labels again. The headline
    uses the groups with at least ``min_group_size`` rows of each true
    label (all of them with ``include_small_groups``); its differences get
    simultaneous Newcombe intervals (a gap is beyond sampling noise only
    when its interval excludes 0), the ratio a bootstrap interval.
    """
    from skfair.metrics._audit_report import Headline, bootstrap_metrics
    from skfair.metrics._dispatch import group_counts
    from skfair.metrics._plot import group_label

    counts = group_counts(y_true, y_pred, sensitive_features=groups, raw=True)
    head = Headline(
        counts.raw,
        [group_label(label) for label in labels],
        min_group_size=min_group_size,
        include_small_groups=include_small_groups,
        confidence=0.95,
        certify=confidence,
    )
    print(title, file=out)
    _small_group_warning(head, out)
    print(_group_table(counts.raw, labels, head), file=out)
    print(file=out)
    print(_scope_line(head), file=out)
    ratios = [name for name, _ in _FAIRNESS_COLUMNS if name not in head.gaps]
    estimates = {name: gap[0] for name, gap in head.gaps.items()}
    intervals = {name: gap[1:] for name, gap in head.gaps.items()}
    if n_boot:
        boot = bootstrap_metrics(
            counts,
            head,
            ratios,
            n_boot=n_boot,
            rng=np.random.default_rng(0),
            quantiles=np.array([0.025, 0.975]),
        )
        for name, (estimate, interval) in boot.items():
            estimates[name], intervals[name] = estimate, tuple(interval)
    else:
        # The values alone: one "resample" is enough to compute them.
        boot = bootstrap_metrics(
            counts, head, ratios, n_boot=1, rng=np.random.default_rng(0),
            quantiles=np.array([0.025, 0.975]),
        )  # fmt: skip
        for name, (estimate, _) in boot.items():
            estimates[name], intervals[name] = estimate, None
    rows = []
    for name, _ in _FAIRNESS_COLUMNS:
        interval = intervals[name]
        if interval is None:
            rows.append((name, estimates[name], "-", "-"))
            continue
        beyond = head.beyond_noise(name) if name in head.gaps else None
        rows.append(
            (
                name,
                estimates[name],
                format_interval(*interval),
                _noise_word(name, *interval, beyond),
            )
        )
    print(
        format_table(["metric", "value", "95% interval", "sampling noise"], rows),
        file=out,
    )
    print(
        "Intervals (95%): the differences', simultaneous Newcombe score "
        "intervals, valid at every cell size (beyond noise only when the "
        "interval excludes 0); "
        + (
            "the ratio's, a simultaneous interval (a Bonferroni box of the "
            f"groups' Wilson intervals; {n_boot} posterior draws of the cells "
            "for average odds and disparate impact; --n-boot 0 leaves them "
            "out); "
            if n_boot
            else "the ratio's left out (--n-boot 0); "
        )
        + "the groups' rates, Wilson score intervals.",
        file=out,
    )
    _print_largest(out, head)
    if confidence is not None:
        _print_certified(out, head, confidence)


def _scope_line(head):
    n_used = int(head.used.sum())
    if head.min_group_size is None:
        return f"Headline metrics over all {n_used} groups:"
    if head.included_small:
        return (
            f"Headline metrics over all {n_used} groups, small ones included "
            "(--include-small-groups):"
        )
    text = (
        f"Headline metrics over the {n_used} groups with at least "
        f"{head.min_group_size} rows of each true label (--min-group-size)"
    )
    excluded = np.flatnonzero(head.excluded)
    if excluded.size:
        text += "; left out: " + ", ".join(
            f"{head.labels[g]!r} ({head.exclusion_reason(g)})" for g in excluded[:10]
        )
        text += ", ..." if excluded.size > 10 else ""
        text += " (--include-small-groups puts them back)"
    return text + ":"


def _print_largest(out, head):
    """The largest gap of each rate between two headline groups, named."""
    if not head.largest:
        print(
            "Fewer than two groups are in the headline: no gap to compare "
            "(--include-small-groups or a smaller --min-group-size).",
            file=out,
        )
        return
    print(
        "\nLargest gap of each rate between two well-populated groups (95% "
        f"Newcombe intervals, simultaneous over the {head.largest[0]['comparisons']}"
        " pairs of groups):",
        file=out,
    )
    for pair in head.largest:
        print(f"  {_pair_text(pair)}", file=out)
        clearest = pair["clearest"]
        if clearest is not None and (clearest["high_group"], clearest["low_group"]) != (
            pair["high_group"],
            pair["low_group"],
        ):
            print(f"    clearest (farthest from 0): {_pair_text(clearest)}", file=out)


def _pair_text(pair):
    low, high = pair["interval"]
    title = pair.get("title")
    return (
        (f"{title}: " if title else "")
        + f"{pair['high_group']!r} {pair['high_rate']:.4f} vs {pair['low_group']!r} "
        f"{pair['low_rate']:.4f}: {pair['gap']:.4f} {format_interval(low, high)}"
    )


def _print_certified(out, head, confidence):
    from skfair.metrics._audit_report import _ASSUMPTION

    print(
        f"\nCertified {100 * confidence:g}% upper bounds on the population gaps "
        "of these decisions (gap_upper_bound, exact, on the headline groups):",
        file=out,
    )
    if not head.certified:
        print("  none: fewer than two groups are in the headline.", file=out)
        return
    rows = [(name, head.gaps[name][0], bound) for name, bound in head.certified.items()]
    print(format_table(["metric", "value", "upper bound"], rows), file=out)
    print(_ASSUMPTION, file=out)


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
    demo.add_argument("--dataset", choices=["adult", "german", "meps"], default="adult")
    demo.add_argument(
        "--sensitive",
        default=None,
        help="the sensitive column (default: sex; ethnicity for meps)",
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
    audit.add_argument("file", help="CSV file with a header row ('-': stdin)")
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
        help="the positive label of target and prediction; required unless "
        "the labels are 0/1 or False/True",
    )
    audit.add_argument(
        "--sep",
        default=None,
        help="the field separator, e.g. ';' or tab (default: sniffed from the "
        "first lines among , ; tab |)",
    )
    audit.add_argument(
        "--min-group-size",
        type=int,
        default=30,
        help="leave groups with fewer rows of either true label out of the "
        "headline metrics, and flag them: their rates are noise (default: 30)",
    )
    audit.add_argument(
        "--include-small-groups",
        action="store_true",
        help="keep the groups under --min-group-size in the headline metrics "
        "(still flagged)",
    )
    audit.add_argument(
        "--confidence",
        type=float,
        default=None,
        metavar="LEVEL",
        help="also print (and show in the HTML report) certified upper bounds "
        "on the population gaps of the decisions at this level, e.g. 0.95 "
        "(assuming iid rows and decisions fixed before these rows were seen)",
    )
    audit.add_argument(
        "--score",
        default=None,
        help="column of scores (higher: more likely positive): the HTML report "
        "adds the groups' ROC curves and score distributions",
    )
    audit.add_argument(
        "--html",
        metavar="FILE.html",
        default=None,
        help="also write the audit as one self-contained HTML page with figures "
        "(needs matplotlib)",
    )
    audit.add_argument(
        "--n-boot",
        type=int,
        default=1000,
        metavar="N",
        help="posterior draws for the average odds / disparate impact "
        "intervals; 0: no ratio intervals "
        "(default: 1000, seeded, so an audit always prints the same intervals)",
    )
    return parser


def _check_output_path(path, flag):
    """Fail before any work if ``path`` cannot be written, or needs matplotlib."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError(
            f"{flag} needs matplotlib: pip install 'skfair[plot]'."
        ) from None
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise UsageError(f"{flag} {path}: the directory {directory} does not exist.")
    if not os.access(directory, os.W_OK):
        raise UsageError(f"{flag} {path}: the directory {directory} is not writable.")


def _check_plot_path(path):
    """Fail before fitting anything if the plot cannot be written."""
    if path is None:
        return
    _check_output_path(path, "--plot")
    from matplotlib.backend_bases import FigureCanvasBase

    extension = os.path.splitext(path)[1].lstrip(".").lower()
    formats = FigureCanvasBase.get_supported_filetypes()
    if extension and extension not in formats:
        raise UsageError(
            f"--plot {path}: unknown image format {extension!r}; use one of "
            f"{sorted(formats)}."
        )


def main(argv=None, out=None):
    """Entry point of ``python -m skfair``; returns the exit status."""
    out = sys.stdout if out is None else out
    args = _build_parser().parse_args(argv)
    try:
        if args.command == "audit":
            return run_audit(args, out)
        _check_plot_path(args.plot)
        from skfair._demo import run_demo

        return run_demo(args, out)
    except UsageError as exc:
        print(f"{_PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`... | head`): what it wanted was printed.
        # Point stdout at devnull so that the interpreter's final flush does
        # not raise again, and exit as a piped Unix tool does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
