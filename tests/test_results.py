"""tlhelpers.decision_matrix.results.

Summaries over seeds, verdicts, curves, the table, and a rerun compared with a reference.
"""

import math
import sys

import pytest
import torch

from tests.fake_results import fake_rows
from tlhelpers.decision_matrix.config import QUADRANTS, STRATEGIES
from tlhelpers.decision_matrix.results import (
    claim_outcome,
    claims_table,
    compare_runs,
    comparison_report,
    learning_curves,
    paired_interval,
    quadrant_verdicts,
    results_table,
    summarize,
    verdict,
)


def test_summarize_and_verdict_pair_seeds():
    rows = fake_rows({"features": [0.80, 0.82, 0.84], "fine_tuning": [0.70, 0.80, 0.78], "scratch": [0.2, 0.2, 0.2]})
    summary = {row["strategy"]: row for row in summarize(rows)}
    assert summary["features"]["mean"] == pytest.approx(0.82) and summary["features"]["num_seeds"] == 3
    assert summary["features"]["std"] == pytest.approx(torch.tensor([0.80, 0.82, 0.84]).std(unbiased=True).item())
    found = verdict(rows, "photos", 5)
    assert (found.winner, found.runner_up) == ("features", "fine_tuning")
    assert found.margin == pytest.approx((0.10 + 0.02 + 0.06) / 3)
    # differences 0.10, 0.02, 0.06: std 0.04, so the 95 % interval 0.06 ± 4.303 × 0.04 / √3 includes 0
    assert found.margin_std == pytest.approx(0.04) and found.num_seeds == 3
    assert found.interval == pytest.approx((0.06 - 4.302653 * 0.04 / 3**0.5, 0.06 + 4.302653 * 0.04 / 3**0.5))
    assert not found.clear and found.outcome == "tie"
    steady = verdict(fake_rows({"features": [0.80, 0.82, 0.84], "fine_tuning": [0.70, 0.73, 0.73]}), "photos", 5)
    assert steady.clear and steady.outcome == "clear" and steady.margin_text() == "+10 (95 % CI +8 to +12; 3 seeds)"
    tie = verdict(fake_rows({"features": [0.8, 0.7], "fine_tuning": [0.7, 0.8]}), "photos", 5)
    assert tie.margin == pytest.approx(0.0) and not tie.clear
    with pytest.raises(KeyError, match="no runs of photos with 7"):
        verdict(rows, "photos", 7)


def test_paired_interval_is_students_t():
    assert paired_interval([0.1, 0.2, 0.3]) == pytest.approx(
        (0.2 - 4.302653 * 0.1 / 3**0.5, 0.2 + 4.302653 * 0.1 / 3**0.5)
    )
    low, high = paired_interval([0.05] * 10)
    assert low == pytest.approx(0.05) and high == pytest.approx(0.05)  # no spread: the interval is the point
    assert paired_interval([0.3]) == (-math.inf, math.inf)  # one seed says nothing about noise
    wide, narrow = paired_interval([0.0, 0.1], 0.95), paired_interval([0.0, 0.1], 0.5)
    assert wide[0] < narrow[0] < narrow[1] < wide[1]


def test_claim_outcome_held_tie_failed():
    rows = fake_rows(
        {
            "features": [0.80, 0.82, 0.84],
            "fine_tuning": [0.70, 0.73, 0.73],
            "scratch": [0.2, 0.25, 0.2],
            "early_features": [0.83, 0.78, 0.84],
        }
    )
    assert claim_outcome(rows, "photos", 5, ("features",))[0] == "tie"  # wins, but early_features is within noise
    assert claim_outcome(rows, "photos", 5, ("early_features",))[0] == "tie"  # loses within noise
    outcome, duel = claim_outcome(rows, "photos", 5, ("scratch",))
    assert outcome == "failed" and (duel.winner, duel.runner_up) == ("features", "scratch")
    outcome, _ = claim_outcome(rows, "photos", 5, ("scratch", "fine_tuning"))  # the better pick decides
    assert outcome == "failed"
    clear = fake_rows({"features": [0.80, 0.82, 0.84], "fine_tuning": [0.70, 0.73, 0.73]})
    assert claim_outcome(clear, "photos", 5, ("features",))[0] == "held"


def test_claims_table_names_both_sources():
    rows = []
    for dataset, n in QUADRANTS.values():
        rows += fake_rows(
            {
                "features": [0.8, 0.9, 0.85],
                "fine_tuning": [0.6, 0.7, 0.65],
                "scratch": [0.1, 0.1, 0.1],
                "early_features": [0.5, 0.5, 0.5],
            },
            dataset,
            n,
        )
    lines = claims_table(rows).splitlines()
    assert "lecture claim" in lines[0] and "CS231n claim" in lines[0] and len(lines) == 1 + len(QUADRANTS)
    assert "feature extraction: held" in lines[1] and "from scratch: failed" in lines[2]


def test_curves_table_and_quadrants():
    rows = []
    for dataset, n in QUADRANTS.values():
        rows += fake_rows({"features": [0.8, 0.9], "fine_tuning": [0.6, 0.7]}, dataset, n)
    rows += fake_rows({"features": [0.5, 0.5]}, "photos", 1)
    curves = learning_curves(rows)
    amounts, means, stds = curves["photo stamps"][STRATEGIES["features"]]
    assert amounts == [1, 5, 10] and means == pytest.approx([0.5, 0.85, 0.85]) and stds[0] == 0
    verdicts = quadrant_verdicts(rows)
    assert set(verdicts) == set(QUADRANTS) and all(v.winner == "features" for v in verdicts.values())
    table = results_table(rows).splitlines()
    assert table[0].split()[:2] == ["dataset", "n/class"] and len(table) == 1 + 5
    assert table[1].split() == ["photos", "1", "—", "50", "±", "0", "—", "—"]


def test_compare_runs_checks_each_point_against_the_committed_spread():
    committed = fake_rows({"features": [0.80, 0.84, 0.82], "fine_tuning": [0.70, 0.70, 0.70]})
    same = compare_runs(committed, committed)
    assert all(row["within"] and row["identical"] == 3 for row in same)
    assert (
        comparison_report(same).splitlines()[-1]
        == "2 of 2 points within the committed spread; 6 of 6 runs identical to the committed ones"
    )

    moved = fake_rows({"features": [0.81, 0.85, 0.83], "fine_tuning": [0.75, 0.75, 0.75]})
    by_strategy = {row["strategy"]: row for row in compare_runs(moved, committed)}
    assert by_strategy["features"]["within"], "1 point off, spread 1.6 points: 2 std = 3.3"
    assert not by_strategy["fine_tuning"]["within"], "5 points off where the seeds agreed: beyond the 2-point floor"
    report = comparison_report(compare_runs(moved, committed))
    assert (
        "fine_tuning" in report
        and "OUTSIDE" in report
        and report.endswith("1 of 2 points within the committed spread; 0 of 6 runs identical to the committed ones")
    )

    with pytest.raises(KeyError, match="not in the reference"):
        compare_runs(fake_rows({"features": [0.5]}, dataset="fashion_mnist"), committed)


def test_reading_results_does_not_import_the_training_stack():
    import subprocess

    code = (
        "import sys, tlhelpers.decision_matrix.results, tlhelpers.decision_matrix.config; "
        "print(sorted(m for m in ('torch', 'tlhelpers.train', 'tlhelpers.decision_matrix.sweep') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
