"""The exercise checkers of notebook 04 · Fine-tuning, one per exercise (see :mod:`tlhelpers.exercises`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from tlhelpers.exercises.checks import (
    CheckResult,
    _correct,
    _head_path,
    _not_attempted,
    _t,
    _wrong,
    checker,
    is_unanswered,
)
from tlhelpers.state import seeded


@checker
def check_two_groups(
    optimizer: Any, model: nn.Module, head_lr: float, backbone_lr: float, name: str | None = "exercise 1"
) -> CheckResult:
    """04 · 1: an optimizer with the head's parameters at ``head_lr``, then the backbone's at ``backbone_lr``."""
    if is_unanswered(optimizer):
        return _not_attempted(name)
    if not isinstance(optimizer, torch.optim.Optimizer):
        return _wrong(_t("expected a torch optimizer, got {type}", type=type(optimizer).__name__), None, name)
    groups = optimizer.param_groups
    if len(groups) != 2:
        counted = _t(
            "{number} parameter group" if len(groups) == 1 else "{number} parameter groups", number=len(groups)
        )
        return _wrong(
            _t("the optimizer has {counted}, not 2", counted=counted),
            _t('pass a list of two dicts: [{{"params": ..., "lr": ...}}, {{...}}]'),
            name,
        )
    head = {id(p) for p in model.get_submodule(_head_path(model).split(".")[0]).parameters()}
    everything = {id(p) for p in model.parameters()}
    first, second = ({id(p) for p in group["params"]} for group in groups)
    if first != head:
        return _wrong(_t("the first group does not hold exactly the classifier's parameters"), None, name)
    if second != everything - head:
        return _wrong(
            _t("the second group does not hold exactly the backbone's parameters"), _t("model.features"), name
        )
    for label, group, wanted in ((_t("classifier"), groups[0], head_lr), (_t("backbone"), groups[1], backbone_lr)):
        if not math.isclose(group["lr"], wanted):
            problem = _t(
                "the {label}'s learning rate is too high"
                if group["lr"] > wanted
                else "the {label}'s learning rate is too low",
                label=label,
            )
            return _wrong(problem, None, name)
    return _correct(name)


class _TinyBackboneModel(nn.Module):
    """A stand-in for MobileNetV2 (``features`` blocks, then ``classifier``) that records, in every
    training forward pass, whether its backbone is trainable."""

    def __init__(self) -> None:
        super().__init__()
        with seeded(0):  # the same initial weights every time, the caller's generator untouched
            self.features = nn.Sequential(
                nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU()),
                nn.Sequential(nn.Conv2d(4, 4, 3), nn.BatchNorm2d(4), nn.ReLU()),
            )
            self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(4, 3))
        self.backbone_trainable: list[bool] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.backbone_trainable.append(self.features[0][0].weight.requires_grad)
        return self.classifier(self.features(x).mean(dim=(2, 3)))


@checker
def check_two_stage(two_stage: Any, name: str | None = "exercise 2") -> CheckResult:
    """04 · 2: ``two_stage(model, train_loader, val_loader, head_epochs, full_epochs)`` → (stage-1, stage-2 histories).

    Run on a tiny model and data: stage 1 must train with a frozen backbone, stage 2 with a trainable one.
    """
    if is_unanswered(two_stage):
        return _not_attempted(name)
    if not callable(two_stage):
        return _wrong(_t("expected a function, got {type}", type=type(two_stage).__name__), None, name)
    generator = torch.Generator().manual_seed(0)
    images, targets = torch.randn(8, 3, 8, 8, generator=generator), torch.randint(0, 3, (8,), generator=generator)
    train_loader = [(images[:4], targets[:4]), (images[4:], targets[4:])]
    val_loader = [(images[:4], targets[:4])]
    model = _TinyBackboneModel()
    initial = model.features[0][0].weight.detach().clone()
    try:
        histories = two_stage(model, train_loader, val_loader, 2, 1)
    except Exception as error:  # the answer's own code fails
        return _wrong(_t("it raised {error_type}: {error}", error_type=type(error).__name__, error=error), None, name)
    if is_unanswered(histories):
        return _not_attempted(name)
    if not (isinstance(histories, (tuple, list)) and len(histories) == 2):
        return _wrong(_t("expected two histories: (stage 1's, stage 2's)"), _t("return the two results of fit"), name)
    if [len(history) for history in histories] != [2, 1]:
        return _wrong(_t("the stages did not train for head_epochs, then full_epochs epochs"), None, name)
    flags = model.backbone_trainable
    if len(flags) != 6:
        return _wrong(_t("expected each stage to go through the training batches once per epoch"), None, name)
    if any(flags[:4]):
        return _wrong(
            _t("in stage 1 the backbone was trainable"),
            _t("unfreeze(model, 0) (a frozen backbone) before the first fit"),
            name,
        )
    if not all(flags[4:]):
        return _wrong(
            _t("in stage 2 the backbone was still frozen"),
            _t("unfreeze(model, k) with k at least len(backbone_blocks(model))"),
            name,
        )
    if torch.equal(initial, model.features[0][0].weight):
        return _wrong(
            _t("the backbone's weights did not change in stage 2"),
            _t("give stage 2 a new optimizer over the unfrozen parameters (param_groups)"),
            name,
        )
    return _correct(name)


@checker
def check_strong_augment(
    augment: Any, image: torch.Tensor, size: int = 96, name: str | None = "exercise 3"
) -> CheckResult:
    """04 · 3: RandomResizedCrop(size, scale=(0.2, 1.0)), RandomHorizontalFlip, RandomRotation(15), composed."""
    if is_unanswered(augment):
        return _not_attempted(name)
    from torchvision.transforms import v2

    steps = list(getattr(augment, "transforms", []))
    crops = [step for step in steps if isinstance(step, v2.RandomResizedCrop)]
    if not isinstance(augment, v2.Compose) or not crops:
        return _wrong(_t("expected a v2.Compose that starts with a v2.RandomResizedCrop"), None, name)
    if tuple(crops[0].size) != (size, size):
        return _wrong(_t("the crop is not resized to the size asked for"), None, name)
    if not (math.isclose(crops[0].scale[0], 0.2) and math.isclose(crops[0].scale[1], 1.0)):
        return _wrong(_t("the crop's area range (scale) is not the one asked for"), None, name)
    if not any(isinstance(step, v2.RandomHorizontalFlip) for step in steps):
        return _wrong(_t("there is no random horizontal flip"), None, name)
    rotations = [step for step in steps if isinstance(step, v2.RandomRotation)]
    if not rotations or [float(d) for d in rotations[0].degrees] != [-15.0, 15.0]:
        return _wrong(_t("there is no v2.RandomRotation of up to 15 degrees either way"), None, name)
    larger = nn.functional.interpolate(image.unsqueeze(0), scale_factor=1.5).squeeze(0)
    views = [augment(larger) for _ in range(4)]
    if any(tuple(view.shape) != (image.shape[0], size, size) for view in views):
        return _wrong(_t("a view of a larger image does not come out at the size asked for"), None, name)
    if all(torch.equal(views[0], view) for view in views[1:]):
        return _wrong(_t("four calls gave the same view: the transform is not random"), None, name)
    return _correct(name)


@checker
def check_best_epoch(answer: Any, history: Any, name: str | None = "exercise 4") -> CheckResult:
    """04 · 4: the epoch (counted from 1) with the lowest validation loss of ``history``."""
    if is_unanswered(answer):
        return _not_attempted(name)
    if not isinstance(answer, (int, np.integer)) or isinstance(answer, bool):
        return _wrong(_t("expected an epoch number (an int), got {type}", type=type(answer).__name__), None, name)
    losses = list(history.val_loss)
    if not 1 <= answer <= len(losses):
        return _wrong(_t("the run has epochs 1 to {last}", last=len(losses)), None, name)
    best = 1 + losses.index(min(losses))
    if answer != best:  # the same words for an off-by-one: anything more specific would give the answer away
        return _wrong(
            _t("epoch {answer} does not have the lowest validation loss", answer=answer),
            _t("history.val_loss — and epochs count from 1, list positions from 0"),
            name,
        )
    return _correct(name)
