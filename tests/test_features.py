"""tlhelpers.features with a tiny CNN and a fake dataset that follows the tlhelpers.data contract."""

import re
import shutil
from pathlib import Path

import pytest
import torch
import torchvision
from torch import nn
from torch.utils.data import Dataset

from tests.tiny_models import CountingCNN
from tlhelpers.features import cache_key, extract_features, feature_model, train_linear_head


class FakeDataset(Dataset):
    """(image, label) items plus ``classes``, ``targets`` and ``fingerprint``, like tlhelpers.data."""

    def __init__(self, num_items=20, fingerprint="fake-v1", seed=0):
        self.classes = ["dark", "bright"]
        self.targets = [index % 2 for index in range(num_items)]
        self.images = torch.randn(num_items, 3, 8, 8, generator=torch.Generator().manual_seed(seed))
        self.images[:, 0] += torch.tensor(self.targets)[:, None, None] * 3.0
        self.fingerprint = fingerprint

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        return self.images[index], self.targets[index]


def cache_files(folder):
    return sorted(path.name for path in folder.iterdir())


def test_features_are_pooled_head_input_and_cached(tmp_path):
    model, dataset = CountingCNN().train(), FakeDataset()
    features, targets = extract_features(model, dataset, batch_size=8, cache_dir=tmp_path, progress=False)
    assert features.shape == (20, 8) and features.dtype == torch.float32
    assert targets.tolist() == dataset.targets
    assert model.calls == 3 and model.training, "three batches, mode restored"
    with torch.inference_mode():
        expected = model.features.eval()(dataset.images).mean(dim=(2, 3))
    assert torch.allclose(features, expected, atol=1e-6)

    (name,) = cache_files(tmp_path)
    assert name == f"{cache_key(model, 'fake-v1', None)}.pt" and len(name) == 64 + 3
    again, again_targets = extract_features(model, dataset, cache_dir=tmp_path, progress=False)
    assert model.calls == 3, "a cache hit does not run the model"
    assert torch.equal(again, features) and torch.equal(again_targets, targets)

    backbone_only, _ = extract_features(model.features, dataset, cache_dir=tmp_path, progress=False)
    assert torch.allclose(backbone_only, features, atol=1e-6)
    assert len(cache_files(tmp_path)) == 2


def test_changed_fingerprint_or_weights_recompute(tmp_path):
    model = CountingCNN()
    extract_features(model, FakeDataset(), cache_dir=tmp_path, progress=False)
    calls = model.calls
    extract_features(model, FakeDataset(fingerprint="fake-v2"), cache_dir=tmp_path, progress=False)
    assert model.calls > calls
    calls = model.calls
    with torch.no_grad():
        model.features[0][0].weight.add_(1.0)
    extract_features(model, FakeDataset(), cache_dir=tmp_path, progress=False)
    assert model.calls > calls and len(cache_files(tmp_path)) == 3


def test_truncated_cache_file_is_rebuilt(tmp_path):
    model, dataset = CountingCNN(), FakeDataset()
    features, _ = extract_features(model, dataset, cache_dir=tmp_path, progress=False)
    (path,) = tmp_path.iterdir()
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    calls = model.calls
    with pytest.warns(UserWarning, match="corrupt.*recomputing"):
        rebuilt, _ = extract_features(model, dataset, cache_dir=tmp_path, progress=False)
    assert model.calls > calls and torch.equal(rebuilt, features)
    assert cache_files(tmp_path) == [path.name], "rebuilt in place, no temporary files left"
    calls = model.calls
    extract_features(model, dataset, cache_dir=tmp_path, progress=False)
    assert model.calls == calls


def test_stale_cache_file_is_rebuilt(tmp_path):
    model = CountingCNN().eval()
    extract_features(model, FakeDataset(fingerprint="a"), cache_dir=tmp_path, progress=False)
    (path,) = tmp_path.iterdir()
    shutil.copy(path, tmp_path / f"{cache_key(model, 'b', None)}.pt")  # stored key is not the file's name
    dataset = FakeDataset(fingerprint="b", seed=1)
    with pytest.warns(UserWarning, match="stale"):
        features, _ = extract_features(model, dataset, cache_dir=tmp_path, progress=False)
    with torch.inference_mode():
        assert torch.allclose(features, feature_model(model)(dataset.images), atol=1e-6)


def test_earlier_layer_features(tmp_path):
    model, dataset = CountingCNN(), FakeDataset()
    later_block = []
    model.features[2].register_forward_hook(lambda *args: later_block.append(1))
    by_name, _ = extract_features(model, dataset, layer="features.0", cache_dir=tmp_path, progress=False)
    assert by_name.shape == (20, 4) and not later_block, "layers after the chosen one do not run"
    by_index, _ = extract_features(model, dataset, layer=1, cache_dir=tmp_path, progress=False)
    assert by_index.shape == (20, 6)
    assert len(cache_files(tmp_path)) == 2, "the layer is part of the cache key"
    with pytest.raises(IndexError, match="3 blocks"):
        extract_features(model, dataset, layer=5, cache_dir=tmp_path, progress=False)


def test_mobilenet_v2_feature_sizes():
    model = torchvision.models.mobilenet_v2(weights=None).eval()
    images = torch.randn(2, 3, 32, 32)
    with torch.inference_mode():
        assert feature_model(model)(images).shape == (2, 1280)
        assert feature_model(model, "features.10")(images).shape == (2, 64)


def test_default_cache_dir_and_uncached_dataset(tmp_path, monkeypatch):
    monkeypatch.setenv("TLHELPERS_DATA_DIR", str(tmp_path))
    model, dataset = CountingCNN(), FakeDataset()
    extract_features(model, dataset, progress=False)
    assert len(cache_files(tmp_path / "feature_cache")) == 1
    del dataset.fingerprint
    with pytest.warns(UserWarning, match="fingerprint"):
        features, _ = extract_features(model, dataset, progress=False)
    assert features.shape == (20, 8) and len(cache_files(tmp_path / "feature_cache")) == 1


def test_train_linear_head_on_separable_features():
    generator = torch.Generator().manual_seed(0)
    targets = torch.arange(300) % 3
    centres = torch.randn(3, 16, generator=generator) * 3
    features = centres[targets] + torch.randn(300, 16, generator=generator) * 0.5
    options = dict(num_classes=3, epochs=10, lr=1e-2, batch_size=32, weight_decay=1e-4, seed=0, progress=False)
    head, history = train_linear_head(features[:200], targets[:200], features[200:], targets[200:], **options)
    assert isinstance(head, nn.Linear) and (head.in_features, head.out_features) == (16, 3)
    assert history.val_acc[-1] >= 0.95 and history.train_loss[-1] < history.train_loss[0]
    same_head, same_history = train_linear_head(features[:200], targets[:200], **options)
    assert torch.equal(same_head.weight, head.weight) and same_history.train_loss == history.train_loss


def test_a_users_file_names_cannot_steer_where_the_cache_is_written(tmp_path):
    """Cache files are named by a sha256 of model, data and layer: nothing from the folder reaches the path."""
    import os

    from PIL import Image

    from tlhelpers.data import image_folder

    user = tmp_path / "user"
    hostile = ["..", "..%2f..%2fescape", "a\nb", "evil.pt", "-rf ~"]
    for index, name in enumerate(hostile):
        folder = user / ("cls" + str(index % 2))
        folder.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 8), (index * 40, 0, 0)).save(folder / f"{name}.png", format="PNG")
    (user / "cls0" / os.fsdecode(b"caf\xe9.png")).write_bytes((user / "cls0" / "...png").read_bytes())
    before = sorted(str(path) for path in tmp_path.rglob("*"))

    dataset = image_folder(
        user,
        transform=torchvision.transforms.v2.Compose(
            [torchvision.transforms.v2.ToImage(), torchvision.transforms.v2.ToDtype(torch.float32, scale=True)]
        ),
    )
    cache = tmp_path / "cache"
    extract_features(CountingCNN(), dataset, cache_dir=cache, progress=False)

    written = sorted(set(str(path) for path in tmp_path.rglob("*")) - set(before))
    assert len(written) == 2 and written[0] == str(cache), written
    assert re.fullmatch(r"[0-9a-f]{64}\.pt", Path(written[1]).name) and Path(written[1]).parent == cache
