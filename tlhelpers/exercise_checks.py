"""The checkers of the notebooks' exercises, one per exercise, built on :mod:`tlhelpers.checks`.

Each computes what it compares with from the objects the notebook passes it (or from the
library), and describes a wrong answer — a type, a shape, too high or too low, a hint —
without printing the right one, so the public check cell next to a stub gives nothing away.
The graded answers (nbgrader's hidden tests) live only in the instructor versions,
``notebooks/solutions/``. Called wrongly, a checker raises
(:class:`~tlhelpers.checks.CheckerMisuse`): a broken exercise fails the test suite.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from tlhelpers.checks import (
    CheckerMisuse,
    CheckResult,
    _correct,
    _count,
    _head_path,
    _is_number,
    _not_attempted,
    _wrong,
    check_choice,
    checker,
    is_unanswered,
)
from tlhelpers.state import eval_mode


def _as_number(answer: Any, name: str | None, hint: str | None) -> float | CheckResult:
    """The answer as a float, or the "not quite" result that says why it is not a number."""
    if isinstance(answer, torch.Tensor) and answer.numel() == 1:
        answer = answer.item()
    if not _is_number(answer):
        return _wrong(f"expected a number, got {type(answer).__name__}", hint, name)
    if math.isnan(answer):
        return _wrong("the answer is NaN", hint, name)
    return float(answer)


def _close_without_value(answer: Any, expected: float, tol: float, name: str | None, hint: str | None) -> CheckResult:
    """Like :func:`check_close` for one number, but "too high"/"too low" without the student's value either."""
    number = _as_number(answer, name, hint)
    if isinstance(number, CheckResult):
        return number
    if abs(number - expected) <= tol:
        return _correct(name)
    return _wrong("too high" if number > expected else "too low", hint, name)


def _same_shape(shape: Sequence[int], expected: Sequence[int], name: str | None, hint: str | None) -> CheckResult:
    """Shapes compared dimension by dimension, saying which one is off and which way, not its size."""
    shape, expected = tuple(shape), tuple(expected)
    if len(shape) != len(expected):
        return _wrong(f"the shape {shape} has {len(shape)} dimensions, the answer has {len(expected)}", hint, name)
    for index, (size, wanted) in enumerate(zip(shape, expected)):
        if size != wanted:
            return _wrong(f"dimension {index} of {shape} is too {'large' if size > wanted else 'small'}", hint, name)
    return _correct(name)


@checker
def check_shirt_categories(answer: Any, categories: Sequence[str], name: str | None = "exercise 1") -> CheckResult:
    """01 · 1: every category whose name contains "shirt" (any case), in the order of ``categories``."""
    if is_unanswered(answer):
        return _not_attempted(name)
    if not isinstance(answer, (list, tuple)) or not all(isinstance(item, str) for item in answer):
        return _wrong(f"expected a list of category names, got {type(answer).__name__}", None, name)
    strangers = [item for item in answer if item not in categories]
    if strangers:
        return _wrong(f"{strangers[0]!r} is not one of the 1,000 categories", "copy the names from `categories`", name)
    no_shirt = [item for item in answer if "shirt" not in item.lower()]
    if no_shirt:
        return _wrong(f"{no_shirt[0]!r} does not contain 'shirt'", None, name)
    expected = [category for category in categories if "shirt" in category.lower()]
    if len(answer) < len(expected):
        return _wrong("some categories are missing", "compare in lower case: `'shirt' in name.lower()`", name)
    if list(answer) != expected:
        return _wrong("a name appears twice, or not in the order of `categories`", None, name)
    return _correct(name)


@checker
def check_cheapest_80(answer: Any, zoo: Sequence[Any], name: str | None = "exercise 2") -> CheckResult:
    """01 · 2: the (model, weights) with top-1 accuracy ≥ 80 % and the fewest GFLOPS in ``zoo``."""
    if is_unanswered(answer):
        return _not_attempted(name)
    if not (isinstance(answer, tuple) and len(answer) == 2 and all(isinstance(item, str) for item in answer)):
        return _wrong("expected a tuple of two names, (model, weights)", 'e.g. ("resnet50", "IMAGENET1K_V2")', name)
    rows = {(row.model, row.weights): row for row in zoo}
    if answer not in rows:
        return _wrong(f"{answer} is not a (model, weights) pair of the zoo", "take row.model and row.weights", name)
    eligible = [row for row in zoo if row.acc1 >= 80]
    if rows[answer].acc1 < 80:
        return _wrong(f"{answer[0]} with {answer[1]} has less than 80 % top-1 accuracy", None, name)
    if rows[answer].gflops > min(row.gflops for row in eligible):
        return _wrong("accurate enough, but other weights need fewer GFLOPS", "take the minimum by row.gflops", name)
    return _correct(name)


@checker
def check_unnormalised_probability(answer: Any, model: nn.Module, photo: Any, name: str | None = "exercise 3") -> CheckResult:
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
        return _wrong("a probability is between 0 and 1", "softmax the logits, then take the largest value", name)
    return _close_without_value(answer, expected, 0.01, name, "Resize(256), CenterCrop(224), ToImage, ToDtype — no Normalize")


@checker
def check_training_flops(answer: Any, name: str | None = "exercise 4") -> CheckResult:
    """01 · 4: 3 × ResNet-50's forward FLOPs (2 × its multiply-adds, ``_ops``) × ILSVRC's training images × 90 epochs."""
    if is_unanswered(answer):
        return _not_attempted(name)
    import torchvision

    expected = 3 * 2 * torchvision.models.ResNet50_Weights.IMAGENET1K_V1.meta["_ops"] * 1e9 * 1_281_167 * 90
    number = _as_number(answer, name, None)
    if not isinstance(number, CheckResult) and 0 < number < expected / 1e6:
        return _wrong("far too low", "meta['_ops'] is in billions (G) of multiply-adds: multiply by 1e9", name)
    return _close_without_value(answer, expected, 0.01 * expected, name,
                                "3 × forward FLOPs × images × epochs, and a multiply-add is 2 FLOPs")


@checker
def check_resnet_head_swap(model: Any, logits: Any, num_classes: int, name: str | None = "exercise 1") -> CheckResult:
    """02 · 1: a ResNet whose ``fc`` is a new nn.Linear for ``num_classes``, and its logits for one image."""
    if is_unanswered(model) or is_unanswered(logits):
        return _not_attempted(name)
    if not isinstance(model, nn.Module) or not isinstance(getattr(model, "fc", None), nn.Module):
        return _wrong(f"expected a torchvision ResNet (a model with `fc`), got {type(model).__name__}", None, name)
    if not isinstance(model.fc, nn.Linear):
        return _wrong(f"`fc` is a {type(model.fc).__name__}, not an nn.Linear", None, name)
    pooled = model.layer4[-1].conv1.in_channels if hasattr(model, "layer4") else model.fc.in_features
    if model.fc.in_features != pooled:
        return _wrong("the new `fc` does not take as many features as the backbone gives",
                      "use the old layer's in_features", name)  # fmt: skip
    if model.fc.out_features != num_classes:
        return _wrong(f"the new `fc` does not output one score per class ({num_classes})", None, name)
    if not isinstance(logits, torch.Tensor):
        return _wrong(f"expected the logits tensor, got {type(logits).__name__}", "logits = model(image)", name)
    return _same_shape(logits.shape, (1, num_classes), name, "one image, with a batch dimension: shape (1, 3, H, W)")


@checker
def check_features_shape(answer: Any, model: nn.Module, image_size: int, name: str | None = "exercise 3") -> CheckResult:
    """02 · 3: the output of ``model.features`` for one ``image_size`` × ``image_size`` image (or its shape)."""
    if is_unanswered(answer):
        return _not_attempted(name)
    shape = answer.shape if hasattr(answer, "shape") else answer
    if not isinstance(shape, (tuple, list)) or not all(isinstance(size, int) for size in shape):
        return _wrong(f"expected a tensor or a shape, got {type(answer).__name__}", None, name)
    device = next(model.parameters()).device
    with eval_mode(model), torch.inference_mode():
        expected = model.features(torch.zeros(1, 3, image_size, image_size, device=device)).shape
    return _same_shape(shape, expected, name, f"one image: torch.zeros(1, 3, {image_size}, {image_size})")


@checker
def check_hardest_class(answer: Any, top1: Any, targets: Any, classes: Sequence[str], related: dict,
                        name: str | None = "exercise 4") -> CheckResult:  # fmt: skip
    """02 · 4: the class whose images the ImageNet head least often puts into a related ImageNet class."""
    rates = {}
    for index, class_name in enumerate(classes):
        mine = [int(guess) in related[class_name] for guess, truth in zip(top1, targets) if int(truth) == index]
        rates[class_name] = sum(mine) / len(mine)
    return check_choice.__wrapped__(answer, classes, min(rates, key=rates.get), name=name,
                                    hint="count the hits per true class, divide by that class's images")  # fmt: skip


@checker
def check_batchnorm_fix(answer: Any, name: str | None = "exercise 1") -> CheckResult:
    """03 · 1: the change that stops BatchNorm's running statistics from moving."""
    return check_choice.__wrapped__(answer, ["a", "b", "c", "d"], "c", name=name,
                                    hint="which of these changes the mode BatchNorm looks at, `module.training`?")  # fmt: skip


@checker
def check_accuracy_near(answer: Any, expected: float, tol: float, name: str | None = None,
                        hint: str | None = None) -> CheckResult:  # fmt: skip
    """An accuracy (a fraction between 0 and 1) within ``tol`` of ``expected``, which is not printed."""
    if is_unanswered(answer):
        return _not_attempted(name)
    number = _as_number(answer, name, hint)
    if not isinstance(number, CheckResult) and not 0 <= number <= 1:
        return _wrong("an accuracy is a fraction between 0 and 1", "divide by the number of images", name)
    return _close_without_value(answer, expected, tol, name, hint)


def _logistic_accuracy(train_features: torch.Tensor, train_targets: torch.Tensor, test_features: torch.Tensor,
                       test_targets: torch.Tensor) -> float:  # fmt: skip
    from sklearn.linear_model import LogisticRegression  # lazily: only when an answer is checked

    fitted = LogisticRegression(max_iter=2000).fit(train_features.numpy(), train_targets.numpy())
    return float(fitted.score(test_features.numpy(), test_targets.numpy()))


@checker
def check_early_layer_accuracy(answer: Any, model: nn.Module, train_set: Any, test_set: Any,
                               name: str | None = "exercise 2") -> CheckResult:  # fmt: skip
    """03 · 2: test accuracy of a logistic regression on the pooled output of ``features.14``."""
    if is_unanswered(answer):
        return _not_attempted(name)
    from tlhelpers.features import extract_features

    train = extract_features(model, train_set, layer="features.14", progress=False)
    test = extract_features(model, test_set, layer="features.14", progress=False)
    return check_accuracy_near.__wrapped__(answer, _logistic_accuracy(*train, *test), 0.02, name,
                                           "fit on the training photos' features.14 features, score on the test photos'")


@checker
def check_cartoon_accuracy(answer: Any, model: nn.Module, head: nn.Module, transform: Any,
                           name: str | None = "exercise 4") -> CheckResult:  # fmt: skip
    """03 · 4: the accuracy of the photo-trained ``head`` on the cartoon stamps' features."""
    if is_unanswered(answer):
        return _not_attempted(name)
    from tlhelpers.data import stamps
    from tlhelpers.features import extract_features

    features, targets = extract_features(model, stamps("cartoon", "all", transform=transform), progress=False)
    with eval_mode(head), torch.inference_mode():
        expected = (head(features).argmax(dim=1) == targets).float().mean().item()
    return check_accuracy_near.__wrapped__(answer, expected, 0.02, name,
                                           "head.eval(), then head(cartoon_features).argmax(dim=1) against the targets")


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
        torch.manual_seed(0)
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
        return _wrong(f"expected a function, got {type(train_loop).__name__}", None, name)
    generator = torch.Generator().manual_seed(0)
    inputs, targets = torch.randn(12, 4, generator=generator) * 3 + 1, torch.randint(0, 3, (12,), generator=generator)
    train_loader = [(inputs[i:i + 4], targets[i:i + 4]) for i in range(0, 8, 4)]
    val_loader = [(inputs[8:11], targets[8:11])]
    model, reference = _TinyBatchNormNet(), _TinyBatchNormNet()
    statistics = model.features[1].running_mean.clone()
    try:
        accuracies = train_loop(model, train_loader, val_loader, torch.optim.SGD(model.parameters(), lr=0.5), 2)
    except Exception as error:  # the answer's own code fails
        return _wrong(f"it raised {type(error).__name__}: {error}", None, name)
    if is_unanswered(accuracies):
        return _not_attempted(name)
    expected = _reference_loop(reference, train_loader, val_loader, torch.optim.SGD(reference.parameters(), lr=0.5), 2)
    calls = model.classifier[0].calls
    if any(size == 4 and not training for size, training, _ in calls):
        return _wrong("the classifier was in eval mode while training (its Dropout would be off)",
                      "model.train() first, then switch only the backbone back", name)  # fmt: skip
    if any(size == 3 and training for size, training, _ in calls):
        return _wrong("the model was in train mode while validating", "call model.eval() before validating", name)
    if not torch.equal(statistics, model.features[1].running_mean):
        return _wrong("the backbone's BatchNorm running statistics moved during training",
                      "which call sets `training` to False for the modules of model.features only?", name)  # fmt: skip
    if any(size == 3 and grad for size, _, grad in calls):
        return _wrong("validation built a gradient graph", "validate inside `with torch.no_grad():`", name)
    if sum(size == 4 for size, _, _ in calls) != 4 or sum(size == 3 for size, _, _ in calls) != 2:
        return _wrong("each epoch must go once through the training batches, then once through the validation batches",
                      None, name)  # fmt: skip
    if not all(torch.allclose(p, q, atol=1e-6) for p, q in zip(model.parameters(), reference.parameters())):
        return _wrong("the weights after training differ from a correct loop's",
                      "per batch: optimizer.zero_grad(), loss.backward(), optimizer.step()", name)  # fmt: skip
    if not isinstance(accuracies, (list, tuple)) or len(accuracies) != 2:
        return _wrong("expected a list with one validation accuracy per epoch", None, name)
    if not all(_is_number(a) and abs(a - e) < 1e-6 for a, e in zip(accuracies, expected)):
        return _wrong("the validation accuracies are off", "correct predictions / validation images, per epoch", name)
    return _correct(name)


@checker
def check_two_groups(optimizer: Any, model: nn.Module, head_lr: float, backbone_lr: float,
                     name: str | None = "exercise 1") -> CheckResult:  # fmt: skip
    """04 · 1: an optimizer with the head's parameters at ``head_lr``, then the backbone's at ``backbone_lr``."""
    if is_unanswered(optimizer):
        return _not_attempted(name)
    if not isinstance(optimizer, torch.optim.Optimizer):
        return _wrong(f"expected a torch optimizer, got {type(optimizer).__name__}", None, name)
    groups = optimizer.param_groups
    if len(groups) != 2:
        return _wrong(f"the optimizer has {_count(len(groups), 'parameter group')}, not 2",
                      'pass a list of two dicts: [{"params": ..., "lr": ...}, {...}]', name)  # fmt: skip
    head = {id(p) for p in model.get_submodule(_head_path(model).split(".")[0]).parameters()}
    everything = {id(p) for p in model.parameters()}
    first, second = ({id(p) for p in group["params"]} for group in groups)
    if first != head:
        return _wrong("the first group does not hold exactly the classifier's parameters", None, name)
    if second != everything - head:
        return _wrong("the second group does not hold exactly the backbone's parameters", "model.features", name)
    for label, group, wanted in (("classifier", groups[0], head_lr), ("backbone", groups[1], backbone_lr)):
        if not math.isclose(group["lr"], wanted):
            return _wrong(f"the {label}'s learning rate is too {'high' if group['lr'] > wanted else 'low'}", None, name)
    return _correct(name)


class _TinyBackboneModel(nn.Module):
    """A stand-in for MobileNetV2 (``features`` blocks, then ``classifier``) that records, in every
    training forward pass, whether its backbone is trainable."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.features = nn.Sequential(nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU()),
                                      nn.Sequential(nn.Conv2d(4, 4, 3), nn.BatchNorm2d(4), nn.ReLU()))  # fmt: skip
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
        return _wrong(f"expected a function, got {type(two_stage).__name__}", None, name)
    generator = torch.Generator().manual_seed(0)
    images, targets = torch.randn(8, 3, 8, 8, generator=generator), torch.randint(0, 3, (8,), generator=generator)
    train_loader = [(images[:4], targets[:4]), (images[4:], targets[4:])]
    val_loader = [(images[:4], targets[:4])]
    model = _TinyBackboneModel()
    initial = model.features[0][0].weight.detach().clone()
    try:
        histories = two_stage(model, train_loader, val_loader, 2, 1)
    except Exception as error:  # the answer's own code fails
        return _wrong(f"it raised {type(error).__name__}: {error}", None, name)
    if is_unanswered(histories):
        return _not_attempted(name)
    if not (isinstance(histories, (tuple, list)) and len(histories) == 2):
        return _wrong("expected two histories: (stage 1's, stage 2's)", "return the two results of fit", name)
    if [len(history) for history in histories] != [2, 1]:
        return _wrong("the stages did not train for head_epochs, then full_epochs epochs", None, name)
    flags = model.backbone_trainable
    if len(flags) != 6:
        return _wrong("expected each stage to go through the training batches once per epoch", None, name)
    if any(flags[:4]):
        return _wrong("in stage 1 the backbone was trainable", "unfreeze(model, 0) (a frozen backbone) before the first fit", name)
    if not all(flags[4:]):
        return _wrong("in stage 2 the backbone was still frozen",
                      "unfreeze(model, k) with k at least len(backbone_blocks(model))", name)  # fmt: skip
    if torch.equal(initial, model.features[0][0].weight):
        return _wrong("the backbone's weights did not change in stage 2",
                      "give stage 2 a new optimizer over the unfrozen parameters (param_groups)", name)  # fmt: skip
    return _correct(name)


@checker
def check_strong_augment(augment: Any, image: torch.Tensor, size: int = 96, name: str | None = "exercise 3") -> CheckResult:
    """04 · 3: RandomResizedCrop(size, scale=(0.2, 1.0)), RandomHorizontalFlip, RandomRotation(15), composed."""
    if is_unanswered(augment):
        return _not_attempted(name)
    from torchvision.transforms import v2

    steps = list(getattr(augment, "transforms", []))
    crops = [step for step in steps if isinstance(step, v2.RandomResizedCrop)]
    if not isinstance(augment, v2.Compose) or not crops:
        return _wrong("expected a v2.Compose that starts with a v2.RandomResizedCrop", None, name)
    if tuple(crops[0].size) != (size, size):
        return _wrong("the crop is not resized to the size asked for", None, name)
    if not (math.isclose(crops[0].scale[0], 0.2) and math.isclose(crops[0].scale[1], 1.0)):
        return _wrong("the crop's area range (scale) is not the one asked for", None, name)
    if not any(isinstance(step, v2.RandomHorizontalFlip) for step in steps):
        return _wrong("there is no random horizontal flip", None, name)
    rotations = [step for step in steps if isinstance(step, v2.RandomRotation)]
    if not rotations or [float(d) for d in rotations[0].degrees] != [-15.0, 15.0]:
        return _wrong("there is no v2.RandomRotation of up to 15 degrees either way", None, name)
    larger = nn.functional.interpolate(image.unsqueeze(0), scale_factor=1.5).squeeze(0)
    views = [augment(larger) for _ in range(4)]
    if any(tuple(view.shape) != (image.shape[0], size, size) for view in views):
        return _wrong("a view of a larger image does not come out at the size asked for", None, name)
    if all(torch.equal(views[0], view) for view in views[1:]):
        return _wrong("four calls gave the same view: the transform is not random", None, name)
    return _correct(name)


@checker
def check_best_epoch(answer: Any, history: Any, name: str | None = "exercise 4") -> CheckResult:
    """04 · 4: the epoch (counted from 1) with the lowest validation loss of ``history``."""
    if is_unanswered(answer):
        return _not_attempted(name)
    if not isinstance(answer, (int, np.integer)) or isinstance(answer, bool):
        return _wrong(f"expected an epoch number (an int), got {type(answer).__name__}", None, name)
    losses = list(history.val_loss)
    if not 1 <= answer <= len(losses):
        return _wrong(f"the run has epochs 1 to {len(losses)}", None, name)
    best = 1 + losses.index(min(losses))
    if answer != best:  # the same words for an off-by-one: anything more specific would give the answer away
        return _wrong(f"epoch {answer} does not have the lowest validation loss",
                      "history.val_loss — and epochs count from 1, list positions from 0", name)  # fmt: skip
    return _correct(name)


@checker
def check_layers_closer(answer: Any, model: nn.Module, moments: dict, name: str | None = "exercise 1") -> CheckResult:
    """05 · 1: at how many BatchNorm layers the photo stamps are closer to ImageNet than the cartoons."""
    if is_unanswered(answer):
        return _not_attempted(name)
    from tlhelpers import similarity  # lazily: checks stays importable without the similarity stack

    photo, cartoon = (similarity.layer_distances(model, moments[key]) for key in ("photo stamps", "cartoon stamps"))
    if not isinstance(answer, (int, np.integer)) or isinstance(answer, bool):
        return _wrong(f"expected a count of layers (an int), got {type(answer).__name__}", None, name)
    if not 0 <= answer <= len(photo):
        return _wrong(f"there are {len(photo)} BatchNorm layers", None, name)
    expected = sum(photo[layer] < cartoon[layer] for layer in photo)
    return _close_without_value(int(answer), expected, 0, name, "count the layers where the photos' distance is smaller")


def _fashion_means(runs: Sequence[dict]) -> dict[tuple[int, str], float]:
    from tlhelpers.results import summarize  # lazily, as above

    return {(row["n_per_class"], row["strategy"]): row["mean"] for row in summarize(runs)
            if row["dataset"] == "fashion_mnist"}  # fmt: skip


@checker
def check_crossover(answer: Any, runs: Sequence[dict], name: str | None = "exercise 2") -> CheckResult:
    """05 · 2: the fewest images per class from which fine-tuning stays ahead of feature extraction on Fashion-MNIST."""
    if is_unanswered(answer):
        return _not_attempted(name)
    means = _fashion_means(runs)
    amounts = sorted({n for n, _ in means})
    if answer not in amounts:
        return _wrong(f"{answer!r} is not one of the amounts measured", f"one of {amounts}", name)
    ahead = [means[(n, "fine_tuning")] > means[(n, "features")] for n in amounts]
    expected = next(n for index, n in enumerate(amounts) if all(ahead[index:]))
    if answer < expected:
        return _wrong(f"at some amount from {answer} on, fine-tuning is not ahead", None, name)
    if answer > expected:
        return _wrong("fine-tuning is already ahead at every amount from a smaller one on", None, name)
    return _correct(name)


@checker
def check_farthest_class(answer: Any, model: nn.Module, photos: Any, seed: int, name: str | None = "exercise 3") -> CheckResult:
    """05 · 3: the photo-stamp class whose similarity score, scored on its own, is the highest (farthest)."""
    if is_unanswered(answer):
        return _not_attempted(name)  # before scoring: the scores take seconds
    from tlhelpers import similarity
    from tlhelpers.data import keep_classes

    def score(class_name: str) -> float:
        return similarity.similarity_score(model, keep_classes(photos, [class_name]), seed=seed)

    return check_choice.__wrapped__(answer, photos.classes, max(photos.classes, key=score), name=name,
                                    hint="a higher score is farther from ImageNet")  # fmt: skip


@checker
def check_paired_margin(paired_margin: Any, runs: Sequence[dict], name: str | None = "exercise 4") -> CheckResult:
    """05 · 4: ``paired_margin(runs, dataset, n_per_class, a, b)`` → mean over seeds of a's − b's accuracy, in points.

    Checked on the real runs and on a shuffled copy with one of b's seeds missing (pairs only the common seeds).
    """
    if is_unanswered(paired_margin):
        return _not_attempted(name)
    if not callable(paired_margin):
        return _wrong(f"expected a function, got {type(paired_margin).__name__}", None, name)

    def expected(rows: Sequence[dict], a: str, b: str) -> float:
        by_seed = {s: {r["seed"]: r["acc"] for r in rows if r["dataset"] == "fashion_mnist" and r["n_per_class"] == 1000
                       and r["strategy"] == s} for s in (a, b)}  # fmt: skip
        seeds = sorted(set(by_seed[a]) & set(by_seed[b]))
        return 100 * float(np.mean([by_seed[a][seed] - by_seed[b][seed] for seed in seeds]))

    point = [row for row in runs if row["dataset"] == "fashion_mnist" and row["n_per_class"] == 1000]
    dropped = next(row for row in point if row["strategy"] == "features")
    shuffled = [row for row in reversed(runs) if row is not dropped]
    cases = (("the real runs", runs, "fine_tuning", "features"), ("the real runs, a and b swapped", runs, "features",
             "fine_tuning"), ("runs in another order with one of b's seeds missing", shuffled, "fine_tuning", "features"))
    for label, rows, a, b in cases:
        try:
            margin = paired_margin(rows, "fashion_mnist", 1000, a, b)
        except Exception as error:  # the answer's own code fails
            return _wrong(f"on {label} it raised {type(error).__name__}: {error}", None, name)
        if is_unanswered(margin):
            return _not_attempted(name)
        result = _close_without_value(margin, expected(rows, a, b), 1e-6, None, None)
        if not result:
            problem = result.message.removeprefix("not quite: ")
            return _wrong(f"on {label}: {problem}", "pair the runs by seed; points are 100 × accuracy", name)
    return _correct(name)


@checker
def check_selection_regret(answer: Any, runs: Sequence[dict], draw: tuple[str, int, int],
                           name: str | None = "exercise 2") -> CheckResult:  # fmt: skip
    """06 · 2: accuracy points a linear probe loses in ``draw`` by taking LogME's top candidate instead of the best."""
    from tlhelpers.selection_results import QUESTIONS, candidates, tau_and_regret

    if is_unanswered(answer):
        return _not_attempted(name)
    scored = candidates(runs, draw, QUESTIONS[0])
    if len(scored) < 2:
        raise CheckerMisuse(f"check_selection_regret: the runs have no scored candidates for {draw}")
    expected = tau_and_regret(scored)[1]
    hint = "the candidate with the highest logme, its acc against the highest acc, in points (× 100)"
    return _close_without_value(answer, expected, 0.05, name, hint)


@checker
def check_kendall_tau(kendall_tau: Any, name: str | None = "exercise 3") -> CheckResult:
    """06 · 3: ``kendall_tau(x, y)`` for two lists without ties → (concordant − discordant pairs) / all pairs.

    Checked against hand-made cases and against ``scipy.stats.kendalltau`` on seeded random lists.
    """
    from scipy import stats

    if is_unanswered(kendall_tau):
        return _not_attempted(name)
    if not callable(kendall_tau):
        return _wrong(f"expected a function, got {type(kendall_tau).__name__}", None, name)
    rng = np.random.default_rng(0)
    cases = [("the same order", [1, 2, 3], [10, 20, 30]), ("the reverse order", [1, 2, 3], [3, 2, 1]),
             ("one swapped pair of four", [1, 2, 3, 4], [1, 3, 2, 4]), ("two candidates", [0.5, -1.0], [0.2, 0.9])]  # fmt: skip
    cases += [(f"random lists of {n}", (rng.permutation(n) * 0.1).tolist(), rng.random(n).tolist()) for n in (5, 9, 12)]
    for label, x, y in cases:
        try:
            tau = kendall_tau(x, y)
        except Exception as error:  # the answer's own code fails
            return _wrong(f"on {label} it raised {type(error).__name__}: {error}", None, name)
        if is_unanswered(tau):
            return _not_attempted(name)
        result = _close_without_value(tau, float(stats.kendalltau(x, y).statistic), 1e-9, None, None)
        if not result:
            problem = result.message.removeprefix("not quite: ")
            return _wrong(f"on {label}: {problem}", "count the pairs (i < j) whose order agrees in x and y, "
                          "minus those whose order disagrees, over n(n − 1)/2", name)  # fmt: skip
    return _correct(name)
