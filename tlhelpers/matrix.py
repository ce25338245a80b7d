"""The decision matrix, measured: which way of reusing a pretrained CNN wins, for how much data of what kind.

The lecture's rule of thumb crosses two questions — is the data similar to ImageNet, and is
there enough of it? — and names a strategy for each of the four answers. This module
measures it on the course's offline data:

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
Fine-tuning trains every weight but keeps BatchNorm's ImageNet statistics, as Keras'
transfer-learning guide advises (a pilot on held-out training images agreed). Feature
extraction runs the frozen backbone once over the training images instead of at every
step — that is the strategy, and its wall time says so.

Accuracy is the mean of the per-class accuracies on held-out images (balanced accuracy),
so that a class with many test images does not dominate. Each point is repeated over
seeds; a seed picks both the training images and the initial weights.

The cartoon set is tiny (26 images; flower 1, vegetable 0): it enters honestly, as a
three-class problem (bird, fruit, mammal) with at most 3 training images per class, the
rest held out; and as an evaluation domain for models trained on photos (``cartoon_acc``).

    python -m tlhelpers.matrix              # the full sweep → notebooks/results/decision_matrix.json
    python -m tlhelpers.matrix --reduced    # the notebook's reduced sweep, printed, nothing written

    # reproduce the committed file: same command, another output, then compare point by point
    python -m tlhelpers.matrix --threads 1 --output /tmp/again.json
    python -m tlhelpers.matrix --compare /tmp/again.json
"""

from __future__ import annotations

import argparse
import copy
import datetime
import json
import math
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from tlhelpers import assets
from tlhelpers.data import (
    ImageDataset,
    PreloadedDataset,
    fashion_mnist,
    make_loader,
    per_class_subset,
    preload,
    stamps,
    subset,
    weights_transform,
)
from tlhelpers.features import extract_features
from tlhelpers.models import freeze_backbone, get_model, get_weights, replace_head
from tlhelpers.train import fit, param_groups, predict

RESULTS_PATH = assets.REPO_ROOT / "notebooks" / "results" / "decision_matrix.json"
MODEL_NAME = "mobilenet_v2"
WEIGHTS_NAME = "IMAGENET1K_V1"
EARLY_BLOCK = "features.14"  # first block of the last stage; chosen on Fashion-MNIST's validation split

STRATEGIES = {
    "scratch": "from scratch",
    "features": "feature extraction (last layer)",
    "early_features": f"feature extraction ({EARLY_BLOCK})",
    "fine_tuning": "fine-tuning (all layers)",
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
    """One dataset's share of a sweep: which amounts (images per class), seeds and strategies."""

    dataset: str
    amounts: tuple[int, ...]
    seeds: tuple[int, ...]
    strategies: tuple[str, ...] = tuple(STRATEGIES)


FULL_SWEEP = (
    SweepPart("photos", (1, 2, 5, 10), (0, 1, 2)),
    SweepPart("cartoons", (1, 2, 3), (0, 1, 2, 3, 4)),
    SweepPart("fashion_mnist", (1, 5, 10, 20, 50, 100, 200, 500, 1000), (0, 1, 2)),
)
# The notebook's live check: seed 0 of the two "scarce" quadrants, within a minute of CPU. Training
# whole networks on 128-px photos (fine-tuning, from scratch) takes longer and is left out there;
# from scratch is at chance at 5 images per class in every run of the full sweep anyway.
REDUCED_SWEEP = (
    SweepPart("photos", (5,), (0,), ("features", "early_features")),
    SweepPart("fashion_mnist", (5,), (0,), ("features", "early_features", "fine_tuning")),
)

# The 2×2 matrix: which measured point stands for each quadrant of the rule of thumb.
QUADRANTS = {
    ("scarce", "similar"): ("photos", 5),
    ("scarce", "dissimilar"): ("fashion_mnist", 5),
    ("enough", "similar"): ("photos", 10),  # all the photos there are per class
    ("enough", "dissimilar"): ("fashion_mnist", 1000),
}
RULE_OF_THUMB = {
    ("scarce", "similar"): ("features",),
    ("scarce", "dissimilar"): ("early_features",),  # "not recommended"; CS231n: a linear classifier on earlier features
    ("enough", "similar"): ("features",),
    ("enough", "dissimilar"): ("fine_tuning",),
}


# --- data ------------------------------------------------------------------------------------------


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


def keep_classes(dataset: ImageDataset, classes: Sequence[str]) -> ImageDataset:
    """The items of ``classes`` only, relabelled 0…len(classes)-1 in that order."""
    kept = [i for i, target in enumerate(dataset.targets) if dataset.classes[target] in classes]
    chosen = subset(dataset, kept)
    chosen.classes = list(classes)
    chosen.targets = [list(classes).index(dataset.classes[dataset.targets[i]]) for i in kept]
    return chosen


def load_pool(name: str, image_size: int | None = None) -> Pool:
    """The training pool and held-out sets of dataset ``name`` (see :data:`DATASETS`), at ``image_size``."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r} — use one of {list(DATASETS)}")
    transform = weights_transform(get_weights(MODEL_NAME, WEIGHTS_NAME), image_size or IMAGE_SIZES[name])
    if name == "photos":
        train = stamps("photo", "train", transform)
        # No hyperparameter is tuned on photos, so validation and test images all measure accuracy.
        everything, used = stamps("photo", "all", transform), set(train.keys)
        evaluation = subset(everything, [i for i, key in enumerate(everything.keys) if key not in used])
        cartoons = stamps("cartoon", "all", transform)
        return Pool(name, train, {"eval": preload(evaluation), "cartoons": preload(cartoons)})
    if name == "cartoons":
        return Pool(name, keep_classes(stamps("cartoon", "all", transform), CARTOON_CLASSES), {}, hold_out_rest=True)
    test = per_class_subset(fashion_mnist("test", transform), FASHION_MNIST_EVAL_PER_CLASS, seed=0)
    return Pool(name, fashion_mnist("train", transform), {"eval": preload(test)})


def draw_split(pool: Pool, n_per_class: int, seed: int) -> tuple[PreloadedDataset, dict[str, PreloadedDataset]]:
    """The preloaded training images (``n_per_class`` of each class, picked by ``seed``) and the held-out sets."""
    train = per_class_subset(pool.train, n_per_class, seed)
    eval_sets = dict(pool.eval_sets)
    if pool.hold_out_rest:
        used = set(train.keys)
        rest = subset(pool.train, [i for i, key in enumerate(pool.train.keys) if key not in used])
        eval_sets = {"eval": preload(rest)}
    return preload(train), eval_sets


# --- metrics ---------------------------------------------------------------------------------------


def balanced_accuracy(targets: Sequence[int] | torch.Tensor, predictions: Sequence[int] | torch.Tensor) -> float:
    """Mean over the classes present in ``targets`` of the fraction of their images predicted right."""
    targets, predictions = torch.as_tensor(targets).long(), torch.as_tensor(predictions).long()
    recalls = [(predictions[targets == c] == c).float().mean().item() for c in targets.unique().tolist()]
    return float(np.mean(recalls))


# --- the strategies --------------------------------------------------------------------------------


def _seeded(seed: int, build: Callable[[], nn.Module]) -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def train_network(
    model: nn.Module,
    train: PreloadedDataset,
    budget: Budget,
    seed: int,
    optimizer: torch.optim.Optimizer,
) -> nn.Module:
    """Train a whole network with :func:`tlhelpers.train.fit` for the budget's number of epochs."""
    loader = make_loader(train, batch_size=budget.batch_size, shuffle=True, seed=seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # dropout
        fit(model, loader, epochs=budget.num_epochs(len(train)), optimizer=optimizer, device="cpu", progress=False)
    return model


def network_predictions(model: nn.Module, dataset: PreloadedDataset) -> tuple[torch.Tensor, torch.Tensor]:
    probabilities, targets = predict(model, make_loader(dataset, batch_size=256))
    return probabilities.argmax(dim=1), targets


def train_linear(
    features: torch.Tensor, targets: torch.Tensor, num_classes: int, budget: Budget, seed: int
) -> nn.Linear:
    """A linear head on cached features, with the same steps, batch size and learning rate as the networks' heads."""
    generator = torch.Generator().manual_seed(seed)
    head = _seeded(seed, lambda: nn.Linear(features.shape[1], num_classes))
    optimizer = torch.optim.Adam(head.parameters(), lr=budget.lr)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(budget.num_epochs(len(features))):
        order = torch.randperm(len(features), generator=generator)
        for start in range(0, len(features), budget.batch_size):
            batch = order[start : start + budget.batch_size]
            loss = loss_fn(head(features[batch]), targets[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return head.eval()


@dataclass
class Context:
    """What runs share: the pretrained model (never modified) and features of the held-out sets."""

    pretrained: nn.Module
    cache_dir: str
    eval_features: dict = field(default_factory=dict)

    def features(self, dataset: PreloadedDataset, layer: str | None, cache: bool) -> tuple[torch.Tensor, torch.Tensor]:
        key = (dataset.fingerprint, layer)
        if cache and key in self.eval_features:
            return self.eval_features[key]
        result = extract_features(self.pretrained, dataset, layer=layer, cache_dir=self.cache_dir, progress=False)
        if cache:
            self.eval_features[key] = result
        return result


def run_strategy(
    strategy: str,
    train: PreloadedDataset,
    eval_sets: dict[str, PreloadedDataset],
    budget: Budget,
    seed: int,
    context: Context,
) -> dict[str, float]:
    """Train one strategy on ``train``; its balanced accuracy on each held-out set, and the training seconds."""
    num_classes = len(train.classes)
    start = time.perf_counter()
    if strategy in ("features", "early_features"):
        layer = EARLY_BLOCK if strategy == "early_features" else None
        features, targets = context.features(train, layer, cache=False)
        head = train_linear(features, targets, num_classes, budget, seed)
        seconds = time.perf_counter() - start
        scores = {}
        for name, dataset in eval_sets.items():
            eval_features, eval_targets = context.features(dataset, layer, cache=True)
            with torch.inference_mode():
                scores[name] = balanced_accuracy(eval_targets, head(eval_features).argmax(dim=1))
        return {"seconds": seconds, **scores}
    if strategy == "fine_tuning":
        model = copy.deepcopy(context.pretrained)
        _seeded(seed, lambda: replace_head(model, num_classes))
        freeze_backbone(model)  # BatchNorm statistics stay ImageNet's (small batches would make them noisy) …
        for parameter in model.parameters():
            parameter.requires_grad = True  # … while every weight trains
        optimizer = torch.optim.Adam(param_groups(model, head_lr=budget.lr, backbone_lr=budget.backbone_lr))
    elif strategy == "scratch":
        model = _seeded(seed, lambda: get_model(MODEL_NAME, weights=None, num_classes=num_classes))
        optimizer = torch.optim.Adam(model.parameters(), lr=budget.lr)
    else:
        raise ValueError(f"unknown strategy {strategy!r} — use one of {list(STRATEGIES)}")
    train_network(model, train, budget, seed, optimizer)
    seconds = time.perf_counter() - start
    scores = {}
    for name, dataset in eval_sets.items():
        predictions, targets = network_predictions(model, dataset)
        scores[name] = balanced_accuracy(targets, predictions)
    return {"seconds": seconds, **scores}


# --- the sweep -------------------------------------------------------------------------------------


def run_sweep(
    parts: Sequence[SweepPart] = FULL_SWEEP,
    budget: Budget = Budget(),
    progress: Callable[[str], None] | None = print,
) -> list[dict]:
    """Every (dataset, images per class, seed, strategy) of ``parts``: one row each, with accuracies and seconds."""
    rows = []
    pretrained = get_model(MODEL_NAME, WEIGHTS_NAME).eval()
    with tempfile.TemporaryDirectory(prefix="tlhelpers-matrix-") as cache_dir:
        context = Context(pretrained, cache_dir)
        for part in parts:
            pool = load_pool(part.dataset)
            for n_per_class in part.amounts:
                for seed in part.seeds:
                    train, eval_sets = draw_split(pool, n_per_class, seed)
                    for strategy in part.strategies:
                        result = run_strategy(strategy, train, eval_sets, budget, seed, context)
                        row = {
                            "dataset": part.dataset, "n_per_class": n_per_class, "seed": seed, "strategy": strategy,
                            "acc": result["eval"], "seconds": result["seconds"],
                            "num_train": len(train), "epochs": budget.num_epochs(len(train)),
                            "steps": budget.num_steps(len(train)),
                        }  # fmt: skip
                        if "cartoons" in result:
                            row["cartoon_acc"] = result["cartoons"]
                        rows.append(row)
                        if progress:
                            progress(f"{part.dataset:>13} n={n_per_class:<4} seed={seed} {strategy:<14} "
                                     f"acc={row['acc']:.3f} ({row['seconds']:.1f} s)")  # fmt: skip
    return rows


# --- summaries -------------------------------------------------------------------------------------


def summarize(rows: Sequence[dict], key: str = "acc") -> list[dict]:
    """Mean and standard deviation over seeds of ``key`` per (dataset, n_per_class, strategy)."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        if key in row:
            groups.setdefault((row["dataset"], row["n_per_class"], row["strategy"]), []).append(row)
    summary = []
    for (dataset, n_per_class, strategy), members in groups.items():
        values = np.array([member[key] for member in members])
        summary.append({
            "dataset": dataset, "n_per_class": n_per_class, "strategy": strategy,
            "mean": float(values.mean()), "std": float(values.std()), "num_seeds": len(values),
            "seconds": float(np.mean([member["seconds"] for member in members])),
        })  # fmt: skip
    return summary


def point_rows(rows: Sequence[dict], dataset: str, n_per_class: int) -> dict[str, dict[int, float]]:
    """``{strategy: {seed: accuracy}}`` of one point of the sweep."""
    found: dict[str, dict[int, float]] = {}
    for row in rows:
        if row["dataset"] == dataset and row["n_per_class"] == n_per_class:
            found.setdefault(row["strategy"], {})[row["seed"]] = row["acc"]
    if not found:
        raise KeyError(f"no runs of {dataset} with {n_per_class} images per class in these results")
    return found


@dataclass
class Verdict:
    """The measured winner at one point, and by how much it beats the runner-up (paired over seeds)."""

    dataset: str
    n_per_class: int
    winner: str
    runner_up: str
    winner_acc: float
    margin: float  # mean over seeds of winner − runner-up, in accuracy (0–1)
    margin_std: float
    means: dict[str, float]

    @property
    def clear(self) -> bool:
        """True when the margin is larger than its spread over seeds (else: a tie within noise)."""
        return self.margin > self.margin_std


def verdict(rows: Sequence[dict], dataset: str, n_per_class: int) -> Verdict:
    """Who wins at (dataset, n_per_class): highest mean accuracy, margin paired seed by seed."""
    by_strategy = point_rows(rows, dataset, n_per_class)
    means = {strategy: float(np.mean(list(accs.values()))) for strategy, accs in by_strategy.items()}
    ranked = sorted(means, key=lambda strategy: (-means[strategy], list(STRATEGIES).index(strategy)))
    winner, runner_up = ranked[0], ranked[1]
    seeds = sorted(set(by_strategy[winner]) & set(by_strategy[runner_up]))
    differences = np.array([by_strategy[winner][s] - by_strategy[runner_up][s] for s in seeds])
    return Verdict(dataset, n_per_class, winner, runner_up, means[winner],
                   float(differences.mean()), float(differences.std()), means)  # fmt: skip


def learning_curves(rows: Sequence[dict], key: str = "acc") -> dict[str, dict[str, tuple[list, list, list]]]:
    """``{dataset name: {strategy name: (images per class, mean, std)}}``, ready for ``plot_learning_curves``."""
    curves: dict[str, dict[str, tuple[list, list, list]]] = {}
    summary = sorted(summarize(rows, key), key=lambda row: row["n_per_class"])
    for dataset in DATASETS:
        for strategy in STRATEGIES:
            points = [row for row in summary if row["dataset"] == dataset and row["strategy"] == strategy]
            if points:
                curves.setdefault(DATASETS[dataset], {})[STRATEGIES[strategy]] = (
                    [row["n_per_class"] for row in points], [row["mean"] for row in points],
                    [row["std"] for row in points],
                )  # fmt: skip
    return curves


def quadrant_verdicts(rows: Sequence[dict]) -> dict[tuple[str, str], Verdict]:
    """The measured :class:`Verdict` of each quadrant of :data:`QUADRANTS`."""
    return {quadrant: verdict(rows, dataset, n) for quadrant, (dataset, n) in QUADRANTS.items()}


def results_table(rows: Sequence[dict], key: str = "acc") -> str:
    """Every point as text: one line per (dataset, images per class), mean ± std in % for each strategy."""
    summary = {(row["dataset"], row["n_per_class"], row["strategy"]): row for row in summarize(rows, key)}
    points = sorted({(dataset, n) for dataset, n, _ in summary}, key=lambda p: (list(DATASETS).index(p[0]), p[1]))
    header = f"{'dataset':<14}{'n/class':>8}" + "".join(f"{name:>16}" for name in STRATEGIES)
    lines = [header]
    for dataset, n in points:
        cells = []
        for strategy in STRATEGIES:
            row = summary.get((dataset, n, strategy))
            cells.append(f"{100 * row['mean']:9.0f} ± {100 * row['std']:2.0f}" if row else f"{'—':>14}")
        lines.append(f"{dataset:<14}{n:>8}" + "".join(f"{cell:>16}" for cell in cells))
    return "\n".join(lines)


# --- reproducing the committed file ---------------------------------------------------------------


def compare_runs(new_rows: Sequence[dict], reference_rows: Sequence[dict], min_tolerance: float = 0.02) -> list[dict]:
    """Each (dataset, images per class, strategy) point of ``new_rows`` against ``reference_rows``.

    A point is *within the spread* when its new mean over seeds lies within ``max(2 × the reference's
    std over seeds, min_tolerance)`` of the reference mean (the tolerance floor covers points whose
    seeds happened to agree exactly). ``identical`` counts the seeds whose accuracy came back
    exactly (same code, seed, CPU and thread count give the same numbers).
    """
    reference = {(r["dataset"], r["n_per_class"], r["strategy"]): r for r in summarize(reference_rows)}
    by_seed = {(r["dataset"], r["n_per_class"], r["strategy"], r["seed"]): r["acc"] for r in reference_rows}
    compared = []
    for row in summarize(new_rows):
        point = (row["dataset"], row["n_per_class"], row["strategy"])
        if point not in reference:
            raise KeyError(f"{point} is not in the reference results — were they made by another sweep?")
        ref = reference[point]
        seeds = [r for r in new_rows if (r["dataset"], r["n_per_class"], r["strategy"]) == point]
        tolerance = max(2 * ref["std"], min_tolerance)
        compared.append({
            "dataset": point[0], "n_per_class": point[1], "strategy": point[2],
            "mean": row["mean"], "reference_mean": ref["mean"], "reference_std": ref["std"],
            "within": abs(row["mean"] - ref["mean"]) <= tolerance,
            "identical": sum(by_seed.get(point + (r["seed"],)) == r["acc"] for r in seeds), "seeds": len(seeds),
        })  # fmt: skip
    return compared


def comparison_report(compared: Sequence[dict]) -> str:
    """The comparison as text: points outside the spread listed, then one line of totals."""
    lines = [f"{'point':<24}{'strategy':<16}{'new':>6}{'committed':>16}  identical seeds"]
    for row in compared:
        if not row["within"]:
            lines.append(f"{row['dataset'] + ' ' + str(row['n_per_class']) + '/class':<24}{row['strategy']:<16}"
                         f"{100 * row['mean']:5.1f}%{100 * row['reference_mean']:9.1f} ± {100 * row['reference_std']:3.1f}"
                         f"  {row['identical']}/{row['seeds']}  OUTSIDE")  # fmt: skip
    within = sum(row["within"] for row in compared)
    identical, seeds = sum(row["identical"] for row in compared), sum(row["seeds"] for row in compared)
    lines.append(f"{within} of {len(compared)} points within the committed spread; "
                 f"{identical} of {seeds} runs identical to the committed ones")  # fmt: skip
    return "\n".join(lines)


# --- the results file ------------------------------------------------------------------------------


def environment() -> dict[str, str | int]:
    """Versions and hardware, for the record."""
    import torchvision

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {
        "python": platform.python_version(), "torch": torch.__version__, "torchvision": torchvision.__version__,
        "numpy": np.__version__, "platform": platform.platform(), "cpu": cpu, "cpu_count": os.cpu_count() or 0,
        "torch_threads": torch.get_num_threads(),
    }  # fmt: skip


def write_results(path: str | Path, rows: list[dict], similarity: dict, budget: Budget, parts: Sequence[SweepPart],
                  command: str, wall_seconds: float) -> None:  # fmt: skip
    """The committed results file: the runs, the similarity references and how they were produced."""
    record = {
        "about": {
            "command": command,
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "wall_seconds": round(wall_seconds, 1),
            "environment": environment(),
            "model": f"{MODEL_NAME} {WEIGHTS_NAME}",
            "budget": asdict(budget),
            "image_sizes": IMAGE_SIZES,
            "early_block": EARLY_BLOCK,
            "sweep": [asdict(part) for part in parts],
            "metric": "balanced accuracy (mean of per-class accuracies) on held-out images",
        },
        "similarity": similarity,
        "runs": rows,
    }
    with assets.atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def load_results(path: str | Path = RESULTS_PATH) -> dict:
    """The committed results of the full sweep (see :func:`main`)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found — run `python -m tlhelpers.matrix` to produce it")
    return json.loads(path.read_text(encoding="utf-8"))


def reference_similarity(num_subsets: int = 20, progress: bool = True) -> dict[str, dict]:
    """The similarity score of each dataset of the sweep: mean ± std over random subsets of SCORE_IMAGES images."""
    from tlhelpers import similarity

    model = get_model(MODEL_NAME, WEIGHTS_NAME).eval()
    transform = weights_transform(get_weights(MODEL_NAME, WEIGHTS_NAME))  # the weights' own crop size
    sources = {
        "photos": stamps("photo", "all", transform),
        "cartoons": stamps("cartoon", "all", transform),
        "fashion_mnist": per_class_subset(fashion_mnist("test", transform), 16, seed=0),
    }
    layer = similarity.last_batchnorm_layer(model)
    references = {}
    for name, dataset in sources.items():
        moments = similarity.activation_moments(model, dataset, [layer], progress=progress)
        mean, std, _ = similarity.score_spread(model, moments, similarity.SCORE_IMAGES, num_subsets)
        references[name] = {
            "score": round(mean, 4), "std": round(std, 4), "num_images": len(dataset),
            "subset_size": min(similarity.SCORE_IMAGES, len(dataset)), "num_subsets": num_subsets,
        }  # fmt: skip
    return references


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reduced", action="store_true", help="run the notebook's reduced sweep and only print it")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH, help=f"results file (default {RESULTS_PATH})")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's own choice)")
    parser.add_argument("--compare", type=Path, metavar="NEW", default=None,
                        help=f"only compare the results file NEW with the committed {RESULTS_PATH.name} (exit 1 if a point "
                             "falls outside the committed spread)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.compare:
        compared = compare_runs(load_results(args.compare)["runs"], load_results(RESULTS_PATH)["runs"])
        print(comparison_report(compared))
        return 0 if all(row["within"] for row in compared) else 1
    if args.threads:
        torch.set_num_threads(args.threads)
    parts = REDUCED_SWEEP if args.reduced else FULL_SWEEP
    budget = Budget()
    start = time.perf_counter()
    rows = run_sweep(parts, budget)
    if args.reduced:
        return 0
    similarity_references = reference_similarity()
    command = "python -m tlhelpers.matrix" + "".join(f" {arg}" for arg in (argv if argv is not None else sys.argv[1:]))
    write_results(args.output, rows, similarity_references, budget, parts, command, time.perf_counter() - start)
    print(f"wrote {args.output} ({len(rows)} runs, {time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
