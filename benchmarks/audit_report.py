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
import re
import shutil
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


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


class _Page(HTMLParser):
    """Counts the figures and collects what a self-contained page may not have."""

    def __init__(self):
        super().__init__()
        self.svgs = 0
        self.external = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self.svgs += 1
        if tag in ("script", "link", "iframe", "object", "embed"):
            self.external.append(tag)
        for name, value in attrs:
            if (
                name in ("src", "href", "xlink:href")
                and value
                and not (value.startswith("#") or value.startswith("data:"))
            ):
                self.external.append(f"{tag} {name}={value}")

    def handle_data(self, data):
        self.text.append(data)


def check_page(page, groups, metrics):
    parser = _Page()
    parser.feed(page)
    parser.close()
    text = " ".join(parser.text)
    missing = [g for g in groups if g not in text] + [
        m for m in metrics if m not in text
    ]
    problems = list(parser.external)
    # url(#id) points inside the page (the SVGs' clip paths); nothing else may.
    if re.search(r"url\((?!#)", page) or "@import" in page:
        problems.append("CSS url() or @import")
    return parser.svgs, missing, problems


def screenshot(page_path, png_path, width=1280, height=900):
    """A headless Chromium screenshot, or None where no Chromium is installed."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        return None
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={png_path}",
                page_path.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return png_path


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
    png = screenshot(page_path, out / "report.png")
    print(f"screenshot: {png or 'skipped (no chromium installed)'}")
    ok = figures >= 3 and not missing and not problems
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
