"""The exercise checkers of notebook 01 · ImageNet and pretrained models, one per exercise.

See :mod:`tlhelpers.exercises`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from tlhelpers.exercises.checks import (
    CheckResult,
    _as_number,
    _close_without_value,
    _correct,
    _not_attempted,
    _t,
    _wrong,
    checker,
    is_unanswered,
)
from tlhelpers.state import eval_mode


@checker
def check_shirt_categories(answer: Any, categories: Sequence[str], name: str | None = "exercise 1") -> CheckResult:
    """01 · 1: every category whose name contains "shirt" (any case), in the order of ``categories``."""
    if is_unanswered(answer):
        return _not_attempted(name)
    if not isinstance(answer, (list, tuple)) or not all(isinstance(item, str) for item in answer):
        return _wrong(_t("expected a list of category names, got {type}", type=type(answer).__name__), None, name)
    strangers = [item for item in answer if item not in categories]
    if strangers:
        return _wrong(
            _t("{item} is not one of the 1,000 categories", item=repr(strangers[0])),
            _t("copy the names from `categories`"),
            name,
        )
    no_shirt = [item for item in answer if "shirt" not in item.lower()]
    if no_shirt:
        return _wrong(_t("{item} does not contain 'shirt'", item=repr(no_shirt[0])), None, name)
    expected = [category for category in categories if "shirt" in category.lower()]
    if len(answer) < len(expected):
        return _wrong(_t("some categories are missing"), _t("compare in lower case: `'shirt' in name.lower()`"), name)
    if list(answer) != expected:
        return _wrong(_t("a name appears twice, or not in the order of `categories`"), None, name)
    return _correct(name)


@checker
def check_cheapest_80(answer: Any, zoo: Sequence[Any], name: str | None = "exercise 2") -> CheckResult:
    """01 · 2: the (model, weights) with top-1 accuracy ≥ 80 % and the fewest GFLOPS in ``zoo``."""
    if is_unanswered(answer):
        return _not_attempted(name)
    if not (isinstance(answer, tuple) and len(answer) == 2 and all(isinstance(item, str) for item in answer)):
        return _wrong(
            _t("expected a tuple of two names, (model, weights)"), _t('e.g. ("resnet50", "IMAGENET1K_V2")'), name
        )
    rows = {(row.model, row.weights): row for row in zoo}
    if answer not in rows:
        return _wrong(
            _t("{answer} is not a (model, weights) pair of the zoo", answer=answer),
            _t("take row.model and row.weights"),
            name,
        )
    eligible = [row for row in zoo if row.acc1 >= 80]
    if rows[answer].acc1 < 80:
        return _wrong(
            _t("{model} with {weights} has less than 80 % top-1 accuracy", model=answer[0], weights=answer[1]),
            None,
            name,
        )
    if rows[answer].gflops > min(row.gflops for row in eligible):
        return _wrong(
            _t("accurate enough, but other weights need fewer GFLOPS"), _t("take the minimum by row.gflops"), name
        )
    return _correct(name)


@checker
def check_unnormalised_probability(
    answer: Any, model: nn.Module, photo: Any, name: str | None = "exercise 3"
) -> CheckResult:
    """01 · 3: the top-1 probability of ``photo`` resized, cropped and scaled to [0, 1] but not normalised."""
    if is_unanswered(answer):
        return _not_attempted(name)
    from torchvision.transforms import v2

    pipeline = v2.Compose([v2.Resize(256), v2.CenterCrop(224), v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])
    device = next(model.parameters()).device
    with eval_mode(model), torch.inference_mode():
        expected = model(pipeline(photo).unsqueeze(0).to(device)).softmax(dim=1).max().item()
    number = _as_number(answer, name, None)
    if not isinstance(number, CheckResult) and not 0 <= number <= 1:
        return _wrong(
            _t("a probability is between 0 and 1"), _t("softmax the logits, then take the largest value"), name
        )
    return _close_without_value(
        answer, expected, 0.01, name, _t("Resize(256), CenterCrop(224), ToImage, ToDtype — no Normalize")
    )


@checker
def check_training_flops(answer: Any, name: str | None = "exercise 4") -> CheckResult:
    """01 · 4: ResNet-50's training FLOPs.

    3 × its forward FLOPs (2 × its multiply-adds, ``_ops``) × ILSVRC's training images × 90 epochs.
    """
    if is_unanswered(answer):
        return _not_attempted(name)
    import torchvision

    expected = 3 * 2 * torchvision.models.ResNet50_Weights.IMAGENET1K_V1.meta["_ops"] * 1e9 * 1_281_167 * 90
    number = _as_number(answer, name, None)
    if not isinstance(number, CheckResult) and 0 < number < expected / 1e6:
        return _wrong(_t("far too low"), _t("meta['_ops'] is in billions (G) of multiply-adds: multiply by 1e9"), name)
    return _close_without_value(
        answer,
        expected,
        0.01 * expected,
        name,
        _t("3 × forward FLOPs × images × epochs, and a multiply-add is 2 FLOPs"),
    )
