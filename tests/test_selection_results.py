"""Reading the model-selection results: Kendall's τ and regret per draw, per point and over all draws."""

import math
import subprocess
import sys

import pytest

from tlhelpers.decision_matrix.selection_results import (
    QUESTIONS,
    candidates,
    selection_report,
    selection_table,
    tau_and_regret,
)


def row(dataset, n, seed, strategy, acc, model=None, **scores):
    values = {
        "dataset": dataset,
        "n_per_class": n,
        "seed": seed,
        "strategy": strategy,
        "acc": acc,
        "seconds": 1.0,
        "num_train": 1,
        "epochs": 1,
        "steps": 1,
        **scores,
    }
    return values | ({"model": model} if model else {})


def draw_rows(seed, probe, tuned, logme, leep):
    """Two backbones (a = mobilenet_v2, b), two layers.

    Probe accuracies and LogME in the order a-last, a-early, b-last, b-early.
    """
    rows = []
    for index, (model, strategy) in enumerate(
        [(None, "features"), (None, "early_features"), ("b", "features"), ("b", "early_features")]
    ):
        extra = {"leep": leep[index // 2]} if strategy == "features" else {}
        rows.append(row("photos", 5, seed, strategy, probe[index], model, logme=logme[index], h_score=1.0, **extra))
    rows += [row("photos", 5, seed, "fine_tuning", tuned[0]), row("photos", 5, seed, "fine_tuning", tuned[1], "b")]
    return rows


def test_tau_and_regret_by_hand():
    assert tau_and_regret([("a", 1, 0.9), ("b", 2, 0.8), ("c", 3, 0.7)]) == (-1.0, pytest.approx(20.0))
    assert tau_and_regret([("a", 1, 0.7), ("b", 2, 0.8), ("c", 3, 0.9)]) == (1.0, 0.0)
    tau, regret = tau_and_regret([("a", 1, 0.8), ("b", 2, 0.7), ("c", 3, 0.9), ("d", 4, 0.6)])
    assert tau == pytest.approx(-1 / 3) and regret == pytest.approx(30.0)  # 2 concordant pairs of 6, 4 discordant
    assert tau_and_regret([("a", 1, 0.5), ("b", 1, 0.5)])[0] == 0.0  # nothing to order: 0, not NaN


def test_selection_table_reads_each_question_per_draw():
    rows = draw_rows(0, probe=[0.8, 0.6, 0.9, 0.7], tuned=[0.85, 0.95], logme=[-1, -3, 0, -2], leep=[-0.5, -0.4])
    rows += draw_rows(1, probe=[0.9, 0.6, 0.8, 0.7], tuned=[0.95, 0.85], logme=[-1, -3, 0, -2], leep=[-0.5, -0.4])
    table = {(e["question"], e["dataset"]): e for e in selection_table(rows)}
    probe = table[(QUESTIONS[0].label, "photos")]
    assert probe["draws"] == 2 and probe["tau"] == pytest.approx((1 + 2 / 3) / 2) and probe["right"] == 1
    assert probe["regret"] == pytest.approx(5.0)  # seed 1 picks b-last (0.8) over a-last (0.9)
    tuned = table[(QUESTIONS[1].label, "all")]
    assert (tuned["tau_min"], tuned["tau_max"], tuned["right"]) == (-1.0, 1.0, 1)
    assert math.isfinite(table[(QUESTIONS[3].label, "all")]["tau_interval"][0])  # 2 draws: an interval exists
    assert [name for name, _, _ in candidates(rows, ("photos", 5, 0), QUESTIONS[3])] == ["mobilenet_v2", "b"]
    report = selection_report(rows)
    assert report.splitlines()[0] == QUESTIONS[0].label and "best picked in 1/2" in report


def test_reading_results_imports_no_torch():
    code = (
        "import sys, tlhelpers.decision_matrix.selection_results, tlhelpers.decision_matrix.results; "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
