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
from skfair.metrics._intervals import gap_bounds

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


def _headline_rows(y, groups, min_size=30):
    """Rows of the groups with at least ``min_size`` rows of each true label."""
    frame = pd.DataFrame({"g": groups, "y": y})
    cells = frame.groupby("g")["y"].agg(["sum", "size"])
    smallest = np.minimum(cells["sum"], cells["size"] - cells["sum"])
    kept = set(cells.index[smallest >= min_size])
    return np.array([g in kept for g in groups]), kept


def _table(y, y_hat, codes):
    """The (group, y_true, y_pred) count table, groups in sorted order."""
    labels = sorted(set(codes))
    table = np.zeros((len(labels), 2, 2))
    for g, t, p in zip(codes, y, y_hat, strict=True):
        table[labels.index(g), t, p] += 1
    return table


_KINDS = {
    "demographic_parity_difference": ("selection",),
    "equal_opportunity_difference": ("tpr",),
    "equalized_odds_difference": ("tpr", "fpr"),
}


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
    # The first finding names as beyond sampling noise exactly the gaps
    # whose Newcombe interval on the well-populated groups excludes zero.
    headline = re.search(r'<p class="headline[^"]*">(.*?)</p>', page).group(1)
    beyond = headline.split("could be")[0].split("No gap")[0]
    codes = (groups["sex"] + ", " + groups["race"]).to_numpy()
    rows, kept = _headline_rows(y, codes)
    table = _table(y[rows], y_hat[rows], codes[rows])
    for name, kinds in _KINDS.items():
        low, _ = gap_bounds(table, kinds, method="newcombe")
        assert (name.replace("_", " ") in beyond) == (low > 0), (name, headline)
    # Race c (3% of the rows) gives groups under 30 rows of a label: listed
    # with their sizes and the reason, and left out of the headline.
    warning = re.search(r'<p class="warn">(.*?)</p>', page, re.S).group(1)
    small = re.findall(r"(\w+, \w+) \((\d+) rows?: ([^)]*)\)", warning)
    assert {label for label, _, _ in small} == labels - kept
    for label, size, reason in small:
        assert int(size) == (codes == label).sum()
        assert "under 30 of a label" in reason
    assert "left out of the headline" in warning
    assert f"Over the {len(kept)} groups with at least 30 rows" in headline


def test_values_and_intervals_are_the_librarys(audited):
    page, y, y_hat, groups, _ = audited
    codes = (groups["sex"] + ", " + groups["race"]).to_numpy()
    rows, _ = _headline_rows(y, codes)  # the headline's groups only
    table = _table(y[rows], y_hat[rows], codes[rows])
    for name in METRICS:
        value = getattr(skm, name)(y[rows], y_hat[rows], sensitive_features=codes[rows])
        if name in _KINDS:
            low, high = gap_bounds(table, _KINDS[name], method="newcombe")
        else:
            low, high = skm.bootstrap_ci(
                name,
                y[rows],
                y_hat[rows],
                sensitive_features=codes[rows],
                n_boot=200,
                random_state=0,
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


# ---------------------------------------------------------------- small groups


@pytest.fixture
def recidivism(recidivism_data):
    """``(y, y_hat, groups)`` of ``recidivism_data``, groups as a DataFrame."""

    def make(seed=0):
        y, y_hat, race, sex = recidivism_data(seed)
        return y, y_hat, pd.DataFrame({"race": race, "sex": sex})

    return make


def test_tiny_groups_do_not_drive_the_headline_and_are_listed(recidivism):
    y, y_hat, groups = recidivism()
    codes = (groups["race"] + ", " + groups["sex"]).to_numpy()
    page = skm.audit_report(y, y_hat, sensitive_features=groups, n_boot=200)
    rows, kept = _headline_rows(y, codes)
    assert kept == set(codes) - {"native, male", "asian, female"}
    headline = re.search(r'<p class="headline[^"]*">(.*?)</p>', page).group(1)
    assert "1.000" not in headline
    # The headline's values are those of the groups with enough rows.
    for name in _KINDS:
        expected = getattr(skm, name)(
            y[rows], y_hat[rows], sensitive_features=codes[rows]
        )
        everyone = getattr(skm, name)(y, y_hat, sensitive_features=codes)
        assert everyone == 1.0 and expected < 0.5
        shown = re.search(
            rf"<code class=\"ci\">{name}</code></td><td><b>([\d.]+)", page
        )
        assert float(shown.group(1)) == pytest.approx(expected, abs=5e-4)
    warning = _text(re.search(r'<p class="warn">.*?</p>', page, re.S).group(0))
    assert "native, male (1 row: 1 truly positive row and 0 truly negative rows" in (
        warning
    )
    assert "asian, female (3 rows: 2 truly positive rows and 1 truly negative row" in (
        warning
    )
    assert "a label)" in warning
    assert "include_small_groups=True" in warning
    # The next thing to look at is a pair of well-populated groups.
    nxt = _text(re.search(r'<p class="next">.*?</p>', page, re.S).group(0))
    assert "native" not in nxt and "asian" not in nxt
    assert "largest gap between two well-populated groups" in nxt


def test_include_small_groups_puts_them_back(recidivism):
    y, y_hat, groups = recidivism()
    codes = (groups["race"] + ", " + groups["sex"]).to_numpy()
    page = skm.audit_report(
        y, y_hat, sensitive_features=groups, n_boot=200, include_small_groups=True
    )
    value = skm.equalized_odds_difference(y, y_hat, sensitive_features=codes)
    shown = re.search(
        r"<code class=\"ci\">equalized_odds_difference</code></td><td><b>([\d.]+)",
        page,
    )
    assert float(shown.group(1)) == pytest.approx(value)
    assert "included in the headline metrics on request" in page
    # Still from well-populated groups only: what to look at next.
    nxt = re.search(r'<p class="next">.*?</p>', page, re.S).group(0)
    assert "native" not in nxt and "asian" not in nxt
    with pytest.raises(ValueError, match="include_small_groups must be True or"):
        skm.audit_report(y, y_hat, sensitive_features=groups, include_small_groups=1)


def test_next_look_names_the_largest_pair_with_its_interval(recidivism):
    y, y_hat, groups = recidivism(seed=3)
    codes = (groups["race"] + ", " + groups["sex"]).to_numpy()
    page = skm.audit_report(y, y_hat, sensitive_features=groups, n_boot=50)
    rows, kept = _headline_rows(y, codes)
    # Brute force over the pairs and rates of the well-populated groups.
    frame = pd.DataFrame({"g": codes[rows], "y": y[rows], "p": y_hat[rows]})
    rates = {
        "selection rate": frame.groupby("g")["p"].mean(),
        "true positive rate": frame[frame.y == 1].groupby("g")["p"].mean(),
        "false positive rate": frame[frame.y == 0].groupby("g")["p"].mean(),
    }
    best = max(
        ((r[a] - r[b], title, a, b) for title, r in rates.items() for a in r.index
         for b in r.index),
    )  # fmt: skip
    gap, title, high, low = best
    nxt = _text(re.search(r'<p class="next">.*?</p>', page, re.S).group(0))
    assert f"is the {title} of {high}" in nxt and f"against {low}" in nxt
    assert f"{100 * gap:.1f} points" in nxt
    interval = re.search(r"interval \[(-?[\d.]+), (-?[\d.]+)\] points", nxt)
    low_end, high_end = (float(v) for v in interval.groups())
    assert low_end < 100 * gap < high_end
    assert f"simultaneous over the {len(kept) * (len(kept) - 1) // 2} pairs" in nxt


def _text(fragment):
    """The text of an HTML fragment, spaces collapsed."""
    return " ".join(Page(fragment).text.split())


def _group_cells(page, label):
    """The cells of a group's row in the page's group table, as text."""
    body = page.split("<h2>Groups</h2>")[1]
    row = re.search(rf"<tr[^>]*><td class=\"name\">{re.escape(label)}.*?</tr>", body)
    return [
        Page(cell).text.strip() for cell in re.findall(r"<td.*?</td>", row.group(0))
    ]


def test_undefined_rates_show_as_undefined_and_are_never_named():
    # Group "none" has no truly positive row: its TPR is undefined.
    y = np.array([1, 0] * 40 + [0] * 40)
    y_hat = np.array([1, 0, 0, 0] * 10 + [1, 0] * 20 + [1, 0] * 20)
    g = np.array(["a"] * 40 + ["b"] * 40 + ["none"] * 40)
    page = skm.audit_report(
        y, y_hat, sensitive_features=g, n_boot=50, min_group_size=None
    )
    cells = _group_cells(page, "none")
    tpr = cells[6]  # group, rows, pos/neg, share, base rate, selection, TPR
    assert tpr == "undefined"
    assert "0.000 [0.000, 0.000]" not in page
    assert "undefined" in Page(page).text
    # The equal opportunity reading names the defined groups only.
    row = next(r for r in page.split("<tr>") if "equal_opportunity_difference<" in r)
    reading = Page(row.split('<td class="reading">')[1]).text
    assert "none" not in reading and "a: 50.0%" in reading and "b: 100.0%" in reading
    # Its value leaves the undefined group out (zero_division=np.nan).
    shown = re.search(
        r"<code class=\"ci\">equal_opportunity_difference</code></td><td><b>([\d.]+)",
        page,
    )
    assert float(shown.group(1)) == pytest.approx(0.5)


def _wilson(k, n, z=1.959963984540054):
    """Wilson's score interval, from its closed form."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(centre - half, 0.0), min(centre + half, 1.0)


def test_group_rates_carry_wilson_intervals_never_of_zero_width(recidivism):
    y, y_hat, groups = recidivism()
    page = skm.audit_report(y, y_hat, sensitive_features=groups, n_boot=50)
    # The 1-row group: selected (1 of 1), truly positive and predicted so.
    selection = _group_cells(page, "native, male")[5]
    value, low, high = (float(v) for v in re.findall(r"[\d.]+", selection))
    assert value == 1.0 and high == 1.0
    assert low == pytest.approx(_wilson(1, 1)[0], abs=5e-4) and low < 0.3
    # The 3-row group: none of 3 selected.
    selection = _group_cells(page, "asian, female")[5]
    value, low, high = (float(v) for v in re.findall(r"[\d.]+", selection))
    assert value == 0.0 and low == 0.0
    assert high == pytest.approx(_wilson(0, 3)[1], abs=5e-4)
    assert "Wilson score intervals" in Page(page).text


def test_roc_curves_each_have_their_own_style(audited, monkeypatch):
    from skfair.metrics import _audit_report

    styles = _audit_report.curve_styles(12)
    assert len({(s["color"], str(s["linestyle"])) for s in styles}) == 12
    assert len({s["color"] for s in styles[:10]}) == 10
    # In the drawn figure, the 6 groups' curves differ.
    figures = {}
    original = _audit_report._svg

    def keep(fig, salt):
        figures[salt] = [
            (line.get_color(), str(line.get_linestyle()), line.get_label())
            for line in fig.axes[0].get_lines()
        ]
        return original(fig, salt)

    monkeypatch.setattr(_audit_report, "_svg", keep)
    _, y, y_hat, groups, score = audited
    skm.audit_report(y, y_hat, sensitive_features=groups, y_score=score, n_boot=20)
    curves = [c for c in figures["roc"] if "AUC" in c[2]]
    assert len(curves) == 6
    assert len({(color, style) for color, style, _ in curves}) == 6


def test_certified_bounds_only_with_a_confidence(recidivism):
    from skfair.metrics._certified import gap_upper_bound

    y, y_hat, groups = recidivism()
    codes = (groups["race"] + ", " + groups["sex"]).to_numpy()
    page = skm.audit_report(y, y_hat, sensitive_features=groups, n_boot=20)
    assert "Certified" not in page
    page = skm.audit_report(
        y, y_hat, sensitive_features=groups, n_boot=20, confidence=0.9
    )
    section = page.split('<h2 id="certified">')[1].split("<h2>")[0]
    assert "independent sample" in section and "fixed before" in section
    rows, _ = _headline_rows(y, codes)
    for name in _KINDS:
        bound = gap_upper_bound(
            y[rows], y_hat[rows], sensitive_features=codes[rows], metric=name,
            confidence=0.9,
        )  # fmt: skip
        shown = re.search(rf"{name}</code></td><td>[\d.]+</td><td><b>([\d.]+)", section)
        assert float(shown.group(1)) == pytest.approx(bound, abs=5e-4)
        value = getattr(skm, name)(y[rows], y_hat[rows], sensitive_features=codes[rows])
        assert bound > value
    with pytest.raises(ValueError, match="confidence must be a float in"):
        skm.audit_report(y, y_hat, sensitive_features=groups, confidence=95)


def test_a_zero_width_bootstrap_interval_claims_nothing():
    # Two groups of 1 and 2 rows, included on request: the bootstrap of a
    # ratio draws the same table every time.
    page = skm.audit_report(
        [1, 0, 1], [1, 0, 0], sensitive_features=["a", "b", "b"], n_boot=50,
        min_group_size=30, include_small_groups=True,
    )  # fmt: skip
    text = Page(page).text
    assert "more than sampling noise" not in text
    assert "beyond sampling noise" not in text.split("No gap")[0]
