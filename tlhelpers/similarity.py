"""How similar is a dataset to ImageNet? Measured with the pretrained model alone, no ImageNet images needed.

Every BatchNorm layer of a model trained on ImageNet stores the mean and variance of its
input over ImageNet, one pair per channel (``running_mean``, ``running_var``): a summary of
what ImageNet looks like *to that layer*. Push your images through the frozen model,
measure the same per-channel mean ``μ`` and variance ``σ²`` of that layer's input, and
compare the two Gaussians channel by channel with the Fréchet (2-Wasserstein) distance,
in units of ImageNet's own variance:

    d_c = ((μ_c − μ0_c)² + (σ_c − σ0_c)²) / σ0_c²        (0: the channel sees ImageNet)

:func:`layer_distances` averages ``d_c`` over the channels of every BatchNorm layer — a
profile from the first convolution to the last. :func:`similarity_score` is that average
at the *last* BatchNorm layer of the backbone (MobileNetV2: ``features.18.1``, 1280
channels): the features that feature extraction reuses. It is a diagonal cousin of the
FID (Fréchet distance of Inception's penultimate features), with ImageNet's side read
from the stored statistics. Lower means more ImageNet-like.

Why not average all layers? Early layers respond to low-level statistics — colour,
contrast, how much of the picture is flat background — and our stamps sit on a flat grey
background, so early layers rank photo cut-outs *farther* from ImageNet than cartoons;
the notebook shows the whole profile. Limits: the score sees statistics, not labels (a
dataset of one narrow kind of ImageNet-like picture scores farther than a varied one), it
depends on the model and on the image size (images are scored at the weights' own crop
size, 224 for MobileNetV2), and fewer images give noisier, slightly larger scores, so
compare datasets with the same number of images (:data:`SCORE_IMAGES`).

Per-image moments are computed once (:func:`activation_moments`); the score of any subset
is then a sum over rows, so spreads over many random subsets cost nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from tlhelpers.capture import capture_activations
from tlhelpers.data import seeded_order
from tlhelpers.models import known_head_path
from tlhelpers.state import eval_mode
from tlhelpers.train import model_device

SCORE_IMAGES = 32  # images per score: reference datasets and your folder are compared at the same count


@dataclass
class ActivationMoments:
    """Per-image, per-channel moments of the input of some BatchNorm layers.

    ``means[layer]`` and ``squares[layer]`` are ``[N, C]`` float64 tensors: for each image,
    the average over positions of ``x`` and of ``x²`` in each channel. All images must have
    the same size, so that the average over images is the average over all positions.
    """

    layers: list[str]
    means: dict[str, torch.Tensor]
    squares: dict[str, torch.Tensor]

    def __len__(self) -> int:
        return len(next(iter(self.means.values()))) if self.means else 0

    def subset(self, indices: Sequence[int]) -> ActivationMoments:
        """The moments of the images at ``indices``."""
        index = torch.as_tensor(list(indices), dtype=torch.long)
        return ActivationMoments(
            list(self.layers),
            {layer: values[index] for layer, values in self.means.items()},
            {layer: values[index] for layer, values in self.squares.items()},
        )


def batchnorm_layers(model: nn.Module) -> list[str]:
    """Names of the model's 2-D BatchNorm layers with ImageNet statistics, input side first (head excluded)."""
    head = known_head_path(model)
    head_root = head.rsplit(".", 1)[0] if head and "." in head else head
    layers = []
    for name, module in model.named_modules():
        in_head = head_root is not None and (name == head_root or name.startswith(head_root + "."))
        if isinstance(module, nn.BatchNorm2d) and module.track_running_stats and not in_head:
            layers.append(name)
    if not layers:
        raise ValueError(
            f"{type(model).__name__} has no BatchNorm2d layers with running statistics — "
            "the score needs a BatchNorm CNN such as MobileNetV2 or ResNet"
        )
    return layers


def last_batchnorm_layer(model: nn.Module) -> str:
    """The last BatchNorm layer of the backbone: the statistics of the features feature extraction reuses."""
    return batchnorm_layers(model)[-1]


def activation_moments(
    model: nn.Module,
    dataset: Dataset,
    layers: Sequence[str] | None = None,
    *,
    batch_size: int = 32,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> ActivationMoments:
    """Per-image moments of the input of each BatchNorm layer in ``layers`` (default: all of them).

    ``dataset`` yields ``(image tensor, label)`` of one fixed size, preprocessed as the weights
    expect — e.g. ``weights_transform(weights)`` at the weights' own crop size. The model runs
    in eval mode (restored after) and stops after the last layer asked for.
    """
    layers = list(layers) if layers is not None else batchnorm_layers(model)
    modules = dict(model.named_modules())
    unknown = [layer for layer in layers if not isinstance(modules.get(layer), nn.modules.batchnorm._BatchNorm)]
    if unknown:
        raise ValueError(
            f"{unknown[0]!r} is not a BatchNorm layer of {type(model).__name__} — see batchnorm_layers(model)"
        )
    device = torch.device(device) if device is not None else model_device(model)
    means: dict[str, list[torch.Tensor]] = {layer: [] for layer in layers}
    squares: dict[str, list[torch.Tensor]] = {layer: [] for layer in layers}

    def per_image_moments(activation: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        activation = activation.detach().float()
        return activation.mean(dim=(2, 3)).double().cpu(), activation.square().mean(dim=(2, 3)).double().cpu()

    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False)
    shape = None
    with eval_mode(model), torch.inference_mode():
        for images, _ in tqdm(loader, desc="activation moments", disable=not progress):
            if shape is not None and images.shape[1:] != shape:
                raise ValueError(f"images must share one size, got {tuple(shape)} and {tuple(images.shape[1:])}")
            shape = images.shape[1:]
            captured = capture_activations(model, images.to(device), layers, inputs=True, reduce=per_image_moments)
            for layer, (mean, square) in captured.items():
                means[layer].append(mean)
                squares[layer].append(square)
    if shape is None:
        raise ValueError("the dataset is empty — nothing to measure")
    return ActivationMoments(
        layers,
        {layer: torch.cat(values) for layer, values in means.items()},
        {layer: torch.cat(values) for layer, values in squares.items()},
    )


def frechet_per_channel(
    mean: torch.Tensor, var: torch.Tensor, ref_mean: torch.Tensor, ref_var: torch.Tensor, eps: float = 1e-5
) -> torch.Tensor:
    """Squared Fréchet (2-Wasserstein) distance between 1-D Gaussians, per channel, over ``ref_var``.

    ``((μ − μ0)² + (σ − σ0)²) / σ0²``; ``eps`` (BatchNorm's own) keeps silent channels finite.
    """
    mean, var, ref_mean, ref_var = (torch.as_tensor(t, dtype=torch.float64) for t in (mean, var, ref_mean, ref_var))
    std, ref_std = (var.clamp_min(0) + eps).sqrt(), (ref_var + eps).sqrt()
    return ((mean - ref_mean).square() + (std - ref_std).square()) / ref_std.square()


def dataset_statistics(moments: ActivationMoments, layer: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and variance of ``layer``'s input over all images and positions."""
    mean = moments.means[layer].mean(dim=0)
    var = (moments.squares[layer].mean(dim=0) - mean.square()).clamp_min(0)
    return mean, var


def layer_distances(model: nn.Module, moments: ActivationMoments) -> dict[str, float]:
    """For each measured layer: the Fréchet distance per channel (see module docstring), averaged over channels."""
    modules = dict(model.named_modules())
    distances = {}
    for layer in moments.layers:
        batchnorm = modules[layer]
        mean, var = dataset_statistics(moments, layer)
        per_channel = frechet_per_channel(mean, var, batchnorm.running_mean, batchnorm.running_var, batchnorm.eps)
        distances[layer] = float(per_channel.mean())
    return distances


def score_from_moments(model: nn.Module, moments: ActivationMoments, layer: str | None = None) -> float:
    """The similarity score of the images in ``moments``: :func:`layer_distances` at ``layer`` (default: the last)."""
    layer, only = _one_layer(model, moments, layer)
    return layer_distances(model, only)[layer]


def _one_layer(model: nn.Module, moments: ActivationMoments, layer: str | None) -> tuple[str, ActivationMoments]:
    """``layer`` (default: the last BatchNorm layer) and the moments of that layer alone."""
    layer = layer or last_batchnorm_layer(model)
    if layer not in moments.layers:
        raise ValueError(f"the moments do not include layer {layer!r} — pass it to activation_moments(layers=...)")
    return layer, ActivationMoments([layer], {layer: moments.means[layer]}, {layer: moments.squares[layer]})


def seeded_choice(num_items: int, size: int, seed: int) -> list[int]:
    """``size`` distinct indices out of ``num_items``, the same for the same seed on every machine."""
    return sorted(seeded_order(range(num_items), seed)[:size])


def score_spread(
    model: nn.Module,
    moments: ActivationMoments,
    subset_size: int = SCORE_IMAGES,
    num_subsets: int = 20,
    layer: str | None = None,
) -> tuple[float, float, list[float]]:
    """Mean, standard deviation and values of the score over seeded random subsets of ``subset_size`` images.

    With fewer images than ``subset_size`` every "subset" is the whole set (spread 0).
    """
    layer, only = _one_layer(model, moments, layer)
    size = min(subset_size, len(moments))
    scores = [
        score_from_moments(model, only.subset(seeded_choice(len(only), size, seed)), layer)
        for seed in range(num_subsets)
    ]
    return float(np.mean(scores)), float(np.std(scores)), scores


def similarity_score(
    model: nn.Module,
    dataset: Dataset,
    *,
    num_images: int = SCORE_IMAGES,
    seed: int = 0,
    layer: str | None = None,
    batch_size: int = 32,
    progress: bool = False,
) -> float:
    """How far ``dataset`` is from ImageNet for ``model``: 0 is ImageNet-like, larger is farther.

    Uses ``num_images`` images picked with ``seed`` (all of them when there are fewer); the
    dataset must be preprocessed as the weights expect, at their crop size. See the module
    docstring for what the number means and its limits.
    """
    from tlhelpers.data import subset

    layer = layer or last_batchnorm_layer(model)
    if len(dataset) > num_images:
        indices = seeded_choice(len(dataset), num_images, seed)
        dataset = subset(dataset, indices) if hasattr(dataset, "keys") else torch.utils.data.Subset(dataset, indices)
    moments = activation_moments(model, dataset, [layer], batch_size=batch_size, progress=progress)
    return score_from_moments(model, moments, layer)
