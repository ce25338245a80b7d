"""The decision matrix's data: for each dataset, where training images are drawn from and what is held out.

:func:`load_pool` prepares one dataset of :data:`tlhelpers.decision_matrix.config.DATASETS` at its
sweep image size; :func:`draw_split` draws one run's training images (``n_per_class`` of
each class, picked by the seed) and returns them preloaded with the held-out sets.
"""

from __future__ import annotations

from dataclasses import dataclass

from tlhelpers.data import (
    ImageDataset,
    PreloadedDataset,
    fashion_mnist,
    keep_classes,
    per_class_subset,
    preload,
    stamps,
    subset,
    weights_transform,
)
from tlhelpers.decision_matrix.config import (
    CARTOON_CLASSES,
    DATASETS,
    FASHION_MNIST_EVAL_PER_CLASS,
    IMAGE_SIZES,
    MODEL_NAME,
    WEIGHTS_NAME,
)
from tlhelpers.models import get_weights


@dataclass
class Pool:
    """A dataset prepared for the sweep: where training images are drawn from, and the held-out sets."""

    name: str
    train: ImageDataset  # with the evaluation transform; subsets are preloaded per run
    eval_sets: dict[str, PreloadedDataset]  # "eval" first; photos also "cartoons"
    hold_out_rest: bool = False  # cartoons: evaluate on the pool's images not used for training

    @property
    def classes(self) -> list[str]:
        return self.train.classes


def load_pool(name: str, image_size: int | None = None, model: str = MODEL_NAME, weights: str = WEIGHTS_NAME) -> Pool:
    """The training pool and held-out sets of dataset ``name`` (see :data:`DATASETS`), at ``image_size``,
    preprocessed as ``model``'s ``weights`` expect (mean, std, interpolation)."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r} — use one of {list(DATASETS)}")
    transform = weights_transform(get_weights(model, weights), image_size or IMAGE_SIZES[name])
    if name == "photos":
        train = stamps("photo", "train", transform)
        # No hyperparameter is tuned on photos, so validation and test images all measure accuracy.
        everything, used = stamps("photo", "all", transform), set(train.keys)
        evaluation = subset(everything, [i for i, key in enumerate(everything.keys) if key not in used])
        cartoons = stamps("cartoon", "all", transform)
        return Pool(
            name, train, {"eval": preload(evaluation, progress=False), "cartoons": preload(cartoons, progress=False)}
        )
    if name == "cartoons":
        return Pool(name, keep_classes(stamps("cartoon", "all", transform), CARTOON_CLASSES), {}, hold_out_rest=True)
    test = per_class_subset(fashion_mnist("test", transform), FASHION_MNIST_EVAL_PER_CLASS, seed=0)
    return Pool(name, fashion_mnist("train", transform), {"eval": preload(test, progress=False)})


def draw_split(pool: Pool, n_per_class: int, seed: int) -> tuple[PreloadedDataset, dict[str, PreloadedDataset]]:
    """The preloaded training images (``n_per_class`` of each class, picked by ``seed``) and the held-out sets."""
    train = per_class_subset(pool.train, n_per_class, seed)
    eval_sets = dict(pool.eval_sets)
    if pool.hold_out_rest:
        used = set(train.keys)
        rest = subset(pool.train, [i for i, key in enumerate(pool.train.keys) if key not in used])
        eval_sets = {"eval": preload(rest, progress=False)}
    return preload(train, progress=False), eval_sets
