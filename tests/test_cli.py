"""Tests of the command line: ``python -m skfair demo | audit``."""

import io
import re
import subprocess
import sys

import numpy as np
import pytest

import skfair.metrics as skm
from skfair._cli import main
from skfair.metrics import equalized_odds_difference
from skfair.metrics._intervals import gap_bounds


def _run(argv):
    out = io.StringIO()
    status = main(argv, out=out)
    return status, out.getvalue()


def _write_csv(path, rows):
    path.write_text("\n".join(",".join(map(str, row)) for row in rows) + "\n")
    return path


@pytest.fixture
def predictions_csv(tmp_path):
    rng = np.random.default_rng(0)
    n = 200
    sex = rng.choice(["f", "m"], n)
    race = rng.choice(["a", "b"], n)
    y = rng.integers(0, 2, n)
    y_hat = np.where(rng.random(n) < 0.8, y, 1 - y)
    rows = [["id", "y", "y_hat", "sex", "race"]]
    rows += [[i, y[i], y_hat[i], sex[i], race[i]] for i in range(n)]
    return _write_csv(tmp_path / "preds.csv", rows), y, y_hat, sex, race


def test_audit_prints_report_and_metrics_that_match_the_library(predictions_csv):
    path, y, y_hat, sex, _ = predictions_csv
    status, text = _run(
        [
            "audit",
            str(path),
            "--target",
            "y",
            "--prediction",
            "y_hat",
            "--sensitive",
            "sex",
        ]
    )
    assert status == 0
    expected = equalized_odds_difference(y, y_hat, sensitive_features=sex)
    assert _metric_value(text, "equalized_odds_difference") == pytest.approx(
        expected, abs=5e-5
    )
    assert "f" in text and "m" in text


def _interval_of(text, name):
    line = next(ln for ln in text.splitlines() if ln.split()[:1] == [name])
    return [float(v) for v in line.split("[")[1].split("]")[0].split(",")]


def test_audit_intervals_are_newcombe_for_gaps_and_bootstrap_for_the_ratio(
    predictions_csv,
):
    path, y, y_hat, sex, _ = predictions_csv
    argv = ["audit", str(path), "--target", "y", "--prediction", "y_hat"]
    status, text = _run([*argv, "--sensitive", "sex", "--n-boot", "300"])
    assert status == 0 and "95% interval" in text
    # The differences: simultaneous Newcombe intervals of the count table.
    table = np.zeros((2, 2, 2))
    np.add.at(table, ((sex == "m").astype(int), y, y_hat), 1)
    for name, kinds in [
        ("equalized_odds_difference", ("tpr", "fpr")),
        ("demographic_parity_difference", ("selection",)),
        ("equal_opportunity_difference", ("tpr",)),
    ]:
        low, high = _interval_of(text, name)
        np.testing.assert_allclose(
            [low, high], gap_bounds(table, kinds, method="newcombe"), atol=5e-5
        )
        assert low <= _metric_value(text, name) <= high
    # The ratio: bootstrap_ci of the same seed.
    low, high = _interval_of(text, "demographic_parity_ratio")
    expected = skm.bootstrap_ci(
        "demographic_parity_ratio",
        y,
        y_hat,
        sensitive_features=sex,
        n_boot=300,
        random_state=0,
    )
    np.testing.assert_allclose([low, high], expected, atol=5e-5)
    assert low < high
    # --n-boot 0: no bootstrap, the same values.
    status, plain = _run([*argv, "--sensitive", "sex", "--n-boot", "0"])
    assert status == 0 and "--n-boot 0" in plain
    line = next(ln for ln in plain.splitlines() if "demographic_parity_ratio" in ln)
    assert "[" not in line
    for name in ("demographic_parity_ratio", "equalized_odds_difference"):
        assert _metric_value(plain, name) == _metric_value(text, name)


def test_audit_rejects_a_negative_n_boot(predictions_csv, capsys):
    path = predictions_csv[0]
    argv = ["audit", str(path), "--target", "y", "--prediction", "y_hat"]
    status, _ = _run([*argv, "--sensitive", "sex", "--n-boot", "-1"])
    assert status == 2
    assert "--n-boot must be >= 0" in capsys.readouterr().err


def test_audit_intersectional_groups(predictions_csv):
    path = predictions_csv[0]
    status, text = _run(
        [
            "audit",
            str(path),
            "--target",
            "y",
            "--prediction",
            "y_hat",
            "--sensitive",
            "sex,race",
        ]
    )
    assert status == 0
    assert "('f', 'a')" in text or "f, a" in text or "(f, a)" in text


@pytest.mark.parametrize(
    "argv_tail, message",
    [
        (
            ["--target", "nope", "--prediction", "y_hat", "--sensitive", "sex"],
            "no column 'nope'",
        ),
        (
            ["--target", "y", "--prediction", "y_hat", "--sensitive", "id"],
            None,
        ),  # every row its own group is valid input: exit 0
        (
            ["--target", "id", "--prediction", "y_hat", "--sensitive", "sex"],
            "must be binary",
        ),
    ],
)
def test_audit_bad_columns_give_one_line_errors(
    predictions_csv, capsys, argv_tail, message
):
    path = predictions_csv[0]
    status, _ = _run(["audit", str(path), *argv_tail])
    err = capsys.readouterr().err
    if message is None:
        assert status == 0
    else:
        assert status == 2
        assert message in err
        assert len(err.strip().splitlines()) == 1
        assert "Traceback" not in err


def test_audit_missing_and_malformed_files(tmp_path, capsys):
    args = ["--target", "y", "--prediction", "p", "--sensitive", "s"]
    assert _run(["audit", str(tmp_path / "absent.csv"), *args])[0] == 2
    assert "cannot read" in capsys.readouterr().err
    ragged = _write_csv(tmp_path / "ragged.csv", [["y", "p", "s"], [1, 0]])
    assert _run(["audit", str(ragged), *args])[0] == 2
    assert "row 2 has 2 fields" in capsys.readouterr().err
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert _run(["audit", str(binary), *args])[0] == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_demo_runs_as_a_module_and_prints_the_table():
    result = subprocess.run(
        [sys.executable, "-m", "skfair", "demo", "--dataset", "german"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "EO gap" in result.stdout
    from skfair._demo import MODELS

    for label, _ in MODELS:  # every mitigator has a row, and a progress line
        assert label in result.stdout.split("Test accuracy")[1]
        assert f"fitting {label} ..." in result.stdout
    table = result.stdout.split("Test accuracy")[1]
    baseline = next(ln for ln in table.splitlines() if "baseline" in ln)
    accuracy = float(baseline.split()[2])
    assert 0.6 < accuracy < 0.9
    # The decisions' training gap is shown beside the test gap; the
    # constrained model's meets its tolerance (0.01) up to one rate step of
    # German Credit's smallest (sex, label) training cell.
    assert "train EO gap" in table
    constrained = next(ln for ln in table.splitlines() if "Constrained" in ln)
    train_gap = float(constrained.split()[-2])
    assert train_gap <= 0.01 + 1.5 / 30
    assert "smallest (group, label) cell of the test rows has" in table
    # Each test gap carries its bootstrap interval, which brackets it.
    assert "EO gap [95% interval]" in table and "Intervals: 95%" in table
    for label, _ in MODELS:
        line = next(ln for ln in table.splitlines() if label in ln)
        found = re.findall(r"(\d\.\d{4}) \[(\d\.\d{4}), (\d\.\d{4})\]", line)
        assert len(found) == 2, line
        for gap, low, high in found:
            assert float(low) <= float(gap) <= float(high), line


def test_demo_on_meps_groups_by_ethnicity_and_handles_its_small_group():
    status, text = _run(["demo", "--dataset", "meps"])
    assert status == 0
    assert "skfair demo: meps, 6161 training and 2641 test rows" in text
    assert "groups by 'ethnicity'" in text
    report, table = text.split("Test accuracy")
    rows = {ln.split()[0]: ln.split() for ln in report.splitlines() if ln.split()}
    counts = {g: int(rows[g][1]) for g in ("cauc", "afam", "other", "overall")}
    assert (
        counts["overall"] == 2641 == sum(counts[g] for g in ("cauc", "afam", "other"))
    )
    # The 365-row group keeps about its 30% share of the test rows.
    assert 80 <= counts["other"] <= 140
    # The noise note's smallest cell is the small group's uninsured rows, as
    # the printed report gives them (count x (1 - base rate)).
    uninsured = {
        g: round(counts[g] * (1 - float(rows[g][2]))) for g in ("cauc", "afam", "other")
    }
    smallest = min(uninsured.values())
    assert smallest == uninsured["other"]
    assert f"smallest (group, label) cell of the test rows has {smallest} rows" in table
    from skfair._demo import MODELS

    for label, _ in MODELS:
        line = next(ln for ln in table.splitlines() if label in ln)
        assert "nan" not in line, line
        found = re.findall(r"(\d\.\d{4}) \[(\d\.\d{4}), (\d\.\d{4})\]", line)
        assert len(found) == 2, line
        for gap, low, high in found:
            assert float(low) <= float(gap) <= float(high), line
    baseline = next(ln for ln in table.splitlines() if "baseline" in ln)
    assert 0.75 < float(baseline.split()[2]) < 0.9


def test_demo_on_meps_by_gender():
    status, text = _run(
        [
            "demo",
            "--dataset",
            "meps",
            "--sensitive",
            "gender",
            "--models",
            "logisticregression",
        ]
    )
    assert status == 0 and "groups by 'gender'" in text
    report = text.split("Test accuracy")[0]
    assert {"female", "male"} <= {
        ln.split()[0] for ln in report.splitlines() if ln.split()
    }


def test_demo_rejects_unknown_sensitive_column(capsys):
    status, _ = _run(["demo", "--dataset", "german", "--sensitive", "race"])
    assert status == 2
    assert "--sensitive must be one of" in capsys.readouterr().err


def test_demo_model_subset_and_plot(tmp_path):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "tradeoff.png"
    status, text = _run(
        [
            "demo",
            "--dataset",
            "german",
            "--models",
            "logisticregression,reweighing",
            "--plot",
            str(plot),
        ]
    )
    assert status == 0
    table = text.split("Test accuracy")[1]
    assert "Reweighing + LR" in table and "ThresholdOptimizer" not in table
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_unknown_model_is_a_one_line_error(capsys):
    status, _ = _run(["demo", "--models", "nope"])
    assert status == 2
    err = capsys.readouterr().err
    assert "unknown model(s) ['nope']" in err and len(err.strip().splitlines()) == 1


# ---------------------------------------------------------------- audit input


@pytest.fixture(params=["pandas", "polars", "csv"])
def reader(request, monkeypatch):
    """Run a test with pandas' reader, polars' (no pandas) and the csv module's."""
    if request.param != "pandas":
        from skfair import _cli
        from skfair.metrics import _report

        monkeypatch.setattr(_report, "_pandas_or_none", lambda: None)
        if request.param == "csv":
            monkeypatch.setattr(_cli, "_polars_or_none", lambda: None)
    return request.param


def _audit(path, *extra, sensitive="g"):
    argv = ["audit", str(path), "--target", "y", "--prediction", "yhat"]
    return _run([*argv, "--sensitive", sensitive, *extra])


def _report_value(text, group, column):
    """A cell of the printed group report (DataFrame or plain table)."""
    lines = text.split("\n\n")[0].splitlines()
    header = next(ln for ln in lines if "selection_rate" in ln).split()
    row = next(ln for ln in lines if ln.split() and ln.split()[0] == group).split()
    return float(row[-len(header) + header.index(column)])


def _metric_value(text, name):
    line = next(ln for ln in text.splitlines() if ln.split()[:1] == [name])
    return float(line.split()[1])


def _labelled_csv(tmp_path, y, yhat, g, name="labels.csv"):
    return _write_csv(
        tmp_path / name, [["y", "yhat", "g"], *zip(y, yhat, g, strict=True)]
    )


def _approvals(n=120, seed=3):
    rng = np.random.default_rng(seed)
    g = rng.choice(["a", "b"], n)
    y = np.where(rng.random(n) < np.where(g == "a", 0.7, 0.3), "approved", "denied")
    yhat = np.where(
        rng.random(n) < 0.8, y, np.where(y == "approved", "denied", "approved")
    )
    return y, yhat, g


def test_audit_refuses_to_guess_the_positive_label(tmp_path, capsys, reader):
    path = _labelled_csv(tmp_path, *_approvals())
    status, text = _audit(path)
    err = capsys.readouterr().err
    assert status == 2 and text == ""
    assert "'approved', 'denied'" in err and "--pos-label" in err
    assert len(err.strip().splitlines()) == 1


def test_audit_with_pos_label_matches_the_library(tmp_path, capsys, reader):
    y, yhat, g = _approvals(n=400)  # every (group, label) cell over 30 rows
    path = _labelled_csv(tmp_path, y, yhat, g)
    status, text = _audit(path, "--pos-label", "approved")
    assert status == 0
    assert "positive label 'approved'" in text.splitlines()[0]
    for name in ("demographic_parity_ratio", "equalized_odds_difference"):
        expected = getattr(skm, name)(
            y, yhat, sensitive_features=g, pos_label="approved"
        )
        assert _metric_value(text, name) == pytest.approx(expected, abs=5e-5)
    # The other choice is a different audit, and it is labelled as such.
    status, other = _audit(path, "--pos-label", "denied")
    assert status == 0 and "positive label 'denied'" in other
    expected = skm.demographic_parity_ratio(
        y, yhat, sensitive_features=g, pos_label="denied"
    )
    assert _metric_value(other, "demographic_parity_ratio") == pytest.approx(
        expected, abs=5e-5
    )


@pytest.mark.parametrize(
    "negative, positive", [("0", "1"), ("False", "True"), ("false", "true")]
)
def test_audit_conventional_labels_need_no_pos_label(
    tmp_path, negative, positive, reader
):
    y = [negative, positive, positive, negative] * 10
    yhat = [positive, positive, negative, negative] * 10
    path = _labelled_csv(tmp_path, y, yhat, ["a", "b"] * 20)
    status, text = _audit(path)
    assert status == 0
    assert f"positive label {positive!r}" in text.splitlines()[0]
    assert _report_value(text, "overall", "selection_rate") == pytest.approx(0.5)


def test_audit_prediction_with_one_label_is_read_with_the_targets_label(
    tmp_path, reader
):
    # y = 0, 1, 1, 0 and every prediction "1": all positive (it was all
    # negative when each column picked its own positive label).
    path = _labelled_csv(tmp_path, [0, 1, 1, 0] * 10, [1] * 40, ["a", "b"] * 20)
    status, text = _audit(path, "--min-group-size", "0")
    assert status == 0
    assert _report_value(text, "overall", "selection_rate") == 1.0
    assert _report_value(text, "overall", "true_positive_rate") == 1.0
    assert _report_value(text, "a", "false_positive_rate") == 1.0


@pytest.mark.parametrize(
    "y, yhat, extra, message",
    [
        (["A", "B"], ["B", "C"], [], "columns 'y' ('A', 'B') and 'yhat' ('B', 'C')"),
        (["A", "B"], ["B", "C"], ["--pos-label", "B"], "hold different labels"),
        (["0", "1"], ["0", "1"], ["--pos-label", "yes"], "--pos-label 'yes' is not"),
        (["0", "2"], ["0", "2"], [], "hold '0', '2'; pass --pos-label"),
        (["0", "1"], ["0.0", "1.0"], [], "hold different labels"),
    ],
)
def test_audit_label_errors_name_the_labels(
    tmp_path, capsys, reader, y, yhat, extra, message
):
    path = _labelled_csv(tmp_path, y * 5, yhat * 5, ["a", "b"] * 5)
    status, _ = _audit(path, *extra)
    err = capsys.readouterr().err
    assert status == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_audit_bom_crlf_and_trailing_blank_lines(tmp_path, reader):
    rows = ["y,yhat,g", *(f"{i % 2},{i // 2 % 2},{'ab'[i % 3 % 2]}" for i in range(40))]
    expected = _audit(_write_csv(tmp_path / "plain.csv", [r.split(",") for r in rows]))
    assert expected[0] == 0
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(rows).encode() + b"\r\n\r\n\n")
    status, text = _audit(path)
    assert status == 0
    assert text.split("\n", 1)[1] == expected[1].split("\n", 1)[1]
    assert "40 rows" in text.splitlines()[0]


@pytest.mark.parametrize(
    "content, message",
    [
        ("y,yhat,g\n1,1,a\n\n0,1,b\n", "row 3 is blank"),
        ("y,yhat,g\n1,1,a\n0,1\n", "row 3 has 2 fields, the header has 3"),
        ("y,yhat,g\n1,1,a,x\n0,1,b,y\n", "row 2 has 4 fields, the header has 3"),
        ("y,yhat,g\n1,1,a\n0,1,\n", "column 'g' is empty in row 3"),
        ("y,yhat,g\n1, ,a\n0,1,b\n", "column 'yhat' is empty in row 2"),
        ("y,yhat,g\n", "has a header but no rows"),
        ("\n\n", "is empty"),
    ],
)
def test_audit_layout_errors_name_the_row(tmp_path, capsys, reader, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    status, _ = _audit(path)
    err = capsys.readouterr().err
    assert status == 2, err
    assert message in err and len(err.strip().splitlines()) == 1


def test_audit_quoted_fields_and_separators(tmp_path, reader):
    g = ["x, y", "z"] * 20
    y = [0, 1, 1, 0] * 10
    yhat = [1, 1, 0, 0] * 10
    lines = ["y;yhat;g"] + [
        f'{a};{b};"{c}"' for a, b, c in zip(y, yhat, g, strict=True)
    ]
    path = tmp_path / "semicolon.csv"
    path.write_text("\n".join(lines) + "\n")
    for extra in ([], ["--sep", ";"]):  # sniffed, then given
        status, text = _audit(path, *extra, "--min-group-size", "0")
        assert status == 0
        assert "separator ';'" in text.splitlines()[0]
        expected = skm.equalized_odds_difference(y, yhat, sensitive_features=g)
        assert _metric_value(text, "equalized_odds_difference") == pytest.approx(
            expected, abs=5e-5
        )
        assert "x, y" in text
    tab = tmp_path / "tab.csv"
    tab.write_text(path.read_text().replace(";", "\t"))
    assert _audit(tab, "--sep", "tab")[0] == 0


def test_audit_reads_stdin(tmp_path, monkeypatch, predictions_csv, reader):
    path, y, y_hat, sex, _ = predictions_csv
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
    status, text = _run(
        ["audit", "-", "--target", "y", "--prediction", "y_hat", "--sensitive", "sex"]
    )
    assert status == 0 and text.startswith("<stdin>: 200 rows")
    expected = skm.equalized_odds_difference(y, y_hat, sensitive_features=sex)
    assert _metric_value(text, "equalized_odds_difference") == pytest.approx(
        expected, abs=5e-5
    )


def test_audit_stdin_in_a_subprocess(predictions_csv):
    path = predictions_csv[0]
    result = subprocess.run(
        [sys.executable, "-m", "skfair", "audit", "-", "--target", "y"]
        + ["--prediction", "y_hat", "--sensitive", "sex,race"],
        input=path.read_bytes(),
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert b"f, a" in result.stdout  # intersections joined by commas


def test_audit_warns_about_small_groups(tmp_path, capsys, reader):
    # "big": 50 positive and 50 negative rows; "small": 4 positive, 1 negative.
    g = ["big"] * 100 + ["small"] * 5
    y = [0, 1] * 50 + [1, 1, 0, 1, 1]
    yhat = [1, 1, 0, 0] * 25 + [1, 0, 1, 1, 0]
    path = _labelled_csv(tmp_path, y, yhat, g)
    assert _audit(path)[0] == 0
    err = capsys.readouterr().err
    assert "1 group(s) have fewer than 30 rows of a true label" in err
    assert "'small': 5 rows (4 truly positive rows and 1 truly negative row" in err
    assert "'big'" not in err and "--include-small-groups" in err
    # The table marks the group as left out of the headline.
    status, text = _audit(path)
    rows = {ln.split()[0]: ln.split() for ln in text.splitlines() if ln.strip()}
    assert rows["small"][-1] == "excluded" and rows["big"][-1] == "yes"
    capsys.readouterr()
    # A label cell of 1 row is enough for --min-group-size 1.
    status, text = _audit(path, "--min-group-size", "1")
    assert status == 0 and capsys.readouterr().err == ""
    rows = {ln.split()[0]: ln.split() for ln in text.splitlines() if ln.strip()}
    assert rows["small"][-1] == "yes"


def test_audit_encodes_the_groups_once(predictions_csv, monkeypatch):
    import skfair.utils
    from skfair.metrics import _counts

    calls = []
    for module in (skfair.utils, _counts):
        original = module.encode_groups

        def counting(*args, _original=original, **kwargs):
            calls.append(1)
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, "encode_groups", counting)
    path = predictions_csv[0]
    status, _ = _run(
        ["audit", str(path), "--target", "y", "--prediction", "y_hat"]
        + ["--sensitive", "sex,race"]
    )
    assert status == 0 and len(calls) == 1


def test_audit_progress_lines_only_after_the_delay(
    predictions_csv, monkeypatch, capsys
):
    from skfair import _cli

    args = ["audit", str(predictions_csv[0]), "--target", "y"]
    args += ["--prediction", "y_hat", "--sensitive", "sex"]
    monkeypatch.setattr(_cli, "_PROGRESS_DELAY", 60.0)
    assert _run(args)[0] == 0
    assert "audit:" not in capsys.readouterr().err
    monkeypatch.setattr(_cli, "_PROGRESS_DELAY", 0.0)
    status, text = _run(args)
    err = capsys.readouterr().err
    assert status == 0 and "audit:" not in text
    assert "audit: encoding the groups and counting" in err
    assert err.strip().splitlines()[-1].startswith(f"{_cli._PROG} audit: done (")
    # A failed audit says what failed, not "done".
    status, _ = _run([*args[:-1], "nope"])
    err = capsys.readouterr().err
    assert status == 2 and "done" not in err and "no column 'nope'" in err


@pytest.mark.parametrize(
    "plot, message",
    [
        ("/nonexistent/x.png", "the directory /nonexistent does not exist"),
        ("{tmp}/x.nope", "unknown image format 'nope'"),
    ],
)
def test_demo_checks_the_plot_path_before_fitting(
    tmp_path, capsys, monkeypatch, plot, message
):
    pytest.importorskip("matplotlib")
    from skfair import _demo

    def fit_nothing(*args, **kwargs):
        raise AssertionError("the demo started before the path was checked")

    monkeypatch.setattr(_demo, "run_demo", fit_nothing)
    status, text = _run(["demo", "--plot", plot.format(tmp=tmp_path)])
    err = capsys.readouterr().err
    assert status == 2 and text == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_audit_piped_into_a_reader_that_stops_early(tmp_path):
    """``skfair audit ... | head -1``: no traceback when the pipe closes."""
    rows = [["y", "p", "s"]] + [
        [i % 2, (i // 2) % 2, "ab"[i % 3 == 0]] for i in range(40)
    ]
    path = _write_csv(tmp_path / "a.csv", rows)
    command = [sys.executable, "-m", "skfair", "audit", str(path), "--target", "y",
               "--prediction", "p", "--sensitive", "s"]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    first = process.stdout.readline()
    process.stdout.close()  # the reader stops after one line
    stderr = process.stderr.read()
    process.wait(timeout=120)
    assert "positive label" in first
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr


# ---------------------------------------------------------------- the headline


@pytest.fixture
def recidivism_csv(tmp_path, recidivism_data):
    """``recidivism_data`` (one group of 1 row, one of 3) as a CSV file."""
    y, y_hat, race, sex = recidivism_data(5)
    rows = [["y", "y_hat", "race", "sex"]]
    rows += [list(r) for r in zip(y, y_hat, race, sex, strict=True)]
    path = _write_csv(tmp_path / "recidivism.csv", rows)
    codes = np.char.add(np.char.add(race, ", "), sex)
    return path, y, y_hat, codes


def _recidivism_audit(path, *extra):
    argv = ["audit", str(path), "--target", "y", "--prediction", "y_hat"]
    return _run([*argv, "--sensitive", "race,sex", *extra])


_TINY = {"native, male", "asian, female"}


def test_audit_headline_leaves_out_tiny_groups_and_lists_them(recidivism_csv, capsys):
    path, y, y_hat, codes = recidivism_csv
    status, text = _recidivism_audit(path)
    err = capsys.readouterr().err
    assert status == 0
    rows = ~np.isin(codes, list(_TINY))
    for name in (
        "equalized_odds_difference",
        "demographic_parity_difference",
        "equal_opportunity_difference",
        "demographic_parity_ratio",
    ):
        everyone = getattr(skm, name)(y, y_hat, sensitive_features=codes)
        headline = getattr(skm, name)(
            y[rows], y_hat[rows], sensitive_features=codes[rows]
        )
        assert everyone in (0.0, 1.0) and 0.0 < headline < 1.0
        assert _metric_value(text, name) == pytest.approx(headline, abs=5e-5)
    scope = next(ln for ln in text.splitlines() if ln.startswith("Headline metrics"))
    assert "over the 6 groups with at least 30 rows of each true label" in scope
    assert "'native, male' (1 truly positive row and 0 truly negative rows" in scope
    assert "'asian, female' (2 truly positive rows and 1 truly negative row" in scope
    assert "'native, male': 1 row" in err and "'asian, female': 3 rows" in err
    # The pairs to look at next are two well-populated groups.
    largest = text.split("Largest gap of each rate")[1]
    assert "native" not in largest and "asian" not in largest
    # No weights in the audit, so no weighted count column.
    assert "weighted_count" not in text


def test_audit_include_small_groups_puts_them_back(recidivism_csv, capsys):
    path, y, y_hat, codes = recidivism_csv
    status, text = _recidivism_audit(path, "--include-small-groups")
    assert status == 0
    assert _metric_value(text, "equalized_odds_difference") == pytest.approx(1.0)
    assert "small ones included (--include-small-groups)" in text
    assert "make noisy" in capsys.readouterr().err
    rows = {ln.split(",")[0].strip(): ln.split() for ln in text.splitlines()}
    assert rows["native"][-1] == "small" and rows["black"][-1] == "yes"


def test_audit_shows_undefined_rates_as_undefined(tmp_path):
    # Group "c" has no truly positive row: its TPR is undefined.
    y = [0, 1] * 40 + [0] * 40
    yhat = [1, 1, 0, 0] * 20 + [1, 0] * 20
    g = ["a"] * 40 + ["b"] * 40 + ["c"] * 40
    path = _labelled_csv(tmp_path, y, yhat, g)
    status, text = _audit(path, "--min-group-size", "0")
    assert status == 0
    row = next(ln for ln in text.splitlines() if ln.split()[:1] == ["c"]).split()
    header = next(ln for ln in text.splitlines() if "selection_rate" in ln).split()
    tpr = len(row) - len(header) + header.index("true_positive_rate")
    assert row[tpr : tpr + 3] == ["undefined", "(no", "rows)"]
    assert "nan" not in text.split("Headline metrics")[0]
    # Its value leaves the undefined group out (a and b have TPR 0.5).
    assert _metric_value(text, "equal_opportunity_difference") == 0.0
    # Wilson intervals of the defined rates: a 1-row cell is never zero width.
    status, text = _audit(
        _labelled_csv(tmp_path, [1, 0, 1] * 20 + [1], [1, 0, 0] * 20 + [1],
                      ["a"] * 60 + ["one"], name="one.csv"),
        "--min-group-size", "0",
    )  # fmt: skip
    assert status == 0
    row = next(ln for ln in text.splitlines() if ln.split()[:1] == ["one"])
    assert "1.0000  [0.207, 1.000]" in row  # Wilson at 1 of 1 row


def test_audit_stdout_lines_keep_their_order(recidivism_csv, tmp_path):
    path = recidivism_csv[0]
    report = tmp_path / "report.html"
    result = subprocess.run(
        [sys.executable, "-m", "skfair", "audit", str(path), "--target", "y",
         "--prediction", "y_hat", "--sensitive", "race,sex", "--n-boot", "20",
         "--html", str(report)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # one stream: the order the user sees
        text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    warning = next(i for i, ln in enumerate(lines) if "warning: 2 group(s)" in ln)
    table = next(i for i, ln in enumerate(lines) if "selection_rate" in ln)
    wrote = lines.index(f"wrote {report}")
    assert 0 < warning < table < wrote
    assert not any("warning" in ln for ln in lines[table:])


def test_audit_says_wrote_only_after_writing(recidivism_csv, tmp_path, monkeypatch):
    from skfair import _cli

    report = tmp_path / "report.html"
    seen = []
    original = _cli._write_html

    def writing(*args, **kwargs):
        seen.append(out.getvalue())
        return original(*args, **kwargs)

    class Out(io.StringIO):
        def write(self, text):
            if text.lstrip().startswith("wrote "):
                seen.append(report.exists())
            return super().write(text)

    monkeypatch.setattr(_cli, "_write_html", writing)
    out = Out()
    argv = ["audit", str(recidivism_csv[0]), "--target", "y", "--prediction"]
    argv += ["y_hat", "--sensitive", "race,sex", "--n-boot", "20"]
    assert main([*argv, "--html", str(report)], out=out) == 0
    before, existed = seen
    assert f"wrote {report}" not in before and "Headline metrics" in before
    assert existed is True
    assert out.getvalue().rstrip().endswith(f"wrote {report}")


def test_audit_confidence_prints_the_certified_bounds(recidivism_csv, tmp_path):
    from skfair.metrics._certified import gap_upper_bound

    path, y, y_hat, codes = recidivism_csv
    status, plain = _recidivism_audit(path, "--n-boot", "20")
    assert status == 0 and "Certified" not in plain
    report = tmp_path / "report.html"
    status, text = _recidivism_audit(
        path, "--n-boot", "20", "--confidence", "0.95", "--html", str(report)
    )
    assert status == 0
    # Everything before the new section is unchanged.
    assert text.split("\nCertified")[0] == plain
    section = text.split("Certified 95% upper bounds")[1]
    rows = ~np.isin(codes, list(_TINY))
    for name in (
        "demographic_parity_difference",
        "equal_opportunity_difference",
        "equalized_odds_difference",
    ):
        line = next(ln for ln in section.splitlines() if ln.split()[:1] == [name])
        bound = gap_upper_bound(
            y[rows], y_hat[rows], sensitive_features=codes[rows], metric=name
        )
        assert float(line.split()[2]) == pytest.approx(bound, abs=5e-5)
        assert float(line.split()[2]) > float(line.split()[1])
    assert "independent sample" in section and "fixed before" in section
    page = report.read_text(encoding="utf-8")
    assert '<h2 id="certified">' in page and "independent sample" in page


@pytest.mark.parametrize("level", ["1.5", "0", "-0.2"])
def test_audit_rejects_a_confidence_outside_0_1(recidivism_csv, capsys, level):
    status, text = _recidivism_audit(recidivism_csv[0], "--confidence", level)
    err = capsys.readouterr().err
    assert status == 2 and text == ""
    assert "--confidence must be between 0 and 1" in err
    assert len(err.strip().splitlines()) == 1
