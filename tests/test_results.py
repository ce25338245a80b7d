"""tlhelpers.decision_matrix.results.

Summaries over seeds, verdicts, curves, the table, and a rerun compared with a reference.
"""

import math
import sys

import numpy as np
import pytest
import torch

from tests.fake_results import fake_rows
from tlhelpers.decision_matrix.config import QUADRANTS, STRATEGIES
from tlhelpers.decision_matrix.results import (
    TIE_MARGIN,
    claim_outcome,
    claims_table,
    compare_runs,
    comparison_report,
    learning_curves,
    margin_between,
    outcome,
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
    # rows without image-level results: the seeds' t-interval alone
    assert found.num_seeds == 3 and found.compared.test_error is None
    assert found.interval == pytest.approx((0.06 - 4.302653 * 0.04 / 3**0.5, 0.06 + 4.302653 * 0.04 / 3**0.5))
    assert not found.clear and found.outcome == "undecided"  # from −4 to +16 points: it cannot tell
    steady = verdict(fake_rows({"features": [0.80, 0.82, 0.84], "fine_tuning": [0.70, 0.73, 0.73]}), "photos", 5)
    assert steady.clear and steady.outcome == "clear" and steady.margin_text() == "+10 (95 % CI +8 to +12; 3 seeds)"
    wide = verdict(fake_rows({"features": [0.8, 0.7], "fine_tuning": [0.7, 0.8]}), "photos", 5)
    assert wide.margin == pytest.approx(0.0) and wide.outcome == "undecided"
    level = verdict(fake_rows({"features": [0.801, 0.805, 0.80], "fine_tuning": [0.80, 0.80, 0.80]}), "photos", 5)
    assert level.outcome == "tie"  # the whole interval within ±2 points
    with pytest.raises(KeyError, match="no runs of photos with 7"):
        verdict(rows, "photos", 7)


def test_outcome_has_three_words():
    assert outcome((0.01, 0.05)) == "clear"
    assert outcome((-0.015, 0.019)) == "tie" and outcome((0.001, 0.019)) == "tie"  # ahead, but by under 2 points
    assert outcome((-0.13, 0.21)) == "undecided"  # the advisor's old "tie": an interval that says nothing
    assert outcome((-0.03, 0.01)) == "undecided"
    assert TIE_MARGIN == 0.02


def _image_rows(strategy, seed, correct, labels, held_out="same"):
    labels_text = "".join(str(label) for label in labels)
    by_class = {label: [c for c, own in zip(correct, labels) if own == label] for label in set(labels)}
    acc = sum(sum(v) / len(v) for v in by_class.values()) / len(by_class)
    return {
        "dataset": "photos",
        "n_per_class": 5,
        "seed": seed,
        "strategy": strategy,
        "acc": acc,
        "seconds": 1.0,
        "correct": "".join(str(c) for c in correct),
        "labels": labels_text,
        "held_out": held_out,
    }


def test_margin_adds_the_held_out_images_noise():
    labels = [0] * 10 + [1] * 10
    a_correct = [1] * 8 + [0] * 2 + [1] * 7 + [0] * 3  # 80 % and 70 %: balanced 75 %
    b_correct = [1] * 7 + [0] * 3 + [1] * 6 + [0] * 4  # one image fewer per class: balanced 65 %
    a = [_image_rows("features", seed, a_correct, labels) for seed in range(3)]
    b = [_image_rows("fine_tuning", seed, b_correct, labels) for seed in range(3)]
    found = margin_between(a, b)
    # every seed the same: the seeds say ±0, only the 20 images say how far the 10 points could move
    assert found.margin == pytest.approx(0.10) and found.seed_interval == pytest.approx((0.10, 0.10))
    per_class_var = np.var([1] + [0] * 9, ddof=1) / 10  # each class: one image differs out of ten
    assert found.test_error == pytest.approx(math.sqrt(2 * per_class_var) / 2)
    assert found.interval == pytest.approx((0.10 - 1.959964 * found.test_error, 0.10 + 1.959964 * found.test_error))
    assert found.num_images == 20 and found.text().endswith("; 3 seeds × 20 images)")
    assert found.outcome == "undecided"  # 10 points on 20 images: one image per class
    behind = margin_between(b, a)  # the other way round: the same outcome, for the one ahead
    assert behind.margin == pytest.approx(-0.10) and behind.outcome == "undecided"
    steady = [_image_rows("features", s, [1] * 20, labels) for s in range(3)]
    worse = [_image_rows("fine_tuning", s, [0] * 20, labels) for s in range(3)]
    assert margin_between(worse, steady).outcome == "clear" and margin_between(worse, steady).margin == -1.0
    # each seed held out its own images (the cartoons): their noise is already in the seeds' spread
    own = [_image_rows("features", s, a_correct, labels, held_out=str(s)) for s in range(3)]
    assert (
        margin_between(own, [_image_rows("fine_tuning", s, b_correct, labels, str(s)) for s in range(3)]).test_error
        is None
    )


def test_paired_interval_is_students_t():
    assert paired_interval([0.1, 0.2, 0.3]) == pytest.approx(
        (0.2 - 4.302653 * 0.1 / 3**0.5, 0.2 + 4.302653 * 0.1 / 3**0.5)
    )
    low, high = paired_interval([0.05] * 10)
    assert low == pytest.approx(0.05) and high == pytest.approx(0.05)  # no spread: the interval is the point
    assert paired_interval([0.3]) == (-math.inf, math.inf)  # one seed says nothing about noise
    wide, narrow = paired_interval([0.0, 0.1], 0.95), paired_interval([0.0, 0.1], 0.5)
    assert wide[0] < narrow[0] < narrow[1] < wide[1]


def test_rule_outcome_held_tie_failed_undecided():
    rows = fake_rows(
        {
            "features": [0.80, 0.82, 0.84],
            "fine_tuning": [0.70, 0.73, 0.73],
            "scratch": [0.2, 0.25, 0.2],
            "early_features": [0.83, 0.78, 0.84],
        }
    )
    assert claim_outcome(rows, "photos", 5, ("features",))[0] == "undecided"  # wins, but early_features is close
    assert claim_outcome(rows, "photos", 5, ("early_features",))[0] == "undecided"  # loses, inside a wide interval
    level = fake_rows({"features": [0.801, 0.805, 0.80], "fine_tuning": [0.80, 0.80, 0.80], "scratch": [0.1] * 3})
    assert claim_outcome(level, "photos", 5, ("fine_tuning",))[0] == "tie"  # within ±2 points of the winner
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
