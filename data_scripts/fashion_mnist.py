"""Prepare Fashion-MNIST (70,000 grey 28×28 images of clothes) as one compact .npz file.

Source: Debian's ``dataset-fashion-mnist`` package when apt-get can fetch it, else the
dataset's upstream release files through torchvision's own downloader. Either way the
decoded arrays are checked against the same sha256 values before anything is written.

    python -m data_scripts.fashion_mnist
"""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import numpy as np

from data_scripts.fetch import downloads_dir, fetch_deb, unpack_deb
from data_scripts.run import run_main
from tlhelpers.assets import (
    FASHION_MNIST_SHA256,
    AssetError,
    atomic_path,
    fashion_mnist_path,
    sha256_array,
)

DEB_PACKAGE = "dataset-fashion-mnist"
DEB_FOLDER = "usr/share/datasets/fashion-mnist"
IDX_FILES = {
    "x_train": ("train-images-idx3-ubyte.gz", 16),
    "y_train": ("train-labels-idx1-ubyte.gz", 8),
    "x_test": ("t10k-images-idx3-ubyte.gz", 16),
    "y_test": ("t10k-labels-idx1-ubyte.gz", 8),
}


def decode_idx(path: Path, header_bytes: int) -> np.ndarray:
    """Decode one gzipped IDX file (images → (N, 28, 28), labels → (N,)) as uint8."""
    try:
        raw = gzip.open(path).read()
    except (OSError, EOFError) as error:
        raise AssetError(
            f"{path} is not a readable gzip file ({error}) — delete it and run `python -m data_scripts`"
        ) from None
    array = np.frombuffer(raw, np.uint8, offset=header_bytes)
    return array.reshape(-1, 28, 28) if header_bytes == 16 else array


def from_debian() -> dict[str, np.ndarray]:
    folder = unpack_deb(fetch_deb(DEB_PACKAGE)) / DEB_FOLDER
    return {key: decode_idx(folder / name, offset) for key, (name, offset) in IDX_FILES.items()}


def from_upstream() -> dict[str, np.ndarray]:
    """The upstream release files, via torchvision (which checks their md5 sums)."""
    from torchvision.datasets import FashionMNIST

    root = downloads_dir() / "upstream"
    arrays = {}
    for split, train in (("train", True), ("test", False)):
        dataset = FashionMNIST(root, train=train, download=True)
        arrays[f"x_{split}"] = dataset.data.numpy()
        arrays[f"y_{split}"] = dataset.targets.numpy().astype(np.uint8)
    return arrays


def verify(arrays: dict[str, np.ndarray], source: str) -> None:
    for key, expected in FASHION_MNIST_SHA256.items():
        actual = sha256_array(arrays[key])
        if actual != expected:
            raise AssetError(
                f"Fashion-MNIST {key} from {source} has sha256 {actual[:12]}…, expected {expected[:12]}… "
                f"— delete {downloads_dir()} and run `python -m data_scripts`"
            )


def is_valid(path: Path) -> bool:
    try:
        with np.load(path) as stored:
            verify({key: stored[key] for key in FASHION_MNIST_SHA256}, str(path))
        return True
    except (AssetError, OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        return False


def main() -> list[str]:
    target = fashion_mnist_path()
    if target.exists():
        if is_valid(target):
            return [f"Fashion-MNIST: already prepared at {target}"]
        raise AssetError(f"{target} is corrupt or incomplete — delete it and run `python -m data_scripts`")
    try:
        arrays, source = from_debian(), f"Debian package {DEB_PACKAGE}"
    except AssetError as debian_error:
        try:
            arrays, source = from_upstream(), "the upstream release files"
        except Exception as upstream_error:  # network errors come in many types
            raise AssetError(
                f"Fashion-MNIST unavailable: Debian ({debian_error}); upstream ({upstream_error})"
            ) from None
    verify(arrays, source)
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as handle:  # a file handle keeps np.savez from appending ".npz"
            np.savez_compressed(handle, **arrays)
    sizes = ", ".join(f"{key} {arrays[key].shape}" for key in IDX_FILES)
    return [f"Fashion-MNIST: wrote {target} from {source} ({sizes}; checksums verified)"]


if __name__ == "__main__":
    run_main(main)
