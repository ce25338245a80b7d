"""tlhelpers.assets: checksums, atomic writes, and the prepared assets themselves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision

from tlhelpers import assets
from tlhelpers.assets import AssetError


def test_sha256_array_depends_on_dtype_shape_and_bytes():
    base = np.arange(6, dtype=np.uint8)
    assert assets.sha256_array(base) == assets.sha256_array(base.copy())
    assert assets.sha256_array(base) != assets.sha256_array(base.reshape(2, 3))
    assert assets.sha256_array(base) != assets.sha256_array(base.astype(np.int16))


def test_atomic_path_leaves_target_untouched_on_failure(tmp_path):
    target = tmp_path / "file.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), assets.atomic_path(target) as tmp:
        tmp.write_bytes(b"half-writ")
        raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "sub" / "file.bin"
    assets.atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"


def test_check_sha256_names_cause_and_fix(tmp_path):
    path = tmp_path / "weights.pth"
    with pytest.raises(AssetError, match="missing — run `python -m data_scripts`"):
        assets.check_sha256(path, "0" * 64)
    path.write_bytes(b"truncated")
    with pytest.raises(AssetError, match="truncated or corrupt.*python -m data_scripts"):
        assets.check_sha256(path, "0" * 64)
    assets.check_sha256(path, assets.sha256_file(path))


def test_every_asset_is_prepared():
    report = assets.asset_report()
    missing = [detail for _, found, detail in report if not found]
    assert not missing, missing
    assert [name for name, _, _ in report] == [
        "MobileNet_V2_Weights.IMAGENET1K_V1",
        "EfficientNet_Lite0_Weights.IMAGENET1K_V1",
        "Fashion-MNIST",
        "photo stamps",
    ]


def test_asset_report_says_how_to_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("TLHELPERS_DATA_DIR", str(tmp_path))
    report = dict((name, (found, detail)) for name, found, detail in assets.asset_report())
    assert report["Fashion-MNIST"] == (
        False,
        f"Fashion-MNIST not found at {tmp_path}/fashion_mnist.npz — run `python -m data_scripts`",
    )
    assert not report["photo stamps"][0]


def test_plain_torchvision_call_loads_the_offline_weights():
    """The unmodified torchvision call works with the network blocked (see conftest.py)."""
    weights = torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1
    model = torchvision.models.mobilenet_v2(weights=weights).eval()
    from PIL import Image
    from skimage.data import chelsea

    image = weights.transforms()(Image.fromarray(chelsea())).unsqueeze(0)
    with torch.inference_mode():
        top5 = model(image).softmax(1).topk(5).indices[0].tolist()
    names = [weights.meta["categories"][i] for i in top5]
    assert {"tabby", "tiger cat", "Egyptian cat"} & set(names), names


def test_hidden_download_fails_loudly(tmp_path, monkeypatch):
    """With an empty hub cache, torchvision must try to download — and the guard stops it."""
    from tests.netguard import NetworkBlockedError

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises((NetworkBlockedError, OSError)) as error:
        torchvision.models.mobilenet_v2(weights="IMAGENET1K_V1")
    assert "network access blocked" in str(error.value) or isinstance(error.value.__cause__, NetworkBlockedError)


def test_results_found_from_any_working_directory(tmp_path, monkeypatch):
    committed = Path(__file__).resolve().parents[1] / "notebooks" / "results"
    monkeypatch.delenv("TLHELPERS_RESULTS_DIR", raising=False)
    assert assets.results_dir(tmp_path) == committed  # the clone this package is installed from
    monkeypatch.setattr(assets, "__file__", str(tmp_path / "site-packages" / "tlhelpers" / "assets.py"))  # not editable
    clone = tmp_path / "content" / "course"  # Colab: /content/course, notebooks run from /content
    (clone / "notebooks" / "results").mkdir(parents=True)
    (clone / "notebooks" / "results" / "decision_matrix.json").write_text("{}")
    for start in (tmp_path / "content", clone, clone / "notebooks", clone / "notebooks" / "solutions"):
        start.mkdir(exist_ok=True)
        assert assets.results_dir(start) == clone / "notebooks" / "results", start
    with pytest.raises(AssetError, match="TLHELPERS_RESULTS_DIR"):
        assets.results_dir(tmp_path)
    monkeypatch.setenv("TLHELPERS_RESULTS_DIR", str(clone / "notebooks" / "results"))
    assert assets.results_dir(tmp_path) == clone / "notebooks" / "results"
