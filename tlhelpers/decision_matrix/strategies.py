"""The four strategies of the decision matrix, each trained under the same budget.

The budget, the same for every strategy, is a :class:`~tlhelpers.decision_matrix.config.Budget`.

:func:`run_strategy` trains one strategy on one set of training images and measures it:

* ``features`` / ``early_features``: the frozen pretrained backbone runs once over the images
  (:func:`tlhelpers.features.extract_features`, cached on disk), then a linear head trains on
  the stored features (:func:`tlhelpers.features.train_linear_head`);
* ``fine_tuning``: a copy of the pretrained network with a new head, trained with the course's
  one recipe, :func:`tlhelpers.train.fine_tune` (every weight trains, BatchNorm statistics
  kept, head and backbone with their own learning rates) — the recipe notebook 04 teaches;
* ``scratch``: the same architecture from random weights;
* the :data:`~tlhelpers.decision_matrix.config.RECIPE_VARIANTS` of fine-tuning (statistics updated, two stages,
  a cosine schedule), each the recipe with one choice changed.

A run is a pure function of its inputs and seed: every random draw (initial weights,
dropout, batch order) is seeded on its own, so runs can go in any order or process.
"""

from __future__ import annotations

import copy
import hashlib
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from tlhelpers.data import PreloadedDataset, make_loader
from tlhelpers.decision_matrix.config import EARLY_BLOCK, MODEL_NAME, RECIPE_VARIANTS, STRATEGIES, Budget
from tlhelpers.features import extract_features, train_linear_head
from tlhelpers.models import get_model, replace_head
from tlhelpers.selection import score_layer
from tlhelpers.state import seeded
from tlhelpers.train import fine_tune, fit, predict


def balanced_accuracy(targets: Sequence[int] | torch.Tensor, predictions: Sequence[int] | torch.Tensor) -> float:
    """Mean over the classes present in ``targets`` of the fraction of their images predicted right.

    scikit-learn's ``balanced_accuracy_score`` computes the same (tests/test_strategies.py holds the two
    equal); this one stays because each class's fraction is taken in float32, as the committed results
    files were measured, so their rows reproduce bit for bit.
    """
    targets, predictions = torch.as_tensor(targets).long(), torch.as_tensor(predictions).long()
    recalls = [(predictions[targets == c] == c).float().mean().item() for c in targets.unique().tolist()]
    return float(np.mean(recalls))


def network_predictions(model: nn.Module, dataset: PreloadedDataset) -> tuple[torch.Tensor, torch.Tensor]:
    """The network's predicted class and the true class of every image of ``dataset``."""
    probabilities, targets = predict(model, make_loader(dataset, batch_size=256))
    return probabilities.argmax(dim=1), targets


def held_out_accuracies(
    eval_sets: dict[str, PreloadedDataset],
    predictions_of: Callable[[PreloadedDataset], tuple[torch.Tensor, torch.Tensor]],
) -> dict:
    """The balanced accuracy on each held-out set, ``predictions_of(dataset)`` giving (predictions, targets).

    Also, under ``"images"``, the main set's (``"eval"``) image by image: :func:`per_image` — what an interval
    needs to include the noise of the held-out images themselves (:mod:`tlhelpers.decision_matrix.results`).
    """
    accuracies: dict = {}
    for name, dataset in eval_sets.items():
        predictions, targets = predictions_of(dataset)
        accuracies[name] = balanced_accuracy(targets, predictions)
        if name == "eval":
            accuracies["images"] = per_image(dataset, targets, predictions)
    return accuracies


def per_image(dataset: PreloadedDataset, targets: torch.Tensor, predictions: torch.Tensor) -> dict[str, str]:
    """One held-out set's outcome image by image, compact enough for a results file.

    ``correct``: "1"/"0" per image; ``labels``: each image's class index (base 36); ``held_out``: the first 12 hex
    digits of the sha256 of the images' keys, so that rows measured on the same images can be recognised.
    """
    targets, predictions = torch.as_tensor(targets).long(), torch.as_tensor(predictions).long()
    if int(targets.max()) >= 36:
        raise ValueError("per_image stores class indices as one base-36 digit: at most 36 classes")
    return {
        "correct": "".join("1" if right else "0" for right in (predictions == targets).tolist()),
        "labels": "".join(np.base_repr(label, 36) for label in targets.tolist()),
        "held_out": hashlib.sha256("\n".join(dataset.keys).encode()).hexdigest()[:12],
    }


def run_strategy(
    strategy: str,
    train: PreloadedDataset,
    eval_sets: dict[str, PreloadedDataset],
    budget: Budget,
    seed: int,
    pretrained: nn.Module,
    cache_dir: str | None = None,
    *,
    early_block: str = EARLY_BLOCK,
    model_name: str = MODEL_NAME,
    score_features: bool = False,
) -> dict:
    """Train one strategy on ``train``; its balanced accuracy on each held-out set (keyed by the set's name), and
    the training seconds.

    ``pretrained`` is never modified (fine-tuning trains a copy); ``model_name`` is its
    architecture, built from random weights for ``scratch``; ``early_block`` is the layer of
    ``early_features``. Features are cached in ``cache_dir`` (default:
    :func:`tlhelpers.features.feature_cache_dir`). With ``score_features``, feature extraction also
    scores the training features before any training (:func:`tlhelpers.selection.score_layer`,
    under ``"scores"``; not counted in the seconds).
    """
    num_classes = len(train.classes)
    start = time.perf_counter()
    if strategy in ("features", "early_features"):
        layer = early_block if strategy == "early_features" else None

        def features_of(dataset: PreloadedDataset) -> tuple[torch.Tensor, torch.Tensor]:
            return extract_features(pretrained, dataset, layer=layer, cache_dir=cache_dir, progress=False)

        features, targets = features_of(train)
        head, _ = train_linear_head(
            features,
            targets,
            num_classes=num_classes,
            epochs=budget.num_epochs(len(train)),
            lr=budget.lr,
            batch_size=budget.batch_size,
            seed=seed,
            progress=False,
        )
        seconds = time.perf_counter() - start

        def head_predictions(dataset: PreloadedDataset) -> tuple[torch.Tensor, torch.Tensor]:
            eval_features, eval_targets = features_of(dataset)
            with torch.inference_mode():
                return head(eval_features).argmax(dim=1), eval_targets

        result = {"seconds": seconds, **held_out_accuracies(eval_sets, head_predictions)}
        if score_features:  # transferability scores of the training features, before any training
            result["scores"] = score_layer(pretrained, train, layer, features=(features, targets))
        return result
    loader = make_loader(train, batch_size=budget.batch_size, shuffle=True, seed=seed)
    epochs = budget.num_epochs(len(train))
    if strategy == "fine_tuning" or strategy in RECIPE_VARIANTS:  # the one recipe, or it with one choice changed
        options = dict(RECIPE_VARIANTS[strategy][1]) if strategy in RECIPE_VARIANTS else {}
        options["head_epochs"] = int(epochs * options.pop("head_fraction", 0))
        model = copy.deepcopy(pretrained)
        with seeded(seed):
            replace_head(model, num_classes)
        with seeded(seed):  # dropout
            fine_tune(
                model,
                loader,
                epochs=epochs,
                head_lr=budget.lr,
                backbone_lr=budget.backbone_lr,
                device="cpu",
                progress=False,
                **options,
            )
    elif strategy == "scratch":
        with seeded(seed):
            model = get_model(model_name, weights=None, num_classes=num_classes)
        with seeded(seed):  # dropout
            fit(
                model,
                loader,
                epochs=epochs,
                optimizer=torch.optim.Adam(model.parameters(), lr=budget.lr),
                device="cpu",
                progress=False,
            )
    else:
        raise ValueError(f"unknown strategy {strategy!r} — use one of {list(STRATEGIES) + list(RECIPE_VARIANTS)}")
    seconds = time.perf_counter() - start
    return {"seconds": seconds, **held_out_accuracies(eval_sets, lambda dataset: network_predictions(model, dataset))}
