"""Tests of the command line: ``python -m skfair demo | audit``."""

import io
import subprocess
import sys

import numpy as np
import pytest

from skfair._cli import main
from skfair.metrics import equalized_odds_difference


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
    line = next(ln for ln in text.splitlines() if "equalized_odds_difference" in ln)
    assert float(line.split()[-1]) == pytest.approx(expected, abs=5e-5)
    assert "f" in text and "m" in text


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
