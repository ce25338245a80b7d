"""Choosing a pretrained model: score each backbone × layer on your labelled images before training any of them.

:func:`score_layer` extracts one layer's pooled features of your training images (cached, as
for feature extraction) and scores them with :mod:`tlhelpers.transferability`: LogME and the
H-score from the features, LEEP from the ImageNet head's softmax (last layer only — an earlier
block has no head). :func:`rank_candidates` does it for every (model, layer) asked for and sorts
them by one score. Notebook 06 and ``python -m tlhelpers.decision_matrix.advise DIR --models …`` use it; the
sweep's model-selection runs (``Job(scores=True)``) score through it too, so the measured rank
correlations in ``notebooks/results/model_selection.json`` are about exactly these numbers.

:func:`first_layer_distances` answers a question the weights file leaves open: which input
normalisation were they trained with? The first BatchNorm layer stores the mean and variance
of its input over ImageNet, as the network saw it; real photos preprocessed the right way
reproduce them, the wrong way not (:mod:`tlhelpers.similarity`'s distance, at that layer).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import Dataset, TensorDataset

from tlhelpers.data import make_loader
from tlhelpers.features import extract_features, resolve_layer
from tlhelpers.similarity import activation_moments, batchnorm_layers, layer_distances
from tlhelpers.train import predict
from tlhelpers.transferability import h_score, leep, logme

SCORES = {
    "logme": "LogME (You et al., 2021)",
    "leep": "LEEP (Nguyen et al., 2020)",
    "h_score": "H-score (Bao et al., 2019)",
}


def score_layer(
    model: nn.Module,
    train: Dataset,
    layer: str | int | None = None,
    *,
    features: tuple[torch.Tensor, torch.Tensor] | None = None,
    cache_dir: str | None = None,
) -> dict[str, float]:
    """LogME, H-score and (``layer=None``: the head's input) LEEP of ``model``'s ``layer`` on the labelled ``train``.

    ``model`` is the pretrained classifier with its ImageNet head; ``features`` are the pooled
    features of ``train`` at ``layer`` if already computed. Also returns ``score_seconds``, the
    time the scores took (features extraction included when it ran here).
    """
    start = time.perf_counter()
    if features is None:
        features = extract_features(model, train, layer=layer, cache_dir=cache_dir, progress=False)
    values, targets = features
    scores = {"logme": logme(values, targets), "h_score": h_score(values, targets)}
    if resolve_layer(model, layer) is None:
        probabilities, labels = predict(model, make_loader(train, batch_size=256))
        scores["leep"] = leep(probabilities, labels)
    scores["score_seconds"] = time.perf_counter() - start
    return scores


@dataclass
class Candidate:
    """One (model, layer) scored on a dataset."""

    model: str
    layer: str  # "last" or a block name
    scores: dict[str, float]
    num_images: int  # the labelled images it was scored on


def rank_candidates(
    candidates: Sequence[tuple[str, str | None]],
    load: Callable[[str], tuple[nn.Module, Dataset]],
    by: str = "logme",
    cache_dir: str | None = None,
) -> list[Candidate]:
    """Score every ``(model name, layer)`` (``None``: last layer) and sort best first by score ``by``.

    ``load(model_name)`` gives the pretrained model and the labelled dataset preprocessed for it;
    it is called once per run of consecutive candidates of one model, so one model is in memory
    at a time. A candidate without the score ``by`` (LEEP of an earlier block) goes last.
    """
    scored, loaded_name, loaded = [], None, None
    for name, layer in candidates:
        if name != loaded_name:
            loaded_name, loaded = name, None  # let the previous model go before loading the next
            loaded = load(name)
        model, dataset = loaded
        scores = score_layer(model, dataset, layer, cache_dir=cache_dir)
        scored.append(Candidate(name, layer or "last", scores, len(dataset)))
    return sorted(scored, key=lambda c: -c.scores.get(by, float("-inf")))


def first_layer_distances(model: nn.Module, images: Sequence, transforms: dict[str, Callable]) -> dict[str, float]:
    """For each candidate preprocessing, how far ``images`` look from ImageNet to ``model``'s first BatchNorm layer.

    ``images`` are PIL images; ``transforms`` maps a name to a preprocessing (same output size
    for all). 0 means the layer sees exactly the ImageNet statistics it stored; the right
    normalisation gives the smallest distance.
    """
    first = batchnorm_layers(model)[0]
    distances = {}
    for name, transform in transforms.items():
        batch = torch.stack([transform(image) for image in images])
        moments = activation_moments(model, TensorDataset(batch, torch.zeros(len(batch))), [first], progress=False)
        distances[name] = layer_distances(model, moments)[first]
    return distances
