"""tlhelpers.similarity: Fréchet distance to BatchNorm's stored statistics, on a tiny model and on the real data."""

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from tests.tiny_models import KnownStatisticsNet
from tlhelpers import assets
from tlhelpers.similarity import (
    activation_moments,
    batchnorm_layers,
    frechet_per_channel,
    last_batchnorm_layer,
    layer_distances,
    score_from_moments,
    score_spread,
    seeded_choice,
    similarity_score,
)


def images_with_statistics(mean, std, count=6, size=5):
    """Images whose channels have exactly ``mean`` and ``std`` over all images and positions."""
    noise = torch.randn(count, 3, size, size, generator=torch.Generator().manual_seed(1))
    flat = noise.transpose(0, 1).reshape(3, -1)
    flat = (flat - flat.mean(dim=1, keepdim=True)) / flat.std(dim=1, unbiased=False, keepdim=True)
    flat = flat * torch.tensor(std)[:, None] + torch.tensor(mean)[:, None]
    return flat.reshape(3, count, size, size).transpose(0, 1).contiguous()


def as_dataset(images):
    return TensorDataset(images, torch.zeros(len(images), dtype=torch.long))


def test_batchnorm_layers_skip_the_head():
    model = KnownStatisticsNet()
    assert batchnorm_layers(model) == ["features.0", "features.2"]
    assert last_batchnorm_layer(model) == "features.2"
    with pytest.raises(ValueError, match="no BatchNorm2d"):
        batchnorm_layers(nn.Sequential(nn.Conv2d(3, 3, 1)))


def test_frechet_per_channel_formula():
    distance = frechet_per_channel(
        torch.tensor([1.0, 0.0]), torch.tensor([1.0, 4.0]), torch.tensor([0.0, 0.0]), torch.tensor([1.0, 1.0]), eps=0.0
    )
    # channel 0: mean off by one std → 1; channel 1: std 2 instead of 1 → (2 − 1)² / 1 = 1
    assert torch.allclose(distance, torch.tensor([1.0, 1.0], dtype=torch.float64))


def test_matching_statistics_score_zero_and_a_shift_scores_its_size():
    model = KnownStatisticsNet()
    same = as_dataset(images_with_statistics([0.0, 1.0, 2.0], [1.0, 2.0, 3.0]))
    moments = activation_moments(model, same, ["features.0"], batch_size=4, progress=False)
    assert len(moments) == 6 and moments.means["features.0"].shape == (6, 3)
    assert score_from_moments(model, moments, "features.0") == pytest.approx(0.0, abs=1e-4)
    shifted = as_dataset(images_with_statistics([3.0, 1.0, 2.0], [1.0, 2.0, 3.0]))  # channel 0 three stds off
    moments = activation_moments(model, shifted, progress=False)
    distances = layer_distances(model, moments)
    assert list(distances) == ["features.0", "features.2"]
    assert distances["features.0"] == pytest.approx(9.0 / 3, rel=1e-3)
    assert model.training is False


def test_moments_stop_early_restore_mode_and_reject_bad_input():
    model = KnownStatisticsNet().train()
    calls = []
    model.classifier.register_forward_pre_hook(lambda module, args: calls.append(1))
    activation_moments(model, as_dataset(torch.randn(4, 3, 5, 5)), ["features.0"], progress=False)
    assert not calls, "the layers after the last one asked for never run"
    assert model.training and model.features[0].running_mean.tolist() == [0.0, 1.0, 2.0], "statistics untouched"
    with pytest.raises(ValueError, match="not a BatchNorm layer"):
        activation_moments(model, as_dataset(torch.randn(2, 3, 5, 5)), ["features.1"], progress=False)
    with pytest.raises(ValueError, match="empty"):
        activation_moments(model, as_dataset(torch.randn(0, 3, 5, 5)), progress=False)


def test_subsets_and_spread_are_seeded():
    model = KnownStatisticsNet()
    images = torch.randn(20, 3, 5, 5, generator=torch.Generator().manual_seed(2)) * 2 + 1
    moments = activation_moments(model, as_dataset(images), progress=False)
    assert seeded_choice(20, 8, seed=3) == seeded_choice(20, 8, seed=3) != seeded_choice(20, 8, seed=4)
    mean, std, scores = score_spread(model, moments, subset_size=8, num_subsets=5)
    assert len(scores) == 5 and std > 0 and min(scores) <= mean <= max(scores)
    assert score_spread(model, moments, subset_size=50, num_subsets=3)[1] == 0, "all images every time"
    whole = score_from_moments(model, moments)
    assert similarity_score(model, as_dataset(images), num_images=100) == pytest.approx(whole)


READY = (
    assets.MOBILENET_V2.path.is_file()
    and assets.fashion_mnist_path().is_file()
    and (assets.stamps_path() / assets.STAMPS_INDEX).is_file()
)


@pytest.mark.skipif(not READY, reason="weights or data not prepared — run `make data`")
def test_real_datasets_order_photos_cartoons_fashion_mnist():
    """Photos are closer to ImageNet than cartoons, cartoons closer than Fashion-MNIST, on every subset."""
    from tlhelpers.data import fashion_mnist, per_class_subset, stamps, subset, weights_transform
    from tlhelpers.models import get_model, get_weights

    model = get_model("mobilenet_v2", "IMAGENET1K_V1")
    transform = weights_transform(get_weights("mobilenet_v2", "IMAGENET1K_V1"))
    photos = stamps("photo", "all", transform)
    datasets = [
        subset(photos, seeded_choice(len(photos), 24, seed=0)),
        stamps("cartoon", "all", transform),
        per_class_subset(fashion_mnist("test", transform), 3, seed=0),
    ]
    layer = last_batchnorm_layer(model)
    moments = [activation_moments(model, dataset, [layer], progress=False) for dataset in datasets]
    for seed in range(5):
        scores = [score_from_moments(model, m.subset(seeded_choice(len(m), 16, seed))) for m in moments]
        assert scores[0] < scores[1] < scores[2], f"subset {seed}: photos, cartoons, Fashion-MNIST scored {scores}"
        assert scores[0] * 1.3 < scores[1] and scores[1] * 1.5 < scores[2], f"clear gaps expected, got {scores}"
