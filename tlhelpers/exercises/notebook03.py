"""The exercise checkers of notebook 03 · Feature extraction, one per exercise (see :mod:`tlhelpers.exercises`)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from tlhelpers.exercises.checks import (
    CheckResult,
    _correct,
    _is_number,
    _not_attempted,
    _t,
    _wrong,
    check_accuracy_near,
    check_choice,
    checker,
    is_unanswered,
)
from tlhelpers.state import eval_mode, seeded


@checker
def check_batchnorm_fix(answer: Any, name: str | None = "exercise 1") -> CheckResult:
    """03 · 1: the one change that makes a train-mode, no_grad backbone give the ImageNet embeddings."""
    return check_choice.__wrapped__(
        answer,
        ["a", "b", "c", "d"],
        "c",
        name=name,
        hint=_t("which of these changes the mode BatchNorm looks at, `module.training`?"),
    )


def _logistic_accuracy(
    train_features: torch.Tensor, train_targets: torch.Tensor, test_features: torch.Tensor, test_targets: torch.Tensor
) -> float:
    from sklearn.linear_model import LogisticRegression  # lazily: only when an answer is checked

    fitted = LogisticRegression(max_iter=2000).fit(train_features.numpy(), train_targets.numpy())
    return float(fitted.score(test_features.numpy(), test_targets.numpy()))


@checker
def check_early_layer_accuracy(
    answer: Any, model: nn.Module, train_set: Any, test_set: Any, name: str | None = "exercise 2"
) -> CheckResult:
    """03 · 2: test accuracy of a logistic regression on the pooled output of ``features.14``."""
    if is_unanswered(answer):
        return _not_attempted(name)
    from tlhelpers.features import extract_features

    train = extract_features(model, train_set, layer="features.14", progress=False)
    test = extract_features(model, test_set, layer="features.14", progress=False)
    return check_accuracy_near.__wrapped__(
        answer,
        _logistic_accuracy(*train, *test),
        0.02,
        name,
        _t("fit on the training photos' features.14 features, score on the validation photos'"),
    )


@checker
def check_cartoon_accuracy(
    answer: Any, model: nn.Module, head: nn.Module, transform: Any, name: str | None = "exercise 4"
) -> CheckResult:
    """03 · 4: the accuracy of the photo-trained ``head`` on the cartoon stamps' features."""
    if is_unanswered(answer):
        return _not_attempted(name)
    from tlhelpers.data import stamps
    from tlhelpers.features import extract_features

    features, targets = extract_features(model, stamps("cartoon", "all", transform=transform), progress=False)
    with eval_mode(head), torch.inference_mode():
        expected = (head(features).argmax(dim=1) == targets).float().mean().item()
    return check_accuracy_near.__wrapped__(
        answer,
        expected,
        0.02,
        name,
        _t("head.eval(), then head(cartoon_features).argmax(dim=1) against the targets"),
    )


class _ModeRecorder(nn.Module):
    """An identity layer that records, per forward pass, the batch size, train mode and grad mode."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[int, bool, bool]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append((len(x), self.training, torch.is_grad_enabled()))
        return x


class _TinyBatchNormNet(nn.Module):
    """A stand-in for MobileNetV2: a ``features`` backbone with BatchNorm, then a ``classifier``
    whose first layer records the mode it ran in."""

    def __init__(self) -> None:
        super().__init__()
        with seeded(0):  # the same initial weights every time, the caller's generator untouched
            self.features = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.ReLU())
            self.classifier = nn.Sequential(_ModeRecorder(), nn.Linear(4, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def _reference_loop(model: nn.Module, train_loader, val_loader, optimizer, epochs: int) -> list[float]:
    accuracies = []
    for _ in range(epochs):
        model.train()
        model.features.eval()  # the backbone's BatchNorm keeps its running statistics
        for inputs, targets in train_loader:
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(inputs), targets).backward()
            optimizer.step()
        model.eval()
        correct = count = 0
        with torch.no_grad():
            for inputs, targets in val_loader:
                correct += int((model(inputs).argmax(dim=1) == targets).sum())
                count += len(targets)
        accuracies.append(correct / count)
    return accuracies


@checker
def check_training_loop(train_loop: Any, name: str | None = "exercise 3") -> CheckResult:
    """03 · 3: ``train_loop(model, train_loader, val_loader, optimizer, epochs)`` → validation accuracy per epoch,
    with the backbone's (``model.features``) BatchNorm statistics kept while the rest trains in train mode.

    Run on a tiny model and data (train batches of 4, validation batches of 3) next to a reference loop.
    """
    if is_unanswered(train_loop):
        return _not_attempted(name)
    if not callable(train_loop):
        return _wrong(_t("expected a function, got {type}", type=type(train_loop).__name__), None, name)
    generator = torch.Generator().manual_seed(0)
    inputs, targets = torch.randn(12, 4, generator=generator) * 3 + 1, torch.randint(0, 3, (12,), generator=generator)
    train_loader = [(inputs[i : i + 4], targets[i : i + 4]) for i in range(0, 8, 4)]
    val_loader = [(inputs[8:11], targets[8:11])]
    model, reference = _TinyBatchNormNet(), _TinyBatchNormNet()
    statistics = model.features[1].running_mean.clone()
    try:
        accuracies = train_loop(model, train_loader, val_loader, torch.optim.SGD(model.parameters(), lr=0.5), 2)
    except Exception as error:  # the answer's own code fails
        return _wrong(_t("it raised {error_type}: {error}", error_type=type(error).__name__, error=error), None, name)
    if is_unanswered(accuracies):
        return _not_attempted(name)
    expected = _reference_loop(reference, train_loader, val_loader, torch.optim.SGD(reference.parameters(), lr=0.5), 2)
    calls = model.classifier[0].calls
    if any(size == 4 and not training for size, training, _ in calls):
        return _wrong(
            _t("the classifier was in eval mode while training (its Dropout would be off)"),
            _t("model.train() first, then switch only the backbone back"),
            name,
        )
    if any(size == 3 and training for size, training, _ in calls):
        return _wrong(
            _t("the model was in train mode while validating"), _t("call model.eval() before validating"), name
        )
    if not torch.equal(statistics, model.features[1].running_mean):
        return _wrong(
            _t("the backbone's BatchNorm running statistics moved during training"),
            _t("which call sets `training` to False for the modules of model.features only?"),
            name,
        )
    if any(size == 3 and grad for size, _, grad in calls):
        return _wrong(_t("validation built a gradient graph"), _t("validate inside `with torch.no_grad():`"), name)
    if sum(size == 4 for size, _, _ in calls) != 4 or sum(size == 3 for size, _, _ in calls) != 2:
        return _wrong(
            _t("each epoch must go once through the training batches, then once through the validation batches"),
            None,
            name,
        )
    if not all(torch.allclose(p, q, atol=1e-6) for p, q in zip(model.parameters(), reference.parameters())):
        return _wrong(
            _t("the weights after training differ from a correct loop's"),
            _t("per batch: optimizer.zero_grad(), loss.backward(), optimizer.step()"),
            name,
        )
    if not isinstance(accuracies, (list, tuple)) or len(accuracies) != 2:
        return _wrong(_t("expected a list with one validation accuracy per epoch"), None, name)
    if not all(_is_number(a) and abs(a - e) < 1e-6 for a, e in zip(accuracies, expected)):
        return _wrong(
            _t("the validation accuracies are off"), _t("correct predictions / validation images, per epoch"), name
        )
    return _correct(name)
