"""Tests for tlhelpers.data on tiny fake assets (a fake data dir via TLHELPERS_DATA_DIR) and a
generated "torture folder" of every kind of broken or unusual file a user's folder may hold."""

from __future__ import annotations

import csv
import io
import os
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

from tlhelpers import assets, data

WEIGHTS = torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1
PHOTO_CLASSES = ["bird", "fruit", "mammal"]


def save_png(path: Path, colour=(200, 30, 30), size=(8, 8)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)


@pytest.fixture
def fake_data_dir(tmp_path, monkeypatch) -> Path:
    """A data dir with a 60+20 image Fashion-MNIST and a 17-image stamps folder."""
    monkeypatch.setenv("TLHELPERS_DATA_DIR", str(tmp_path))
    rng = np.random.default_rng(0)
    np.savez(
        tmp_path / assets.FASHION_MNIST_FILE,
        x_train=rng.integers(0, 256, (60, 28, 28), dtype=np.uint8),
        y_train=(np.arange(60) % 10).astype(np.uint8),
        x_test=rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        y_test=(np.arange(20) % 10).astype(np.uint8),
    )
    folder = tmp_path / assets.STAMPS_DIR
    sizes = (("train", 3), ("val", 1), ("test", 1))
    layout = [("photo", name, split, n) for name in PHOTO_CLASSES for split, n in sizes]
    layout += [("cartoon", "fruit", "test", 1), ("cartoon", "bird", "test", 1)]
    rows = []
    for domain, name, split, n in layout:
        for i in range(n):
            path = f"{domain}/{name}/{split}{i}.png"
            save_png(folder / path, colour=(PHOTO_CLASSES.index(name) * 100, i * 40, 50))
            rows.append(
                {
                    "path": path,
                    "class": name,
                    "domain": domain,
                    "split": split,
                    "source": path,
                    "sha256": assets.sha256_file(folder / path),
                }
            )
    with open(folder / assets.STAMPS_INDEX, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return tmp_path


# --- course datasets -----------------------------------------------------------------------


def test_fashion_mnist_split_is_fixed_stratified_and_disjoint(fake_data_dir):
    train, val, test = (data.fashion_mnist(split) for split in ("train", "val", "test"))
    assert (len(train), len(val), len(test)) == (50, 10, 20)
    assert train.classes == list(assets.FASHION_MNIST_CLASSES)
    assert set(data.count_per_class(val).values()) == {1}
    assert set(data.count_per_class(train).values()) == {5}
    assert not set(train.keys) & set(val.keys)
    assert len(set(train.keys) | set(val.keys)) == 60
    assert data.fashion_mnist("val").fingerprint == val.fingerprint

    image, label = test[3]
    with np.load(fake_data_dir / assets.FASHION_MNIST_FILE) as arrays:
        grey, expected_label = arrays["x_test"][3], arrays["y_test"][3]
    assert image.mode == "RGB" and image.size == (28, 28)
    assert label == expected_label
    assert all(np.array_equal(np.asarray(image)[..., c], grey) for c in range(3))
    with pytest.raises(ValueError, match="split must be"):
        data.fashion_mnist("validation")


@pytest.mark.skipif(not assets.fashion_mnist_path().is_file(), reason="real Fashion-MNIST not prepared (make data)")
def test_real_fashion_mnist_split_sizes():
    val = data.fashion_mnist("val")
    assert (len(val), len(data.fashion_mnist("train")), len(data.fashion_mnist("test"))) == (10_000, 50_000, 10_000)
    assert set(data.count_per_class(val).values()) == {1_000}
    # Pinned: stored notebook outputs and feature caches depend on exactly this split.
    assert val.fingerprint == "5e8dbc11e94f19397d9b9b1202dea3d482dbec5153744fca5ce65d3c03a39db8"


def test_stamps_splits_and_shared_classes(fake_data_dir):
    train = data.stamps("photo", "train")
    assert train.classes == PHOTO_CLASSES
    assert data.count_per_class(train) == {"bird": 3, "fruit": 3, "mammal": 3}
    assert [len(data.stamps("photo", split)) for split in ("val", "test", "all")] == [3, 3, 15]
    cartoons = data.stamps("cartoon", "all")
    assert cartoons.classes == PHOTO_CLASSES  # labels align with the photo domain
    assert data.count_per_class(cartoons) == {"bird": 1, "fruit": 1, "mammal": 0}
    image, label = cartoons[0]
    assert image.mode == "RGB" and image.size == (8, 8) and cartoons.classes[label] == "bird"
    with pytest.raises(ValueError, match="domain must be one of"):
        data.stamps("sketch")
    with pytest.raises(ValueError, match="split must be one of"):
        data.stamps("photo", "dev")


def test_missing_assets_say_how_to_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("TLHELPERS_DATA_DIR", str(tmp_path))
    with pytest.raises(assets.AssetError, match="python -m data_scripts"):
        data.stamps()
    with pytest.raises(assets.AssetError, match="python -m data_scripts"):
        data.fashion_mnist()


# --- subsets and fingerprints ------------------------------------------------------------------


def test_per_class_subset_is_stratified_seeded_and_nested(fake_data_dir):
    train = data.fashion_mnist("train")
    small = data.per_class_subset(train, 2, seed=0)
    assert set(data.count_per_class(small).values()) == {2}
    assert small.keys == data.per_class_subset(train, 2, seed=0).keys
    assert small.keys != data.per_class_subset(train, 2, seed=1).keys
    assert set(data.per_class_subset(train, 1, seed=0).keys) <= set(small.keys)
    assert small.classes == train.classes and small.fingerprint != train.fingerprint
    image, label = small[0]
    assert image.size == (28, 28) and label == small.targets[0]
    with pytest.raises(ValueError, match=r"class 'T-shirt/top' has only 5 images, fewer than n_per_class=6"):
        data.per_class_subset(train, 6)


def test_fingerprint_depends_on_items_labels_and_transform(fake_data_dir):
    plain = data.stamps("photo", "train")
    assert plain.fingerprint == data.stamps("photo", "train").fingerprint
    assert len(plain.fingerprint) == 64
    with_transform = data.stamps("photo", "train", transform=data.weights_transform(WEIGHTS, 32))
    assert with_transform.fingerprint != plain.fingerprint
    assert data.subset(plain, [1, 0]).fingerprint != data.subset(plain, [0, 1]).fingerprint
    relabelled = data.subset(plain, range(len(plain)))
    relabelled.targets[0] = 2
    assert relabelled.fingerprint != plain.fingerprint


# --- transforms, preloading, loaders --------------------------------------------------------------


def test_weights_transform_takes_the_weights_preprocessing_at_any_size():
    transform = data.weights_transform(WEIGHTS, image_size=64)
    mean_colour = tuple(round(255 * m) for m in WEIGHTS.transforms().mean)
    output = transform(Image.new("RGB", (100, 80), mean_colour))
    assert output.shape == (3, 64, 64) and output.dtype == torch.float32
    assert type(output) is torch.Tensor
    assert output.abs().max() < 0.01  # the weights' mean colour normalises to zero
    white = transform(Image.new("RGB", (50, 50), "white"))
    expected = [(1 - m) / s for m, s in zip(WEIGHTS.transforms().mean, WEIGHTS.transforms().std)]
    assert torch.allclose(white.mean(dim=(1, 2)), torch.tensor(expected), atol=1e-4)
    assert "Resize(size=[73]" in repr(transform)  # 64 × 256/224
    assert repr(data.weights_transform("MobileNet_V2_Weights.IMAGENET1K_V1", 64)) == repr(transform)
    assert data.weights_transform(WEIGHTS)(Image.new("RGB", (30, 40))).shape == (3, 224, 224)
    augment = data.weights_transform(WEIGHTS, image_size=48, train=True)
    assert augment(Image.new("RGB", (100, 80))).shape == (3, 48, 48)
    assert "RandomResizedCrop" in repr(augment) and "RandomHorizontalFlip" in repr(augment)
    bicubic = data.weights_transform(torchvision.models.EfficientNet_B0_Weights.IMAGENET1K_V1, 32)
    assert "BICUBIC" in repr(bicubic)


def test_preload_equals_the_per_item_transform(fake_data_dir):
    dataset = data.stamps("photo", "all", transform=data.weights_transform(WEIGHTS, image_size=32))
    preloaded = data.preload(dataset, batch_size=4)
    assert preloaded.images.shape == (15, 3, 32, 32)
    assert preloaded.targets == dataset.targets and preloaded.classes == dataset.classes
    assert preloaded.fingerprint == dataset.fingerprint
    for index in range(len(dataset)):
        image, label = preloaded[index]
        assert torch.equal(image, dataset[index][0]) and int(label) == dataset.targets[index]
    small = data.per_class_subset(preloaded, 2, seed=3)
    assert small.fingerprint == data.per_class_subset(dataset, 2, seed=3).fingerprint
    assert torch.equal(small.images[0], data.per_class_subset(dataset, 2, seed=3)[0][0])

    with pytest.raises(TypeError, match="transform that returns tensors"):
        data.preload(data.stamps("photo", "train"))
    with pytest.raises(ValueError, match="needs .* GiB"):
        data.preload(dataset, max_bytes=1000)
    with pytest.warns(UserWarning, match="frozen"):
        data.preload(data.stamps("photo", "val", transform=data.weights_transform(WEIGHTS, 16, train=True)))


def test_preload_progress_bar_can_be_switched_off(fake_data_dir, monkeypatch):
    bars = []

    def recording_tqdm(iterable, **kwargs):
        bars.append(kwargs)
        return iterable

    monkeypatch.setattr(data, "tqdm", recording_tqdm)
    dataset = data.stamps("photo", "all", transform=data.weights_transform(WEIGHTS, image_size=16))
    assert data.preload(dataset, batch_size=4, progress=False).images.shape == (15, 3, 16, 16)
    data.preload(dataset, batch_size=4)
    assert [bar["disable"] for bar in bars] == [True, False]
    assert all(bar["delay"] > 0 for bar in bars)  # by default only slow preloads show a bar


def test_make_loader_is_repeatable(fake_data_dir):
    preloaded = data.preload(data.stamps("photo", "all", transform=data.weights_transform(WEIGHTS, 16)))

    def order(seed):
        return torch.cat([labels for _, labels in data.make_loader(preloaded, 4, shuffle=True, seed=seed)]).tolist()

    assert order(0) == order(0) and order(0) != order(1)
    assert sorted(order(0)) == sorted(preloaded.targets)
    assert data.make_loader(preloaded, 4).num_workers == 0
    assert data.make_loader(data.stamps(), 4).num_workers == 2


# --- a user's own folder -----------------------------------------------------------------------


def build_torture_folder(root: Path) -> bool:
    """Every kind of mess; returns whether the file system accepted a non-UTF-8 file name."""
    cats, dogs = root / "cats", root / "dogs"
    save_png(cats / "ok.png")
    save_png(cats / "nested" / "deeper" / "inner.png")
    Image.new("RGB", (8, 8), "green").save(cats / "upper.JPG", format="JPEG")
    Image.new("RGB", (8, 8), "blue").save(cats / "png_named.jpg", format="PNG")
    Image.new("CMYK", (8, 8), (0, 255, 255, 0)).save(cats / "cmyk.jpg")
    Image.new("L", (8, 8), 77).save(cats / "grey.png")
    Image.fromarray(np.array([[0, 25700, 65535, 32896]] * 4, dtype=np.uint16)).save(cats / "grey16.png")
    palette = Image.new("P", (8, 8), 0)
    palette.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    palette.paste(1, (4, 0, 8, 8))
    palette.save(cats / "palette.png", transparency=0)
    rgba = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    rgba.paste((0, 0, 255, 255), (4, 0, 8, 8))
    rgba.save(cats / "rgba.png")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    Image.new("RGB", (20, 10), "white").save(cats / "rotated.jpg", exif=exif)
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, format="JPEG")
    (cats / "truncated.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    (cats / "empty.jpg").write_bytes(b"")
    (cats / "notes.txt").write_text("not an image\n")
    (cats / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (cats / "._ok.png").write_bytes(b"\x00\x05\x16\x07AppleDouble")
    save_png(cats / "huge.png", size=(100, 100))  # over the test's max_pixels
    os.symlink("..", cats / "loop")
    os.symlink(".", cats / "self")
    save_png(dogs / "dog.png")
    os.symlink("b", dogs / "a")
    os.symlink("a", dogs / "b")
    (root / "empty_class").mkdir()
    save_png(root / ".hidden_dir" / "x.png")
    (root / "readme.txt").write_text("my photos\n")
    try:
        with open(os.path.join(os.fsencode(cats), b"bad\xff.png"), "wb") as handle:
            Image.new("RGB", (8, 8), "yellow").save(handle, format="PNG")
        return True
    except OSError:  # macOS and Windows refuse such names
        return False


def test_image_folder_survives_a_torture_folder(tmp_path):
    root = tmp_path / "mine"
    bad_name_ok = build_torture_folder(root)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dataset = data.image_folder(root, max_pixels=5000)
    loaded_cats = 10 + bad_name_ok
    assert len(caught) == 1
    message = str(caught[0].message)
    assert f"skipped 9 of {loaded_cats + 1 + 9} files: 4 unreadable, 2 hidden, " in message
    assert "1 not an image" in message and "1 too large" in message and "1 not in a class folder" in message
    assert "see dataset.skipped" in message and "empty_class" in message

    assert dataset.classes == ["cats", "dogs"]
    assert data.count_per_class(dataset) == {"cats": loaded_cats, "dogs": 1}
    reasons = {Path(path).name: reason for path, reason in dataset.skipped}
    assert sorted(reasons) == sorted(
        ["truncated.jpg", "empty.jpg", "notes.txt", ".DS_Store", "._ok.png", "huge.png", "a", "b", "readme.txt"]
    )
    assert reasons["empty.jpg"] == "unreadable: empty file"
    assert reasons["truncated.jpg"].startswith("unreadable: image file is truncated")
    assert reasons["huge.png"].startswith("too large: 100×100")
    assert Counter(reason.split(":")[0] for reason in reasons.values())["unreadable"] == 4

    images = {Path(path).name: dataset[i][0] for i, path in enumerate(dataset.sources)}
    assert all(image.mode == "RGB" for image in images.values())
    assert images["rotated.jpg"].size == (10, 20)
    assert images["grey16.png"].getpixel((0, 0)) == (0, 0, 0)
    assert images["grey16.png"].getpixel((1, 0)) == (100, 100, 100)  # scaled from 16 bits, not clipped
    assert images["grey16.png"].getpixel((3, 0)) == (128, 128, 128)
    assert images["palette.png"].getpixel((0, 0)) == assets.NEUTRAL_BACKGROUND
    assert images["palette.png"].getpixel((7, 0)) == (255, 0, 0)
    assert images["rgba.png"].getpixel((0, 0)) == assets.NEUTRAL_BACKGROUND
    assert images["cmyk.jpg"].getpixel((0, 0))[0] > 200
    assert images["inner.png"].size == (8, 8)
    assert ("bad\udcff.png" in images) == bad_name_ok
    assert len(dataset.fingerprint) == 64

    dataset.transform = data.weights_transform(WEIGHTS, image_size=16)
    batches = list(data.make_loader(dataset, batch_size=4, num_workers=0))
    assert sum(len(labels) for _, labels in batches) == len(dataset)


def test_image_folder_follows_pillows_bomb_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    save_png(tmp_path / "a" / "small.png", size=(10, 10))
    save_png(tmp_path / "a" / "bomb.png", size=(50, 50))  # over twice the limit: Pillow itself refuses
    for max_pixels in (None, 10**9):
        with pytest.warns(UserWarning, match="skipped 1 of 2 files: 1 too large"):
            dataset = data.image_folder(tmp_path, max_pixels=max_pixels)
        assert len(dataset) == 1


def test_hidden_files_alone_do_not_warn(tmp_path):
    save_png(tmp_path / "a" / "one.png")
    (tmp_path / "a" / ".DS_Store").write_bytes(b"junk")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dataset = data.image_folder(tmp_path)
    assert len(dataset) == 1 and dataset.skipped == [(str(tmp_path / "a" / ".DS_Store"), "hidden")]


@pytest.mark.parametrize(
    ("make", "cause"),
    [
        (lambda root: None, "folder .* not found"),
        (lambda root: root.write_text("x"), "is a file, not a folder"),
        (lambda root: root.mkdir(), "no images found in"),
        (lambda root: (root / "cats").mkdir(parents=True), "no images found in"),
        (lambda root: save_png(root / "001.png"), "images in .* are not in class sub-folders"),
    ],
)
def test_image_folder_errors_name_cause_and_layout(tmp_path, make, cause):
    root = tmp_path / "mine"
    make(root)
    with pytest.raises(data.ImageFolderError, match=cause) as error:
        data.image_folder(root)
    message = str(error.value)
    assert "\n" not in message and f"expected {root}/<class_name>/<image>.jpg, e.g. {root}/cats/001.jpg" in message
    assert isinstance(error.value, ValueError)


def test_image_folder_error_counts_what_was_skipped(tmp_path):
    (tmp_path / "cats").mkdir()
    (tmp_path / "cats" / "notes.txt").write_text("hello")
    (tmp_path / "cats" / "broken.jpg").write_bytes(b"\xff\xd8garbage")
    expected = r"no images found .* \(skipped 2 files: 1 unreadable, 1 not an image\)"
    with pytest.raises(data.ImageFolderError, match=expected):
        data.image_folder(tmp_path)
