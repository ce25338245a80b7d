"""tlhelpers.models: offline loading, head finding, freezing — architectures built with weights=None."""

import copy
import pickle
import socket
import subprocess
import sys
import time

import pytest
import torch
import torchvision
from torch import nn

from tests.tiny_models import TinyBatchNormCNN
from tlhelpers.assets import MOBILENET_V2, AssetError
from tlhelpers.models import (
    ModelZooRow,
    backbone_blocks,
    count_parameters,
    find_head,
    freeze_backbone,
    freeze_batchnorm_statistics,
    get_model,
    get_weights,
    is_frozen_batchnorm,
    model_zoo_table,
    replace_head,
    unfreeze,
)

FAMILIES = [
    ("resnet18", "fc", "linear", 512),
    ("mobilenet_v2", "classifier.1", "linear", 1280),
    ("mobilenet_v3_small", "classifier.3", "linear", 1024),
    ("efficientnet_b0", "classifier.1", "linear", 1280),
    ("alexnet", "classifier.6", "linear", 4096),
    ("vgg11", "classifier.6", "linear", 4096),
    ("densenet121", "classifier", "linear", 1024),
    ("squeezenet1_0", "classifier.1", "conv", 512),
    ("vit_b_16", "heads.head", "linear", 768),
    ("convnext_tiny", "classifier.2", "linear", 768),
    ("regnet_y_400mf", "fc", "linear", 440),
]


@pytest.fixture(autouse=True)
def seeded():
    torch.manual_seed(0)


@pytest.mark.parametrize(("name", "path", "kind", "in_features"), FAMILIES)
def test_find_head_torchvision_families(name, path, kind, in_features):
    model = torchvision.models.get_model(name, weights=None)
    head = find_head(model)
    assert (head.path, head.kind, head.in_features, head.out_features) == (path, kind, in_features, 1000)
    assert head.module is model.get_submodule(path)
    assert backbone_blocks(model), "every family has backbone blocks"


class TimmStyle(nn.Module):
    """Like a timm model: the head reached through get_classifier(), nested as head.fc."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3)
        self.head = nn.Sequential()
        self.head.add_module("norm", nn.LayerNorm(8))
        self.head.add_module("fc", nn.Linear(8, 5))
        self.other = nn.Linear(5, 5)  # after the head in module order: must not win

    def get_classifier(self):
        return self.head.fc


class LukemelasStyle(nn.Module):
    def __init__(self):
        super().__init__()
        self._conv_head = nn.Conv2d(3, 8, 1)
        self._fc = nn.Linear(8, 4)


def test_find_head_generic_models():
    assert find_head(TimmStyle()).path == "head.fc"
    assert find_head(LukemelasStyle()).path == "_fc"
    unnamed = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten(), nn.Linear(8, 6), nn.ReLU())
    assert find_head(unnamed).path == "2"
    conv_only = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Conv2d(8, 3, 1), nn.AdaptiveAvgPool2d(1))
    assert (find_head(conv_only).path, find_head(conv_only).kind) == ("1", "conv")
    with pytest.raises(ValueError, match="no nn.Linear"):
        find_head(nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU()))


def test_replace_head_keeps_kind_and_dropout():
    model = torchvision.models.mobilenet_v2(weights=None)
    new = replace_head(model, 7)
    assert isinstance(model.classifier[0], nn.Dropout) and model.classifier[1] is new
    assert model.eval()(torch.randn(1, 3, 64, 64)).shape == (1, 7)

    squeezenet = torchvision.models.squeezenet1_0(weights=None)
    new = replace_head(squeezenet, 3)
    assert isinstance(new, nn.Conv2d) and (new.in_channels, new.out_channels) == (512, 3)
    assert squeezenet.eval()(torch.randn(1, 3, 64, 64)).shape == (1, 3)


def snapshot(module):
    return {name: tensor.clone() for name, tensor in module.state_dict().items()}


def train_step(model):
    model.train()
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.5, momentum=0.9)
    for _ in range(2):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(torch.randn(4, 3, 8, 8)), torch.tensor([0, 1, 2, 0])).backward()
        optimizer.step()


def test_freeze_backbone_freezes_weights_and_batchnorm_statistics():
    model = TinyBatchNormCNN()
    assert freeze_backbone(model) is model
    before = snapshot(model)
    train_step(model)
    after = snapshot(model)
    for name in before:
        if name.startswith("features."):
            assert torch.equal(before[name], after[name]), f"{name} changed although frozen"
    assert not torch.equal(before["classifier.1.weight"], after["classifier.1.weight"])
    batchnorms = [m for m in model.features.modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(not bn.training and is_frozen_batchnorm(bn) for bn in batchnorms)
    assert model.classifier[0].training, "dropout in the head still trains"
    counts = count_parameters(model)
    assert counts["trainable"] == 8 * 3 + 3
    assert counts["trainable"] + counts["frozen"] == counts["total"] == sum(p.numel() for p in model.parameters())


def test_freeze_backbone_mobilenet_v2_survives_train_and_deepcopy():
    model = freeze_backbone(torchvision.models.mobilenet_v2(weights=None))
    model.train()
    batchnorms = [m for m in model.features.modules() if isinstance(m, nn.BatchNorm2d)]
    assert batchnorms and not any(bn.training for bn in batchnorms)
    for clone in (copy.deepcopy(model), pickled_copy(model)):
        clone.train()
        assert not any(m.training for m in clone.features.modules() if isinstance(m, nn.BatchNorm2d))


def pickled_copy(model):
    """A round trip through pickle (our own bytes, just made): the freeze must survive it."""
    return pickle.loads(pickle.dumps(model))


@pytest.mark.parametrize("last_k_blocks", [0, 1, 2])
def test_unfreeze_last_blocks(last_k_blocks):
    model = TinyBatchNormCNN()
    blocks = backbone_blocks(model)
    assert blocks == ["features.0", "features.1", "features.3", "features.4"]
    unfreeze(model, last_k_blocks)
    unfrozen = blocks[len(blocks) - last_k_blocks :]
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    expected = {
        name
        for name, _ in model.named_parameters()
        if name.startswith("classifier.") or name.rsplit(".", 2)[0] in unfrozen
    }
    assert trainable == expected
    before = snapshot(model)
    train_step(model)
    after = snapshot(model)
    for block in blocks:
        bn = model.get_submodule(block)[1]
        assert bn.training == (block in unfrozen)
        changed = not torch.equal(before[f"{block}.1.running_mean"], after[f"{block}.1.running_mean"])
        assert changed == (block in unfrozen), block
        changed = not torch.equal(before[f"{block}.0.weight"], after[f"{block}.0.weight"])
        assert changed == (block in unfrozen), block


def test_unfreeze_all_and_negative():
    model = TinyBatchNormCNN()
    unfreeze(model, 10)
    assert count_parameters(model)["frozen"] == 0
    assert not any(is_frozen_batchnorm(m) for m in model.modules())
    with pytest.raises(ValueError, match="last_k_blocks"):
        unfreeze(model, -1)


def test_get_weights_entries():
    weights = get_weights("mobilenet_v2", "IMAGENET1K_V1")
    assert str(weights) == MOBILENET_V2.name
    assert len(weights.meta["categories"]) == 1000
    assert get_weights("mobilenet_v2", None) is None
    with pytest.raises(ValueError, match="IMAGENET1K_V1"):
        get_weights("mobilenet_v2", "IMAGENET9K")


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network blocked by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_get_model_without_cache_or_network_fails_fast(tmp_path, monkeypatch, no_network):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    start = time.perf_counter()
    with pytest.raises(AssetError, match="not in torch's hub cache.*run `python -m data_scripts`") as error:
        get_model("mobilenet_v2", "IMAGENET1K_V1")
    assert "\n" not in str(error.value)
    # DEFAULT is IMAGENET1K_V2 for MobileNetV2, which the course does not ship: point at V1.
    with pytest.raises(AssetError, match="internet.*MobileNet_V2_Weights.IMAGENET1K_V1"):
        get_model("mobilenet_v2", "DEFAULT")
    assert time.perf_counter() - start < 10


def test_get_model_with_corrupt_checkpoint(tmp_path, monkeypatch, no_network):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    checkpoints = tmp_path / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    (checkpoints / MOBILENET_V2.filename).write_bytes(b"truncated")
    with pytest.raises(AssetError, match="corrupt"):
        get_model("mobilenet_v2", "IMAGENET1K_V1")
    url = torchvision.models.ResNet18_Weights.DEFAULT.url
    (checkpoints / url.rsplit("/", 1)[1]).write_bytes(b"truncated")
    with pytest.raises(AssetError, match="cannot be loaded"):
        get_model("resnet18", "DEFAULT")


@pytest.mark.skipif(not MOBILENET_V2.path.is_file(), reason="MobileNetV2 weights not prepared — run `make data`")
def test_get_model_pretrained_mobilenet_v2(no_network):
    model = get_model("mobilenet_v2", "IMAGENET1K_V1")
    reference = torch.load(MOBILENET_V2.path, weights_only=True)
    assert torch.equal(model.features[0][0].weight, reference["features.0.0.weight"])
    assert isinstance(get_model("mobilenet_v2", None), torchvision.models.MobileNetV2)


def test_model_zoo_table_reads_metadata_only(monkeypatch):
    def no_download(*args, **kwargs):
        raise AssertionError("model_zoo_table must not download weights")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", no_download)
    rows = model_zoo_table()
    assert len(rows) > 50
    mobilenet = next(row for row in rows if (row.model, row.weights) == ("mobilenet_v2", "IMAGENET1K_V1"))
    assert mobilenet == ModelZooRow("mobilenet_v2", "IMAGENET1K_V1", 71.878, 90.286, 0.301, 3504872, 13.555)


def test_freeze_batchnorm_statistics_keeps_imagenet_statistics_while_weights_train():
    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v2(weights=None, num_classes=3)
    freeze_batchnorm_statistics(model)
    assert all(p.requires_grad for p in model.parameters()), "weights still train"
    batchnorm = model.features[1].conv[0][1]
    means_before = batchnorm.running_mean.clone()
    weight_before = batchnorm.weight.clone()
    model.train()
    assert not batchnorm.training and model.training
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)  # steps of about lr, whatever the gradient's scale
    loss = nn.functional.cross_entropy(model(torch.randn(4, 3, 32, 32)), torch.tensor([0, 1, 2, 0]))
    loss.backward()
    optimizer.step()
    assert torch.equal(batchnorm.running_mean, means_before), "statistics unchanged by a training batch"
    assert not torch.equal(batchnorm.weight, weight_before), "but the BatchNorm weights did train"
    unfreeze(model, last_k_blocks=100)
    model.train()
    assert batchnorm.training, "unfreeze releases the statistics again"


# --- the frozen state, visible; every model the course trains ---------------------------------

COURSE_MODELS = ["mobilenet_v2", "resnet18", "efficientnet_lite0"]  # torchvision's two families and timm's Lite0


def batchnorm_buffers(model):
    return {
        name: buffer.clone()
        for name, buffer in model.named_buffers()
        if name.endswith(("running_mean", "running_var", "num_batches_tracked"))
    }


@pytest.mark.parametrize("name", COURSE_MODELS)
def test_frozen_statistics_show_in_print_and_keep_the_state_dict(name):
    model = get_model(name, weights=None, num_classes=3)
    plain = model.state_dict()
    batchnorms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    classes = [type(bn) for bn in batchnorms]  # torch's BatchNorm2d; timm's BatchNormAct2d
    assert "statistics frozen" not in str(model)
    freeze_backbone(model)
    assert str(model).count("statistics frozen") == len(batchnorms) > 0
    assert all(is_frozen_batchnorm(bn) and isinstance(bn, type(bn)._unfrozen_class) for bn in batchnorms)
    frozen = model.state_dict()
    assert list(frozen) == list(plain)  # the same keys in the same order: checkpoints and feature caches
    assert all(torch.equal(frozen[key], plain[key]) for key in plain)
    model.load_state_dict(plain, strict=True)
    unfreeze(model, 1000)
    assert "statistics frozen" not in str(model)
    assert [type(bn) for bn in batchnorms] == classes
    assert not any(is_frozen_batchnorm(bn) for bn in batchnorms)


@pytest.mark.parametrize("name", COURSE_MODELS)
def test_frozen_statistics_do_not_move_in_a_training_step(name):
    model = freeze_batchnorm_statistics(get_model(name, weights=None, num_classes=3))
    model.train()
    batchnorms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    assert model.training and not any(m.training for bn in batchnorms for m in bn.modules())  # timm's act too
    before, weights = batchnorm_buffers(model), [bn.weight.clone() for bn in batchnorms]
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    nn.functional.cross_entropy(model(torch.randn(4, 3, 32, 32)), torch.tensor([0, 1, 2, 0])).backward()
    optimizer.step()
    after = batchnorm_buffers(model)
    assert all(torch.equal(before[key], after[key]) for key in before), "running statistics moved"
    assert any(not torch.equal(w, bn.weight) for w, bn in zip(weights, batchnorms)), "the affine weights train"
    unfreeze(model, 1000)
    model.train()(torch.randn(4, 3, 32, 32))
    moved = batchnorm_buffers(model)
    assert not any(torch.equal(before[key], moved[key]) for key in before), "released, they follow the batches"


def test_a_frozen_model_unpickles_frozen_in_a_fresh_process(tmp_path):
    """The statistics-frozen classes are made at run time; a process that never made one still reads them."""
    model = freeze_backbone(get_model("efficientnet_lite0", weights=None, num_classes=3))
    path = tmp_path / "model.pickle"
    path.write_bytes(pickle.dumps(model))
    script = (
        "import pickle, sys; from torch import nn; model = pickle.loads(open(sys.argv[1], 'rb').read()).train(); "
        "bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]; "
        "assert bns and not any(bn.training for bn in bns); print(model.bn1)"
    )
    result = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True)
    assert "statistics frozen" in result.stdout
