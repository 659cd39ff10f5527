"""Benchmark ``python -m skfair audit`` on a large CSV against reading it.

Target (issue 11, item 6): the audit of a 1M-row CSV takes at most 3x the
time of a process that only reads the same file with ``pandas.read_csv``
(interpreter start and the pandas import included), with one and with two
(intersectional) sensitive columns.

Each command runs in its own process; the script reports its wall time and
peak memory (maximum resident set size, from ``os.wait4``). With
``--baseline REV`` the audit of skfair at git revision ``REV`` (exported to a
temporary directory) runs on the same file beside the current one, so the
figures are before/after from one run; the two must print the same metrics.

Run: ``python benchmarks/audit.py [--rows 1000000] [--baseline d8edf12]``.
The CSV (id, y, y_hat, score, sex, race; 0/1 labels) is generated in a
temporary directory and deleted afterwards.
"""

import argparse
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
RACES = ["White", "Black", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other"]


def write_csv(path, n_rows, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n_rows)
    y_hat = np.where(rng.random(n_rows) < 0.8, y, 1 - y)
    score = np.round(rng.random(n_rows), 4)
    sex = np.array(["female", "male"])[rng.integers(0, 2, n_rows)]
    race = np.array(RACES)[
        rng.choice(len(RACES), n_rows, p=[0.8, 0.1, 0.05, 0.03, 0.02])
    ]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("id,y,y_hat,score,sex,race\n")
        rows = zip(
            range(n_rows),
            y.tolist(),
            y_hat.tolist(),
            score.tolist(),
            sex,
            race,
            strict=True,
        )
        handle.writelines(f"{i},{a},{b},{s},{g},{r}\n" for i, a, b, s, g, r in rows)


def run(argv, *, cwd=REPO, env=None):
    """Wall seconds, peak RSS in MB, stdout and CPU seconds of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    # Read the pipes before waiting, so that a large output cannot block it.
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{argv} failed ({proc.returncode}): {err.decode()}")
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, usage.ru_maxrss / 1024, out.decode(), cpu


def export_revision(revision, directory):
    """The skfair package of git ``revision``, extracted under ``directory``."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision, "skfair"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(directory, filter="data")
    return directory


def metric_lines(output):
    """The (name, value) rows of the audit's metric table."""
    names = ("equalized_odds_difference", "demographic_parity_difference")
    names += ("equal_opportunity_difference", "demographic_parity_ratio")
    rows = (line.split() for line in output.splitlines())
    # The metric and its value (an interval may follow them since --n-boot).
    return [row[:2] for row in rows if len(row) >= 2 and row[0] in names]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline", default=None, help="git revision to compare")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "predictions.csv"
        write_csv(csv_path, args.rows)
        size_mb = csv_path.stat().st_size / 1e6
        print(f"{args.rows} rows, {size_mb:.1f} MB; {os.cpu_count()} CPUs")
        sides = [("after", REPO, None)]
        if args.baseline:
            base = export_revision(args.baseline, Path(tmp) / "base")
            env = {**os.environ, "PYTHONPATH": str(base)}
            sides.insert(0, (f"before ({args.baseline})", base, env))

        start = min(run([python, "-c", "pass"])[0] for _ in range(args.repeats))
        tiny_path = Path(tmp) / "tiny.csv"
        write_csv(tiny_path, 40)
        read_argv = [python, "-c", "import sys, pandas; pandas.read_csv(sys.argv[1])"]
        reads = []
        for sensitive in ("sex", "sex,race"):
            command = ["-m", "skfair", "audit", str(csv_path), "--target", "y"]
            command += ["--prediction", "y_hat", "--sensitive", sensitive]
            results = {}
            for label, cwd, env in sides:
                repeats = args.repeats if env is None else 1
                runs = []
                for _ in range(repeats):
                    if env is None:  # interleaved with the audit's runs
                        reads.append(run([*read_argv, str(csv_path)]))
                    runs.append(run([python, *command], cwd=cwd, env=env))
                results[label] = min(runs, key=lambda r: r[0])
            read = min(reads, key=lambda r: r[0])
            command[3] = str(tiny_path)
            tiny = min(run([python, *command])[0] for _ in range(args.repeats))
            outputs = [metric_lines(r[2]) for r in results.values()]
            if len(outputs) == 2 and outputs[0] != outputs[1]:
                raise AssertionError(f"before and after disagree: {outputs}")
            if not outputs[-1]:
                raise AssertionError("the audit printed no metrics")
            print(
                f"--sensitive {sensitive}: read_csv process {read[0]:.2f} s "
                f"(cpu {read[3]:.2f} s) {read[1]:.0f} MB (interpreter {start:.2f} s "
                "+ pandas import + read_csv); the audit of a 40-row file (its "
                f"imports) {tiny:.2f} s"
            )
            for label, (seconds, peak, _, cpu) in results.items():
                print(
                    f"  audit {label:>16s} {seconds:6.2f} s (cpu {cpu:5.2f} s) "
                    f"{peak:6.0f} MB = {seconds / read[0]:5.2f}x read_csv"
                )


if __name__ == "__main__":
    main()
