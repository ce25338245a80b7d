"""tlhelpers.matrix: the budget rule, metrics, summaries and one tiny run of every strategy."""

import json

import pytest
import torch

from tlhelpers.data import PreloadedDataset
from tlhelpers.matrix import (
    QUADRANTS,
    STRATEGIES,
    Budget,
    Context,
    balanced_accuracy,
    learning_curves,
    load_results,
    quadrant_verdicts,
    results_table,
    run_strategy,
    summarize,
    verdict,
    write_results,
)
from tlhelpers.models import get_model


def fake_rows(accuracies, dataset="photos", n_per_class=5, seconds=None):
    """Rows as run_sweep writes them: ``accuracies`` maps strategy → one accuracy per seed."""
    seconds = seconds or {}
    return [
        {"dataset": dataset, "n_per_class": n_per_class, "seed": seed, "strategy": strategy, "acc": acc,
         "seconds": seconds.get(strategy, 1.0), "num_train": 10, "epochs": 1, "steps": 1}
        for strategy, values in accuracies.items() for seed, acc in enumerate(values)
    ]  # fmt: skip


def test_budget_gives_every_strategy_the_same_steps():
    budget = Budget(epochs=2, min_steps=60, batch_size=32)
    assert budget.num_epochs(10_000) == 2 and budget.num_steps(10_000) == 2 * 313
    assert budget.num_epochs(50) == 30 and budget.num_steps(50) == 60, "small sets: at least min_steps steps"
    assert budget.num_epochs(5) == 60


def test_balanced_accuracy_weighs_classes_equally():
    targets = [0, 0, 0, 0, 1]
    assert balanced_accuracy(targets, [0, 0, 0, 0, 0]) == pytest.approx(0.5)
    assert balanced_accuracy(torch.tensor(targets), torch.tensor(targets)) == 1.0
    assert balanced_accuracy([2, 2, 0], [2, 1, 0]) == pytest.approx(0.75), "absent classes do not count"


def test_summarize_and_verdict_pair_seeds():
    rows = fake_rows({"features": [0.80, 0.82, 0.84], "fine_tuning": [0.70, 0.80, 0.78], "scratch": [0.2, 0.2, 0.2]})
    summary = {row["strategy"]: row for row in summarize(rows)}
    assert summary["features"]["mean"] == pytest.approx(0.82) and summary["features"]["num_seeds"] == 3
    assert summary["features"]["std"] == pytest.approx(torch.tensor([0.80, 0.82, 0.84]).std(unbiased=False).item())
    found = verdict(rows, "photos", 5)
    assert (found.winner, found.runner_up) == ("features", "fine_tuning")
    assert found.margin == pytest.approx(((0.10 + 0.02 + 0.06) / 3))
    assert found.clear
    tie = verdict(fake_rows({"features": [0.8, 0.7], "fine_tuning": [0.7, 0.8]}), "photos", 5)
    assert tie.margin == pytest.approx(0.0) and not tie.clear
    with pytest.raises(KeyError, match="no runs of photos with 7"):
        verdict(rows, "photos", 7)


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


def test_results_file_round_trip(tmp_path):
    rows = fake_rows({"features": [0.8]})
    path = tmp_path / "results" / "matrix.json"
    write_results(path, rows, {"photos": {"score": 0.1, "std": 0.01}}, Budget(), [], "python -m x", 12.3)
    loaded = load_results(path)
    assert loaded["runs"] == rows and loaded["about"]["command"] == "python -m x"
    assert {"date", "wall_seconds", "environment", "budget"} <= set(loaded["about"])
    assert json.loads(path.read_text())["about"]["budget"]["min_steps"] == Budget().min_steps
    with pytest.raises(FileNotFoundError, match="python -m tlhelpers.matrix"):
        load_results(tmp_path / "missing.json")


def tiny_dataset(count, seed):
    generator = torch.Generator().manual_seed(seed)
    targets = [i % 2 for i in range(count)]
    images = torch.randn(count, 3, 32, 32, generator=generator) + torch.tensor(targets)[:, None, None, None] * 2
    return PreloadedDataset(images, targets, ["dark", "bright"], [f"{seed}/{i}" for i in range(count)])


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_every_strategy_runs_on_a_tiny_problem(strategy, tmp_path):
    context = Context(get_model("mobilenet_v2", weights=None).eval(), str(tmp_path))
    before = {name: tensor.clone() for name, tensor in context.pretrained.state_dict().items()}
    train, held_out = tiny_dataset(8, seed=0), tiny_dataset(6, seed=1)
    result = run_strategy(strategy, train, {"eval": held_out}, Budget(epochs=1, min_steps=2, batch_size=4), 0, context)
    assert set(result) == {"seconds", "eval"} and 0 <= result["eval"] <= 1
    after = context.pretrained.state_dict()
    assert all(torch.equal(before[name], after[name]) for name in before), "the shared model is never modified"


def test_compare_runs_checks_each_point_against_the_committed_spread():
    from tlhelpers.matrix import compare_runs, comparison_report

    committed = fake_rows({"features": [0.80, 0.84, 0.82], "fine_tuning": [0.70, 0.70, 0.70]})
    same = compare_runs(committed, committed)
    assert all(row["within"] and row["identical"] == 3 for row in same)
    assert comparison_report(same).splitlines()[-1] == "2 of 2 points within the committed spread; 6 of 6 runs identical to the committed ones"

    moved = fake_rows({"features": [0.81, 0.85, 0.83], "fine_tuning": [0.75, 0.75, 0.75]})
    by_strategy = {row["strategy"]: row for row in compare_runs(moved, committed)}
    assert by_strategy["features"]["within"], "1 point off, spread 1.6 points: 2 std = 3.3"
    assert not by_strategy["fine_tuning"]["within"], "5 points off where the seeds agreed: beyond the 2-point floor"
    report = comparison_report(compare_runs(moved, committed))
    assert "fine_tuning" in report and "OUTSIDE" in report and report.endswith("1 of 2 points within the committed spread; 0 of 6 runs identical to the committed ones")

    with pytest.raises(KeyError, match="not in the reference"):
        compare_runs(fake_rows({"features": [0.5]}, dataset="fashion_mnist"), committed)
