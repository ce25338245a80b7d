"""Features from a frozen backbone, computed once and cached on disk.

With the backbone frozen, its output for a given image never changes, so a linear
head can be trained on pre-computed feature vectors in seconds instead of pushing
every image through the CNN every epoch. :func:`extract_features` runs the backbone
once per (weights, dataset, layer) and caches the result; :func:`train_linear_head`
trains an ``nn.Linear`` on the cached tensors with the same :func:`tlhelpers.train.fit`
loop the other notebooks use.

A cache file is named after the sha256 of everything that determines its contents:
the model's class and weights, the dataset's ``fingerprint`` (items, labels and
transform) and the layer. It is written atomically, read with ``weights_only=True``
(no code runs on load), and checked; a stale or corrupt file is rebuilt with a warning.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Sampler, TensorDataset
from tqdm.auto import tqdm

from tlhelpers.assets import atomic_path, data_dir
from tlhelpers.capture import capture_activations
from tlhelpers.models import backbone_blocks, known_head_path
from tlhelpers.state import eval_mode, seeded
from tlhelpers.train import History, fit, model_device, to_device

CACHE_FORMAT = 1  # bump when the stored layout changes, so old files are recomputed


def global_pool(activation: torch.Tensor) -> torch.Tensor:
    """``[N, C, H, W]`` → ``[N, C]`` by averaging over positions; ``[N, T, D]`` tokens → mean over T."""
    if activation.dim() > 2:
        return activation.flatten(2).mean(dim=2) if activation.dim() == 4 else activation.mean(dim=1)
    return activation


class FeatureExtractor(nn.Module):
    """``model`` cut at ``layer`` (or just before its head), output pooled to ``[N, D]``.

    Built by :func:`feature_model`. With ``layer=None`` the features are the head's input
    (MobileNetV2: the 1280 pooled channels of ``model.features``); a module that has no
    recognisable head is treated as a backbone and its own output is pooled. With a
    ``layer`` name, that module's output is pooled and the layers after it never run.
    """

    def __init__(self, model: nn.Module, layer: str | None = None) -> None:
        super().__init__()
        self.model = model
        self.layer = layer
        self.head_path = known_head_path(model) if layer is None else None

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        target = self.layer or self.head_path
        if target is None:
            return global_pool(self.model(images))
        # The head's input (layer=None) or the named layer's output; nothing after it runs.
        return global_pool(capture_activations(self.model, images, [target], inputs=self.layer is None)[target])


def resolve_layer(model: nn.Module, layer: str | int | None) -> str | None:
    """A layer given as a block index (into :func:`tlhelpers.models.backbone_blocks`) → its name."""
    if layer is None or isinstance(layer, str):
        if layer is not None:
            model.get_submodule(layer)  # an unknown name fails here, naming the layer
        return layer
    blocks = backbone_blocks(model)
    if not -len(blocks) <= layer < len(blocks):
        raise IndexError(f"block {layer} does not exist — {type(model).__name__} has {len(blocks)} blocks")
    return blocks[layer]


def feature_model(model: nn.Module, layer: str | int | None = None) -> FeatureExtractor:
    """The backbone of ``model`` plus global average pooling, as one module mapping images to ``[N, D]``."""
    return FeatureExtractor(model, resolve_layer(model, layer))


def weights_digest(model: nn.Module) -> str:
    """sha256 of the model's parameters and buffers (names, dtypes, shapes, values).

    Computed on every call rather than remembered: a model fine-tuned between two calls
    must not reuse the features of its earlier weights. (MobileNetV2: ~14 MB, tens of ms.)
    """
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        tensor = tensor.detach().cpu().contiguous()
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)};".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def cache_key(model: nn.Module, fingerprint: str, layer: str | None) -> str:
    """The hex sha256 that names a cache file: format, model class, weights, dataset, layer."""
    parts = [f"format={CACHE_FORMAT}", type(model).__name__, weights_digest(model), fingerprint, str(layer)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def feature_cache_dir() -> Path:
    """The default cache folder, ``data_dir()/feature_cache``."""
    return data_dir() / "feature_cache"


def _load_cache(path: Path, key: str, num_items: int) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The cached (features, targets), or None with a one-line warning when the file is unusable."""
    try:
        stored = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # truncated or foreign files fail in many ways, all meaning "rebuild"
        problem = f"corrupt ({type(error).__name__})"
    else:
        problem = None
        if not isinstance(stored, dict) or stored.get("key") != key:
            problem = "stale (its key does not match)"
        else:
            features, targets = stored.get("features"), stored.get("targets")
            valid = (
                isinstance(features, torch.Tensor)
                and isinstance(targets, torch.Tensor)
                and features.dim() == 2
                and targets.dim() == 1
                and len(features) == len(targets) == num_items
            )
            if valid:
                return features, targets
            problem = "corrupt (unexpected shapes)"
    warnings.warn(f"feature cache {path} is {problem} — recomputing it", stacklevel=3)
    return None


def _compute_features(
    extractor: nn.Module,
    dataset: Dataset,
    batch_size: int,
    device: torch.device,
    progress: bool,
    num_workers: int,
    channels_last: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers)
    features, targets = [], []
    with torch.inference_mode():
        for images, labels in tqdm(loader, desc="features", disable=not progress):
            features.append(extractor(to_device(images, device, channels_last)).float().cpu())
            targets.append(torch.as_tensor(labels).long().cpu())
    return torch.cat(features), torch.cat(targets)


def extract_features(
    backbone_or_model: nn.Module,
    dataset: Dataset,
    *,
    layer: str | int | None = None,
    batch_size: int = 64,
    cache_dir: str | Path | None = None,
    device: torch.device | str | None = None,
    progress: bool = True,
    num_workers: int = 0,
    channels_last: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pooled features ``[N, D]`` (float32, CPU) and targets ``[N]`` of every item in ``dataset``.

    ``backbone_or_model`` is a classification model (features = the input of its head)
    or a bare backbone such as ``model.features`` (features = its pooled output).
    ``layer`` picks an earlier block instead, by name (``"features.10"``) or by index into
    :func:`tlhelpers.models.backbone_blocks`. The model runs in eval mode (restored after),
    in channels-last memory format unless ``channels_last=False`` (see :mod:`tlhelpers.train`).
    Results are cached in ``cache_dir`` (default :func:`feature_cache_dir`) when the
    dataset has a ``fingerprint``; a cache hit does not run the model at all.
    """
    model = backbone_or_model
    layer_name = resolve_layer(model, layer)
    fingerprint = getattr(dataset, "fingerprint", None)
    path = key = None
    if fingerprint is None:
        warnings.warn(
            f"{type(dataset).__name__} has no `fingerprint`, so its features are not cached — "
            "use a tlhelpers.data dataset or set dataset.fingerprint",
            stacklevel=2,
        )
    else:
        key = cache_key(model, str(fingerprint), layer_name)
        path = Path(cache_dir if cache_dir is not None else feature_cache_dir()) / f"{key}.pt"
        if path.is_file():
            cached = _load_cache(path, key, len(dataset))
            if cached is not None:
                return cached
    device = torch.device(device) if device is not None else model_device(model)
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    with eval_mode(model):
        features, targets = _compute_features(
            FeatureExtractor(model, layer_name), dataset, batch_size, device, progress, num_workers, channels_last
        )
    if path is not None:
        with atomic_path(path) as tmp:
            torch.save({"key": key, "layer": str(layer_name), "features": features, "targets": targets}, tmp)
    return features, targets


class EpochShuffle(Sampler[int]):
    """A fresh order of ``range(num_items)`` on every pass: one ``torch.randperm`` per epoch from ``generator``.

    (torch's ``RandomSampler`` draws a second permutation at the end of each pass, so its
    orders would differ from those of the committed decision-matrix sweep.)
    """

    def __init__(self, num_items: int, generator: torch.Generator) -> None:
        self.num_items = num_items
        self.generator = generator

    def __len__(self) -> int:
        return self.num_items

    def __iter__(self):
        yield from torch.randperm(self.num_items, generator=self.generator).tolist()


def train_linear_head(
    train_features: torch.Tensor,
    train_targets: torch.Tensor,
    val_features: torch.Tensor | None = None,
    val_targets: torch.Tensor | None = None,
    *,
    num_classes: int,
    epochs: int,
    lr: float = 1e-3,
    batch_size: int = 256,
    weight_decay: float = 0.0,
    seed: int = 0,
    progress: bool = True,
) -> tuple[nn.Linear, History]:
    """Train ``nn.Linear(D, num_classes)`` on cached features with AdamW and :func:`tlhelpers.train.fit`.

    The one linear-head trainer of the course: the notebooks, the decision-matrix sweep and
    the benchmarks all call it. ``seed`` fixes the initial weights and the shuffling
    (:class:`EpochShuffle`) without touching the global random state. The trained layer can
    replace the model's head (``model.set_submodule(find_head(model).path, head)``) when its
    input is the head's input.
    """
    with seeded(seed):
        head = nn.Linear(train_features.shape[1], num_classes)
    sampler = EpochShuffle(len(train_features), torch.Generator().manual_seed(seed))
    train_loader = DataLoader(TensorDataset(train_features, train_targets), batch_size=batch_size, sampler=sampler)
    val_loader = None
    if val_features is not None and val_targets is not None:
        val_loader = DataLoader(TensorDataset(val_features, val_targets), batch_size=batch_size)
    optimizer = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=weight_decay)
    history = fit(
        head,
        train_loader,
        val_loader,
        epochs=epochs,
        optimizer=optimizer,
        device="cpu",
        progress=progress,
        channels_last=False,
    )
    return head, history
