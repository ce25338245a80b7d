"""EfficientNet-Lite0 through the course API: timm's architecture, the shipped file, offline."""

import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch
from PIL import Image
from skimage import data as skimage_data
from sklearn.datasets import load_sample_images
from torch import nn
from torchvision.transforms import v2

from tlhelpers.assets import EFFICIENTNET_LITE0, AssetError
from tlhelpers.data import weights_transform
from tlhelpers.features import feature_model
from tlhelpers.models import backbone_blocks, count_parameters, find_head, freeze_backbone, get_model, get_weights
from tlhelpers.selection import first_layer_distances
from tlhelpers.similarity import last_batchnorm_layer
from tlhelpers.timm_models import IMAGENET_MEAN, IMAGENET_STD, TF_MEAN, TF_STD, load_by_position
from tlhelpers.train import topk

needs_weights = pytest.mark.skipif(
    not EFFICIENTNET_LITE0.path.is_file(), reason="EfficientNet-Lite0 weights missing — run `make data`"
)


def bundled_photos():
    samples = load_sample_images().images
    photos = {
        "cat": skimage_data.chelsea(),
        "coffee": skimage_data.coffee(),
        "motorcycle": skimage_data.stereo_motorcycle()[0],
        "temple": samples[0],
        "cameraman": skimage_data.camera(),
        "hopper": plt.imread(matplotlib.get_data_path() + "/sample_data/grace_hopper.jpg"),
        "rocket": skimage_data.rocket(),
        "astronaut": skimage_data.astronaut(),
        "flower": samples[1],
    }
    return {name: Image.fromarray(array).convert("RGB") for name, array in photos.items()}


@pytest.fixture(scope="module")
def lite0():
    return get_model("efficientnet_lite0").eval()


@needs_weights
def test_the_file_loads_into_timm_and_predicts_the_bundled_photos(lite0):
    stored = [v for k, v in torch.load(EFFICIENTNET_LITE0.path, weights_only=True).items() if "num_batches" not in k]
    assert torch.equal(lite0.conv_stem.weight, stored[0]) and torch.equal(lite0.classifier.bias, stored[-1])
    weights = get_weights("efficientnet_lite0")
    transform = weights_transform(weights)
    photos = bundled_photos()
    expected = {
        "cat": {"tabby", "tiger cat", "Egyptian cat"},
        "coffee": {"espresso"},
        "motorcycle": {"moped"},
        "temple": {"palace"},
        "cameraman": {"tripod"},
    }
    for name, classes in expected.items():
        top1 = topk(lite0, transform(photos[name]), weights.meta["categories"], k=1)[0][0][0]
        assert top1 in classes, (name, top1)


@needs_weights
def test_the_measured_normalisation_is_mean_std_one_half(lite0):
    """The first BatchNorm layer sees ImageNet's statistics under (x − 0.5) / 0.5, not under torchvision's mean/std."""

    def preprocessing(mean, std):
        return v2.Compose(
            [
                v2.Resize(256, interpolation=v2.InterpolationMode.BICUBIC, antialias=True),
                v2.CenterCrop(224),
                v2.ToImage(),
                v2.ToDtype(torch.float32, scale=True),
                v2.Normalize(mean, std),
            ]
        )

    distances = first_layer_distances(
        lite0,
        list(bundled_photos().values()),
        {"tf": preprocessing(TF_MEAN, TF_STD), "imagenet": preprocessing(IMAGENET_MEAN, IMAGENET_STD)},
    )
    assert distances["tf"] * 5 < distances["imagenet"], distances
    assert get_weights("efficientnet_lite0").transforms().mean == list(TF_MEAN)


@needs_weights
def test_the_course_api_works_on_timm_names(lite0):
    head = find_head(lite0)
    assert (head.path, head.in_features, head.out_features) == ("classifier", 1280, 1000)
    assert backbone_blocks(lite0) == [f"blocks.{i}" for i in range(7)]
    assert last_batchnorm_layer(lite0) == "bn2"
    model = get_model("efficientnet_lite0", num_classes=5)
    assert find_head(model).out_features == 5 and model.num_classes == 5
    freeze_backbone(model)
    assert count_parameters(model)["trainable"] == 1280 * 5 + 5
    model.train()
    assert not model.bn2.training  # frozen BatchNorm statistics survive train()
    with torch.inference_mode():
        assert feature_model(lite0)(torch.zeros(2, 3, 64, 64)).shape == (2, 1280)
        assert feature_model(lite0, "blocks.5.0")(torch.zeros(2, 3, 64, 64)).shape == (2, 192)


def test_a_missing_file_says_run_make_data(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(
        AssetError, match=r"efficientnet-lite0-57934424.pth is missing — run `python -m data_scripts`"
    ) as error:
        get_model("efficientnet_lite0")
    assert "\n" not in str(error.value)
    assert isinstance(get_model("efficientnet_lite0", weights=None), nn.Module)  # no file needed without weights


def test_a_corrupt_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    path = tmp_path / "hub" / "checkpoints" / EFFICIENTNET_LITE0.filename
    path.parent.mkdir(parents=True)
    path.write_bytes(b"truncated")
    with pytest.raises(AssetError, match="truncated or corrupt.*python -m data_scripts"):
        get_model("efficientnet_lite0")


def test_a_file_of_another_architecture_is_refused_by_shape_and_count():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    values = [t.clone() for k, t in model.state_dict().items() if "num_batches" not in k]
    load_by_position(model, values)  # the right tensors load
    with pytest.raises(AssetError, match="has 5 tensors.*expects 6"):
        load_by_position(model, values[:5])
    with pytest.raises(AssetError, match=r"tensor 0.weight: the file has shape \(4, 3, 1, 1\)"):
        load_by_position(model, [torch.zeros(4, 3, 1, 1), *values[1:]])


def test_unknown_weights_name_lists_the_choices():
    with pytest.raises(ValueError, match="IMAGENET1K_V1, DEFAULT"):
        get_weights("efficientnet_lite0", "IMAGENET9K")
