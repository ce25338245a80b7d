"""The training loop, evaluation and prediction, written once for every notebook.

:func:`fit` is the plain PyTorch loop that notebook 03 writes out by hand (``train_by_hand``; the
notebook checks that both end with identical weights): forward, loss, backward and optimizer step
over the training batches in train mode, then a pass over the validation set in eval mode. It
returns a :class:`History` with one entry per epoch and can keep the best epoch's weights.
:func:`fine_tune` is the course's one fine-tuning recipe on top of it (notebook 04 and the sweep).

``channels_last``: on this course's 2-core reference CPU, MobileNetV2 at 224x224 with
batches of 32 ran about 1.5x faster in inference (0.45 s vs 0.67 s a batch) and about
1.4x faster in training (1.4 s vs 2.0 s) in channels-last memory format, so :func:`fit`
(and :func:`tlhelpers.features.extract_features`) use it by default; it only applies to
4-D image batches.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from tqdm.auto import trange

from tlhelpers.models import backbone_blocks, find_head, freeze_batchnorm_statistics, trainable_parameters, unfreeze
from tlhelpers.state import eval_mode


@dataclass
class History:
    """Per-epoch metrics of a :func:`fit` run; the ``val_*`` lists stay empty without validation.

    ``seconds`` is the wall time of each epoch (training and validation);
    ``lr`` the learning rate of the first parameter group during that epoch.
    ``stopped_early`` is True when ``max_seconds`` or ``patience`` ended the run before
    ``epochs`` (after ``max_seconds`` the last epoch may be partial). ``best_epoch``
    (counted from 1) is the epoch with the lowest validation loss when :func:`fit` watched it
    (``keep_best`` or ``patience``), else None.
    """

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    stopped_early: bool = False
    best_epoch: int | None = None

    def __len__(self) -> int:
        return len(self.train_loss)

    def rows(self) -> list[dict[str, float]]:
        """One dict per epoch (``epoch`` counts from 1), ready for a table or a CSV writer."""
        columns = [name for name in _PER_EPOCH if len(getattr(self, name)) == len(self)]
        return [
            {"epoch": index + 1, **{name: getattr(self, name)[index] for name in columns}} for index in range(len(self))
        ]

    def __add__(self, later: History) -> History:
        """This run followed by ``later`` (e.g. the two stages of a two-stage fine-tune), as one history."""
        joined = History(**{name: getattr(self, name) + getattr(later, name) for name in _PER_EPOCH})
        joined.stopped_early = later.stopped_early
        if later.best_epoch is not None:
            joined.best_epoch = len(self) + later.best_epoch
        return joined

    def as_dict(self) -> dict:
        """Plain lists, e.g. for ``json.dump``."""
        return asdict(self)


_PER_EPOCH = ("train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds")  # one value per epoch each


def get_device() -> torch.device:
    """The best available device: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (CPU for a model without parameters)."""
    parameter = next(iter(model.parameters()), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def to_device(images: torch.Tensor, device: torch.device, channels_last: bool = False) -> torch.Tensor:
    """Move a batch to ``device``; a 4-D image batch optionally in channels-last memory format."""
    images = images.to(device, non_blocking=True)
    if channels_last and images.dim() == 4:
        images = images.contiguous(memory_format=torch.channels_last)
    return images


def _run_epoch(
    model: nn.Module,
    batches: Iterable,
    loss_fn: Callable,
    device: torch.device,
    channels_last: bool,
    optimizer: torch.optim.Optimizer | None = None,
    deadline: float = math.inf,
) -> tuple[float, float, bool]:
    """One pass: train when ``optimizer`` is given, else evaluate. (mean loss, accuracy, out of time)."""
    total_loss = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    count = 0
    out_of_time = False
    for images, targets in batches:
        images = to_device(images, device, channels_last)
        targets = targets.to(device, non_blocking=True)
        logits = model(images)
        loss = loss_fn(logits, targets)
        if optimizer is not None:
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        # Summed on the device: one synchronisation per epoch instead of one per batch.
        total_loss += loss.detach() * len(targets)
        correct += (logits.argmax(dim=1) == targets).sum()
        count += len(targets)
        if time.perf_counter() >= deadline:
            out_of_time = True
            break
    if count == 0:
        raise ValueError("the data loader yielded no batches — check the dataset is not empty")
    return total_loss.item() / count, correct.item() / count, out_of_time


def fit(
    model: nn.Module,
    train_loader: Iterable,
    val_loader: Iterable | None = None,
    *,
    epochs: int,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float = 1e-3,
    scheduler=None,
    loss_fn: Callable | None = None,
    device: torch.device | str | None = None,
    max_seconds: float | None = None,
    keep_best: bool = False,
    patience: int | None = None,
    progress: bool = True,
    channels_last: bool = True,
) -> History:
    """Train ``model`` for ``epochs`` epochs, validating after each; return the :class:`History`.

    Defaults: Adam with ``lr`` over the trainable parameters, cross-entropy loss, the
    model's own device. ``scheduler.step()`` runs once per epoch (``ReduceLROnPlateau``
    gets the validation loss, or the training loss without validation), so build
    per-batch schedules such as ``OneCycleLR`` with ``total_steps=epochs``.
    ``max_seconds`` stops training once that much time is spent, even mid-epoch; the
    partial epoch is still validated and recorded, and ``history.stopped_early`` is set.

    Early stopping: ``keep_best=True`` keeps a copy of the weights after the epoch with the
    lowest validation loss and loads it back at the end (``history.best_epoch`` says which);
    ``patience=n`` also stops after ``n`` epochs without a new lowest validation loss. Both
    need ``val_loader``. The model is left in eval mode.
    """
    if (keep_best or patience is not None) and val_loader is None:
        raise ValueError("keep_best and patience watch the validation loss — pass a val_loader")
    device = torch.device(device) if device is not None else model_device(model)
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    if optimizer is None:
        parameters = trainable_parameters(model)
        if not parameters:
            raise ValueError(
                "every parameter is frozen, so there is nothing to train — unfreeze the head or some blocks"
            )
        optimizer = torch.optim.Adam(parameters, lr=lr)
    loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
    deadline = time.perf_counter() + max_seconds if max_seconds is not None else math.inf
    history = History()
    best_state = None
    bar = trange(epochs, desc="epochs", disable=not progress)
    for _ in bar:
        start = time.perf_counter()
        history.lr.append(optimizer.param_groups[0]["lr"])
        model.train()
        train_loss, train_acc, out_of_time = _run_epoch(
            model, train_loader, loss_fn, device, channels_last, optimizer, deadline
        )
        history.train_loss.append(train_loss)
        history.train_acc.append(train_acc)
        postfix = {"loss": f"{train_loss:.3f}", "acc": f"{train_acc:.3f}"}
        if val_loader is not None:
            val_loss, val_acc = evaluate(model, val_loader, device=device, loss_fn=loss_fn, channels_last=channels_last)
            history.val_loss.append(val_loss)
            history.val_acc.append(val_acc)
            postfix |= {"val_loss": f"{val_loss:.3f}", "val_acc": f"{val_acc:.3f}"}
        history.seconds.append(time.perf_counter() - start)
        bar.set_postfix(postfix)
        if scheduler is not None:
            if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                scheduler.step(history.val_loss[-1] if history.val_loss else train_loss)
            else:
                scheduler.step()
        if keep_best or patience is not None:
            if history.best_epoch is None or history.val_loss[-1] < history.val_loss[history.best_epoch - 1]:
                history.best_epoch = len(history)
                if keep_best:
                    best_state = copy.deepcopy(model.state_dict())
            if patience is not None and len(history) - history.best_epoch >= patience:
                out_of_time = True
        if out_of_time:
            history.stopped_early = len(history) < epochs
            break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history


def evaluate(
    model: nn.Module,
    loader: Iterable,
    device: torch.device | str | None = None,
    loss_fn: Callable | None = None,
    channels_last: bool = False,
) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` over ``loader`` (eval mode; the mode is restored)."""
    device = torch.device(device) if device is not None else model_device(model)
    loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
    with eval_mode(model), torch.inference_mode():
        loss, acc, _ = _run_epoch(model, loader, loss_fn, device, channels_last)
    return loss, acc


def predict(
    model: nn.Module, loader: Iterable, device: torch.device | str | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Softmax probabilities ``[N, num_classes]`` and targets ``[N]`` over ``loader``, on the CPU."""
    device = torch.device(device) if device is not None else model_device(model)
    probabilities, all_targets = [], []
    with eval_mode(model), torch.inference_mode():
        for images, targets in loader:
            probabilities.append(model(images.to(device)).softmax(dim=1).cpu())
            all_targets.append(torch.as_tensor(targets).cpu())
    return torch.cat(probabilities), torch.cat(all_targets)


def topk(
    model: nn.Module, images: torch.Tensor, categories: Sequence[str], k: int = 5
) -> list[list[tuple[str, float]]]:
    """The ``k`` most probable categories of each image, as (category, probability) pairs.

    ``images`` is a preprocessed batch ``[N, 3, H, W]`` (a single ``[3, H, W]`` image is fine);
    ``categories`` names the model's outputs, e.g. ``weights.meta["categories"]``.
    """
    if images.dim() == 3:
        images = images.unsqueeze(0)
    with eval_mode(model), torch.inference_mode():
        probabilities = model(images.to(model_device(model))).softmax(dim=1).cpu()
    if probabilities.shape[1] != len(categories):
        raise ValueError(
            f"the model has {probabilities.shape[1]} outputs but {len(categories)} categories were given — "
            "pass the categories of the weights the model was built with"
        )
    values, indices = probabilities.topk(min(k, len(categories)), dim=1)
    return [
        [(categories[index], value) for value, index in zip(row_values.tolist(), row_indices.tolist())]
        for row_values, row_indices in zip(values, indices)
    ]


def param_groups(model: nn.Module, head_lr: float, backbone_lr: float) -> list[dict]:
    """Optimizer parameter groups for discriminative learning rates: the head, then the backbone.

    Frozen parameters are left out; an empty group is dropped. Each group carries a
    ``name`` ("head" or "backbone") for printing ``optimizer.param_groups``.
    """
    head_ids = {id(p) for p in find_head(model).module.parameters()}
    head = [p for p in model.parameters() if p.requires_grad and id(p) in head_ids]
    backbone = [p for p in model.parameters() if p.requires_grad and id(p) not in head_ids]
    groups = [
        {"params": head, "lr": head_lr, "name": "head"},
        {"params": backbone, "lr": backbone_lr, "name": "backbone"},
    ]
    return [group for group in groups if group["params"]]


def fine_tune(
    model: nn.Module,
    train_loader: Iterable,
    val_loader: Iterable | None = None,
    *,
    epochs: int,
    head_lr: float = 1e-3,
    backbone_lr: float = 1e-4,
    head_epochs: int = 0,
    batchnorm: str = "kept",
    cosine: bool = False,
    **fit_options,
) -> History:
    """The course's one fine-tuning recipe (notebook 04 and the decision-matrix sweep); one :class:`History`.

    ``model`` has its new head in place. Every weight trains with Adam, the head at
    ``head_lr`` and the backbone at ``backbone_lr`` (:func:`param_groups`). ``batchnorm="kept"``
    keeps the backbone's BatchNorm statistics as ImageNet left them
    (:func:`~tlhelpers.models.freeze_batchnorm_statistics`: batches of 32 or fewer give noisy
    statistics); ``"updated"`` lets them follow the training batches, as a bare ``model.train()``
    does. ``head_epochs > 0`` makes it two-stage: first that many of the ``epochs`` train only the
    head on the frozen backbone, then the rest train everything. ``cosine=True`` lowers every
    learning rate along a cosine to 0 over the (second-stage) epochs. ``fit_options`` go to
    :func:`fit` in the last stage (``keep_best``, ``patience``, ``progress``, ``device``…).
    """
    if batchnorm not in ("kept", "updated"):
        raise ValueError(f"batchnorm is {batchnorm!r} — use 'kept' or 'updated'")
    if not 0 <= head_epochs < epochs:
        raise ValueError(f"head_epochs is {head_epochs} — use 0 (one stage) up to epochs - 1 ({epochs - 1})")
    history = History()
    if head_epochs:
        unfreeze(model, 0)  # stage 1: only the head trains, on the frozen backbone
        stage_options = {
            name: fit_options[name] for name in ("device", "progress", "channels_last") if name in fit_options
        }
        history = fit(model, train_loader, val_loader, epochs=head_epochs, lr=head_lr, **stage_options)
        unfreeze(model, len(backbone_blocks(model)))  # stage 2: every layer
    if batchnorm == "kept":
        freeze_batchnorm_statistics(model)
    optimizer = torch.optim.Adam(param_groups(model, head_lr=head_lr, backbone_lr=backbone_lr))
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs - head_epochs) if cosine else None
    return history + fit(
        model,
        train_loader,
        val_loader,
        epochs=epochs - head_epochs,
        optimizer=optimizer,
        scheduler=scheduler,
        **fit_options,
    )
