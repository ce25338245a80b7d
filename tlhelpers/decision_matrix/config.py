"""The decision-matrix experiment, as configuration: what is measured, on what, under which budget.

The lecture's rule of thumb crosses two questions — is the data similar to ImageNet, and is
there enough of it? — and names a strategy for each of the four answers. The sweep
(:mod:`tlhelpers.decision_matrix.sweep`) measures it on the course's offline data:

* similarity: the photo stamps (ImageNet-like photographs), the cartoon stamps (the same
  kinds of things, drawn) and Fashion-MNIST (28-px greyscale clothes, unlike ImageNet);
* amount: learning curves over training images per class;
* strategies (:data:`STRATEGIES`): a MobileNetV2 trained from scratch; feature extraction
  (a linear head on the frozen backbone's last features); feature extraction from an
  earlier block (:data:`EARLY_BLOCK`, CS231n's advice for scarce, dissimilar data); and
  fine-tuning every layer of the pretrained network.

The same budget rule holds for every strategy (:class:`Budget`): the same training images,
image size, batch size and number of optimizer steps (``epochs`` passes over the data, but
at least ``min_steps`` steps), Adam with fixed learning rates (new layers 1e-3, pretrained
layers 1e-4), no augmentation, no early stopping, nothing tuned on the evaluation images.
Fine-tuning trains every weight but keeps BatchNorm's ImageNet statistics
(:func:`tlhelpers.models.freeze_batchnorm_statistics`), as Keras' transfer-learning guide
advises (a pilot on held-out training images agreed). Feature extraction runs the frozen
backbone once over the training images instead of at every step — that is the strategy,
and its wall time says so.

Accuracy is the mean of the per-class accuracies on held-out images (balanced accuracy),
so that a class with many test images does not dominate. Each point is repeated over
seeds; a seed picks both the training images and the initial weights.

The cartoon set is tiny (26 images; flower 1, vegetable 0): it enters honestly, as a
three-class problem (bird, fruit, mammal) with at most 3 training images per class, the
rest held out; and as an evaluation domain for models trained on photos (``cartoon_acc``).

This module is plain data — no torch — so that reading results (:mod:`tlhelpers.decision_matrix.results`)
never imports the training stack.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MODEL_NAME = "mobilenet_v2"
WEIGHTS_NAME = "IMAGENET1K_V1"
EARLY_BLOCK = "features.14"  # first block of the last stage; chosen on Fashion-MNIST's validation split

STRATEGIES = {
    "scratch": "from scratch",
    "features": "feature extraction (last layer)",
    "early_features": f"feature extraction ({EARLY_BLOCK})",
    "fine_tuning": "fine-tuning (all layers)",
}

SHORT_NAMES = {
    "scratch": "from scratch",
    "features": "feature extraction",
    "early_features": "earlier block",
    "fine_tuning": "fine-tuning",
}

DATASETS = {
    "photos": "photo stamps",
    "cartoons": "cartoon stamps (3 classes)",
    "fashion_mnist": "Fashion-MNIST",
}
IMAGE_SIZES = {"photos": 128, "cartoons": 128, "fashion_mnist": 64}
CARTOON_CLASSES = ("bird", "fruit", "mammal")  # the classes with at least 5 cartoons
FASHION_MNIST_EVAL_PER_CLASS = 200  # 2,000 test images: accuracy to about ±1 point


@dataclass(frozen=True)
class Budget:
    """The training budget every strategy gets: same steps, batch size, image size and learning-rate rule."""

    epochs: int = 2
    min_steps: int = 60
    batch_size: int = 32
    lr: float = 1e-3  # new layers: heads, and every layer when training from scratch
    backbone_lr: float = 1e-4  # pretrained layers when fine-tuning

    def num_epochs(self, num_train: int) -> int:
        """Passes over ``num_train`` images: ``epochs``, or more when that gives fewer than ``min_steps`` steps."""
        steps_per_epoch = math.ceil(num_train / self.batch_size)
        return max(self.epochs, math.ceil(self.min_steps / steps_per_epoch))

    def num_steps(self, num_train: int) -> int:
        return self.num_epochs(num_train) * math.ceil(num_train / self.batch_size)


@dataclass(frozen=True)
class SweepPart:
    """One dataset's share of a sweep: which amounts (images per class), seeds and strategies — and, for a
    control, another image size (0: the dataset's own, :data:`IMAGE_SIZES`) or another budget (None: the sweep's);
    for model selection, which pretrained backbones and whether to score their features."""

    dataset: str
    amounts: tuple[int, ...]
    seeds: tuple[int, ...]
    strategies: tuple[str, ...] = tuple(STRATEGIES)
    image_size: int = 0
    budget: Budget | None = None
    models: tuple[tuple[str, str, str], ...] = (
        (MODEL_NAME, WEIGHTS_NAME, EARLY_BLOCK),
    )  # (model, weights, earlier block)
    scores: bool = False  # feature extraction also scores its features (model selection, notebook 06)


FULL_SWEEP = (
    SweepPart("photos", (1, 2, 5, 10), (0, 1, 2)),
    SweepPart("cartoons", (1, 2, 3), (0, 1, 2, 3, 4)),
    SweepPart("fashion_mnist", (1, 5, 10, 20, 50, 100, 200, 500, 1000), (0, 1, 2)),
    # The four points that stand for the quadrants (QUADRANTS) get seven more seeds of the pretrained
    # strategies: with 3 seeds the 95 % t-interval of a paired margin is ± 4.3 × std / √3, and no
    # winner there was clear. From scratch keeps its 3 seeds (it is 50–70 points behind at those points).
    SweepPart("photos", (5, 10), tuple(range(3, 10)), ("features", "early_features", "fine_tuning")),
    SweepPart("fashion_mnist", (5, 1000), tuple(range(3, 10)), ("features", "early_features", "fine_tuning")),
)
# The notebook's live check: seed 0 of the two "scarce" quadrants, within a minute of CPU. Training
# whole networks on 128-px photos (fine-tuning, from scratch) takes longer and is left out there;
# from scratch is at chance at 5 images per class in every run of the full sweep anyway.
REDUCED_SWEEP = (
    SweepPart("photos", (5,), (0,), ("features", "early_features")),
    SweepPart("fashion_mnist", (5,), (0,), ("features", "early_features", "fine_tuning")),
)

# Variants of the fine-tuning recipe, each changing one of its choices, measured against it under the same
# budget (notebook 04, section 6). They are not strategies of the matrix: `RECIPE_SWEEP` runs them.
RECIPE_VARIANTS = {
    "fine_tuning_bn_updated": ("BatchNorm statistics updated", {"batchnorm": "updated"}),
    "fine_tuning_two_stage": ("two stages, head alone for half", {"head_fraction": 0.5}),
    "fine_tuning_cosine": ("cosine learning-rate schedule", {"cosine": True}),
}
RECIPE_SWEEP = (
    SweepPart("fashion_mnist", (5, 100), tuple(range(5)), ("fine_tuning", *RECIPE_VARIANTS)),
    SweepPart("photos", (5, 10), tuple(range(5)), ("fine_tuning", *RECIPE_VARIANTS)),
)

# Controls for two things the sweep leaves uncontrolled (notebook 05b, section 5): Fashion-MNIST trains at 64 px
# while the photos train at 128 px, and from scratch gets the same number of steps as the pretrained strategies.
SCRATCH_BUDGET = Budget(epochs=10, min_steps=300)  # five times the sweep's steps, the same learning rate
CONTROL_SWEEP = (
    SweepPart("fashion_mnist", (5,), tuple(range(5)), tuple(STRATEGIES), image_size=128),
    SweepPart("fashion_mnist", (5, 1000), (0, 1, 2), ("scratch",), budget=SCRATCH_BUDGET),
    SweepPart("photos", (10,), (0, 1, 2), ("scratch",), budget=SCRATCH_BUDGET),
)

# Choosing a pretrained model (notebook 06): two ImageNet backbones, each read at its last layer and at an
# earlier block, scored before training (LogME, LEEP: tlhelpers.transferability) and measured after it (linear
# probe on each layer, fine-tuning of the whole network), at four points of the matrix, 5 seeds.
# EfficientNet-Lite0's earlier block is, like MobileNetV2's, the first block of its second-to-last stage.
LITE0_EARLY_BLOCK = "blocks.5.0"
BACKBONES = ((MODEL_NAME, WEIGHTS_NAME, EARLY_BLOCK), ("efficientnet_lite0", "IMAGENET1K_V1", LITE0_EARLY_BLOCK))
SELECTION_STRATEGIES = ("features", "early_features", "fine_tuning")
SELECTION_SWEEP = (
    SweepPart("fashion_mnist", (5, 100), tuple(range(5)), SELECTION_STRATEGIES, models=BACKBONES, scores=True),
    SweepPart("photos", (5, 10), tuple(range(5)), SELECTION_STRATEGIES, models=BACKBONES, scores=True),
)

# The 2×2 matrix: which measured point stands for each quadrant of the rule of thumb.
QUADRANTS = {
    ("scarce", "similar"): ("photos", 5),
    ("scarce", "dissimilar"): ("fashion_mnist", 5),
    ("enough", "similar"): ("photos", 10),  # all the photos there are per class
    ("enough", "dissimilar"): ("fashion_mnist", 1000),
}
# What each source claims per quadrant, as the strategies it recommends.
# The lecture (Boostcamp AI Tech, "Model 2 – Pretrained Model"): for scarce, dissimilar data "pretrained use is
# not recommended" — taken literally, a model trained from scratch should do at least as well.
LECTURE_RULE = {
    ("scarce", "similar"): ("features",),
    ("scarce", "dissimilar"): ("scratch",),
    ("enough", "similar"): ("features",),
    ("enough", "dissimilar"): ("fine_tuning",),
}
# CS231n's notes ("Transfer Learning"): small and similar → a linear classifier on the CNN codes; large and
# similar → fine-tune through the full network; small and very different → a linear classifier on features
# from earlier in the network; large and very different → fine-tune through the entire network (from scratch
# is possible, but initialising from pretrained weights is "very often still beneficial").
CS231N_RULE = {
    ("scarce", "similar"): ("features",),
    ("scarce", "dissimilar"): ("early_features",),
    ("enough", "similar"): ("fine_tuning",),
    ("enough", "dissimilar"): ("fine_tuning",),
}
RULES = {"lecture": LECTURE_RULE, "CS231n": CS231N_RULE}
