"""The mitigators on Dask, on data larger than any one worker's memory (issue 17).

20M rows x 10 float64 features (1.6 GB) + 3 groups + a binary label,
generated lazily by dask from a fixed seed in blocks of rows, on a
``distributed.LocalCluster`` of 2 worker processes x 1 thread with a 1.5 GB
memory limit each. The data is never persisted and never materialised in one
process: every pass over it regenerates its blocks on the workers from the
seed (this is what "streaming" means here), and the driver only ever holds
per-block summaries and the merged results.

On that data, from one run:

1. ``reweighing_weights``: the (group, class) table in one pass; then the lazy
   weights reduced block by block (their sum, which must equal the row count);
2. ``ThresholdOptimizer(prefit=True, constraints="equalized_odds",
   tolerance=0.01)`` around a ``LogisticRegression`` fitted in memory on a
   200k-row sample: ``fit`` scores every block with the model on the workers
   (one pass); ``predict`` is lazy and the equalized-odds gap of all the
   decisions is reduced with skfair's Dask-capable metric (one pass);
3. ``ConstrainedLogisticRegression(tolerance=0.01)`` on the Dask arrays:
   ``fit`` (its sums computed block by block on the workers) and a lazy
   ``predict`` reduced to the decisions' equalized-odds gap; first probed on
   a small data set under a guard that fails if the fit would gather the rows
   into the driver (see :func:`fit_constrained_logistic`).

Each is timed per row and set beside the per-row cost of the same operations
in memory (numpy) on a 1M-row slice of the same data, measured in the same
run. The worker memory is sampled throughout (peak resident set size per
worker) and the cluster logs are searched for paused, spilled or restarted
workers.

    python benchmarks/dask_scale.py                     # 20M rows, ~6 min
    python benchmarks/dask_scale.py --rows 1000000      # smoke run, < 1 min
"""

import argparse
import contextlib
import resource
import sys
import threading
import time
from pathlib import Path

import dask
import dask.array as da
import numpy as np
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _dask_scale_worker import (  # noqa: E402
    RoundedScores,
    block_sums,
    rss,
    worker_memory_limit,
)
from _report import machine_line, write_section  # noqa: E402

from skfair.inprocessing import ConstrainedLogisticRegression  # noqa: E402
from skfair.metrics import equalized_odds_difference  # noqa: E402
from skfair.postprocessing import ThresholdOptimizer  # noqa: E402
from skfair.preprocessing import reweighing_weights  # noqa: E402

N_FEATURES = 10
N_GROUPS = 3
TOLERANCE = 0.01
MEMORY_LIMIT = "1.5GB"
N_WORKERS = 2
THRESHOLD_PARAMS = dict(
    prefit=True, constraints="equalized_odds", tolerance=TOLERANCE, random_state=0
)
# Lines of the worker, nanny and scheduler logs that tell of memory trouble.
# (Not the bare word "memory": every worker's start-up banner names its limit.)
_LOG_ALERTS = (
    "pause",
    "restart",
    "exceeded",
    "spill",
    "memory use",
    "unmanaged memory",
    "killed",
    "died",
    "terminat",
)


# -- data ----------------------------------------------------------------------


def lazy_data(n_rows, chunk, seed=0):
    """X, y and the groups as lazy dask arrays, generated block by block."""
    rs = da.random.RandomState(seed)
    group = rs.randint(0, N_GROUPS, size=n_rows, chunks=chunk).astype(np.int8)
    noise = rs.normal(size=(n_rows, N_FEATURES), chunks=(chunk, N_FEATURES))
    # The groups differ in their features (and hence in their base rates).
    X = noise + 0.4 * group[:, None]
    logit = X[:, 0] + 0.5 * X[:, 1] - 0.5 * X[:, 2] + 0.25 * X[:, 3]
    y = (logit + rs.normal(size=n_rows, chunks=chunk) > 0.8).astype(np.int8)
    return X, y, group


def _generate_only(X, y, group):
    """One pass that generates every block and reduces it to its sums.

    The blocks are taken with ``to_delayed`` as skfair's Dask route takes
    them: computing the collections directly first (``X.sum().compute()``)
    and then through ``to_delayed`` makes the scheduler warn about "different
    run_spec for key" (the optimised graph reuses the key names).
    """
    parts = [
        dask.delayed(block_sums)(*blocks)
        for blocks in zip(
            X.to_delayed().ravel(),
            y.to_delayed().ravel(),
            group.to_delayed().ravel(),
            strict=True,
        )
    ]
    return dask.compute(*parts)


def _gb(n_bytes):
    return n_bytes / 1e9


# -- cluster observation -------------------------------------------------------


def _max_rss():
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class WorkerMemory:
    """Sample every worker's resident set size in a background thread.

    ``stage(name)`` starts a new stage; ``peaks`` maps each stage to the
    largest resident set size seen on any one worker during it.
    """

    def __init__(self, client, interval=0.25):
        self.client = client
        self.interval = interval
        self.peaks = {}
        self._stage = "start"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                sizes = self.client.run(rss)
            except Exception:  # noqa: BLE001 - a worker restarting; keep sampling
                sizes = {}
            stage = self._stage
            for size in sizes.values():
                self.peaks[stage] = max(self.peaks.get(stage, 0), size)
            self._stop.wait(self.interval)

    def stage(self, name):
        self._stage = name

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _log_alerts(client):
    """Log lines of the scheduler, workers and nannies that mention memory trouble."""
    found = []
    sources = [("scheduler", client.get_scheduler_logs())]
    for nanny in (False, True):
        kind = "nanny" if nanny else "worker"
        for address, lines in client.get_worker_logs(nanny=nanny).items():
            sources.append((f"{kind} {address}", lines))
    for source, lines in sources:
        for _, message in lines:
            text = message.lower()
            if any(word in text for word in _LOG_ALERTS):
                found.append(f"{source}: {message.strip()}")
    return found


# -- timing --------------------------------------------------------------------


def _expected_accuracy(optimizer, X, y, group):
    """Training accuracy of the randomized decisions, in expectation."""
    p = optimizer.predict_proba(X, sensitive_features=group)[:, 1]
    return float(np.mean(np.where(y == 1, p, 1 - p)))


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


class Figures:
    """Rows of (operation, dask seconds, in-memory seconds) and their per-row cost."""

    def __init__(self, n_rows, n_slice):
        self.n_rows, self.n_slice = n_rows, n_slice
        self.rows = []

    def add(self, what, t_dask, t_memory):
        self.rows.append((what, t_dask, t_memory))
        per_row = t_dask / self.n_rows * 1e9
        line = f"  {what}: dask {t_dask:.1f} s ({per_row:.0f} ns/row)"
        if t_memory is not None:
            per_dask = t_dask / self.n_rows
            per_memory = t_memory / self.n_slice
            line += (
                f"; in memory {t_memory:.3f} s on {self.n_slice:,} rows "
                f"({per_memory * 1e9:.0f} ns/row); per-row ratio "
                f"{per_dask / per_memory:.1f}x"
            )
        print(line, flush=True)

    def markdown(self):
        lines = [
            f"| operation | Dask, {self.n_rows:,} rows: wall s | ns/row | "
            f"in memory, {self.n_slice:,} rows: wall s | ns/row | "
            "per-row ratio Dask / in memory |",
            "|---|---|---|---|---|---|",
        ]
        for what, t_dask, t_memory in self.rows:
            dask_cells = f"{t_dask:.1f} | {t_dask / self.n_rows * 1e9:.0f}"
            if t_memory is None:
                memory_cells = "- | - | -"
            else:
                per_memory = t_memory / self.n_slice
                ratio = (t_dask / self.n_rows) / per_memory
                memory_cells = f"{t_memory:.3f} | {per_memory * 1e9:.0f} | {ratio:.1f}x"
            lines.append(f"| {what} | {dask_cells} | {memory_cells} |")
        return "\n".join(lines)


# -- ConstrainedLogisticRegression on the Dask arrays -------------------------


@contextlib.contextmanager
def _no_gathering(n_rows):
    """Make ``np.asarray`` of an ``n_rows``-long dask array raise a TypeError.

    A fit that converts its Dask input with ``np.asarray`` (scikit-learn's
    ``check_array`` does) would gather the whole data into the driver rather
    than fail. The probe below runs under this guard, so such a fit fails
    fast, on a small probe, instead of pulling 1.6 GB into one process.
    """
    original = da.Array.__array__

    def guarded(self, *args, **kwargs):
        if self.ndim >= 1 and self.shape[0] == n_rows:
            raise TypeError(
                f"np.asarray on a dask array of {n_rows:,} rows: the whole array "
                "would be gathered into the driver process"
            )
        return original(self, *args, **kwargs)

    da.Array.__array__ = guarded
    try:
        yield
    finally:
        da.Array.__array__ = original


def _clr_accepts_dask(chunk):
    """``(True, None)`` if ConstrainedLogisticRegression fits on dask arrays.

    Tried on a small lazy probe (4 blocks) under :func:`_no_gathering`;
    otherwise ``(False, reason)`` with the error it raised.
    """
    n_probe = 4 * min(chunk, 5_000)
    X, y, group = lazy_data(n_probe, n_probe // 4, seed=1)
    try:
        with _no_gathering(n_probe):
            ConstrainedLogisticRegression(tolerance=TOLERANCE).fit(
                X, y, sensitive_features=group
            )
    except (TypeError, ValueError) as exc:
        return False, f"{type(exc).__name__}: {exc}"
    return True, None


def fit_constrained_logistic(client, X, y, group, *, memory_slice, figures, chunk):
    """ConstrainedLogisticRegression(tolerance=0.01) on the dask arrays.

    Runs only when ``fit`` accepts dask arrays without gathering them (probed
    first on a small lazy data set); otherwise prints "not yet available" with
    the reason and returns it. When it runs: fit on the dask arrays, then
    ``predict`` (reduced to the decisions' equalized-odds gap), timed beside
    an in-memory fit and predict on the 1M-row slice.
    """
    available, reason = _clr_accepts_dask(chunk)
    if not available:
        print(
            "ConstrainedLogisticRegression on Dask: not yet available "
            f"(its fit does not accept dask arrays: {reason}).",
            flush=True,
        )
        return {"available": False, "reason": reason}

    X1, y1, group1 = memory_slice
    model, t_fit = _timed(
        lambda: ConstrainedLogisticRegression(tolerance=TOLERANCE).fit(
            X, y, sensitive_features=group
        )
    )
    ref, t_fit_memory = _timed(
        lambda: ConstrainedLogisticRegression(tolerance=TOLERANCE).fit(
            X1, y1, sensitive_features=group1
        )
    )
    figures.add("ConstrainedLogisticRegression fit", t_fit, t_fit_memory)

    def dask_gap():
        decisions = model.predict(X)
        if not isinstance(decisions, da.Array):
            raise TypeError(
                "ConstrainedLogisticRegression.predict returned "
                f"{type(decisions).__name__} on dask input, not a lazy dask array"
            )
        return equalized_odds_difference(y, decisions, sensitive_features=group)

    gap, t_pred = _timed(dask_gap)
    gap1, t_pred_memory = _timed(
        lambda: equalized_odds_difference(
            y1, ref.predict(X1), sensitive_features=group1
        )
    )
    figures.add(
        "ConstrainedLogisticRegression predict + equalized-odds gap",
        t_pred,
        t_pred_memory,
    )
    print(
        f"  decisions' equalized-odds gap: {gap:.4f} on Dask, {gap1:.4f} in "
        "memory (the slice)",
        flush=True,
    )
    return {"available": True, "gap": gap, "gap_memory": gap1}


# -- the run -------------------------------------------------------------------


def run(client, args, memory):
    n_rows, chunk, n_slice = args.rows, args.chunk, min(args.slice, args.rows)
    X, y, group = lazy_data(n_rows, chunk)
    data_bytes = X.nbytes + y.nbytes + group.nbytes
    limit = client.run(worker_memory_limit)
    limit = min(limit.values())
    out = {"data_bytes": data_bytes, "limit": limit, "blocks": X.numblocks[0]}
    print(
        f"{n_rows:,} rows x {N_FEATURES} float64 features + int8 group + int8 "
        f"label = {_gb(data_bytes):.2f} GB ({X.nbytes / 1e9:.2f} GB of X) in "
        f"{X.numblocks[0]} blocks of {chunk:,} rows; worker memory limit "
        f"{_gb(limit):.2f} GB x {N_WORKERS} workers: the data is "
        f"{data_bytes / limit:.2f}x one worker's limit, "
        f"{data_bytes / (N_WORKERS * limit):.2f}x the cluster's.",
        flush=True,
    )
    print(
        "Streamed, not persisted: each pass regenerates its blocks on the "
        "workers from the seed.",
        flush=True,
    )
    figures = Figures(n_rows, n_slice)

    # The in-memory side: a 1M-row slice of the same rows (the first blocks),
    # and the model, fitted on the first 200k rows of it.
    memory.stage("slice")
    X1, y1, group1 = da.compute(X[:n_slice], y[:n_slice], group[:n_slice])
    n_sample = min(args.sample, n_slice)
    model = LogisticRegression().fit(X1[:n_sample], y1[:n_sample])
    scorer = model if args.decimals is None else RoundedScores(model, args.decimals)

    memory.stage("generate")
    _, t_gen = _timed(lambda: _generate_only(X, y, group))
    figures.add("one pass that only generates the rows (baseline)", t_gen, None)

    memory.stage("reweighing")
    weights, t_table = _timed(lambda: reweighing_weights(y, sensitive_features=group))
    w1, t_table_memory = _timed(
        lambda: reweighing_weights(y1, sensitive_features=group1)
    )
    figures.add(
        "reweighing_weights (Dask: the table, one pass; in memory: the call, "
        "weights included)",
        t_table,
        t_table_memory,
    )
    total, t_sum = _timed(lambda: float(weights.sum().compute()))
    _, t_sum_memory = _timed(lambda: float(w1.sum()))
    figures.add(
        "reweighing: the weights summed (Dask: a second pass computes the lazy "
        "weights block by block; in memory: np.sum)",
        t_sum,
        t_sum_memory,
    )
    out["weight_sum_error"] = abs(total - n_rows) / n_rows
    print(f"  weights sum to n_rows up to {out['weight_sum_error']:.1e} (relative)")

    memory.stage("threshold_fit")
    driver_before = rss()
    optimizer, t_fit = _timed(
        lambda: ThresholdOptimizer(scorer, **THRESHOLD_PARAMS).fit(
            X, y, sensitive_features=group
        )
    )
    out["driver_fit_peak"] = _max_rss()
    out["driver_before_fit"] = driver_before
    reference, t_fit_memory = _timed(
        lambda: ThresholdOptimizer(scorer, **THRESHOLD_PARAMS).fit(
            X1, y1, sensitive_features=group1
        )
    )
    figures.add("ThresholdOptimizer fit (one pass)", t_fit, t_fit_memory)
    if args.decimals is not None:
        # What rounding the scores costs, in memory on the slice.
        exact = ThresholdOptimizer(model, **THRESHOLD_PARAMS).fit(
            X1, y1, sensitive_features=group1
        )
        out["accuracy_rounded"] = _expected_accuracy(reference, X1, y1, group1)
        out["accuracy_exact"] = _expected_accuracy(exact, X1, y1, group1)
        print(
            f"  rounding the scores to {args.decimals} decimals: expected "
            f"training accuracy {out['accuracy_rounded']:.6f} vs "
            f"{out['accuracy_exact']:.6f} with exact scores (in memory, slice)",
            flush=True,
        )

    memory.stage("threshold_predict")
    gap, t_pred = _timed(
        lambda: equalized_odds_difference(
            y,
            optimizer.predict(X, sensitive_features=group),
            sensitive_features=group,
        )
    )
    gap1, t_pred_memory = _timed(
        lambda: equalized_odds_difference(
            y1,
            reference.predict(X1, sensitive_features=group1),
            sensitive_features=group1,
        )
    )
    figures.add(
        "ThresholdOptimizer predict + equalized-odds gap (one pass)",
        t_pred,
        t_pred_memory,
    )
    out["gap"], out["gap_memory"] = gap, gap1
    # The model's own gap, for scale (what the post-processing removed).
    out["gap_model"] = equalized_odds_difference(
        y1, model.predict(X1), sensitive_features=group1
    )
    print(
        f"  decisions' equalized-odds gap: {gap:.4f} on all {n_rows:,} rows, "
        f"{gap1:.4f} on the in-memory slice (tolerance {TOLERANCE}; the "
        f"randomized decisions add sampling noise; the model alone: "
        f"{out['gap_model']:.4f} on the slice)",
        flush=True,
    )

    memory.stage("constrained_logistic")
    out["clr"] = fit_constrained_logistic(
        client, X, y, group, memory_slice=(X1, y1, group1), figures=figures, chunk=chunk
    )
    memory.stage("end")
    out["figures"] = figures
    out["inputs"] = (X, y, group, model)
    return out


def _scores_text(args, out):
    if args.decimals is None:
        return (
            "ThresholdOptimizer's prefit model: the LogisticRegression, its "
            "exact (unrounded) probabilities: each group's summary holds one "
            "(score, positive weight, negative weight) row per distinct score, "
            "here one per row of data; the workers tabulate their blocks and "
            "the driver merges the tables."
        )
    return (
        "ThresholdOptimizer's prefit model: the LogisticRegression with its "
        f"probabilities rounded to {args.decimals} decimals (`RoundedScores` "
        "in the script), on both sides. Rounding costs little: on the "
        "in-memory slice the expected training accuracy is "
        f"{out['accuracy_rounded']:.6f} with rounded scores vs "
        f"{out['accuracy_exact']:.6f} with exact ones."
    )


def _log_message(line):
    """A log line without its source and time stamp."""
    return line.split(" - ")[-1]


def _markdown(args, out, memory, alerts, restarted, wall, command):
    limit, data = out["limit"], out["data_bytes"]
    peaks = memory.peaks
    stages = [
        ("generate", "generation-only pass"),
        ("reweighing", "reweighing"),
        ("threshold_fit", "ThresholdOptimizer fit"),
        ("threshold_predict", "ThresholdOptimizer predict + gap"),
        ("constrained_logistic", "ConstrainedLogisticRegression fit + predict"),
    ]
    peak_text = "; ".join(
        f"{label} {_gb(peaks[key]):.2f} GB" for key, label in stages if key in peaks
    )
    clr = out["clr"]
    if clr["available"]:
        clr_text = (
            "ConstrainedLogisticRegression(tolerance=0.01) fitted on the Dask "
            f"arrays: decisions' equalized-odds gap {clr['gap']:.4f} "
            f"({clr['gap_memory']:.4f} in memory on the slice)."
        )
    else:
        clr_text = (
            "**ConstrainedLogisticRegression on Dask: not yet available.** "
            "The script probes `ConstrainedLogisticRegression(tolerance=0.01)"
            ".fit(X, y, sensitive_features=group)` with small dask arrays "
            "under a guard that turns gathering the rows into the driver into "
            f"an error; today it answers `{clr['reason']}` (its `fit` converts "
            "Dask input to numpy). `fit_constrained_logistic` in the script "
            "runs the 20M-row fit and predict beside the in-memory fit on the "
            "1M slice once the Dask route lands."
        )
    alert_text = (
        "none"
        if not alerts
        else f"{len(alerts)} line(s), e.g. `" + alerts[0].replace("`", "'")[:200] + "`"
    )
    return "\n".join(
        [
            f"## Dask: {args.rows / 1e6:g}M rows on 2 x 1.5 GB workers",
            "",
            machine_line(),
            f"`{command}`; dask {dask.__version__}; total wall time "
            f"{wall:.0f} s. `LocalCluster(n_workers=2, threads_per_worker=1, "
            f'processes=True, memory_limit="1.5GB")` on the same 2-CPU machine '
            "(shared with other jobs).",
            "",
            f"Data: {args.rows:,} rows x {N_FEATURES} float64 features + int8 "
            f"group (3 groups) + int8 label = {_gb(data):.2f} GB, generated "
            f"lazily by `dask.array.random` (seed 0) in {out['blocks']} blocks "
            f"of {args.chunk:,} rows: {data / limit:.2f}x one worker's memory "
            f"limit ({_gb(limit):.2f} GB), {data / (N_WORKERS * limit):.2f}x "
            "the cluster's. Streamed, not persisted: every pass regenerates "
            "its blocks on the workers from the seed, so each Dask time below "
            "includes generating the rows (the first row measures that alone). "
            f"In memory: the same operations with numpy on the first "
            f"{min(args.slice, args.rows):,} rows, in the same run; the "
            f"LogisticRegression is fitted on the first {args.sample:,} of them "
            "and is the prefit model on both sides.",
            "",
            out["figures"].markdown(),
            "",
            _scores_text(args, out),
            "",
            f"Checks: the lazy weights sum to the row count up to "
            f"{out['weight_sum_error']:.1e} (relative). ThresholdOptimizer"
            f"(tolerance={TOLERANCE}) decisions' equalized-odds gap "
            f"{out['gap']:.4f} on all rows ({out['gap_memory']:.4f} on the "
            f"in-memory slice; the model alone {out['gap_model']:.4f}).",
            "",
            f"Memory: peak resident set size of any one worker, sampled every "
            f"{memory.interval} s: {peak_text}. Driver: "
            f"{_gb(out['driver_before_fit']):.2f} GB before the "
            "ThresholdOptimizer fit (the 1M slice, the model), peak "
            f"{_gb(out['driver_fit_peak']):.2f} GB after it (the merged "
            "score summary comes to the driver). During the steps in the "
            "table: workers restarted: "
            f"{'yes' if restarted else 'no'}; log lines about memory "
            f"(pause, spill, restart, limit): {alert_text}.",
            "",
            clr_text,
        ]
    )


def main(argv=None):
    from distributed import Client, LocalCluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--chunk", type=int, default=500_000, help="rows per block")
    parser.add_argument("--slice", type=int, default=1_000_000, help="in-memory rows")
    parser.add_argument("--sample", type=int, default=200_000, help="model's rows")
    parser.add_argument(
        "--decimals",
        type=int,
        default=None,
        help="round the model's probabilities to this many decimals before "
        "ThresholdOptimizer sees them (see RoundedScores; default: exact)",
    )
    parser.add_argument(
        "--no-write", action="store_true", help="do not write RESULTS.md"
    )
    args = parser.parse_args(argv)
    command = "python benchmarks/dask_scale.py" + "".join(
        f" {a}" for a in (argv if argv is not None else sys.argv[1:])
    )
    start = time.perf_counter()
    with (
        LocalCluster(
            n_workers=N_WORKERS,
            threads_per_worker=1,
            processes=True,
            memory_limit=MEMORY_LIMIT,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        workers_before = set(client.scheduler_info()["workers"])
        with WorkerMemory(client) as memory:
            out = run(client, args, memory)
            restarted = workers_before != set(client.scheduler_info()["workers"])
            alerts = _log_alerts(client)
    wall = time.perf_counter() - start
    print(
        "Worker memory peaks (GB, largest single worker): "
        + ", ".join(f"{k} {_gb(v):.2f}" for k, v in memory.peaks.items())
    )
    print(f"Workers restarted: {'yes' if restarted else 'no'}")
    print(f"Memory-related log lines: {len(alerts)}")
    for line in alerts:
        print("  " + line)
    print(f"Driver peak RSS: {_gb(_max_rss()):.2f} GB; wall time {wall:.0f} s")
    markdown = _markdown(args, out, memory, alerts, restarted, wall, command)
    if not args.no_write:
        write_section("dask_scale", markdown)
    return out


if __name__ == "__main__":
    main()
