"""The exercise checkers: right answers pass, wrong ones get a reason that does not print the answer."""

from __future__ import annotations

import torch
import torchvision
from torch import nn
from torchvision.transforms import v2

from tlhelpers.exercises import notebook01, notebook02, notebook03, notebook04, notebook05, notebook06
from tlhelpers.models import backbone_blocks, unfreeze
from tlhelpers.train import History, fit, param_groups


def test_shirt_categories():
    categories = ["sweatshirt", "jersey", "Shirt rack"]
    assert notebook01.check_shirt_categories(["sweatshirt", "Shirt rack"], categories)
    assert "missing" in notebook01.check_shirt_categories(["sweatshirt"], categories).message
    assert "does not contain" in notebook01.check_shirt_categories(["jersey"], categories).message
    assert notebook01.check_shirt_categories(..., categories).status == "not attempted"


def test_numbers_say_too_high_or_low_without_the_value():
    result = notebook01.check_training_flops(4e18)
    assert result.message == (
        "exercise 4: not quite: too high — hint: 3 × forward FLOPs × images × epochs, and a multiply-add is 2 FLOPs"
    )
    assert "2.8" not in result.message
    assert notebook01.check_training_flops(2.8288936e18)
    assert "too low" in notebook01.check_training_flops(1.4144468e18).message  # multiply-adds taken for FLOPs
    assert "multiply by 1e9" in notebook01.check_training_flops(2.8e9).message


def test_resnet_head_swap():
    model = torchvision.models.resnet18(weights=None)
    model.fc = nn.Linear(512, 5)
    assert notebook02.check_resnet_head_swap(model, model.eval()(torch.zeros(1, 3, 32, 32)), 5)
    assert "batch dimension" in notebook02.check_resnet_head_swap(model, torch.zeros(5), 5).message
    model.fc = nn.Linear(100, 5)
    assert "as many features" in notebook02.check_resnet_head_swap(model, torch.zeros(1, 5), 5).message


def correct_loop(model, train_loader, val_loader, optimizer, epochs, zero_grad=True, keep_statistics=True):
    accuracies = []
    for _ in range(epochs):
        model.train()
        if keep_statistics:
            model.features.eval()
        for inputs, targets in train_loader:
            if zero_grad:
                optimizer.zero_grad()
            nn.functional.cross_entropy(model(inputs), targets).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            hits = sum(int((model(x).argmax(1) == y).sum()) for x, y in val_loader)
        accuracies.append(hits / sum(len(y) for _, y in val_loader))
    return accuracies


def test_training_loop():
    assert notebook03.check_training_loop(correct_loop)

    def no_eval(model, train_loader, val_loader, optimizer, epochs):
        accuracies = correct_loop(model, train_loader, val_loader, optimizer, epochs)
        model.train()
        with torch.no_grad():
            for x, _ in val_loader:
                model(x)
        return accuracies

    assert "train mode while validating" in notebook03.check_training_loop(no_eval).message

    def accumulates(model, train_loader, val_loader, optimizer, epochs):
        return correct_loop(model, train_loader, val_loader, optimizer, epochs, zero_grad=False)

    assert "zero_grad" in notebook03.check_training_loop(accumulates).message

    def statistics_drift(model, train_loader, val_loader, optimizer, epochs):
        return correct_loop(model, train_loader, val_loader, optimizer, epochs, keep_statistics=False)

    assert "running statistics moved" in notebook03.check_training_loop(statistics_drift).message

    def all_eval(model, train_loader, val_loader, optimizer, epochs):  # keeps the statistics the wrong way
        for _ in range(epochs):
            model.eval()
            for inputs, targets in train_loader:
                optimizer.zero_grad()
                nn.functional.cross_entropy(model(inputs), targets).backward()
                optimizer.step()
        return [0.0] * epochs

    assert "eval mode while training" in notebook03.check_training_loop(all_eval).message
    assert notebook03.check_training_loop(lambda *args: ...).status == "not attempted"


def test_two_stage():
    def two_stage(model, train_loader, val_loader, head_epochs, full_epochs):
        unfreeze(model, 0)
        first = fit(
            model,
            train_loader,
            val_loader,
            epochs=head_epochs,
            progress=False,
            optimizer=torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2),
        )
        unfreeze(model, len(backbone_blocks(model)))
        optimizer = torch.optim.Adam(param_groups(model, head_lr=1e-2, backbone_lr=1e-3))
        return first, fit(model, train_loader, val_loader, epochs=full_epochs, optimizer=optimizer, progress=False)

    assert notebook04.check_two_stage(two_stage)

    def one_stage(model, train_loader, val_loader, head_epochs, full_epochs):
        history = fit(model, train_loader, val_loader, epochs=head_epochs + full_epochs, progress=False)
        return history, History()

    assert (
        "stage 1 the backbone was trainable" in notebook04.check_two_stage(one_stage).message
        or "did not train for" in notebook04.check_two_stage(one_stage).message
    )


def test_strong_augment_rejects_an_identity_transform():
    image = torch.rand(3, 96, 96)
    assert notebook04.check_strong_augment(
        v2.Compose([v2.RandomResizedCrop(96, scale=(0.2, 1.0)), v2.RandomHorizontalFlip(), v2.RandomRotation(15)]),
        image,
    )
    assert notebook04.check_strong_augment(v2.Compose([v2.Identity()]), image).status == "wrong"
    assert notebook04.check_strong_augment(nn.Identity(), image).status == "wrong"


def test_paired_margin():
    runs = [
        {"dataset": "fashion_mnist", "n_per_class": 1000, "seed": seed, "strategy": strategy, "acc": acc}
        for seed, (a, b) in enumerate([(0.9, 0.8), (0.8, 0.8), (0.7, 0.6)])
        for strategy, acc in (("fine_tuning", a), ("features", b))
    ]

    def right(rows, dataset, n, a, b):
        acc = {
            s: {r["seed"]: r["acc"] for r in rows if (r["dataset"], r["n_per_class"], r["strategy"]) == (dataset, n, s)}
            for s in (a, b)
        }
        seeds = set(acc[a]) & set(acc[b])
        return 100 * sum(acc[a][s] - acc[b][s] for s in seeds) / len(seeds)

    def unpaired(rows, dataset, n, a, b):
        values = {s: [r["acc"] for r in rows if r["strategy"] == s and r["n_per_class"] == n] for s in (a, b)}
        return 100 * (sum(values[a]) / len(values[a]) - sum(values[b]) / len(values[b]))

    assert notebook05.check_paired_margin(right, runs)
    assert "one of b's seeds missing" in notebook05.check_paired_margin(unpaired, runs).message


def test_best_epoch_does_not_give_an_off_by_one_away():
    history = History(val_loss=[0.9, 0.5, 0.7])
    assert notebook04.check_best_epoch(2, history)
    off_by_one, far = notebook04.check_best_epoch(1, history), notebook04.check_best_epoch(3, history)
    assert not off_by_one and not far
    assert off_by_one.message.replace("epoch 1", "epoch 3") == far.message  # the same words either way
    assert "an int" in notebook04.check_best_epoch(2.0, history).message
    assert "epochs 1 to 3" in notebook04.check_best_epoch(7, history).message


def test_kendall_tau_checker_compares_with_scipy_on_hand_made_and_random_lists():
    def right(x, y):
        n = len(x)
        pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
        return sum(((x[i] - x[j]) * (y[i] - y[j]) > 0) - ((x[i] - x[j]) * (y[i] - y[j]) < 0) for i, j in pairs) / len(
            pairs
        )

    def concordant_only(x, y):  # forgets to subtract the discordant pairs
        n = len(x)
        pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
        return sum((x[i] - x[j]) * (y[i] - y[j]) > 0 for i, j in pairs) / len(pairs)

    assert notebook06.check_kendall_tau(right)
    wrong = notebook06.check_kendall_tau(concordant_only)
    assert "on the reverse order: too high" in wrong.message and "order agrees" in wrong.message
    assert "raised ZeroDivisionError" in notebook06.check_kendall_tau(lambda x, y: 1 / 0).message
    assert notebook06.check_kendall_tau(...).status == "not attempted"


def test_selection_regret_checker():
    rows = [
        {"dataset": "photos", "n_per_class": 5, "seed": 0, "strategy": strategy, "acc": acc, "logme": score}
        | ({"model": model} if model else {})
        for model, strategy, acc, score in [
            (None, "features", 0.9, -1.0),
            (None, "early_features", 0.7, -2.0),
            ("b", "features", 0.8, 0.5),
            ("b", "early_features", 0.6, -3.0),
        ]
    ]
    draw = ("photos", 5, 0)
    assert notebook06.check_selection_regret(10.0, rows, draw)  # LogME picks b-last, 80 % against 90 %
    assert "too low" in notebook06.check_selection_regret(0.1, rows, draw).message  # a fraction, not points
    high = notebook06.check_selection_regret(20.0, rows, draw).message
    assert "too high" in high and "10.0" not in high and " 10 " not in high
