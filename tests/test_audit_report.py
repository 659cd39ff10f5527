"""Tests of audit_report and ``python -m skfair audit --html``."""

import io
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import skfair.metrics as skm
from skfair._cli import main

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

METRICS = [
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
]


class Page(HTMLParser):
    """The page's text, its figures and anything it would load or run."""

    def __init__(self, page):
        super().__init__()
        self.svgs, self.loads, self.text = 0, [], []
        self.feed(page)
        self.close()
        self.text = " ".join(self.text)
        # url(#id) points inside the page (the SVGs' clip paths); nothing else may.
        if re.search(r"url\((?!#)", page) or "@import" in page:
            self.loads.append("CSS url() or @import")

    def handle_starttag(self, tag, attrs):
        self.svgs += tag == "svg"
        if tag in ("script", "link", "iframe", "object", "embed", "img"):
            self.loads.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "srcset") and not (
                value.startswith("#") or value.startswith("data:")
            ):
                self.loads.append(f"{tag} {name}={value}")

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def audited():
    rng = np.random.default_rng(0)
    n = 600
    sex = rng.choice(["female", "male"], n)
    race = rng.choice(["a", "b", "c"], n, p=[0.6, 0.37, 0.03])
    y = rng.integers(0, 2, n)
    score = np.clip(0.3 * y + 0.4 * rng.random(n) + 0.1 * (sex == "male"), 0, 1)
    y_hat = (score > 0.45).astype(int)
    groups = pd.DataFrame({"sex": sex, "race": race})
    page = skm.audit_report(
        y, y_hat, sensitive_features=groups, y_score=score, n_boot=200, source="t.csv"
    )
    return page, y, y_hat, groups, score


def test_page_parses_is_self_contained_and_names_every_group_and_metric(audited):
    page, y, y_hat, groups, _ = audited
    parsed = Page(page)
    assert parsed.loads == []
    assert parsed.svgs == 4  # selection rate, TPR/FPR, ROC curves, scores
    labels = {f"{s}, {r}" for s, r in groups.itertuples(index=False)}
    assert len(labels) == 6
    for label in labels:
        assert label in parsed.text, label
    for name in METRICS:
        assert name in parsed.text, name
    assert "sex × race" in parsed.text and "t.csv" in parsed.text
    # The first finding names the gaps whose intervals exclude zero, and no
    # other as beyond noise.
    headline = re.search(r'<p class="headline[^"]*">(.*?)</p>', page).group(1)
    beyond = headline.split("could be")[0].split("No gap")[0]
    codes = groups["sex"] + ", " + groups["race"]
    for name in METRICS[::2]:  # the differences
        low, _ = skm.bootstrap_ci(
            name, y, y_hat, sensitive_features=codes, n_boot=200, random_state=0
        )
        assert (name.replace("_", " ") in beyond) == (low > 0.005), (name, headline)
    # Race c (3% of the rows) gives groups under 30 rows: flagged.
    assert "Small groups" in parsed.text
    small = re.findall(r"(\w+, \w+) \((\d+) rows\)", parsed.text)
    assert small and all(int(rows) < 30 for _, rows in small)
    assert {label for label, _ in small} <= labels


def test_values_and_intervals_are_the_librarys(audited):
    page, y, y_hat, groups, _ = audited
    codes = groups["sex"] + ", " + groups["race"]  # the same groups, one column
    for name in METRICS:
        value = getattr(skm, name)(y, y_hat, sensitive_features=codes)
        low, high = skm.bootstrap_ci(
            name, y, y_hat, sensitive_features=codes, n_boot=200, random_state=0
        )
        row = re.search(
            rf"<code class=\"ci\">{name}</code></td><td><b>([\d.]+)</b></td>"
            rf"<td class=\"ci\">\[([\d.]+), ([\d.]+)\]",
            page,
        )
        assert row is not None, name
        np.testing.assert_allclose(
            [float(v) for v in row.groups()], [value, low, high], atol=5e-4
        )


def test_two_groups_add_the_privileged_metrics_and_no_score_no_roc(tmp_path):
    path = tmp_path / "page.html"
    page = skm.audit_report(
        ["yes", "no", "yes", "no"] * 10,
        ["yes", "yes", "no", "no"] * 10,
        sensitive_features=pd.Series(["u", "v"] * 20, name="group"),
        pos_label="yes",
        n_boot=50,
        min_group_size=None,
        path=path,
    )
    assert path.read_text(encoding="utf-8") == page
    parsed = Page(page)
    assert parsed.svgs == 2
    for name in ("average_odds_difference", "disparate_impact_ratio"):
        assert name in parsed.text
    assert "'yes'" in parsed.text and "Small groups" not in parsed.text


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sensitive_features": None}, "sensitive_features is required"),
        ({"n_boot": 0}, "n_boot must be a positive integer"),
        ({"ci_quantiles": [0.5]}, "two increasing quantiles"),
        ({"min_group_size": -1}, "min_group_size must be None"),
        ({"y_score": [0.1, 0.2]}, "one score per row"),
        ({"y_score": [0.1, np.nan, 0.2, 0.3]}, "NaN or infinite"),
    ],
)
def test_bad_input_is_named(kwargs, message):
    args = {"sensitive_features": ["a", "a", "b", "b"], "n_boot": 10, **kwargs}
    with pytest.raises(ValueError, match=message):
        skm.audit_report([0, 1, 0, 1], [0, 1, 1, 1], **args)


# ---------------------------------------------------------------- the command


def _csv(tmp_path, n=300):
    rng = np.random.default_rng(1)
    y = rng.choice(["good", "bad"], n)
    frame = pd.DataFrame(
        {
            "y": y,
            "y_hat": np.where(rng.random(n) < 0.8, y, "bad"),
            "s": np.round(rng.random(n), 3),
            "sex": rng.choice(["f", "m"], n),
            "age": rng.choice(["young", "old"], n),
        }
    )
    path = tmp_path / "preds.csv"
    frame.to_csv(path, index=False)
    return path, frame


def _audit(path, *extra):
    out = io.StringIO()
    argv = ["audit", str(path), "--target", "y", "--prediction", "y_hat"]
    status = main([*argv, "--pos-label", "good", *extra], out=out)
    return status, out.getvalue()


def test_command_writes_the_page(tmp_path):
    path, frame = _csv(tmp_path)
    html_path = tmp_path / "report.html"
    status, text = _audit(
        path, "--sensitive", "sex,age", "--score", "s", "--html", str(html_path)
    )
    assert status == 0 and f"wrote {html_path}" in text
    parsed = Page(html_path.read_text(encoding="utf-8"))
    assert parsed.loads == [] and parsed.svgs == 4
    assert "'good'" in parsed.text and "sex × age" in parsed.text
    for sex in ("f", "m"):
        for age in ("young", "old"):
            assert f"{sex}, {age}" in parsed.text


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--score", "s"], "--score is drawn in the HTML report"),
        (["--score", "sex", "--html", "{tmp}/r.html"], "column 'sex' (--score)"),
        (["--html", "{tmp}/nowhere/r.html"], "does not exist"),
    ],
)
def test_command_errors_are_one_line(tmp_path, capsys, extra, message):
    path, _ = _csv(tmp_path, n=20)
    extra = [e.format(tmp=tmp_path) for e in extra]
    status, _ = _audit(path, "--sensitive", "sex", *extra)
    err = capsys.readouterr().err
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1


def screenshot(page_path, png_path, *, width=1280, height=2400):
    """A headless Chromium screenshot of a page; None without Chromium."""
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
                Path(page_path).resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return png_path


def test_screenshot_in_a_headless_browser_is_not_blank(tmp_path, audited):
    image = pytest.importorskip("PIL.Image")
    page_path = tmp_path / "report.html"
    page_path.write_text(audited[0], encoding="utf-8")
    png = screenshot(page_path, tmp_path / "shot.png")
    if png is None:
        pytest.skip("no chromium installed (apt-get install chromium)")
    pixels = np.asarray(image.open(png).convert("L"), dtype=float)
    assert pixels.shape[1] == 1280
    # Text and figures: a good share of the pixels is not background white,
    # in the first screen and further down where the figures are.
    for part in (pixels[:900], pixels[900:]):
        assert (part < 200).mean() > 0.01
