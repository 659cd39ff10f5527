"""Run every benchmark side by side with the peers and regenerate RESULTS.md.

All benchmarks run in this one Python process, one after the other: each
script's module is loaded from its file and its ``main`` is called (a script
without ``main`` is run with ``runpy.run_path(..., run_name="__main__")``).
Each script writes its own section of ``benchmarks/RESULTS.md``; this runner
adds a header section (machine, the exact command, the total wall time, an
index of the sections with each one's wall time) and puts the sections in a
fixed order.

The peers (fairlearn 0.15, AIF360 0.6.1 with BlackBoxAuditing, scikit-lego)
are the ``bench`` extra: ``pip install -e ".[bench]"``.

Usage::

    python benchmarks/run.py                       # everything, full sizes
    python benchmarks/run.py --only features,frontier
    python benchmarks/run.py --quick               # reduced sizes where supported

``--quick`` is a smoke run: its figures overwrite RESULTS.md too, and the
header says so; quote only a full run.
"""

import argparse
import importlib.util
import inspect
import logging
import os
import platform
import re
import runpy
import sys
import time
import traceback
import warnings
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _report  # noqa: E402
from _report import RESULTS, machine_line, write_section  # noqa: E402

RUN_SECTION = "run"


@dataclass
class Benchmark:
    """One script: the section it writes and how to call it."""

    name: str  # the RESULTS.md section the script writes
    script: str
    what: str
    argv: list = field(default_factory=list)
    quick_argv: list = None  # None: the script has no reduced mode
    quick_env: dict = None  # environment read by the script at import time


BENCHMARKS = [
    Benchmark(
        "metrics",
        "metrics.py",
        "metrics speed and memory (10M rows) vs np.bincount and fairlearn",
        quick_argv=["--rows", "1000000", "--fairlearn-rows", "20000", "--repeats", "3"],
    ),
    Benchmark(
        "metric_frame",
        "metric_frame.py",
        "MetricFrame bootstrap cost per resample (200k rows, 8 groups) vs fairlearn",
        quick_argv=["--rows", "20000", "--fairlearn-n-boot", "3"],
    ),
    Benchmark(
        "interval_coverage",
        "interval_coverage.py",
        "coverage and width of the gap / ratio intervals, smallest cell 3-1,000 rows",
        quick_argv=["--quick"],
    ),
    Benchmark(
        "preprocessing",
        "preprocessing.py",
        "Reweighing and DisparateImpactRemover (speed, KS distances) vs AIF360",
    ),
    Benchmark(
        "threshold_optimizer",
        "threshold_optimizer.py",
        "ThresholdOptimizer on Adult and 1M rows vs fairlearn",
    ),
    Benchmark(
        "threshold_optimizer_rate_bounds",
        "threshold_optimizer_rate_bounds.py",
        "ThresholdOptimizer levelling up on Adult: every group's recall >= 0.6, "
        "no parity constraint, 5 stratified splits",
        quick_argv=["--quick"],
    ),
    Benchmark(
        "threshold_optimizer_group_blind",
        "threshold_optimizer_group_blind.py",
        "group-blind ThresholdOptimizer on Adult: sex inferred from X by a "
        "LogisticRegression, equalized odds on the true groups, 5 stratified "
        "splits, vs ConstrainedLogisticRegression",
        quick_argv=["--quick"],
    ),
    Benchmark(
        "beyond_binary",
        "beyond_binary.py",
        "BarycenterRegressor on Adult hours-per-week; multiclass "
        "ThresholdOptimizer (label shift acceptance, LP scaling)",
        quick_argv=["--quick"],
    ),
    Benchmark(
        "mitigators",
        "mitigators.py",
        "the classic mitigators of issue 16 on Adult vs fairlearn and AIF360",
    ),
    Benchmark(
        "constrained_logistic",
        "constrained_logistic.py",
        "ConstrainedLogisticRegression on Adult and German Credit: decisions' "
        "training gaps, frontier vs ExponentiatedGradient and scikit-lego, seeds",
        quick_argv=["--quick"],
    ),
    Benchmark(
        "constrained_logistic_scale",
        "constrained_logistic_scale.py",
        "ConstrainedLogisticRegression fit time and peak memory on wide dense "
        "and sparse one-hot data vs LogisticRegression",
        quick_argv=["--quick"],
    ),
    Benchmark(
        "reductions",
        "reductions.py",
        "ExponentiatedGradient (LogisticRegression, HistGradientBoosting) and "
        "GridSearch on Adult vs fairlearn's reductions",
        quick_argv=["--quick"],
    ),
    Benchmark(
        "dask_scale",
        "dask_scale.py",
        "reweighing, ThresholdOptimizer and ConstrainedLogisticRegression on "
        "20M lazily generated rows on a LocalCluster of 2 x 1.5 GB workers, per "
        "row vs in memory",
        quick_argv=["--rows", "1000000"],
    ),
    Benchmark(
        "features",
        "features.py",
        "feature table vs fairlearn, AIF360, scikit-lego (every cell run)",
        quick_argv=["--quick"],
    ),
    Benchmark(
        "frontier",
        "frontier.py",
        "held-out accuracy / equalized-odds frontiers over 5 stratified splits "
        "(Adult/sex, Adult/race, German Credit, synthetic 6 groups), every "
        "system in one run",
        argv=["--expgrad-sweep"],
        quick_argv=["--quick"],
    ),
]
BY_NAME = {b.name: b for b in BENCHMARKS}


@dataclass
class Outcome:
    benchmark: Benchmark
    seconds: float
    how: str  # "main(argv)", "main()", "runpy"
    sizes: str  # "full", "reduced (...)", "full (no reduced mode)"
    error: str = None


def _load(benchmark, env):
    """Import the script as a module (with ``env`` set while it is imported)."""
    path = HERE / benchmark.script
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        spec = importlib.util.spec_from_file_location(f"_bench_{benchmark.name}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return module


def _takes_argv(main):
    return len(inspect.signature(main).parameters) > 0


def run_one(benchmark, quick):
    """Run one benchmark in this process; never raises."""
    argv = list(benchmark.argv)
    env = {}
    if quick and benchmark.quick_argv is not None:
        argv, sizes = (
            list(benchmark.quick_argv),
            "reduced: " + " ".join(benchmark.quick_argv),
        )
    elif quick and benchmark.quick_env is not None:
        env = dict(benchmark.quick_env)
        sizes = "reduced: " + " ".join(f"{k}={v}" for k, v in env.items())
    elif quick:
        sizes = "full (the script has no reduced mode)"
    else:
        sizes = "full"
    path = HERE / benchmark.script
    print(f"\n===== {benchmark.name}: {benchmark.what} =====", flush=True)
    saved_argv, saved_disable = sys.argv, logging.root.manager.disable
    sys.argv = [str(path), *argv]  # for any script that reads sys.argv itself
    how, error = "runpy", None
    start = time.perf_counter()
    try:
        # Scripts may switch warning filters or logging off for their peers;
        # restore both afterwards so one script does not change the next.
        with warnings.catch_warnings():
            module = _load(benchmark, env)
            main = getattr(module, "main", None)
            if main is None:
                runpy.run_path(str(path), run_name="__main__")
            elif _takes_argv(main):
                how = "main(argv)"
                main(argv)
            else:
                how = "main()"
                if argv:
                    raise RuntimeError(
                        f"{benchmark.script}'s main() takes no arguments; "
                        f"cannot pass {argv}"
                    )
                main()
    except BaseException as exc:  # noqa: BLE001 - record, go on with the next
        if isinstance(exc, KeyboardInterrupt):
            raise
        traceback.print_exc()
        error = f"{type(exc).__name__}: {exc}"
    finally:
        sys.argv = saved_argv
        logging.disable(saved_disable)
    seconds = time.perf_counter() - start
    status = "ok" if error is None else f"FAILED ({error})"
    print(f"===== {benchmark.name}: {status}, {seconds:.1f} s =====", flush=True)
    return Outcome(benchmark, seconds, how, sizes, error)


# -- RESULTS.md assembly -------------------------------------------------------

_BLOCK = re.compile(r"<!-- BEGIN (\S+) -->\n(.*?)\n<!-- END \1 -->", re.S)


def _sections(text):
    return {m.group(1): m.group(2) for m in _BLOCK.finditer(text)}


def _heading(markdown):
    for line in markdown.splitlines():
        if line.startswith("## "):
            return line[3:].strip()
    return None


def _anchor(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, - for space."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return "#" + slug.replace(" ", "-")


def _versions():
    out = []
    for dist in ("skfair", "fairlearn", "aif360", "BlackBoxAuditing", "scikit-lego"):
        try:
            out.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            out.append(f"{dist} not installed")
    return ", ".join(out)


def header_markdown(outcomes, command, total, quick):
    sections = _sections(RESULTS.read_text()) if RESULTS.exists() else {}
    ran = {o.benchmark.name: o for o in outcomes}
    lines = [
        "## Benchmark run",
        "",
        machine_line(),
        f"Command: `{command}`; total wall time **{total:.0f} s "
        f"({total / 60:.1f} min)**, all benchmarks in one Python process "
        f"({platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, shared with other jobs: absolute times are "
        "noisy, ratios measured within one script are what we report).",
        f"Peers: {_versions()}.",
    ]
    if quick:
        lines += [
            "",
            "**`--quick` run: reduced sizes where a script supports them (see the "
            "table); do not quote these figures, rerun without `--quick`.**",
        ]
    lines += [
        "",
        "| section | script | what | wall time (s) | sizes | status |",
        "|---|---|---|---|---|---|",
    ]
    names = [b.name for b in BENCHMARKS] + sorted(
        set(sections) - set(BY_NAME) - {RUN_SECTION}
    )
    for name in names:
        heading = _heading(sections.get(name, "")) or name
        link = f"[{heading}]({_anchor(heading)})" if name in sections else name
        benchmark = BY_NAME.get(name)
        script = f"`benchmarks/{benchmark.script}`" if benchmark else "-"
        what = benchmark.what if benchmark else "-"
        if name in ran:
            o = ran[name]
            status = "ok" if o.error is None else f"FAILED: {o.error}"
            status = status.replace("|", "/").replace("\n", " ")[:200]
            lines.append(
                f"| {link} | {script} | {what} | {o.seconds:.0f} | {o.sizes} | "
                f"{status} |"
            )
        elif name in sections:
            lines.append(
                f"| {link} | {script} | {what} | - | - | from an earlier run |"
            )
        else:
            lines.append(f"| {name} | {script} | {what} | - | - | never run |")
    return "\n".join(lines)


def reorder_results():
    """Header text, then the run section, then the sections in BENCHMARKS order."""
    text = RESULTS.read_text()
    blocks = {m.group(1): m.group(0) for m in _BLOCK.finditer(text)}
    first = _BLOCK.search(text)
    head = text[: first.start()] if first else text
    rest = _BLOCK.sub("", text[first.start() :] if first else "").strip()
    header = getattr(_report, "_HEADER", "").strip()
    head = head.strip() or header
    order = [RUN_SECTION] + [b.name for b in BENCHMARKS]
    order += [name for name in blocks if name not in order]
    body = "\n\n".join(blocks[name] for name in order if name in blocks)
    out = head + "\n\n" + body + "\n"
    if rest:  # text outside any section: keep it, at the end
        out += "\n" + rest + "\n"
    RESULTS.write_text(out)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Benchmarks: " + ", ".join(b.name for b in BENCHMARKS),
    )
    parser.add_argument(
        "--only",
        metavar="NAME[,NAME]",
        help="run only these benchmarks (comma-separated names)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="reduced sizes where the scripts support them (a smoke run)",
    )
    parser.add_argument(
        "--no-expgrad",
        action="store_true",
        help="skip fairlearn's ExponentiatedGradient in the frontier benchmark",
    )
    args = parser.parse_args(argv)
    selected = BENCHMARKS
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = sorted(set(names) - set(BY_NAME))
        if unknown:
            parser.error(f"unknown benchmark(s) {unknown}; choose from {list(BY_NAME)}")
        selected = [b for b in BENCHMARKS if b.name in names]
    if args.no_expgrad:
        frontier = BY_NAME["frontier"]
        frontier.argv = ["--no-expgrad"]
        frontier.quick_argv = ["--quick", "--no-expgrad"]

    command = "python benchmarks/run.py" + "".join(
        f" {a}" for a in (argv if argv is not None else sys.argv[1:])
    )
    start = time.perf_counter()
    outcomes = [run_one(b, args.quick) for b in selected]
    total = time.perf_counter() - start

    write_section(RUN_SECTION, header_markdown(outcomes, command, total, args.quick))
    reorder_results()
    print(f"\nTotal wall time {total:.0f} s ({total / 60:.1f} min).")
    for o in outcomes:
        status = "ok" if o.error is None else f"FAILED ({o.error})"
        print(f"  {o.benchmark.name:<22} {o.seconds:7.1f} s  {o.how:<11} {status}")
    print(f"Wrote {RESULTS}")
    return 1 if any(o.error for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
