"""Datasets, transforms and loaders for the course: Fashion-MNIST, the photo stamps, your own folder.

Every dataset returns ``(image, label)`` and carries ``classes``, ``targets`` (one int per item)
and ``fingerprint``: a sha256 of exactly which items, their labels and ``repr(transform)``, so a
feature cache can key on it. :func:`subset` and :func:`per_class_subset` keep all three.

* :func:`fashion_mnist` and :func:`stamps` read the prepared assets (``make data``).
* :func:`image_folder` reads a folder in ImageFolder layout (``root/<class>/<image>``) and
  survives real-world mess: every file is either checked and loaded, or skipped with a reason.
* :func:`weights_transform` builds the preprocessing a pretrained model expects, at any size.
* :func:`preload` transforms every item once and keeps the tensors in memory;
  :func:`make_loader` gives a seeded, repeatable DataLoader.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torch.utils.data import DataLoader, Dataset, TensorDataset
from torchvision.models import MobileNet_V2_Weights, WeightsEnum, get_weight
from torchvision.transforms import v2
from tqdm.auto import tqdm

from tlhelpers import assets

# ImageNet's per-channel mean and std, as the course's weights' own preprocessing states them (the one copy:
# plots un-normalise with them, notebook 06 measures EfficientNet-Lite0 against them).
_IMAGENET_NORMALIZATION = MobileNet_V2_Weights.IMAGENET1K_V1.transforms()
IMAGENET_MEAN: tuple[float, ...] = tuple(_IMAGENET_NORMALIZATION.mean)
IMAGENET_STD: tuple[float, ...] = tuple(_IMAGENET_NORMALIZATION.std)

FASHION_MNIST_VAL_FRACTION = 1 / 6  # 1,000 of each class's 6,000 training images: 10,000 in all
FASHION_MNIST_SPLIT_SEED = 0
STAMPS_SPLITS = ("train", "val", "test", "all")


class ImageFolderError(ValueError):
    """A folder that cannot be read as ``root/<class>/<image>``; the message shows the expected layout."""


# --- datasets ------------------------------------------------------------------------------


def dataset_fingerprint(keys: Sequence[str], targets: Sequence[int], classes: Sequence[str], transform: Any) -> str:
    """sha256 of the items' keys, their labels, the class names and ``repr(transform)``.

    A transform whose repr holds a memory address (a lambda) gives a new fingerprint every run.
    """
    payload = json.dumps([list(keys), [int(t) for t in targets], list(classes), repr(transform)])
    return hashlib.sha256(payload.encode()).hexdigest()


class ImageDataset(Dataset):
    """Images read on demand: ``read(sources[i])`` gives an RGB PIL image, then ``transform``.

    ``keys`` name each item uniquely (path and content hash, or array index); with the labels,
    the class names and the transform they make up :attr:`fingerprint`.
    """

    def __init__(
        self,
        sources: Sequence[Any],
        targets: Sequence[int],
        classes: Sequence[str],
        keys: Sequence[str],
        read: Callable[[Any], Image.Image],
        transform: Callable | None = None,
        name: str = "images",
        skipped: list[tuple[str, str]] | None = None,
    ) -> None:
        self.sources = sources
        self.targets = [int(t) for t in targets]
        self.classes = list(classes)
        self.keys = list(keys)
        self.read = read
        self.transform = transform
        self.name = name
        self.skipped = skipped if skipped is not None else []

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        image = self.read(self.sources[index])
        if self.transform is not None:
            image = self.transform(image)
        return image, self.targets[index]

    @property
    def fingerprint(self) -> str:
        return dataset_fingerprint(self.keys, self.targets, self.classes, self.transform)

    def __repr__(self) -> str:
        return f"ImageDataset({self.name!r}, {len(self)} images, {len(self.classes)} classes)"


class PreloadedDataset(TensorDataset):
    """A :class:`~torch.utils.data.TensorDataset` of transformed images that keeps the source's
    ``classes``, ``targets``, ``keys`` and ``fingerprint``. Items are ``(image, label tensor)``."""

    def __init__(
        self,
        images: torch.Tensor,
        targets: Sequence[int],
        classes: Sequence[str],
        keys: Sequence[str],
        transform: Any = None,
        name: str = "images",
    ) -> None:
        super().__init__(images, torch.as_tensor(list(targets), dtype=torch.long))
        self.targets = [int(t) for t in targets]
        self.classes = list(classes)
        self.keys = list(keys)
        self.transform = transform  # already applied; kept so the fingerprint matches the source
        self.name = name

    @property
    def images(self) -> torch.Tensor:
        return self.tensors[0]

    @property
    def fingerprint(self) -> str:
        return dataset_fingerprint(self.keys, self.targets, self.classes, self.transform)

    def __repr__(self) -> str:
        shape = "×".join(str(n) for n in self.images.shape[1:])
        return f"PreloadedDataset({self.name!r}, {len(self)} images of {shape}, {len(self.classes)} classes)"


def subset(dataset: ImageDataset | PreloadedDataset, indices: Sequence[int]) -> ImageDataset | PreloadedDataset:
    """The items at ``indices``, in that order, as a dataset of the same kind (new fingerprint)."""
    indices = [int(i) for i in indices]
    targets = [dataset.targets[i] for i in indices]
    keys = [dataset.keys[i] for i in indices]
    if isinstance(dataset, PreloadedDataset):
        images = dataset.images[indices]
        return PreloadedDataset(images, targets, dataset.classes, keys, dataset.transform, dataset.name)
    if isinstance(dataset, ImageDataset):
        sources = dataset.sources
        sources = sources[indices] if isinstance(sources, np.ndarray) else [sources[i] for i in indices]
        return ImageDataset(
            sources, targets, dataset.classes, keys, dataset.read, dataset.transform, dataset.name, dataset.skipped
        )
    raise TypeError(f"subset() needs a dataset made by tlhelpers.data, got {type(dataset).__name__}")


def keep_classes(dataset: ImageDataset | PreloadedDataset, classes: Sequence[str]) -> ImageDataset | PreloadedDataset:
    """The items of ``classes`` only, relabelled 0…len(classes)-1 in that order."""
    kept = [i for i, target in enumerate(dataset.targets) if dataset.classes[target] in classes]
    chosen = subset(dataset, kept)
    chosen.classes = list(classes)
    chosen.targets = [list(classes).index(dataset.classes[dataset.targets[i]]) for i in kept]
    return chosen


def ranked_per_class(keys: Sequence[str], targets: Sequence[int], num_classes: int, seed: int) -> list[list[int]]:
    """For each class, its item indices ordered by a seeded sha256 of their keys.

    Hashing the keys, rather than drawing from a random generator, gives an order that does not
    depend on library versions, and taking the first n of each class gives nested subsets.
    """
    ranked: list[list[int]] = [[] for _ in range(num_classes)]
    for index, target in enumerate(targets):
        ranked[target].append(index)
    return [[indices[i] for i in seeded_order([keys[j] for j in indices], seed)] for indices in ranked]


def seeded_order(keys: Sequence[Any], seed: int) -> list[int]:
    """The positions of ``keys`` ordered by the sha256 of ``f"{seed}:{key}"``: a shuffle that is the same on
    every machine and with every library version, and whose first n are nested as n grows."""
    return sorted(range(len(keys)), key=lambda i: hashlib.sha256(f"{seed}:{keys[i]}".encode()).digest())


def per_class_subset(
    dataset: ImageDataset | PreloadedDataset, n_per_class: int, seed: int = 0
) -> ImageDataset | PreloadedDataset:
    """A seeded, stratified subset with ``n_per_class`` items of every class, in dataset order.

    The same seed picks the same items; a larger ``n_per_class`` keeps the smaller one's items.
    """
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be at least 1, got {n_per_class}")
    ranked = ranked_per_class(dataset.keys, dataset.targets, len(dataset.classes), seed)
    for name, indices in zip(dataset.classes, ranked):
        if len(indices) < n_per_class:
            raise ValueError(
                f"class {name!r} has only {len(indices)} images, fewer than n_per_class={n_per_class} "
                f"— use n_per_class <= {min(len(i) for i in ranked)}"
            )
    chosen = subset(dataset, sorted(i for indices in ranked for i in indices[:n_per_class]))
    chosen.name = f"{dataset.name}, {n_per_class} per class"
    return chosen


def count_per_class(dataset: Dataset) -> dict[str, int]:
    """Number of items of each class, every class listed, in class order."""
    counts = Counter(dataset.targets)
    return {name: counts[index] for index, name in enumerate(dataset.classes)}


# --- the course's datasets -------------------------------------------------------------------


def grey_to_rgb(array: np.ndarray) -> Image.Image:
    """A 2-D uint8 array as an RGB PIL image (three equal channels), as ImageNet models expect."""
    return Image.fromarray(array).convert("RGB")


def fashion_mnist(split: str = "train", transform: Callable | None = None) -> ImageDataset:
    """Fashion-MNIST as RGB PIL images (28×28), labels 0–9 named in ``assets.FASHION_MNIST_CLASSES``.

    The split is fixed: "val" is a seeded, stratified sixth of the official training set
    (1,000 images per class, 10,000 in all), "train" the other 50,000, "test" the official 10,000.
    """
    if split not in ("train", "val", "test"):
        raise ValueError(f"split must be 'train', 'val' or 'test', got {split!r}")
    official = "test" if split == "test" else "train"
    with np.load(assets.check_fashion_mnist()) as arrays:
        images, labels = arrays[f"x_{official}"], arrays[f"y_{official}"].astype(int)
    classes = list(assets.FASHION_MNIST_CLASSES)
    keys = [f"fashion_mnist/{official}/{i}" for i in range(len(labels))]
    dataset = ImageDataset(images, labels.tolist(), classes, keys, grey_to_rgb, transform, f"fashion_mnist {split}")
    if split == "test":
        return dataset
    ranked = ranked_per_class(keys, dataset.targets, len(classes), FASHION_MNIST_SPLIT_SEED)
    val = {i for indices in ranked for i in indices[: round(len(indices) * FASHION_MNIST_VAL_FRACTION)]}
    return subset(dataset, [i for i in range(len(dataset)) if (i in val) == (split == "val")])


def stamps(domain: str = "photo", split: str = "train", transform: Callable | None = None) -> ImageDataset:
    """The photo stamps (or their cartoon counterparts): 256×256 RGB images of a few classes.

    ``split`` is "train", "val", "test" or "all". Classes are those of the photo domain for
    both domains, so a model trained on photos can be tested on cartoons with the same labels.
    """
    folder = assets.check_stamps()
    rows = sorted(assets.read_csv_rows(folder / assets.STAMPS_INDEX), key=lambda row: row["path"])
    domains = sorted({row["domain"] for row in rows})
    if domain not in domains:
        raise ValueError(f"domain must be one of {domains}, got {domain!r}")
    if split not in STAMPS_SPLITS:
        raise ValueError(f"split must be one of {list(STAMPS_SPLITS)}, got {split!r}")
    classes = sorted({row["class"] for row in rows if row["domain"] == "photo"})
    rows = [row for row in rows if row["domain"] == domain and split in ("all", row["split"])]
    unknown = sorted({row["class"] for row in rows} - set(classes))
    if unknown:
        raise ValueError(
            f"{domain} stamps of classes {unknown} have no photo counterpart — check {folder / assets.STAMPS_INDEX}"
        )
    if not rows:
        raise ValueError(f"no {domain} stamps in split {split!r} — check {folder / assets.STAMPS_INDEX}")
    return ImageDataset(
        sources=[str(folder / row["path"]) for row in rows],
        targets=[classes.index(row["class"]) for row in rows],
        classes=classes,
        keys=[f"stamps/{row['path']}#{row['sha256']}" for row in rows],
        read=read_image,
        transform=transform,
        name=f"stamps {domain}/{split}",
    )


# --- reading any image file ------------------------------------------------------------------


def to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB: 16/32-bit greyscale scaled (not clipped), transparency composited on a neutral grey."""
    if image.mode.startswith("I") or image.mode == "F":
        values = np.asarray(image, dtype=np.float64)
        if image.mode.startswith("I;16") or values.max(initial=0) > 255:
            values = values / 257  # 65535 → 255
        image = Image.fromarray(np.clip(np.round(values), 0, 255).astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (*assets.NEUTRAL_BACKGROUND, 255))
        image = Image.alpha_composite(background, image)
    return image.convert("RGB")


def read_image(
    path: str | os.PathLike | BinaryIO, max_pixels: int | None = None, draft_size: int | None = None
) -> Image.Image:
    """Open an image file (a path or an open binary file) as 8-bit RGB, upright (EXIF rotation applied), see
    :func:`to_rgb` — the one way the course reads an image: datasets, folders and the widgets' uploads.

    Raises ``PIL.Image.DecompressionBombError`` for images of more than ``max_pixels`` pixels
    (default: Pillow's ``Image.MAX_IMAGE_PIXELS``). ``draft_size`` lets JPEG decode at a reduced
    scale, enough to check the file quickly.
    """
    limit = Image.MAX_IMAGE_PIXELS if max_pixels is None else max_pixels
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # we apply our own limit below
        with Image.open(path) as image:
            if limit is not None and image.width * image.height > limit:
                raise Image.DecompressionBombError(
                    f"{image.width}×{image.height} = {image.width * image.height:,} pixels, more than {limit:,}"
                )
            if draft_size is not None:
                image.draft("RGB", (draft_size, draft_size))
            image.load()
            return to_rgb(ImageOps.exif_transpose(image))


def _check_image_file(path: str, max_pixels: int | None) -> str | None:
    """Why the file at ``path`` cannot be used ("category: detail"), or None when it loads."""
    try:
        if os.path.getsize(path) == 0:
            return "unreadable: empty file"
        read_image(path, max_pixels, draft_size=512)
    except Image.DecompressionBombError as error:
        return f"too large: {error}"
    except UnidentifiedImageError:
        if Path(path).suffix.lower() in Image.registered_extensions():
            return "unreadable: not a valid image file"
        return "not an image: not a format Pillow can read"
    except Exception as error:  # any failure of a user's file means: skip it, never crash training
        return f"unreadable: {str(error) or type(error).__name__}"
    return None


# --- your own folder -------------------------------------------------------------------------


def _layout_hint(root: Path) -> str:
    return f"expected {root}/<class_name>/<image>.jpg, e.g. {root}/cats/001.jpg"


def _files_under(folder: str, visited: set[tuple[int, int]]) -> list[str]:
    """Every non-hidden file below ``folder``, following symbolic links but never a folder twice."""
    files = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        kept = []
        for name in sorted(dirnames):
            try:
                info = os.stat(os.path.join(dirpath, name))
            except OSError:
                continue
            if not name.startswith(".") and (info.st_dev, info.st_ino) not in visited:
                visited.add((info.st_dev, info.st_ino))
                kept.append(name)
        dirnames[:] = kept  # prunes hidden folders and symbolic-link loops
        files += [os.path.join(dirpath, name) for name in sorted(filenames)]
    return files


def image_folder(
    root: str | os.PathLike, transform: Callable | None = None, max_pixels: int | None = None
) -> ImageDataset:
    """A folder ``root/<class>/<image>`` as a dataset; classes are the sub-folder names, sorted.

    Images in deeper sub-folders belong to their top class folder. Every file is opened and
    decoded once here, so training never meets a bad file: hidden files, non-images, unreadable
    or truncated files, images over ``max_pixels`` and files outside class folders are skipped,
    listed in ``dataset.skipped`` as (path, reason) and summed up in one warning. Class folders
    without a usable image are left out. Raises :class:`ImageFolderError` when nothing is usable.
    """
    root = Path(root)
    if not root.exists():
        raise ImageFolderError(f"folder {root} not found — {_layout_hint(root)}")
    if not root.is_dir():
        raise ImageFolderError(f"{root} is a file, not a folder — {_layout_hint(root)}")
    info = root.stat()
    visited = {(info.st_dev, info.st_ino)}
    class_dirs, loose_files = [], []
    for entry in sorted(os.scandir(root), key=lambda entry: entry.name):
        if entry.is_dir() and not entry.name.startswith("."):
            info = entry.stat()
            if (info.st_dev, info.st_ino) not in visited:
                visited.add((info.st_dev, info.st_ino))
                class_dirs.append(entry)
        elif not entry.is_dir():
            loose_files.append(entry.path)
    if not class_dirs and any(Path(f).suffix.lower() in Image.registered_extensions() for f in loose_files):
        raise ImageFolderError(f"images in {root} are not in class sub-folders — {_layout_hint(root)}")

    skipped = [(f, "hidden" if Path(f).name.startswith(".") else "not in a class folder") for f in loose_files]
    samples, num_files = [], len(loose_files)
    files_by_class = {entry.name: _files_under(entry.path, visited) for entry in class_dirs}
    progress = tqdm(total=sum(len(files) for files in files_by_class.values()), desc="checking images", delay=2)
    for class_name, files in files_by_class.items():
        for path in files:
            num_files += 1
            reason = "hidden" if Path(path).name.startswith(".") else _check_image_file(path, max_pixels)
            if reason is None:
                samples.append((class_name, path))
            else:
                skipped.append((path, reason))
            progress.update()
    progress.close()

    counts = Counter(reason.split(":")[0] for _, reason in skipped)
    summary = ", ".join(f"{n} {category}" for category, n in counts.most_common())
    if not samples:
        found = f" (skipped {len(skipped)} files: {summary})" if skipped else ""
        raise ImageFolderError(f"no images found in {root}{found} — {_layout_hint(root)}")
    classes = sorted({class_name for class_name, _ in samples})
    empty = [entry.name for entry in class_dirs if entry.name not in classes]
    notes = []
    if set(counts) - {"hidden"}:  # hidden files alone (.DS_Store) are not worth a warning
        notes.append(f"skipped {len(skipped)} of {num_files} files: {summary} — see dataset.skipped for the list")
    if empty:
        notes.append(f"left out class folders without usable images: {', '.join(empty)}")
    if notes:
        warnings.warn(f"{root}: " + "; ".join(notes), stacklevel=2)
    return ImageDataset(
        sources=[path for _, path in samples],
        targets=[classes.index(class_name) for class_name, _ in samples],
        classes=classes,
        keys=[f"{os.path.relpath(path, root)}#{assets.sha256_file(path)}" for _, path in samples],
        read=functools.partial(read_image, max_pixels=max_pixels),
        transform=transform,
        name=f"folder {root.name}",
        skipped=skipped,
    )


# --- transforms and loaders --------------------------------------------------------------------


def weights_transform(weights: WeightsEnum | str, image_size: int | None = None, train: bool = False) -> v2.Compose:
    """The preprocessing ``weights`` were trained with (mean, std, interpolation), at ``image_size``.

    Evaluation: resize to ``image_size`` × the weights' resize/crop ratio (256/224 for most),
    then centre-crop ``image_size``. ``train=True``: RandomResizedCrop and a horizontal flip.
    Takes PIL images or uint8 tensors; gives normalised float32 tensors of 3×image_size×image_size.
    """
    if isinstance(weights, str):
        weights = get_weight(weights)
    preset = weights.transforms()
    crop_size, resize_size = preset.crop_size[0], preset.resize_size[0]
    image_size = image_size or crop_size
    if train:
        geometry = [
            v2.RandomResizedCrop(image_size, interpolation=preset.interpolation, antialias=True),
            v2.RandomHorizontalFlip(),
        ]
    else:
        resize_to = round(image_size * resize_size / crop_size)
        geometry = [v2.Resize(resize_to, interpolation=preset.interpolation, antialias=True), v2.CenterCrop(image_size)]
    return v2.Compose(
        [
            *geometry,
            v2.ToImage(),
            v2.ToDtype(torch.float32, scale=True),
            v2.Normalize(mean=list(preset.mean), std=list(preset.std)),
            v2.ToPureTensor(),
        ]
    )


def preload(
    dataset: ImageDataset,
    batch_size: int = 64,
    num_workers: int = 0,
    max_bytes: int = 8 * 2**30,
    progress: bool = True,
) -> PreloadedDataset:
    """Transform every item once and keep the stacked tensors in memory (same fingerprint).

    Meant for deterministic (evaluation) transforms: a random augmentation would be drawn once
    and then frozen. Refuses to allocate more than ``max_bytes``. A progress bar appears when
    the work takes more than 2 seconds; ``progress=False`` never shows one (in a notebook the
    bar is an output of its own, so whether it appears would depend on the machine's speed).
    """
    if len(dataset) == 0:
        raise ValueError("cannot preload an empty dataset")
    if "Random" in repr(dataset.transform):
        warnings.warn("preload() applies the transform once: its random augmentation will be frozen", stacklevel=2)
    first, _ = dataset[0]
    if not isinstance(first, torch.Tensor):
        raise TypeError(
            f"preload() needs a transform that returns tensors, got {type(first).__name__} "
            "— pass transform=weights_transform(weights) to the dataset"
        )
    needed = len(dataset) * first.numel() * first.element_size()
    if needed > max_bytes:
        raise ValueError(
            f"preloading {len(dataset):,} images of {tuple(first.shape)} needs {needed / 2**30:.1f} GiB, "
            f"more than max_bytes={max_bytes / 2**30:.1f} GiB — use a smaller image_size or a per_class_subset"
        )
    images = torch.empty((len(dataset), *first.shape), dtype=first.dtype)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers)
    start = 0
    for batch, _ in tqdm(loader, desc="preloading", delay=2, disable=not progress):
        images[start : start + len(batch)] = batch
        start += len(batch)
    return PreloadedDataset(images, dataset.targets, dataset.classes, dataset.keys, dataset.transform, dataset.name)


def make_loader(
    dataset: Dataset,
    batch_size: int = 64,
    shuffle: bool = False,
    seed: int = 0,
    num_workers: int | None = None,
    drop_last: bool = False,
) -> DataLoader:
    """A DataLoader whose order and worker random streams come from ``seed``: repeatable runs.

    ``num_workers`` defaults to 0 for in-memory tensors (workers would only add overhead) and
    to 2 otherwise — a fixed number, because augmentations drawn in workers depend on it.
    With 0 workers, random transforms draw from torch's global generator: seed it too.
    If a transform defined in a notebook fails to pickle (Windows, macOS), pass num_workers=0.
    """
    if num_workers is None:
        num_workers = 0 if isinstance(dataset, TensorDataset) else 2
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=num_workers,
        generator=torch.Generator().manual_seed(seed),
        persistent_workers=num_workers > 0,
        drop_last=drop_last,
    )
