"""Acceptance run of ``python -m skfair audit ... --html`` (issue 20).

Writes a 20,000-row CSV from the bundled Adult data (true income, a logistic
regression's decision and score, sex and race), runs the command-line audit
on it with ``--score`` and ``--html``, checks that the page is one
self-contained file (no script, and nothing loaded from anywhere) that names
every group and metric and has at least 3 figures, and, where Chromium is
installed, takes a 1280-pixel-wide screenshot of it.

Run: ``python benchmarks/audit_report.py [--rows 20000] [--out DIR]``. The
CSV, the page and the screenshot (``report.png``) are left in ``--out``
(default: a temporary directory, printed).
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
# The page checker and the screenshot are the tests' (tests/test_audit_report.py).
sys.path.insert(0, str(REPO / "tests"))

from test_audit_report import Page, screenshot  # noqa: E402


def write_adult_csv(path, n_rows, seed=0):
    """Adult rows with a logistic regression's decisions and scores."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skfair.datasets import load_adult

    data = load_adult()
    frame = data.data
    numeric = ["age", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
    X = frame[numeric].to_numpy(float)
    y = np.asarray(data.target)
    X_fit, X_audit, y_fit, y_audit, _, rows = train_test_split(
        X, y, np.arange(len(y)), test_size=n_rows, random_state=seed, stratify=y
    )
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_fit, y_fit)
    score = model.predict_proba(X_audit)[:, 1]
    out = pd.DataFrame(
        {
            "income": np.where(y_audit == 1, ">50K", "<=50K"),
            "decision": np.where(score >= 0.5, ">50K", "<=50K"),
            "score": np.round(score, 4),
            "sex": frame["sex"].to_numpy()[rows],
            "race": frame["race"].to_numpy()[rows],
        }
    )
    out.to_csv(path, index=False)
    return out


def check_page(page, groups, metrics):
    """Figures, names missing from the text, and what the page would load."""
    parsed = Page(page)
    missing = [name for name in groups + metrics if name not in parsed.text]
    return parsed.svgs, missing, parsed.loads


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    out = Path(args.out or tempfile.mkdtemp(prefix="skfair-audit-"))
    out.mkdir(parents=True, exist_ok=True)
    csv, page_path = out / "adult_predictions.csv", out / "report.html"
    frame = write_adult_csv(csv, args.rows)
    command = [
        sys.executable,
        "-m",
        "skfair",
        "audit",
        str(csv),
        "--target",
        "income",
        "--prediction",
        "decision",
        "--score",
        "score",
        "--pos-label",
        ">50K",
        "--sensitive",
        "sex,race",
        "--html",
        str(page_path),
    ]
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=REPO, capture_output=True)
    seconds = time.perf_counter() - start
    page = page_path.read_text(encoding="utf-8")
    groups = sorted(
        {f"{s}, {r}" for s, r in zip(frame["sex"], frame["race"], strict=True)}
    )
    from skfair.metrics._audit_report import _SYMMETRIC

    metrics = [name for name, _ in _SYMMETRIC]
    figures, missing, problems = check_page(page, groups, metrics)
    print(f"rows: {args.rows}; audit with --html: {seconds:.1f} s wall")
    print(f"page: {page_path} ({len(page) / 1024:.0f} KiB), {figures} figures (SVG)")
    print(
        f"groups named: {len(groups) - len(missing)} of {len(groups)}; missing: "
        f"{missing or 'none'}"
    )
    print(f"external loads or scripts: {problems or 'none'}")
    png = screenshot(page_path, out / "report.png", height=900)
    print(f"screenshot: {png or 'skipped (no chromium installed)'}")
    ok = figures >= 3 and not missing and not problems
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
