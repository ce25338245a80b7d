"""The checkers in Korean: every checker, each outcome, prints Korean that gives no answer away.

Every checker decorated by ``checker`` in tlhelpers/exercises is found by itself (:func:`discovered_checkers`)
and has cases below for "not attempted", "wrong" and "correct". Each case runs in English, in Korean and in
English again: the Korean has Hangul and none of the English templates' words, the English comes back
exactly, and :func:`translate_output` turns the English line into the Korean one.

The checkers of the heavy notebooks run for real on stand-ins, as tests/test_exercise_checks.py does: tiny
models and data, and where a checker loads course data or a slow score (``extract_features``, ``stamps``,
``layer_distances``, ``similarity_score``, ``keep_classes``), that function is replaced for the call by
one returning made-up values. No case needs the course's data or weights.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import inspect
import io
import json
import re
import string
from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image
from torch import nn
from torchvision.transforms import v2

from tests.fake_results import fake_rows
from tlhelpers.exercises import checks, messages, notebook01, notebook02, notebook03, notebook04, notebook05, notebook06
from tlhelpers.exercises.checks import CheckResult

ROOT = Path(__file__).resolve().parents[1]
CHECKER_MODULES = (checks, notebook01, notebook02, notebook03, notebook04, notebook05, notebook06)
HANGUL = re.compile("[\uac00-\ud7a3]")


@pytest.fixture(autouse=True)
def english_by_default(monkeypatch):
    """Each test starts with no language chosen and no TLHELPERS_LANGUAGE, and leaves none chosen."""
    monkeypatch.delenv(messages.ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.setattr(messages, "_chosen", None)


def discovered_checkers() -> list[Callable]:
    """Every public function of the checker modules that ``checker`` made (they share its wrapper's code)."""
    wrapper_code = checks.checker(lambda: None).__code__
    found = []
    for module in CHECKER_MODULES:
        for name, function in vars(module).items():
            if (
                not name.startswith("_")
                and getattr(function, "__code__", None) is wrapper_code
                and function.__module__ == module.__name__
            ):
                found.append(function)
    return found


def checker_id(function: Callable) -> str:
    return f"{function.__module__.rsplit('.', 1)[1]}.{function.__name__}"


# --- stand-ins -----------------------------------------------------------------------------------


def tiny_model(num_classes: int = 10) -> nn.Module:
    """A stand-in for a pretrained CNN: ``0`` (backbone) then ``1`` (head), as in tests/test_checks.py."""
    return nn.Sequential(
        nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()),
        nn.Sequential(nn.Dropout(0.2), nn.Linear(4, num_classes)),
    )


def frozen(model: nn.Module, *names: str) -> nn.Module:
    """``model`` with the parameters ``names`` (default: the whole backbone, ``0``) frozen."""
    for name, parameter in model.named_parameters():
        if any(name == n or name.startswith(n + ".") for n in names or ("0",)):
            parameter.requires_grad = False
    return model


class HalfOutput(nn.Module):
    """A head of 10 scores whose forward pass returns only 5 of them."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.mean(dim=(2, 3)))[:, :5]


class CannotCompare:
    def __eq__(self, other):
        raise TypeError("no comparison")


ZooRow = namedtuple("ZooRow", "model weights acc1 gflops")
ZOO = [
    ZooRow("small", "V1", 71.0, 0.3),
    ZooRow("medium", "V1", 80.5, 4.1),
    ZooRow("medium", "V2", 82.0, 4.1),
    ZooRow("cheap", "V1", 80.3, 1.7),
]
CATEGORIES = ["sweatshirt", "jersey", "Shirt rack", "tabby"]


def probability_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 5, stride=8), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 5))


PHOTO = Image.fromarray(np.random.default_rng(0).integers(0, 256, (300, 260, 3), dtype=np.uint8))


def top_probability() -> float:
    model = probability_model()
    pipeline = v2.Compose([v2.Resize(256), v2.CenterCrop(224), v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])
    with torch.inference_mode():
        return model.eval()(pipeline(PHOTO).unsqueeze(0)).softmax(dim=1).max().item()


def check_probability(answer):
    return notebook01.check_unnormalised_probability(answer, probability_model(), PHOTO)


FLOPS = 3 * 2 * torchvision.models.ResNet50_Weights.IMAGENET1K_V1.meta["_ops"] * 1e9 * 1_281_167 * 90


def resnet(fc: nn.Module | None = None) -> nn.Module:
    model = torchvision.models.resnet18(weights=None)
    model.fc = fc if fc is not None else nn.Linear(512, 5)
    return model


def features_model() -> nn.Module:
    model = nn.Module()
    model.features = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2))
    return model  # for 16 × 16 images: (1, 8, 7, 7)


def hardest(answer):  # class "b" is put into a related ImageNet class least often
    return notebook02.check_hardest_class(answer, [5, 5, 6, 7], [0, 0, 1, 1], ["a", "b"], {"a": {5}, "b": {6}})


def fake_features(model, dataset, layer=None, progress=True):
    """Made-up pooled features and targets for ``dataset`` ("train", "test" or "cartoon")."""
    generator = torch.Generator().manual_seed({"train": 0, "test": 1, "cartoon": 2}[dataset])
    targets = torch.arange(24) % 3
    return torch.randn(24, 4, generator=generator) + 1.5 * nn.functional.one_hot(targets, 4), targets


def check_early_layer(answer):
    with mock.patch("tlhelpers.features.extract_features", fake_features):
        return notebook03.check_early_layer_accuracy(answer, None, "train", "test")


EARLY_ACCURACY = notebook03._logistic_accuracy(*fake_features(None, "train"), *fake_features(None, "test"))


def cartoon_head() -> nn.Module:
    torch.manual_seed(1)
    return nn.Linear(4, 3)


def check_cartoon(answer):
    with (
        mock.patch("tlhelpers.data.stamps", lambda domain, split, transform: "cartoon"),
        mock.patch("tlhelpers.features.extract_features", fake_features),
    ):
        return notebook03.check_cartoon_accuracy(answer, None, cartoon_head(), None)


def cartoon_accuracy() -> float:
    features, targets = fake_features(None, "cartoon")
    with torch.no_grad():
        return (cartoon_head()(features).argmax(dim=1) == targets).float().mean().item()


def train_loop(
    model,
    train_loader,
    val_loader,
    optimizer,
    epochs,
    zero_grad=True,
    keep_statistics=True,
    eval_first=True,
    no_grad=True,
    passes=1,
    accuracies=None,
):
    """The loop of exercise 03 · 3, and (by its flags) the mistakes the checker names."""
    result = []
    for _ in range(epochs):
        model.train()
        if keep_statistics:
            model.features.eval()
        if not eval_first:
            model.eval()
        for _ in range(passes):
            for inputs, targets in train_loader:
                if zero_grad:
                    optimizer.zero_grad()
                nn.functional.cross_entropy(model(inputs), targets).backward()
                optimizer.step()
        model.eval()
        with torch.no_grad() if no_grad else contextlib.nullcontext():
            hits = sum(int((model(x).argmax(1) == y).sum()) for x, y in val_loader)
        result.append(hits / sum(len(y) for _, y in val_loader))
    return result if accuracies is None else accuracies


def loop_variant(**flags):
    return lambda *args: train_loop(*args, **flags)


def train_mode_validation(model, train_loader, val_loader, optimizer, epochs):
    accuracies = train_loop(model, train_loader, val_loader, optimizer, epochs)
    model.train()
    with torch.no_grad():
        for x, _ in val_loader:
            model(x)
    return accuracies


def two_stage(
    model,
    train_loader,
    val_loader,
    head_epochs,
    full_epochs,
    freeze_first=True,
    unfreeze_second=True,
    new_optimizer=True,
    swap_epochs=False,
    passes=1,
    histories=2,
):
    """The two stages of exercise 04 · 2, and (by its flags) the mistakes the checker names."""
    if swap_epochs:
        head_epochs, full_epochs = full_epochs, head_epochs

    def fit(optimizer, epochs):
        history = []
        for _ in range(epochs):
            model.train()
            for _ in range(passes):
                for inputs, targets in train_loader:
                    optimizer.zero_grad()
                    nn.functional.cross_entropy(model(inputs), targets).backward()
                    optimizer.step()
            history.append(0.0)
        return history

    model.features.requires_grad_(not freeze_first)
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    first = fit(optimizer, head_epochs)
    model.features.requires_grad_(unfreeze_second)
    if new_optimizer:
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    second = fit(optimizer, full_epochs)
    return (first, second) if histories == 2 else (first,)


def stage_variant(**flags):
    return lambda *args: two_stage(*args, **flags)


def strong_augment(size=96, scale=(0.2, 1.0), flip=True, degrees=15, resize_after=None):
    steps = [v2.RandomResizedCrop(size, scale=scale)]
    steps += [v2.RandomHorizontalFlip()] if flip else []
    steps += [v2.RandomRotation(degrees)] if degrees else []
    steps += [v2.Resize(resize_after)] if resize_after else []
    return v2.Compose(steps)


class TopLeftCrop(v2.Compose):
    """Lists the right steps but always cuts the same corner."""

    def forward(self, *inputs):
        return inputs[0][..., :96, :96]


IMAGE = torch.rand(3, 96, 96, generator=torch.Generator().manual_seed(0))


def two_groups(head_lr=1e-2, backbone_lr=1e-4, swap=False, single=False, groups=2, partial=False):
    model = tiny_model()
    head, backbone = list(model[1].parameters()), list(model[0].parameters())
    if swap:
        head, backbone = backbone, head
    if single:
        return torch.optim.SGD(model.parameters(), lr=head_lr), model
    parts = [{"params": head, "lr": head_lr}, {"params": backbone[1:] if partial else backbone, "lr": backbone_lr}]
    if groups == 3:
        parts = [{"params": head, "lr": head_lr}, {"params": backbone[:1]}, {"params": backbone[1:]}]
    return torch.optim.SGD(parts, lr=backbone_lr), model


def check_groups(**kwargs):
    optimizer, model = two_groups(**kwargs)
    return notebook04.check_two_groups(optimizer, model, 1e-2, 1e-4)


HISTORY = SimpleNamespace(val_loss=[0.9, 0.5, 0.7])
LAYERS = {f"features.{i}": i for i in range(5)}  # the photos are closer at 3 of the 5 layers


def fake_distances(model, moments):
    return {layer: (0.1 if i < 3 else 0.9) if moments == "photo" else 0.5 for layer, i in LAYERS.items()}


def check_layers(answer):
    with mock.patch("tlhelpers.similarity.layer_distances", fake_distances):
        return notebook05.check_layers_closer(answer, None, {"photo stamps": "photo", "cartoon stamps": "cartoon"})


# fine-tuning stays ahead from 20 images per class on
CROSSOVER_RUNS = [
    row
    for n, (fine_tuning, features) in {5: (0.5, 0.6), 20: (0.7, 0.65), 100: (0.9, 0.8)}.items()
    for row in fake_rows(
        {"fine_tuning": [fine_tuning, fine_tuning + 0.01], "features": [features, features]},
        dataset="fashion_mnist",
        n_per_class=n,
    )
]
SCORES = {"bird": 0.2, "ship": 0.7, "tree": 0.4}  # "ship" is the farthest


def check_farthest(answer):
    with (
        mock.patch("tlhelpers.data.keep_classes", lambda photos, classes: classes[0]),
        mock.patch("tlhelpers.similarity.similarity_score", lambda model, photos, seed: SCORES[photos]),
    ):
        return notebook05.check_farthest_class(answer, None, SimpleNamespace(classes=list(SCORES)), seed=0)


def weak(answer):  # class "a": 1 of 2 related (50 %, not below half); "b": 0 of 2
    return notebook02.check_weak_classes(answer, [5, 4, 7, 7], [0, 0, 1, 1], ["a", "b"], {"a": {5}, "b": {6}})


def check_at_64(answer):  # the photo stamps score 0.6, the Fashion-MNIST subset 0.5: the photos are farther
    with (
        mock.patch("tlhelpers.data.stamps", lambda *args: "photos"),
        mock.patch("tlhelpers.data.fashion_mnist", lambda *args: "fashion"),
        mock.patch("tlhelpers.data.per_class_subset", lambda dataset, n, seed: dataset),
        mock.patch("tlhelpers.data.weights_transform", lambda weights, size: None),
        mock.patch(
            "tlhelpers.similarity.similarity_score",
            lambda model, dataset, seed: {"photos": 0.6, "fashion": 0.5}[dataset],
        ),
    ):
        return notebook05.check_farther_at_64(answer, None, None, seed=0)


# fine-tuning minus features: +10 points on every seed, no image-level results (the seeds' interval alone): clear
RULE_RUNS = fake_rows(
    {"fine_tuning": [0.9, 0.8, 0.7], "features": [0.8, 0.7, 0.6]}, dataset="fashion_mnist", n_per_class=100
)


def check_rule(answer):
    return notebook05.check_rule_outcome(answer, RULE_RUNS, "fashion_mnist", 100)


MARGIN_RUNS = [
    {"dataset": "fashion_mnist", "n_per_class": 1000, "seed": seed, "strategy": strategy, "acc": acc}
    for seed, (a, b) in enumerate([(0.9, 0.8), (0.8, 0.8), (0.7, 0.6)])
    for strategy, acc in (("fine_tuning", a), ("features", b))
]


def paired_margin(rows, dataset, n, a, b, pair=True, order=True):
    if not order:
        a, b = "fine_tuning", "features"
    accuracy = {
        s: {r["seed"]: r["acc"] for r in rows if (r["dataset"], r["n_per_class"], r["strategy"]) == (dataset, n, s)}
        for s in (a, b)
    }
    if not pair:
        return 100 * (np.mean(list(accuracy[a].values())) - np.mean(list(accuracy[b].values())))
    seeds = set(accuracy[a]) & set(accuracy[b])
    return 100 * sum(accuracy[a][s] - accuracy[b][s] for s in seeds) / len(seeds)


def kendall_tau(x, y):
    pairs = [(i, j) for i in range(len(x)) for j in range(i + 1, len(x))]
    signs = [np.sign((x[i] - x[j]) * (y[i] - y[j])) for i, j in pairs]
    return float(sum(signs)) / len(pairs)


def off_for(length):
    """A τ that is right except on lists of ``length``."""
    return lambda x, y: kendall_tau(x, y) + (0.5 if len(x) == length else 0.0)


REGRET_ROWS = [
    {"dataset": "photos", "n_per_class": 5, "seed": 0, "strategy": strategy, "acc": acc, "logme": score}
    | ({"model": model} if model else {})
    for model, strategy, acc, score in [
        (None, "features", 0.9, -1.0),
        (None, "early_features", 0.7, -2.0),
        ("b", "features", 0.8, 0.5),
        ("b", "early_features", 0.6, -3.0),
    ]
]


def regret(answer):
    return notebook06.check_selection_regret(answer, REGRET_ROWS, ("photos", 5, 0))


def raises(*args):
    raise ZeroDivisionError("division by zero")


# --- the cases -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    checker: Callable
    status: str
    call: Callable[[], CheckResult]
    secrets: tuple[str, ...] = ()  # what the message must not say: the expected answer, written as it would be

    @property
    def id(self) -> str:
        return checker_id(self.checker)


NA, WRONG, RIGHT = "not attempted", "wrong", "correct"
nb01, nb02, nb03, nb04, nb05, nb06 = notebook01, notebook02, notebook03, notebook04, notebook05, notebook06

CASES = [
    # checks.py
    Case(checks.check_close, NA, lambda: checks.check_close(..., 0.4375)),
    Case(checks.check_close, WRONG, lambda: checks.check_close(0.7, 0.4375, tol=0.01), ("0.4375", "0.438")),
    Case(checks.check_close, WRONG, lambda: checks.check_close(0.1, 0.4375, tol=0.01), ("0.4375", "0.438")),
    Case(checks.check_close, WRONG, lambda: checks.check_close("x", 0.4375, name="accuracy")),
    Case(checks.check_close, WRONG, lambda: checks.check_close([1.0, 2.0], [1.0, 2.0, 3.0])),
    Case(checks.check_close, WRONG, lambda: checks.check_close([1.0, float("nan")], [1.0, 2.0])),
    Case(checks.check_close, WRONG, lambda: checks.check_close([1.0, 2.0, 3.0], [1.0, 2.0, 7.5]), ("7.5",)),
    Case(checks.check_close, RIGHT, lambda: checks.check_close(0.4375, 0.4375)),
    Case(checks.check_value, NA, lambda: checks.check_value(None, "rome")),
    Case(checks.check_value, WRONG, lambda: checks.check_value("paris", "rome"), ("rome",)),
    Case(checks.check_value, WRONG, lambda: checks.check_value(3, "rome"), ("rome",)),
    Case(checks.check_value, WRONG, lambda: checks.check_value(3, [1, 2, 3])),
    Case(checks.check_value, WRONG, lambda: checks.check_value([1, 2], [1, 2, 3])),
    Case(checks.check_value, WRONG, lambda: checks.check_value([1, 2, 4], [1, 2, 3])),
    Case(checks.check_value, WRONG, lambda: checks.check_value([4, 5, 6], [1, 2, 3])),
    Case(checks.check_value, WRONG, lambda: checks.check_value("many", 42), ("42",)),
    Case(checks.check_value, WRONG, lambda: checks.check_value(50, 42), ("42",)),
    Case(checks.check_value, WRONG, lambda: checks.check_value(30, 42), ("42",)),
    Case(checks.check_value, WRONG, lambda: checks.check_value(CannotCompare(), {1: 2})),
    Case(checks.check_value, WRONG, lambda: checks.check_value({1: 3}, {1: 2})),
    Case(checks.check_value, RIGHT, lambda: checks.check_value(" Rome", "rome", name="exercise 1")),
    Case(checks.check_shape, NA, lambda: checks.check_shape(..., (1, 10))),
    Case(checks.check_shape, WRONG, lambda: checks.check_shape(5, (1, 10))),
    Case(checks.check_shape, WRONG, lambda: checks.check_shape(torch.zeros(2, 3, 4), (None, 10))),
    Case(checks.check_shape, WRONG, lambda: checks.check_shape(torch.zeros(1, 5), (1, 10))),
    Case(checks.check_shape, RIGHT, lambda: checks.check_shape(torch.zeros(8, 10), (None, 10))),
    Case(checks.check_choice, NA, lambda: checks.check_choice(None, ["alpha", "beta"], "beta")),
    Case(checks.check_choice, WRONG, lambda: checks.check_choice("gamma", ["alpha", "beta"], "beta")),
    Case(checks.check_choice, WRONG, lambda: checks.check_choice("alpha", ["alpha", "beta"], "beta"), ("beta",)),
    Case(checks.check_choice, RIGHT, lambda: checks.check_choice("BETA", ["alpha", "beta"], "beta")),
    Case(checks.check_head, NA, lambda: checks.check_head(..., 10)),
    Case(checks.check_head, WRONG, lambda: checks.check_head("resnet", 10), ("10",)),
    Case(checks.check_head, WRONG, lambda: checks.check_head(nn.Sequential(nn.Conv2d(3, 4, 3)), 10)),
    Case(checks.check_head, WRONG, lambda: checks.check_head(tiny_model(7), 10)),
    Case(checks.check_head, WRONG, lambda: checks.check_head(tiny_model(10), 10, input_shape=(1, 8, 8))),
    Case(checks.check_head, WRONG, lambda: checks.check_head(HalfOutput(), 10, input_shape=(3, 4, 4))),
    Case(checks.check_head, RIGHT, lambda: checks.check_head(tiny_model(10), 10, input_shape=(3, 8, 8))),
    Case(checks.check_frozen, NA, lambda: checks.check_frozen(None)),
    Case(checks.check_frozen, WRONG, lambda: checks.check_frozen([1, 2])),
    Case(checks.check_frozen, WRONG, lambda: checks.check_frozen(nn.Sequential(nn.Conv2d(3, 4, 3)))),
    Case(checks.check_frozen, WRONG, lambda: checks.check_frozen(tiny_model(), trainable=["head", "fc"])),
    Case(checks.check_frozen, WRONG, lambda: checks.check_frozen(tiny_model())),
    Case(checks.check_frozen, WRONG, lambda: checks.check_frozen(frozen(tiny_model(), "0.0.weight"))),
    Case(checks.check_frozen, WRONG, lambda: checks.check_frozen(frozen(tiny_model(), "0", "1.1.bias"))),
    Case(checks.check_frozen, WRONG, lambda: checks.check_frozen(frozen(tiny_model(), "0", "1"))),
    Case(
        checks.check_frozen,
        RIGHT,
        lambda: checks.check_frozen(frozen(tiny_model()), name="exercise 2 (frozen backbone)"),
    ),
    Case(checks.check_accuracy_near, NA, lambda: checks.check_accuracy_near(..., 0.8125, 0.02)),
    Case(checks.check_accuracy_near, WRONG, lambda: checks.check_accuracy_near(81.25, 0.8125, 0.02), ("0.8125",)),
    Case(checks.check_accuracy_near, WRONG, lambda: checks.check_accuracy_near(float("nan"), 0.8125, 0.02)),
    Case(checks.check_accuracy_near, WRONG, lambda: checks.check_accuracy_near("high", 0.8125, 0.02)),
    Case(checks.check_accuracy_near, WRONG, lambda: checks.check_accuracy_near(0.9, 0.8125, 0.02), ("0.8125", "0.81")),
    Case(checks.check_accuracy_near, WRONG, lambda: checks.check_accuracy_near(0.5, 0.8125, 0.02), ("0.8125", "0.81")),
    Case(checks.check_accuracy_near, RIGHT, lambda: checks.check_accuracy_near(0.82, 0.8125, 0.02, name="hidden test")),
    # notebook 01
    Case(nb01.check_shirt_categories, NA, lambda: nb01.check_shirt_categories(..., CATEGORIES)),
    Case(nb01.check_shirt_categories, WRONG, lambda: nb01.check_shirt_categories("sweatshirt", CATEGORIES)),
    Case(nb01.check_shirt_categories, WRONG, lambda: nb01.check_shirt_categories(["T-shirt"], CATEGORIES)),
    Case(nb01.check_shirt_categories, WRONG, lambda: nb01.check_shirt_categories(["jersey"], CATEGORIES)),
    Case(
        nb01.check_shirt_categories,
        WRONG,
        lambda: nb01.check_shirt_categories(["sweatshirt"], CATEGORIES),
        ("Shirt rack",),
    ),
    Case(
        nb01.check_shirt_categories,
        WRONG,
        lambda: nb01.check_shirt_categories(["Shirt rack", "sweatshirt"], CATEGORIES),
    ),
    Case(
        nb01.check_shirt_categories,
        RIGHT,
        lambda: nb01.check_shirt_categories(["sweatshirt", "Shirt rack"], CATEGORIES),
    ),
    Case(nb01.check_cheapest_80, NA, lambda: nb01.check_cheapest_80(..., ZOO)),
    Case(nb01.check_cheapest_80, WRONG, lambda: nb01.check_cheapest_80("cheap", ZOO), ("V1",)),
    Case(nb01.check_cheapest_80, WRONG, lambda: nb01.check_cheapest_80(("tiny", "V9"), ZOO), ("cheap",)),
    Case(nb01.check_cheapest_80, WRONG, lambda: nb01.check_cheapest_80(("small", "V1"), ZOO), ("cheap",)),
    Case(nb01.check_cheapest_80, WRONG, lambda: nb01.check_cheapest_80(("medium", "V2"), ZOO), ("cheap",)),
    Case(nb01.check_cheapest_80, RIGHT, lambda: nb01.check_cheapest_80(("cheap", "V1"), ZOO)),
    Case(nb01.check_unnormalised_probability, NA, lambda: check_probability(...)),
    Case(nb01.check_unnormalised_probability, WRONG, lambda: check_probability(72.0)),
    Case(nb01.check_unnormalised_probability, WRONG, lambda: check_probability("high")),
    Case(
        nb01.check_unnormalised_probability, WRONG, lambda: check_probability(top_probability() + 0.3), ("0.2", "0.3")
    ),
    Case(nb01.check_unnormalised_probability, WRONG, lambda: check_probability(0.0), ("0.2", "0.3")),
    Case(nb01.check_unnormalised_probability, RIGHT, lambda: check_probability(top_probability())),
    Case(nb01.check_training_flops, NA, lambda: nb01.check_training_flops(...)),
    Case(nb01.check_training_flops, WRONG, lambda: nb01.check_training_flops(4e18), ("2.8", "e+18")),
    Case(nb01.check_training_flops, WRONG, lambda: nb01.check_training_flops(FLOPS / 2), ("2.8", "e+18")),
    Case(nb01.check_training_flops, WRONG, lambda: nb01.check_training_flops(2.8e9), ("2.8288", "e+18")),
    Case(nb01.check_training_flops, WRONG, lambda: nb01.check_training_flops([FLOPS])),
    Case(nb01.check_training_flops, RIGHT, lambda: nb01.check_training_flops(FLOPS)),
    # notebook 02
    Case(nb02.check_resnet_head_swap, NA, lambda: nb02.check_resnet_head_swap(..., ..., 5)),
    Case(nb02.check_resnet_head_swap, WRONG, lambda: nb02.check_resnet_head_swap("resnet", torch.zeros(1, 5), 5)),
    Case(
        nb02.check_resnet_head_swap,
        WRONG,
        lambda: nb02.check_resnet_head_swap(resnet(nn.Identity()), torch.zeros(1, 5), 5),
    ),
    Case(
        nb02.check_resnet_head_swap,
        WRONG,
        lambda: nb02.check_resnet_head_swap(resnet(nn.Linear(100, 5)), torch.zeros(1, 5), 5),
        ("512",),
    ),
    Case(
        nb02.check_resnet_head_swap,
        WRONG,
        lambda: nb02.check_resnet_head_swap(resnet(nn.Linear(512, 3)), torch.zeros(1, 3), 5),
    ),
    Case(nb02.check_resnet_head_swap, WRONG, lambda: nb02.check_resnet_head_swap(resnet(), [0.0] * 5, 5)),
    Case(nb02.check_resnet_head_swap, WRONG, lambda: nb02.check_resnet_head_swap(resnet(), torch.zeros(5), 5)),
    Case(nb02.check_resnet_head_swap, WRONG, lambda: nb02.check_resnet_head_swap(resnet(), torch.zeros(1, 4), 5)),
    Case(nb02.check_resnet_head_swap, WRONG, lambda: nb02.check_resnet_head_swap(resnet(), torch.zeros(2, 5), 5)),
    Case(nb02.check_resnet_head_swap, RIGHT, lambda: nb02.check_resnet_head_swap(resnet(), torch.zeros(1, 5), 5)),
    Case(nb02.check_features_shape, NA, lambda: nb02.check_features_shape(..., features_model(), 16)),
    Case(nb02.check_features_shape, WRONG, lambda: nb02.check_features_shape("1x8x7x7", features_model(), 16)),
    Case(nb02.check_features_shape, WRONG, lambda: nb02.check_features_shape((1, 8, 7), features_model(), 16)),
    Case(nb02.check_features_shape, WRONG, lambda: nb02.check_features_shape((1, 8, 9, 7), features_model(), 16)),
    Case(
        nb02.check_features_shape,
        WRONG,
        lambda: nb02.check_features_shape(torch.zeros(1, 4, 7, 7), features_model(), 16),
        ("8",),
    ),
    Case(
        nb02.check_features_shape,
        RIGHT,
        lambda: nb02.check_features_shape(torch.zeros(1, 8, 7, 7), features_model(), 16),
    ),
    Case(nb02.check_hardest_class, NA, lambda: hardest(...)),
    Case(nb02.check_hardest_class, WRONG, lambda: hardest("c")),
    Case(nb02.check_hardest_class, WRONG, lambda: hardest("a"), ("'b'",)),
    Case(nb02.check_hardest_class, RIGHT, lambda: hardest("b")),
    # notebook 03
    Case(nb03.check_batchnorm_fix, NA, lambda: nb03.check_batchnorm_fix(...)),
    Case(nb03.check_batchnorm_fix, WRONG, lambda: nb03.check_batchnorm_fix("e")),
    Case(nb03.check_batchnorm_fix, WRONG, lambda: nb03.check_batchnorm_fix("a"), ("'c'",)),
    Case(nb03.check_batchnorm_fix, RIGHT, lambda: nb03.check_batchnorm_fix("C")),
    Case(nb03.check_early_layer_accuracy, NA, lambda: check_early_layer(...)),
    Case(
        nb03.check_early_layer_accuracy,
        WRONG,
        lambda: check_early_layer(EARLY_ACCURACY + 0.1),
        (f"{EARLY_ACCURACY:.2f}",),
    ),
    Case(
        nb03.check_early_layer_accuracy,
        WRONG,
        lambda: check_early_layer(EARLY_ACCURACY - 0.1),
        (f"{EARLY_ACCURACY:.2f}",),
    ),
    Case(nb03.check_early_layer_accuracy, WRONG, lambda: check_early_layer(100 * EARLY_ACCURACY)),
    Case(nb03.check_early_layer_accuracy, RIGHT, lambda: check_early_layer(EARLY_ACCURACY)),
    Case(nb03.check_cartoon_accuracy, NA, lambda: check_cartoon(None)),
    Case(
        nb03.check_cartoon_accuracy,
        WRONG,
        lambda: check_cartoon(cartoon_accuracy() + 0.2),
        (f"{cartoon_accuracy():.2f}",),
    ),
    Case(nb03.check_cartoon_accuracy, WRONG, lambda: check_cartoon(torch.tensor(-0.5))),
    Case(nb03.check_cartoon_accuracy, RIGHT, lambda: check_cartoon(cartoon_accuracy())),
    Case(nb03.check_training_loop, NA, lambda: nb03.check_training_loop(...)),
    Case(nb03.check_training_loop, NA, lambda: nb03.check_training_loop(lambda *args: ...)),
    Case(nb03.check_training_loop, WRONG, lambda: nb03.check_training_loop("loop")),
    Case(nb03.check_training_loop, WRONG, lambda: nb03.check_training_loop(raises)),
    Case(nb03.check_training_loop, WRONG, lambda: nb03.check_training_loop(loop_variant(eval_first=False))),
    Case(nb03.check_training_loop, WRONG, lambda: nb03.check_training_loop(train_mode_validation)),
    Case(nb03.check_training_loop, WRONG, lambda: nb03.check_training_loop(loop_variant(keep_statistics=False))),
    Case(nb03.check_training_loop, WRONG, lambda: nb03.check_training_loop(loop_variant(no_grad=False))),
    Case(nb03.check_training_loop, WRONG, lambda: nb03.check_training_loop(loop_variant(passes=2))),
    Case(nb03.check_training_loop, WRONG, lambda: nb03.check_training_loop(loop_variant(zero_grad=False))),
    Case(nb03.check_training_loop, WRONG, lambda: nb03.check_training_loop(loop_variant(accuracies=[0.5]))),
    Case(nb03.check_training_loop, WRONG, lambda: nb03.check_training_loop(loop_variant(accuracies=[2.0, 2.0]))),
    Case(nb03.check_training_loop, RIGHT, lambda: nb03.check_training_loop(train_loop)),
    # notebook 04
    Case(nb04.check_two_groups, NA, lambda: nb04.check_two_groups(..., tiny_model(), 1e-2, 1e-4)),
    Case(nb04.check_two_groups, WRONG, lambda: nb04.check_two_groups("adam", tiny_model(), 1e-2, 1e-4)),
    Case(nb04.check_two_groups, WRONG, lambda: check_groups(single=True)),
    Case(nb04.check_two_groups, WRONG, lambda: check_groups(groups=3)),
    Case(nb04.check_two_groups, WRONG, lambda: check_groups(swap=True)),
    Case(nb04.check_two_groups, WRONG, lambda: check_groups(partial=True)),
    Case(nb04.check_two_groups, WRONG, lambda: check_groups(head_lr=1e-1), ("0.01",)),
    Case(nb04.check_two_groups, WRONG, lambda: check_groups(head_lr=1e-3), ("0.01",)),
    Case(nb04.check_two_groups, WRONG, lambda: check_groups(backbone_lr=1e-3), ("0.0001", "1e-04")),
    Case(nb04.check_two_groups, WRONG, lambda: check_groups(backbone_lr=1e-5), ("0.0001", "1e-04")),
    Case(nb04.check_two_groups, RIGHT, lambda: check_groups()),
    Case(nb04.check_two_stage, NA, lambda: nb04.check_two_stage(None)),
    Case(nb04.check_two_stage, NA, lambda: nb04.check_two_stage(lambda *args: None)),
    Case(nb04.check_two_stage, WRONG, lambda: nb04.check_two_stage(42)),
    Case(nb04.check_two_stage, WRONG, lambda: nb04.check_two_stage(raises)),
    Case(nb04.check_two_stage, WRONG, lambda: nb04.check_two_stage(stage_variant(histories=1))),
    Case(nb04.check_two_stage, WRONG, lambda: nb04.check_two_stage(stage_variant(swap_epochs=True))),
    Case(nb04.check_two_stage, WRONG, lambda: nb04.check_two_stage(stage_variant(passes=2))),
    Case(nb04.check_two_stage, WRONG, lambda: nb04.check_two_stage(stage_variant(freeze_first=False))),
    Case(nb04.check_two_stage, WRONG, lambda: nb04.check_two_stage(stage_variant(unfreeze_second=False))),
    Case(nb04.check_two_stage, WRONG, lambda: nb04.check_two_stage(stage_variant(new_optimizer=False))),
    Case(nb04.check_two_stage, RIGHT, lambda: nb04.check_two_stage(two_stage)),
    Case(nb04.check_strong_augment, NA, lambda: nb04.check_strong_augment(..., IMAGE)),
    Case(nb04.check_strong_augment, WRONG, lambda: nb04.check_strong_augment(nn.Identity(), IMAGE)),
    Case(nb04.check_strong_augment, WRONG, lambda: nb04.check_strong_augment(strong_augment(size=64), IMAGE)),
    Case(nb04.check_strong_augment, WRONG, lambda: nb04.check_strong_augment(strong_augment(scale=(0.08, 1.0)), IMAGE)),
    Case(nb04.check_strong_augment, WRONG, lambda: nb04.check_strong_augment(strong_augment(flip=False), IMAGE)),
    Case(nb04.check_strong_augment, WRONG, lambda: nb04.check_strong_augment(strong_augment(degrees=30), IMAGE)),
    Case(nb04.check_strong_augment, WRONG, lambda: nb04.check_strong_augment(strong_augment(resize_after=50), IMAGE)),
    Case(
        nb04.check_strong_augment,
        WRONG,
        lambda: nb04.check_strong_augment(TopLeftCrop(strong_augment().transforms), IMAGE),
    ),
    Case(nb04.check_strong_augment, RIGHT, lambda: nb04.check_strong_augment(strong_augment(), IMAGE)),
    Case(nb04.check_best_epoch, NA, lambda: nb04.check_best_epoch(..., HISTORY)),
    Case(nb04.check_best_epoch, WRONG, lambda: nb04.check_best_epoch(2.0, HISTORY)),
    Case(nb04.check_best_epoch, WRONG, lambda: nb04.check_best_epoch(7, HISTORY)),
    Case(nb04.check_best_epoch, WRONG, lambda: nb04.check_best_epoch(1, HISTORY), ("2",)),
    Case(nb04.check_best_epoch, WRONG, lambda: nb04.check_best_epoch(3, HISTORY), ("2",)),
    Case(nb04.check_best_epoch, RIGHT, lambda: nb04.check_best_epoch(2, HISTORY)),
    # notebook 05
    Case(nb02.check_weak_classes, NA, lambda: weak(...)),
    Case(nb02.check_weak_classes, WRONG, lambda: weak("b")),  # not a list
    Case(nb02.check_weak_classes, WRONG, lambda: weak(["c"])),  # not a class
    Case(nb02.check_weak_classes, WRONG, lambda: weak(["a", "b"])),  # "a" is at 50 %: not below half
    Case(nb02.check_weak_classes, WRONG, lambda: weak(["b", "b"])),  # twice
    Case(nb02.check_weak_classes, RIGHT, lambda: weak(["b"])),
    Case(nb05.check_farther_at_64, NA, lambda: check_at_64(...)),
    Case(nb05.check_farther_at_64, WRONG, lambda: check_at_64("cartoons")),
    Case(nb05.check_farther_at_64, WRONG, lambda: check_at_64("Fashion-MNIST")),
    Case(nb05.check_farther_at_64, RIGHT, lambda: check_at_64("photo stamps")),
    Case(nb05.check_rule_outcome, NA, lambda: check_rule(...)),
    Case(nb05.check_rule_outcome, WRONG, lambda: check_rule("maybe")),
    Case(nb05.check_rule_outcome, WRONG, lambda: check_rule("tie")),
    Case(nb05.check_rule_outcome, RIGHT, lambda: check_rule("clear")),
    Case(nb05.check_layers_closer, NA, lambda: check_layers(...)),
    Case(nb05.check_layers_closer, WRONG, lambda: check_layers(2.5)),
    Case(nb05.check_layers_closer, WRONG, lambda: check_layers(9)),
    Case(nb05.check_layers_closer, WRONG, lambda: check_layers(4), ("3",)),
    Case(nb05.check_layers_closer, WRONG, lambda: check_layers(1), ("3",)),
    Case(nb05.check_layers_closer, RIGHT, lambda: check_layers(3)),
    Case(nb05.check_crossover, NA, lambda: nb05.check_crossover(..., CROSSOVER_RUNS)),
    Case(nb05.check_crossover, WRONG, lambda: nb05.check_crossover(7, CROSSOVER_RUNS)),
    Case(nb05.check_crossover, WRONG, lambda: nb05.check_crossover(5, CROSSOVER_RUNS), ("20",)),
    Case(nb05.check_crossover, WRONG, lambda: nb05.check_crossover(100, CROSSOVER_RUNS), ("20",)),
    Case(nb05.check_crossover, RIGHT, lambda: nb05.check_crossover(20, CROSSOVER_RUNS)),
    Case(nb05.check_farthest_class, NA, lambda: check_farthest(...)),
    Case(nb05.check_farthest_class, WRONG, lambda: check_farthest("cloud")),
    Case(nb05.check_farthest_class, WRONG, lambda: check_farthest("tree"), ("ship",)),
    Case(nb05.check_farthest_class, RIGHT, lambda: check_farthest("ship")),
    Case(nb05.check_paired_margin, NA, lambda: nb05.check_paired_margin(..., MARGIN_RUNS)),
    Case(nb05.check_paired_margin, NA, lambda: nb05.check_paired_margin(lambda *args: None, MARGIN_RUNS)),
    Case(nb05.check_paired_margin, WRONG, lambda: nb05.check_paired_margin(6.7, MARGIN_RUNS)),
    Case(nb05.check_paired_margin, WRONG, lambda: nb05.check_paired_margin(raises, MARGIN_RUNS)),
    Case(
        nb05.check_paired_margin,
        WRONG,
        lambda: nb05.check_paired_margin(lambda *args: 0.0, MARGIN_RUNS),
        ("6.6", "6.7"),
    ),
    Case(nb05.check_paired_margin, WRONG, lambda: nb05.check_paired_margin(lambda *args: "7", MARGIN_RUNS)),
    Case(
        nb05.check_paired_margin,
        WRONG,
        lambda: nb05.check_paired_margin(lambda *a: paired_margin(*a, order=False), MARGIN_RUNS),
    ),
    Case(
        nb05.check_paired_margin,
        WRONG,
        lambda: nb05.check_paired_margin(lambda *a: paired_margin(*a, pair=False), MARGIN_RUNS),
    ),
    Case(nb05.check_paired_margin, RIGHT, lambda: nb05.check_paired_margin(paired_margin, MARGIN_RUNS)),
    # notebook 06
    Case(nb06.check_selection_regret, NA, lambda: regret(...)),
    Case(nb06.check_selection_regret, WRONG, lambda: regret(0.1), ("10.0", " 10 ")),
    Case(nb06.check_selection_regret, WRONG, lambda: regret(20.0), ("10.0", " 10 ")),
    Case(nb06.check_selection_regret, WRONG, lambda: regret("ten"), ("10.0", " 10 ")),
    Case(nb06.check_selection_regret, WRONG, lambda: regret(float("nan")), ("10.0", " 10 ")),
    Case(nb06.check_selection_regret, RIGHT, lambda: regret(10.0)),
    Case(nb06.check_kendall_tau, NA, lambda: nb06.check_kendall_tau(...)),
    Case(nb06.check_kendall_tau, NA, lambda: nb06.check_kendall_tau(lambda x, y: ...)),
    Case(nb06.check_kendall_tau, WRONG, lambda: nb06.check_kendall_tau(0.5)),
    Case(nb06.check_kendall_tau, WRONG, lambda: nb06.check_kendall_tau(raises)),
    Case(nb06.check_kendall_tau, WRONG, lambda: nb06.check_kendall_tau(lambda x, y: kendall_tau(x, y) - 0.5)),
    Case(nb06.check_kendall_tau, WRONG, lambda: nb06.check_kendall_tau(lambda x, y: abs(kendall_tau(x, y)))),
    Case(nb06.check_kendall_tau, WRONG, lambda: nb06.check_kendall_tau(off_for(4))),
    Case(nb06.check_kendall_tau, WRONG, lambda: nb06.check_kendall_tau(off_for(2))),
    Case(nb06.check_kendall_tau, WRONG, lambda: nb06.check_kendall_tau(off_for(9))),
    Case(nb06.check_kendall_tau, RIGHT, lambda: nb06.check_kendall_tau(kendall_tau)),
]


def printed(case: Case, language: str | None = None) -> tuple[CheckResult, str]:
    """The result of ``case`` and what it printed, with ``language`` chosen first (None: as it is)."""
    if language is not None:
        messages.use_language(language)
    with contextlib.redirect_stdout(io.StringIO()) as output:
        result = case.call()
    return result, output.getvalue()


def english_chunks() -> set[str]:
    """The fixed text of the English templates, piece by piece, where a piece has at least two English words
    and no Korean entry uses it: none of it may be in a Korean message."""
    korean = " ".join(messages.KOREAN.values())
    chunks = set()
    for template in templates_in_code() | set(messages.KOREAN):
        for literal, *_ in string.Formatter().parse(template):
            chunk = literal.strip(" :;,—()")
            if len(re.findall(r"[A-Za-z]{2,}", chunk)) >= 2 and chunk not in korean:
                chunks.add(chunk)
    return chunks


def assert_korean(korean: str) -> None:
    """Hangul in every line, and no English template's words left."""
    for line in korean.splitlines():
        assert HANGUL.search(line), f"no Korean in {line!r}"
    left = [chunk for chunk in english_chunks() if chunk in korean]
    assert not left, f"English left in {korean!r}: {left}"


def test_every_checker_is_found():
    found = {checker_id(function) for function in discovered_checkers()}
    assert len(found) == 7 + 24  # the generic checkers and the exercises' (21, 02·4 and 05a·3 and 05b·3 added)
    assert "checks.check_statements" not in found  # prints the notebook's own statements, in its own language


@pytest.mark.parametrize("function", discovered_checkers(), ids=checker_id)
def test_every_checker_has_a_case_of_each_outcome(function):
    assert {case.status for case in CASES if case.checker is function} == {NA, WRONG, RIGHT}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_korean_messages(case):
    english_result, english = printed(case)
    korean_result, korean = printed(case, "ko")
    again_result, again = printed(case, "en")

    assert english_result.status == korean_result.status == again_result.status == case.status
    assert english.strip() == english_result.message and korean.strip() == korean_result.message
    assert again == english  # use_language("en") gives the English back, byte for byte
    assert_korean(korean)
    assert messages.translate_output(english) == korean
    for secret in case.secrets:
        assert secret not in english, f"the English gives {secret!r} away: {english!r}"
        assert secret not in korean, f"the Korean gives {secret!r} away: {korean!r}"


class Recording(dict):
    """The Korean catalogue, noting each template looked up."""

    def __init__(self, catalogue: dict[str, str]) -> None:
        super().__init__(catalogue)
        self.looked_up: set[str] = set()

    def get(self, key, default=None):
        self.looked_up.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.looked_up.add(key)
        return super().__getitem__(key)


def test_every_korean_message_is_printed_by_some_case(monkeypatch):
    recording = Recording(messages.KOREAN)
    monkeypatch.setattr(messages, "KOREAN", recording)
    messages.use_language("ko")
    for case in CASES:
        printed(case)
    assert recording.looked_up == set(messages.KOREAN)


# --- the catalogue against the code ------------------------------------------------------------------


@functools.cache
def templates_in_code() -> frozenset[str]:
    """Every template the checker modules give ``_t``: a string, or either string of ``a if … else b``."""
    found = set()
    for module in CHECKER_MODULES:
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_t":
                first = node.args[0]
                options = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
                for option in options:
                    assert isinstance(option, ast.Constant) and isinstance(option.value, str), (
                        f"{module.__name__}, line {node.lineno}: _t takes a template as it stands, not a value"
                    )
                    found.add(option.value)
    return frozenset(found)


def catalogue_gaps(catalogue: dict[str, str]) -> tuple[set[str], set[str]]:
    """(templates the code uses that ``catalogue`` lacks, entries no code uses)."""
    used = templates_in_code()
    return used - set(catalogue), set(catalogue) - used


def test_the_catalogue_has_every_template_of_the_code_and_nothing_else():
    missing, unused = catalogue_gaps(messages.KOREAN)
    assert not missing, f"no Korean for {sorted(missing)}"
    assert not unused, f"no checker uses {sorted(unused)}"
    assert set(messages.LINE_TEMPLATES) <= set(messages.KOREAN)


def test_a_missing_entry_fails(monkeypatch):
    """A template taken out of the catalogue is named, and its checker prints English where Korean should be."""
    planted = dict(messages.KOREAN)
    del planted["the answer is NaN"]
    assert catalogue_gaps(planted) == ({"the answer is NaN"}, set())
    assert catalogue_gaps(planted | {"an old message": "옛 메시지"}) == ({"the answer is NaN"}, {"an old message"})

    monkeypatch.setattr(messages, "KOREAN", planted)
    nan = Case(checks.check_accuracy_near, WRONG, lambda: checks.check_accuracy_near(float("nan"), 0.8, 0.1))
    _, korean = printed(nan, "ko")
    assert korean == "아직 정답이 아닙니다: the answer is NaN\n"
    with pytest.raises(AssertionError, match="English left"):
        assert_korean(korean)


def test_every_message_and_hint_goes_through_t():
    """No checker hands ``_wrong`` (or a checker it calls) a message of its own making, an f-string or a sentence."""
    for module in CHECKER_MODULES:
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            callee = ast.unparse(node.func)
            if callee not in {"_wrong", "_close_without_value", "_same_shape"} and not callee.endswith("__wrapped__"):
                continue
            for argument in [*node.args, *(keyword.value for keyword in node.keywords if keyword.arg != "name")]:
                sentence = (
                    isinstance(argument, ast.Constant) and isinstance(argument.value, str) and " " in argument.value
                )
                assert not sentence and not isinstance(argument, ast.JoinedStr), (
                    f"{module.__name__}, line {node.lineno}: {ast.unparse(argument)} does not go through _t"
                )


@pytest.mark.parametrize("catalogue", [messages.KOREAN, messages.KOREAN_NAMES], ids=["messages", "names"])
def test_the_korean_keeps_the_english_fields(catalogue):
    for english, korean in catalogue.items():
        fields = [
            [(field, spec, conversion) for _, field, spec, conversion in string.Formatter().parse(text)]
            for text in (english, korean)
        ]
        assert all(spec == "" and conversion is None for field, spec, conversion in fields[0] if field is not None), (
            english
        )
        assert sorted(f for f, *_ in fields[0] if f) == sorted(f for f, *_ in fields[1] if f), english
        assert HANGUL.search(korean) or english == " or ", english


# --- exercise names ------------------------------------------------------------------------------


def names_in_use() -> set[str]:
    """The exercise names the checkers default to and the English notebooks' check cells pass."""
    names = {
        parameter.default
        for function in discovered_checkers()
        for parameter in inspect.signature(function).parameters.values()
        if parameter.name == "name" and isinstance(parameter.default, str)
    }
    for path in [*ROOT.glob("notebooks/[0-9]*.ipynb"), *ROOT.glob("notebooks/solutions/[0-9]*.ipynb")]:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            names |= set(re.findall(r'\bname="([^"]+)"', "".join(cell["source"])))
    return names


def test_every_exercise_name_is_translated_and_every_name_entry_used(monkeypatch):
    names = names_in_use()
    assert {"exercise 1", "exercise 2 (head)", "hidden test"} <= names
    recording = Recording(messages.KOREAN_NAMES)
    monkeypatch.setattr(messages, "KOREAN_NAMES", recording)
    messages.use_language("ko")
    for name in names:
        assert HANGUL.search(messages.localised_name(name)), name
    assert recording.looked_up == set(messages.KOREAN_NAMES)
    assert messages.localised_name("exercise 2 (frozen backbone)") == "연습문제 2 (고정된 백본)"
    assert messages.localised_name("accuracy") == "accuracy"  # a name of the notebook's own stays as it is


# --- the switch ----------------------------------------------------------------------------------


def test_use_language_is_the_checks_modules(capsys):
    assert checks.use_language is messages.use_language
    checks.use_language("ko")
    checks.check_value(1, 1, name="exercise 3")
    checks.use_language("en")
    checks.check_value(1, 1, name="exercise 3")
    assert capsys.readouterr().out == "연습문제 3: 정답입니다!\nexercise 3: correct!\n"


@pytest.mark.parametrize("code", ["kr", "KO", "", "english", None])
def test_an_unknown_language_is_refused_in_one_line(code):
    with pytest.raises(
        ValueError, match=r"^use_language: the language is 'en' \(English\) or 'ko' \(Korean\), not "
    ) as error:
        messages.use_language(code)
    assert "\n" not in str(error.value)
    assert messages.language() == "en"


def test_the_environment_variable_sets_the_language_and_the_call_wins(monkeypatch):
    monkeypatch.setenv(messages.ENVIRONMENT_VARIABLE, "ko")
    assert checks.check_value(None, 1).message.startswith("아직 풀지 않았습니다")
    messages.use_language("en")
    assert checks.check_value(None, 1).message.startswith("not attempted yet")
    monkeypatch.setattr(messages, "_chosen", None)
    monkeypatch.setenv(messages.ENVIRONMENT_VARIABLE, "fr")
    with pytest.raises(ValueError, match="TLHELPERS_LANGUAGE: the language is 'en'"):
        checks.check_value(None, 1)


# --- translate_output ----------------------------------------------------------------------------


def test_translate_output_leaves_other_lines_alone():
    for text in [
        "yes  fine-tuning ends below feature extraction in this run\n",
        "NO   the last layer beats the earlier block\n",
        "right per class, worst first: Shirt 48%, Coat 63%\n",
        "exercise 1: correct! (or so)\n",
        "accuracy: 0.93\n",
        "",
    ]:
        assert messages.translate_output(text) == text


def test_translate_output_of_the_stored_notebook_lines():
    text = (
        "exercise 2 (head): not attempted yet — replace the `...` with your answer\n"
        "exercise 2 (frozen backbone): correct!\n"
        "yes  ten epochs including the one-off extraction are faster too\n"
        "hidden test: correct!"
    )
    assert messages.translate_output(text) == (
        "연습문제 2 (헤드): 아직 풀지 않았습니다 — `...` 자리에 답을 넣으세요\n"
        "연습문제 2 (고정된 백본): 정답입니다!\n"
        "yes  ten epochs including the one-off extraction are faster too\n"
        "숨겨진 테스트: 정답입니다!"
    )


def test_translate_output_reads_a_nested_message():
    english = (
        "exercise 4: not quite: on runs in another order with one of b's seeds missing: too high — hint: pair the "
        "runs by seed; points are 100 × accuracy"
    )
    assert messages.translate_output(english) == (
        "연습문제 4: 아직 정답이 아닙니다: 순서를 바꾸고 b의 시드 하나를 뺀 실행 결과에서: 너무 큽니다 — "
        "힌트: 실행 결과를 시드별로 짝지으세요; 포인트는 100 × 정확도입니다"
    )


def stored_checker_lines() -> list[str]:
    """Every line a checker printed in the committed English notebooks (statements' yes/NO lines apart)."""
    lines = []
    for path in [*ROOT.glob("notebooks/[0-9]*.ipynb"), *ROOT.glob("notebooks/solutions/[0-9]*.ipynb")]:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code" or not re.search(
                r"checks\.check_(?!statements|claims)", "".join(cell["source"])
            ):
                continue
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream":
                    lines += [
                        line for line in "".join(output["text"]).splitlines() if not line.startswith(("yes  ", "NO   "))
                    ]
    return lines


def test_every_checker_line_of_the_stored_notebooks_is_translated():
    lines = stored_checker_lines()
    assert lines
    for line in lines:
        korean = messages.translate_output(line)
        assert HANGUL.search(korean), line
        assert_korean(korean)
