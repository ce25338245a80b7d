"""The exercise checkers of notebook 02 · Model anatomy and the fc layer, one per exercise.

See :mod:`tlhelpers.exercises`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from tlhelpers.exercises.checks import (
    CheckResult,
    _correct,
    _not_attempted,
    _same_shape,
    _t,
    _wrong,
    check_choice,
    checker,
    is_unanswered,
)
from tlhelpers.state import eval_mode


@checker
def check_resnet_head_swap(model: Any, logits: Any, num_classes: int, name: str | None = "exercise 1") -> CheckResult:
    """02 · 1: a ResNet whose ``fc`` is a new nn.Linear for ``num_classes``, and its logits for one image."""
    if is_unanswered(model) or is_unanswered(logits):
        return _not_attempted(name)
    if not isinstance(model, nn.Module) or not isinstance(getattr(model, "fc", None), nn.Module):
        return _wrong(
            _t("expected a torchvision ResNet (a model with `fc`), got {type}", type=type(model).__name__), None, name
        )
    if not isinstance(model.fc, nn.Linear):
        return _wrong(_t("`fc` is a {type}, not an nn.Linear", type=type(model.fc).__name__), None, name)
    pooled = model.layer4[-1].conv1.in_channels if hasattr(model, "layer4") else model.fc.in_features
    if model.fc.in_features != pooled:
        return _wrong(
            _t("the new `fc` does not take as many features as the backbone gives"),
            _t("use the old layer's in_features"),
            name,
        )
    if model.fc.out_features != num_classes:
        return _wrong(
            _t("the new `fc` does not output one score per class ({num_classes})", num_classes=num_classes), None, name
        )
    if not isinstance(logits, torch.Tensor):
        return _wrong(
            _t("expected the logits tensor, got {type}", type=type(logits).__name__), _t("logits = model(image)"), name
        )
    return _same_shape(
        logits.shape, (1, num_classes), name, _t("one image, with a batch dimension: shape (1, 3, H, W)")
    )


@checker
def check_features_shape(
    answer: Any, model: nn.Module, image_size: int, name: str | None = "exercise 3"
) -> CheckResult:
    """02 · 3: the output of ``model.features`` for one ``image_size`` × ``image_size`` image (or its shape)."""
    if is_unanswered(answer):
        return _not_attempted(name)
    shape = answer.shape if hasattr(answer, "shape") else answer
    if not isinstance(shape, (tuple, list)) or not all(isinstance(size, int) for size in shape):
        return _wrong(_t("expected a tensor or a shape, got {type}", type=type(answer).__name__), None, name)
    device = next(model.parameters()).device
    with eval_mode(model), torch.inference_mode():
        expected = model.features(torch.zeros(1, 3, image_size, image_size, device=device)).shape
    return _same_shape(shape, expected, name, _t("one image: torch.zeros(1, 3, {size}, {size})", size=image_size))


@checker
def check_hardest_class(
    answer: Any, top1: Any, targets: Any, classes: Sequence[str], related: dict, name: str | None = "exercise 4"
) -> CheckResult:
    """02 · 4: the class whose images the ImageNet head least often puts into a related ImageNet class."""
    rates = {}
    for index, class_name in enumerate(classes):
        mine = [int(guess) in related[class_name] for guess, truth in zip(top1, targets) if int(truth) == index]
        rates[class_name] = sum(mine) / len(mine)
    return check_choice.__wrapped__(
        answer,
        classes,
        min(rates, key=rates.get),
        name=name,
        hint=_t("count the hits per true class, divide by that class's images"),
    )


@checker
def check_weak_classes(
    answer: Any,
    top1: Any,
    targets: Any,
    classes: Sequence[str],
    related: dict,
    threshold: float = 0.5,
    name: str | None = "exercise 4",
) -> CheckResult:
    """02 · 4: the classes whose images the ImageNet head puts into a related ImageNet class less often than
    ``threshold``, in the order of ``classes``."""
    if is_unanswered(answer):
        return _not_attempted(name)
    if not isinstance(answer, (list, tuple)) or not all(isinstance(item, str) for item in answer):
        return _wrong(_t("expected a list of class names, got {type}", type=type(answer).__name__), None, name)
    strangers = [item for item in answer if item not in classes]
    if strangers:
        return _wrong(_t("{item} is not one of the classes", item=repr(strangers[0])), None, name)
    rates = {}
    for index, class_name in enumerate(classes):
        mine = [int(guess) in related[class_name] for guess, truth in zip(top1, targets) if int(truth) == index]
        rates[class_name] = sum(mine) / len(mine)
    expected = [class_name for class_name in classes if rates[class_name] < threshold]
    if set(answer) != set(expected):
        return _wrong(
            _t("not the classes below half"), _t("count the hits per true class, divide by that class's images"), name
        )
    if list(answer) != expected:
        return _wrong(_t("a name appears twice, or not in the order of the classes"), None, name)
    return _correct(name)
