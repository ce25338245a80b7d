"""Pretrained models: load them offline, find and replace their head, freeze their backbone.

A classification CNN is a *backbone* (convolutional blocks that turn an image into a
feature vector) followed by a *head* (usually one ``nn.Linear``) that turns the
feature vector into class scores. Transfer learning keeps the backbone and trains a
new head, then perhaps unfreezes the last few backbone blocks.

Freezing here means two things:

* ``requires_grad = False`` on every backbone parameter, so the optimizer leaves them alone;
* BatchNorm running statistics frozen too: the backbone's BatchNorm layers stay in eval
  mode even after ``model.train()``. Otherwise every training batch would overwrite the
  ImageNet statistics although no weight changes — a classic, silent cause of lost accuracy.

The BatchNorm part turns each frozen layer into a *statistics-frozen* variant of its own class
(:class:`StatisticsFrozen`), whose ``train`` always switches it to eval mode and which says so in
``print(model)`` (``BatchNorm2d(32, eps=1e-05, …, statistics frozen)``). Its parameters, buffers and
``state_dict`` keys are the layer's own; :func:`unfreeze` turns it back into the plain class.
"""

from __future__ import annotations

import functools
import math
import os
import pickle
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlparse

import torchvision
from torch import nn
from torchvision.models import WeightsEnum

from tlhelpers import timm_models
from tlhelpers.assets import WEIGHTS, AssetError, WeightsAsset, check_weights, hub_checkpoint_dir

# Where known architectures keep their head, tried in this order before the generic
# fallback. ``get_classifier()`` (timm) is asked first; ``_fc`` is lukemelas' EfficientNet.
HEAD_ATTRIBUTES = ("fc", "classifier", "heads", "head", "_fc", "last_linear")

# Where known architectures keep their sequence of backbone blocks.
BLOCK_CONTAINERS = ("features", "encoder.layers", "trunk_output", "blocks", "stages", "layers", "_blocks")


@dataclass
class HeadInfo:
    """Where a model's head is and what it looks like."""

    path: str  # dotted name for ``model.get_submodule`` (``"fc"``, ``"classifier.1"``)
    module: nn.Module
    in_features: int
    out_features: int
    kind: str  # "linear" or "conv" (SqueezeNet's 1x1 convolution)


# --- loading ---------------------------------------------------------------------------------


def _check_model_name(name: str) -> None:
    if name not in torchvision.models.list_models() and name not in timm_models.MODELS:
        raise ValueError(
            f"torchvision has no model {name!r} — pick one of torchvision.models.list_models(), "
            f"or {', '.join(timm_models.MODELS)} (timm)"
        )


def get_weights(name: str = "mobilenet_v2", weights: str | WeightsEnum | None = "IMAGENET1K_V1") -> WeightsEnum | None:
    """The torchvision weights entry for ``name`` (``"IMAGENET1K_V1"``, ``"DEFAULT"``, …), or None.

    The entry describes the checkpoint: ``weights.meta["categories"]``,
    ``weights.meta["_metrics"]`` and ``weights.transforms()`` (the preprocessing it was trained with).
    """
    _check_model_name(name)
    if weights is None or isinstance(weights, WeightsEnum):
        return weights
    weights_enum = timm_models.MODELS.get(name) or torchvision.models.get_model_weights(name)
    try:
        return weights_enum.verify(weights)
    except (KeyError, ValueError) as error:
        options = ", ".join(weights_enum.__members__)
        raise ValueError(f"{name} has no weights {weights!r} — use one of: {options}, or None") from error


def _checkpoint_path(weights: WeightsEnum) -> Path:
    """Where torch's hub cache keeps (or would keep) the checkpoint of ``weights``."""
    return hub_checkpoint_dir() / os.path.basename(urlparse(weights.url).path)


def _shipped_asset(weights: WeightsEnum) -> WeightsAsset | None:
    """The course asset holding this checkpoint (fetched by `make data`), if there is one."""
    return next((asset for asset in WEIGHTS if asset.name == str(weights)), None)


def _one_line(error: BaseException, limit: int = 160) -> str:
    text = " ".join(str(error).split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"{type(error).__name__}: {text}"


def get_model(name: str = "mobilenet_v2", weights: str | WeightsEnum | None = "IMAGENET1K_V1", **kwargs) -> nn.Module:
    """Build torchvision model ``name`` with pretrained ``weights`` (None: random initialisation).

    The default is ``IMAGENET1K_V1``, the checkpoint `make data` provides offline for
    MobileNetV2; ``"DEFAULT"`` means torchvision's newest weights (``IMAGENET1K_V2`` for
    MobileNetV2), which need network once. torchvision looks in torch's hub cache and
    downloads a missing checkpoint; when that fails we say so in one line
    (:class:`AssetError`). A checkpoint the course ships is verified by sha256 first.
    Extra keyword arguments go to the model builder. ``"efficientnet_lite0"`` is built by timm
    and loaded from the file `make data` provides (:mod:`tlhelpers.timm_models`).
    """
    weights_entry = get_weights(name, weights)
    if name in timm_models.MODELS:
        return timm_models.build(name, weights_entry, **kwargs)
    if weights_entry is None:
        return torchvision.models.get_model(name, weights=None, **kwargs)
    path = _checkpoint_path(weights_entry)
    asset = _shipped_asset(weights_entry)
    if asset is not None and path.exists():
        check_weights(asset)
    if asset is not None:
        fix = "run `python -m data_scripts`"
    else:
        offline = ", ".join(a.name for a in WEIGHTS)
        fix = f"connect to the internet once, or use weights that `make data` provides offline ({offline})"
    existed = path.exists()
    try:
        return torchvision.models.get_model(name, weights=weights_entry, **kwargs)
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile) as error:
        if existed:
            raise AssetError(f"{path} cannot be loaded ({_one_line(error)}) — delete it and {fix}") from error
        raise AssetError(
            f"{weights_entry} is not in torch's hub cache ({path}) and could not be downloaded "
            f"({_one_line(error)}) — {fix}"
        ) from error


# --- the head --------------------------------------------------------------------------------


def _is_head_layer(module: nn.Module) -> bool:
    return isinstance(module, nn.Linear) or (isinstance(module, nn.Conv2d) and module.kernel_size == (1, 1))


def _last_head_layer(module: nn.Module, prefix: str) -> str | None:
    """Dotted name of the last nn.Linear inside ``module``, else of its last 1x1 Conv2d."""
    named = [(f"{prefix}.{name}" if name else prefix, child) for name, child in module.named_modules()]
    for wanted in (nn.Linear, nn.Conv2d):
        found = [name for name, child in named if isinstance(child, wanted) and _is_head_layer(child)]
        if found:
            return found[-1].strip(".")
    return None


def known_head_path(model: nn.Module) -> str | None:
    """The head's path when the model keeps it where known architectures do, else None.

    Unlike :func:`find_head` there is no generic fallback, so a bare backbone such as
    ``model.features`` gives None instead of its last 1x1 convolution.
    """
    get_classifier = getattr(model, "get_classifier", None)
    if callable(get_classifier):
        try:
            classifier = get_classifier()
        except (TypeError, NotImplementedError, AttributeError):
            classifier = None
        if isinstance(classifier, nn.Module):
            for name, module in model.named_modules():
                if module is classifier:
                    path = _last_head_layer(module, name)
                    if path is not None:
                        return path
    for attribute in HEAD_ATTRIBUTES:
        module = getattr(model, attribute, None)
        if isinstance(module, nn.Module):
            path = _last_head_layer(module, attribute)
            if path is not None:
                return path
    return None


def find_head(model: nn.Module) -> HeadInfo:
    """Find the layer that produces the class scores.

    Known places first (timm's ``get_classifier()``, then ``fc``, ``classifier``, ``heads``,
    ``head``, ``_fc``, ``last_linear``), taking the last ``nn.Linear`` inside (or the last
    1x1 ``Conv2d``, as in SqueezeNet); otherwise the last ``nn.Linear`` of the whole model in
    module order, else its last 1x1 ``Conv2d``.
    """
    path = known_head_path(model) or _last_head_layer(model, "")
    if not path:
        raise ValueError(
            f"no nn.Linear or 1x1 nn.Conv2d found in {type(model).__name__}, so it has no head to find — "
            "pass a classification model (backbone + head)"
        )
    module = model.get_submodule(path)
    if isinstance(module, nn.Linear):
        return HeadInfo(path, module, module.in_features, module.out_features, "linear")
    return HeadInfo(path, module, module.in_channels, module.out_channels, "conv")


def replace_head(model: nn.Module, num_classes: int) -> nn.Module:
    """Put a new, freshly initialised head with ``num_classes`` outputs in place of the old one.

    Only the final layer is swapped, so dropout and pooling around it stay. The new layer
    has the old one's kind, input size, bias, device and dtype. A timm model is asked through
    its own protocol, ``reset_classifier``. Returns the new head.
    """
    head = find_head(model)
    old = head.module
    if callable(getattr(model, "reset_classifier", None)) and callable(getattr(model, "get_classifier", None)):
        model.reset_classifier(num_classes)
        new = model.get_classifier().to(device=old.weight.device, dtype=old.weight.dtype)
        return new
    if head.kind == "linear":
        new = nn.Linear(head.in_features, num_classes, bias=old.bias is not None)
    else:
        new = nn.Conv2d(head.in_features, num_classes, kernel_size=1, bias=old.bias is not None)
    new = new.to(device=old.weight.device, dtype=old.weight.dtype)
    model.set_submodule(head.path, new)
    if isinstance(getattr(model, "num_classes", None), int):  # SqueezeNet, timm models
        model.num_classes = num_classes
    return new


# --- freezing --------------------------------------------------------------------------------


class StatisticsFrozen:
    """A BatchNorm layer whose running statistics are frozen: it stays in eval mode whatever ``train`` asks.

    Not built directly: :func:`freeze_batchnorm_statistics` makes a layer of class ``C`` (torch's
    ``BatchNorm2d``, timm's ``BatchNormAct2d``, …) an instance of ``statistics_frozen(C)``, a subclass of
    ``C`` and of this class. Nothing else about the layer changes — its parameters (trainable or not),
    buffers, ``state_dict`` keys and forward pass are ``C``'s — and ``print(model)`` shows it.
    """

    _unfrozen_class: type[nn.Module]

    def train(self, mode: bool = True) -> nn.Module:
        return nn.Module.train(self, False)  # the layer and whatever it holds (timm: its activation) stay in eval

    def extra_repr(self) -> str:
        return ", ".join(part for part in (super().extra_repr(), "statistics frozen") if part)

    def __reduce_ex__(self, protocol):
        # The class is made at run time: pickle (and deepcopy) rebuild it from the plain class, which pickles by name.
        return _statistics_frozen_instance, (self._unfrozen_class,), self.__getstate__()


@functools.cache
def statistics_frozen(cls: type[nn.Module]) -> type[nn.Module]:
    """The statistics-frozen variant of the BatchNorm class ``cls``, one per ``cls``.

    It keeps ``cls``'s name, so ``print(model)`` reads ``BatchNorm2d(…, statistics frozen)``; ``type(layer)``
    says ``tlhelpers.models.statistics_frozen(BatchNorm2d)``.
    """
    if issubclass(cls, StatisticsFrozen):
        return cls
    namespace = {
        "__module__": __name__,
        "__qualname__": f"statistics_frozen({cls.__qualname__})",
        "_unfrozen_class": cls,
    }
    return type(cls.__name__, (StatisticsFrozen, cls), namespace)


def _statistics_frozen_instance(cls: type[nn.Module]) -> nn.Module:
    frozen = statistics_frozen(cls)
    return frozen.__new__(frozen)


def _freeze_batchnorm(module: nn.Module) -> None:
    module.__class__ = statistics_frozen(type(module))
    module.train()


def _release_batchnorm(module: nn.Module, mode: bool) -> None:
    if isinstance(module, StatisticsFrozen):
        module.__class__ = module._unfrozen_class
    module.train(mode)


def is_frozen_batchnorm(module: nn.Module) -> bool:
    """True for a BatchNorm layer whose running statistics :func:`freeze_backbone` froze."""
    return isinstance(module, nn.modules.batchnorm._BatchNorm) and isinstance(module, StatisticsFrozen)


def freeze_batchnorm_statistics(model: nn.Module) -> nn.Module:
    """Keep the backbone's BatchNorm running statistics as they are, even after ``model.train()``.

    The weights are untouched (they still train if ``requires_grad``); only the running mean
    and variance stop following the training batches, and each such layer normalises with
    its stored (ImageNet) statistics in train mode too. This is the fine-tuning recipe for
    small batches, where batch statistics would be noisy. BatchNorm layers inside the head
    are left to train normally. Undone by :func:`unfreeze`. Returns ``model``.
    """
    head_path = find_head(model).path
    for name, module in model.named_modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            if name == head_path or name.startswith(head_path + "."):
                _release_batchnorm(module, model.training)
            else:
                _freeze_batchnorm(module)
    return model


def freeze_backbone(model: nn.Module) -> nn.Module:
    """Freeze every parameter except the head's, and the backbone's BatchNorm statistics.

    After this, only the head trains: backbone parameters have ``requires_grad=False``, and
    the backbone's BatchNorm layers stay in eval mode (running mean and variance unchanged)
    even after ``model.train()`` (:func:`freeze_batchnorm_statistics`). Returns ``model``.
    """
    head_parameters = {id(p) for p in find_head(model).module.parameters()}
    for parameter in model.parameters():
        parameter.requires_grad = id(parameter) in head_parameters
    return freeze_batchnorm_statistics(model)


def backbone_blocks(model: nn.Module) -> list[str]:
    """Names of the backbone's blocks, input side first (those with parameters only).

    The children of the first known block container (``features`` for MobileNet,
    EfficientNet, VGG, DenseNet, ConvNeXt; ``encoder.layers`` for ViT; ``trunk_output``
    for RegNet; ``blocks``/``stages``/``layers``/``_blocks`` for timm-style models),
    else the model's own children without the head (ResNet: ``conv1``, ``bn1``,
    ``layer1`` … ``layer4``).
    """
    head_path = find_head(model).path
    for container_path in BLOCK_CONTAINERS:
        try:
            container = model.get_submodule(container_path)
        except AttributeError:
            continue
        inside_head = head_path.startswith(container_path + ".")
        if isinstance(container, nn.Sequential | nn.ModuleList) and not inside_head:
            return [
                f"{container_path}.{name}"
                for name, child in container.named_children()
                if any(True for _ in child.parameters())
            ]
    head_root = head_path.split(".")[0]
    return [
        name for name, child in model.named_children() if name != head_root and any(True for _ in child.parameters())
    ]


def unfreeze(model: nn.Module, last_k_blocks: int) -> nn.Module:
    """Train the head and the last ``last_k_blocks`` backbone blocks; freeze the rest.

    "The last k blocks" means everything from the start of block ``-k`` onwards in module
    order (so layers between the blocks and the head, like a final norm, train too).
    BatchNorm layers there train their statistics again. ``last_k_blocks=0`` is
    :func:`freeze_backbone`; a value of at least ``len(backbone_blocks(model))``
    unfreezes the whole model. Returns ``model``.
    """
    if last_k_blocks < 0:
        raise ValueError(f"last_k_blocks is {last_k_blocks} — pass 0 or a positive number of blocks")
    freeze_backbone(model)
    if last_k_blocks == 0:
        return model
    blocks = backbone_blocks(model)
    first = "" if last_k_blocks >= len(blocks) else blocks[-last_k_blocks]
    reached = False
    for name, module in model.named_modules():
        reached = reached or name == first
        if not reached:
            continue
        for parameter in module.parameters(recurse=False):
            parameter.requires_grad = True
        if is_frozen_batchnorm(module):
            _release_batchnorm(module, model.training)
    return model


def count_parameters(model: nn.Module) -> dict[str, int]:
    """Numbers of trainable, frozen and all parameters (elements, not tensors)."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return {"trainable": trainable, "frozen": total - trainable, "total": total}


def trainable_parameters(model: nn.Module) -> list[nn.Parameter]:
    """The parameters an optimizer should get (``requires_grad`` True)."""
    return [p for p in model.parameters() if p.requires_grad]


# --- the model zoo ---------------------------------------------------------------------------


class ModelZooRow(NamedTuple):
    """One pretrained classifier in torchvision, as its weights' metadata describe it."""

    model: str
    weights: str
    acc1: float
    acc5: float
    gflops: float
    num_params: int
    file_size_mb: float


def model_zoo_table() -> list[ModelZooRow]:
    """Every ImageNet classifier in torchvision with each of its weights; reads only ``.meta``, downloads nothing."""
    rows = []
    for model_name in torchvision.models.list_models(module=torchvision.models):
        for weights in torchvision.models.get_model_weights(model_name):
            meta = weights.meta
            metrics = meta["_metrics"]["ImageNet-1K"]
            rows.append(
                ModelZooRow(
                    model=model_name,
                    weights=weights.name,
                    acc1=float(metrics["acc@1"]),
                    acc5=float(metrics["acc@5"]),
                    gflops=float(meta["_ops"]),
                    num_params=int(meta["num_params"]),
                    file_size_mb=float(meta["_file_size"]),
                )
            )
    return rows


def pareto_front(rows: Sequence[ModelZooRow]) -> list[ModelZooRow]:
    """The rows that no other row beats on both accuracy (higher) and GFLOPS (lower), cheapest first."""
    front, best_acc = [], -math.inf
    for row in sorted(rows, key=lambda row: (row.gflops, -row.acc1)):
        if row.acc1 > best_acc:  # NaN (weights without an ImageNet score) never enters
            front.append(row)
            best_acc = row.acc1
    return front
