"""Run the same benchmark case on two versions of skfair, side by side.

"Before" is the ``skfair`` package of a git revision (exported with
``git archive`` into a temporary directory, so the working tree is untouched);
"after" is the package of this checkout. Each case runs in a fresh child
process with ``PYTHONPATH`` pointing at one version, so that the peak resident
memory (``ru_maxrss``) of the child belongs to that case alone and the two
versions never share imported modules.

A benchmark script calls :func:`child_main` first thing when started with
``--child``; it then builds the case's data, times the call and prints one
JSON line that :func:`run_case` reads back.
"""

import json
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def export_revision(revision):
    """Directory holding the ``skfair`` package as of ``revision``."""
    target = Path(tempfile.mkdtemp(prefix=f"skfair-{revision}-"))
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", revision, "skfair"],
        check=True,
        capture_output=True,
    ).stdout
    archive_path = target / "skfair.tar"
    archive_path.write_bytes(archive)
    with tarfile.open(archive_path) as tar:
        tar.extractall(target, filter="data")
    archive_path.unlink()
    return target


def run_case(script, case, source_dir, *, extra_args=(), timeout=1800):
    """Run ``script --child case`` against the package in ``source_dir``.

    Returns the child's JSON result (seconds, peak RSS in MiB, ...), or a dict
    with an ``error`` key when the child fails or times out.
    """
    env = {**os.environ, "PYTHONPATH": str(source_dir)}
    command = [sys.executable, str(script), "--child", case, *extra_args]
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def peak_rss_mib():
    """This process's peak resident memory so far, in MiB (Linux: KiB units)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(func, *, repeats=1):
    """Best wall time of ``func`` over ``repeats`` runs, and the memory it took.

    ``peak_rss_mib`` is the process's peak, data included;
    ``extra_peak_mib`` is how far the call raised it above the peak reached
    before the first call (data and imports).
    """
    before = peak_rss_mib()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    peak = peak_rss_mib()
    return {
        "seconds": best,
        "peak_rss_mib": peak,
        "extra_peak_mib": peak - before,
    }


def child_main(cases, argv):
    """Entry point of a child: ``argv`` is ``[case, *args]``; prints JSON."""
    import skfair

    case, *args = argv
    result = cases[case](*args)
    result["skfair_path"] = str(Path(skfair.__file__).parent)
    print(json.dumps(result))


def ratio(before, after):
    """``before / after`` as text, or a dash when either side failed."""
    if "seconds" not in before or "seconds" not in after:
        return "-"
    return f"{before['seconds'] / after['seconds']:.1f}x"


def seconds(result):
    return result["error"] if "error" in result else f"{result['seconds']:.2f} s"


def mib(result, key="peak_rss_mib"):
    return "-" if key not in result else f"{result[key]:.0f} MiB"
