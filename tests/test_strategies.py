"""tlhelpers.decision_matrix.strategies (and the budget rule of tlhelpers.decision_matrix.config).

Metrics and one tiny run of every strategy.
"""

import pytest
import torch

from tlhelpers.data import PreloadedDataset
from tlhelpers.decision_matrix.config import RECIPE_VARIANTS, STRATEGIES, Budget
from tlhelpers.decision_matrix.strategies import balanced_accuracy, run_strategy
from tlhelpers.models import get_model


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


def tiny_dataset(count, seed):
    generator = torch.Generator().manual_seed(seed)
    targets = [i % 2 for i in range(count)]
    images = torch.randn(count, 3, 32, 32, generator=generator) + torch.tensor(targets)[:, None, None, None] * 2
    return PreloadedDataset(images, targets, ["dark", "bright"], [f"{seed}/{i}" for i in range(count)])


@pytest.mark.parametrize("strategy", [*STRATEGIES, *RECIPE_VARIANTS])
def test_every_strategy_runs_on_a_tiny_problem(strategy, tmp_path):
    pretrained = get_model("mobilenet_v2", weights=None).eval()
    before = {name: tensor.clone() for name, tensor in pretrained.state_dict().items()}
    train, held_out = tiny_dataset(8, seed=0), tiny_dataset(6, seed=1)
    budget = Budget(epochs=1, min_steps=2, batch_size=4)
    result = run_strategy(strategy, train, {"eval": held_out}, budget, 0, pretrained, str(tmp_path))
    assert set(result) == {"seconds", "eval", "images"} and 0 <= result["eval"] <= 1
    after = pretrained.state_dict()
    assert all(torch.equal(before[name], after[name]) for name in before), "the shared model is never modified"


def test_the_recipe_variants_change_one_choice_each(tmp_path, monkeypatch):
    from tlhelpers.decision_matrix import strategies

    calls = {}

    def recording_fine_tune(model, loader, **options):
        calls[options.pop("progress"), len(calls)] = options
        return None

    monkeypatch.setattr(strategies, "fine_tune", recording_fine_tune)
    pretrained = get_model("mobilenet_v2", weights=None).eval()
    train, held_out = tiny_dataset(8, seed=0), tiny_dataset(6, seed=1)
    budget = Budget(epochs=4, min_steps=2, batch_size=4)
    for strategy in ["fine_tuning", *RECIPE_VARIANTS]:
        run_strategy(strategy, train, {"eval": held_out}, budget, 0, pretrained, str(tmp_path))
    recipe, updated, two_stage, cosine = calls.values()
    assert recipe == {"epochs": 4, "head_lr": 1e-3, "backbone_lr": 1e-4, "device": "cpu", "head_epochs": 0}
    assert updated == recipe | {"batchnorm": "updated"} and two_stage == recipe | {"head_epochs": 2}
    assert cosine == recipe | {"cosine": True}
