"""Where does my dataset fall? A strategy for your own images, read off the measured decision matrix.

    # a folder laid out as path/to/images/<class>/<image>.jpg, and the committed sweep's results
    python -m tlhelpers.decision_matrix.advise path/to/images --results notebooks/results/decision_matrix.json

:func:`advise` reads the folder with :func:`tlhelpers.data.image_folder` (unusable files are
skipped and counted), counts the images per class, scores the folder's similarity to
ImageNet (:mod:`tlhelpers.similarity`, on :data:`~tlhelpers.similarity.SCORE_IMAGES`
images, as the references were) and places it among the reference datasets of the
sweep (:mod:`tlhelpers.decision_matrix.sweep`, read with :mod:`tlhelpers.decision_matrix.results`).
The advice is what *won the measurement* at the nearest measured point: the reference dataset
with the closest score among those measured at your number of images per class, at the nearest
amount (on a log scale); when the reference nearest in similarity was not measured that far,
the report says so. The winner is advised when it won clearly under
:class:`tlhelpers.decision_matrix.results.Verdict`'s rule; when the top two tie (the 95 % interval of the
margin lies within ±2 points) the cheaper of the two is advised, and when the measurement is undecided (the
interval is too wide to say) the report says so and suggests starting with the cheaper. The folder's image
sizes are reported, with a warning when
they are much smaller than the size the score is taken at.

The advice is a starting point, not a verdict: the references are three small datasets and
one model, and your own validation set has the last word.

Which backbone, and which layer? ``--models`` ranks every backbone × layer (the last layer and
the earlier block the course measured) by a transferability score of your labelled images
(:func:`rank_backbones`, :mod:`tlhelpers.selection`) — the score whose ranking agreed best with
measured accuracy in the course's own measurement (``notebooks/results/model_selection.json``,
:mod:`tlhelpers.decision_matrix.selection_results`), printed with that agreement (Kendall's τ):

    python -m tlhelpers.decision_matrix.advise path/to/images --models mobilenet_v2,efficientnet_lite0
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from torch import nn

from tlhelpers.assets import AssetError
from tlhelpers.data import ImageFolderError, count_per_class, image_folder, per_class_subset, weights_transform
from tlhelpers.decision_matrix.config import BACKBONES, DATASETS, IMAGE_SIZES, MODEL_NAME, STRATEGIES, WEIGHTS_NAME
from tlhelpers.decision_matrix.results import TIE_MARGIN, Verdict, load_results, summarize, verdict
from tlhelpers.decision_matrix.selection_results import QUESTIONS, selection_table
from tlhelpers.models import get_model, get_weights
from tlhelpers.selection import SCORES, rank_candidates
from tlhelpers.similarity import SCORE_IMAGES, similarity_score

SCORE_SIZE_PX = 224  # the weights' own crop size, at which the similarity score is taken
SMALL_IMAGE_PX = 64  # images with a shorter side below this get a warning


@dataclass
class Advice:
    """What :func:`advise` found and recommends; ``str(advice)`` is the printed report."""

    root: str
    counts: dict[str, int]
    skipped: int
    score: float
    scored_images: int
    references: dict[str, float]  # reference dataset → its score
    images_per_class: int  # the median count over classes
    reference: str  # the reference dataset the advice is read from
    measured_n: int  # its measured amount nearest to images_per_class
    strategy: str  # a key of tlhelpers.decision_matrix.config.STRATEGIES
    reason: str  # one line
    verdict: Verdict
    sizes: list[tuple[int, int]] = field(default_factory=list)  # (width, height) of every image, as stored

    @property
    def size_summary(self) -> str:
        """The folder's image sizes in one line, with a warning when they are much smaller than the score's."""
        if not self.sizes:
            return "image sizes: unknown"
        short_sides = sorted(min(size) for size in self.sizes)
        median = short_sides[len(short_sides) // 2]
        widths, heights = sorted(w for w, _ in self.sizes), sorted(h for _, h in self.sizes)
        line = (
            f"image sizes: median {widths[len(widths) // 2]} × {heights[len(heights) // 2]} px, shorter side "
            f"{short_sides[0]}–{short_sides[-1]} px"
        )
        if median < SMALL_IMAGE_PX:
            line += (
                f"\n  warning: most images are under {SMALL_IMAGE_PX} px; the score resizes to {SCORE_SIZE_PX} px and "
                f"the sweep trained at {min(IMAGE_SIZES.values())}–{max(IMAGE_SIZES.values())} px, "
                "so these are upscaled many times — read the placement with care, and validate on your own split"
            )
        return line

    @property
    def placement(self) -> str:
        """Where the score sits among the references, in words."""
        ordered = sorted(self.references.items(), key=lambda item: item[1])
        nearest = min(ordered, key=lambda item: abs(item[1] - self.score))[0]
        if round(self.references[nearest], 2) == round(self.score, 2):  # equal as printed
            return f"level with {DATASETS[nearest]}"
        below = [name for name, score in ordered if score <= self.score]
        above = [name for name, score in ordered if score > self.score]
        if not below:
            where = f"closer to ImageNet than {DATASETS[above[0]]}"
        elif not above:
            where = f"farther from ImageNet than {DATASETS[below[-1]]}"
        else:
            where = f"between {DATASETS[below[-1]]} and {DATASETS[above[0]]}"
        return f"{where}; nearest: {DATASETS[nearest]}"

    def __str__(self) -> str:
        width = max(len(name) for name in self.counts)
        lines = [
            f"folder: {self.root} — {len(self.counts)} classes, {sum(self.counts.values())} images"
            + (f" ({self.skipped} files skipped)" if self.skipped else "")
        ]
        lines += [f"  {name:<{width}}  {count:>6}" for name, count in self.counts.items()]
        smallest = min(self.counts.values())
        note = f"; smallest class: {smallest}" if smallest < self.images_per_class else ""
        lines.append(f"images per class: {self.images_per_class} (median{note})")
        lines.append(self.size_summary)
        ordered = sorted(self.references.items(), key=lambda item: item[1])
        scale = " | ".join(f"{DATASETS[name]} {score:.2f}" for name, score in ordered)
        lines.append(
            f"similarity to ImageNet: {self.score:.2f} on {self.scored_images} images "
            "(0 = like ImageNet, larger = farther)"
        )
        lines.append(f"  references: {scale}")
        lines.append(f"  → {self.placement}")
        lines.append(f"recommended: {STRATEGIES[self.strategy]}")
        lines.append(f"reason: {self.reason}")
        return "\n".join(lines)


def _images(count: int) -> str:
    return f"{count} image" + ("" if count == 1 else "s")


def _percent(value: float) -> str:
    return f"{100 * value:.0f} %"


def choose(results: dict, score: float, images_per_class: int) -> tuple[str, int, str, str, Verdict]:
    """(reference dataset, measured amount, strategy, one-line reason, verdict) for a score and an amount."""
    references = {name: entry["score"] for name, entry in results["similarity"].items()}
    summary = summarize(results["runs"])
    amounts = {name: sorted({row["n_per_class"] for row in summary if row["dataset"] == name}) for name in references}
    amounts = {name: values for name, values in amounts.items() if values}
    if not amounts:
        raise ValueError(
            "the results file has no runs of its reference datasets — run `python -m tlhelpers.decision_matrix.sweep`"
        )
    # The reference nearest in similarity — if it was measured up to (about) this many images per class;
    # otherwise the nearest in similarity among those that were, and the reason says so.
    nearest = min(amounts, key=lambda name: abs(references[name] - score))
    covering = [name for name, values in amounts.items() if values[-1] * 2 >= images_per_class] or list(amounts)
    reference = min(covering, key=lambda name: abs(references[name] - score))
    measured_n = min(amounts[reference], key=lambda n: (abs(math.log(n) - math.log(max(images_per_class, 1))), n))
    found = verdict(results["runs"], reference, measured_n)
    seconds = {
        row["strategy"]: row["seconds"]
        for row in summary
        if row["dataset"] == reference and row["n_per_class"] == measured_n
    }
    if reference == nearest:
        where = f"on {DATASETS[reference]}, the nearest reference, at {_images(measured_n)} per class"
    else:
        where = (
            f"{DATASETS[nearest]} is nearer in similarity but was measured only up to "
            f"{_images(amounts[nearest][-1])} per class; on {DATASETS[reference]}, the nearest reference measured "
            f"at your amount, at {_images(measured_n)} per class"
        )
    means, winner, runner_up = found.means, found.winner, found.runner_up
    versus = (
        f"{STRATEGIES[winner]} {_percent(means[winner])} vs {STRATEGIES[runner_up]} "
        f"{_percent(means[runner_up])}, margin in points {found.margin_text()}"
    )
    cheaper = min((winner, runner_up), key=lambda name: seconds.get(name, math.inf))
    if found.outcome == "clear":
        strategy, reason = winner, f"{where}, it won clearly: {versus}"
    elif found.outcome == "tie":
        strategy = cheaper
        reason = (
            f"{where}, the top two tie — the interval lies within ±{100 * TIE_MARGIN:.0f} points ({versus}); "
            f"{STRATEGIES[strategy]} is cheaper"
        )
    else:
        strategy = cheaper
        reason = (
            f"{where}, the measurement is undecided — the interval reaches both sides of zero and beyond "
            f"±{100 * TIE_MARGIN:.0f} points ({versus}); start with the cheaper, {STRATEGIES[strategy]}, and compare "
            f"the two on your own validation set"
        )
    if measured_n * 2 < images_per_class:
        reason += f" — you have more than the {_images(measured_n)} per class measured there, so also try fine-tuning"
    return reference, measured_n, strategy, reason, found


def advise(
    root: str | Path,
    results: dict | str | Path | None = None,
    model: nn.Module | None = None,
    num_images: int = SCORE_IMAGES,
    seed: int = 0,
) -> Advice:
    """Counts per class, similarity to ImageNet and a measured recommendation for the folder ``root``.

    ``results`` is the sweep's results (a dict, or the path of its file). ``model``
    defaults to the pretrained model the sweep used. Raises
    :class:`~tlhelpers.data.ImageFolderError` for folders that cannot be used.
    """
    weights = get_weights(MODEL_NAME, WEIGHTS_NAME)
    with warnings.catch_warnings(record=True):  # skipped files are counted in the report instead
        warnings.simplefilter("always")
        dataset = image_folder(root, transform=weights_transform(weights))
    counts = count_per_class(dataset)
    if len(counts) < 2:
        raise ImageFolderError(
            f"{root} has one class folder ({next(iter(counts))}); a classifier needs at least two — "
            f"expected {root}/<class_name>/<image>.jpg, e.g. {root}/cats/001.jpg and {root}/dogs/001.jpg"
        )
    if results is None:
        raise ValueError("no sweep results given — pass the committed notebooks/results/decision_matrix.json")
    results = results if isinstance(results, dict) else load_results(results)
    model = model if model is not None else get_model(MODEL_NAME, WEIGHTS_NAME)
    score = similarity_score(model, dataset, num_images=num_images, seed=seed)
    images_per_class = round(statistics.median(counts.values()))
    reference, measured_n, strategy, reason, found = choose(results, score, images_per_class)
    sizes = []
    for source in dataset.sources:  # image headers only: no pixels are decoded
        with Image.open(source) as image:
            sizes.append(image.size)
    return Advice(
        root=str(root),
        counts=counts,
        skipped=len(dataset.skipped),
        score=score,
        scored_images=min(num_images, len(dataset)),
        references={name: entry["score"] for name, entry in results["similarity"].items()},
        images_per_class=images_per_class,
        reference=reference,
        measured_n=measured_n,
        strategy=strategy,
        reason=reason,
        verdict=found,
        sizes=sizes,
    )


RANK_IMAGE_SIZE = 128  # the photos' size in the measurement; also keeps scoring to seconds on a laptop
RANK_PER_CLASS = 100  # images per class scored at most (LogME grows with N: compare candidates on the same images)


@dataclass
class Ranking:
    """Backbone × layer candidates ranked by one score; ``str(ranking)`` is the printed report."""

    candidates: list  # tlhelpers.selection.Candidate, best first
    score: str
    evidence: dict  # the measurement's row (selection_results.selection_table) for the question this answers
    num_images: int
    image_size: int

    def __str__(self) -> str:
        tau, low, high = self.evidence["tau"], *self.evidence["tau_interval"]
        lines = [
            f"backbone × layer, ranked by {SCORES[self.score]} on {self.num_images} of your images at "
            f"{self.image_size} px (higher is better):"
        ]
        for rank, candidate in enumerate(self.candidates, 1):
            values = "  ".join(f"{name} {candidate.scores[name]:+.3f}" for name in SCORES if name in candidate.scores)
            lines.append(f"  {rank}. {candidate.model:<20} {candidate.layer:<12} {values}")
        lines.append(
            f"why {self.score}: in the course's measurement its order agreed best with the accuracy of a linear "
            f"probe: Kendall's τ {tau:+.2f} (95 % CI {low:+.2f} to {high:+.2f}) over {self.evidence['draws']} "
            f"draws; it picked the best candidate in {self.evidence['right']} of them"
        )
        lines.append(
            "caveat: a score ranks candidates on the same images, nothing more; two datasets and two backbones "
            "measured it — train the top two and let your validation set decide"
        )
        return "\n".join(lines)


def rank_backbones(
    root: str | Path,
    models: Sequence[str],
    selection: dict | str | Path,
    per_class: int = RANK_PER_CLASS,
    image_size: int = RANK_IMAGE_SIZE,
    seed: int = 0,
) -> Ranking:
    """Rank each of ``models`` at its last layer and at its measured earlier block on the folder ``root``.

    The score is the one with the highest measured τ among those that rank layers too
    (:data:`tlhelpers.decision_matrix.selection_results.QUESTIONS`, read from the ``selection`` results).
    """
    selection = selection if isinstance(selection, dict) else load_results(selection)
    layered = [q for q in QUESTIONS if len(q.layers) > 1]
    overall = {
        entry["question"]: entry for entry in selection_table(selection["runs"], layered) if entry["dataset"] == "all"
    }
    if not overall:
        raise ValueError("the model-selection results have no scored runs — run `make selection`")
    question = max(layered, key=lambda q: overall[q.label]["tau"])
    early = {model: block for model, _, block in BACKBONES}

    def load(name: str):
        weights = get_weights(name, WEIGHTS_NAME)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # skipped files: the matrix advice counts them
            folder = image_folder(root, transform=weights_transform(weights, image_size))
        smallest = min(count_per_class(folder).values())
        return get_model(name, weights).eval(), per_class_subset(folder, min(per_class, smallest), seed)

    if not models:
        raise ValueError("no models given — e.g. --models mobilenet_v2,efficientnet_lite0")
    chosen = [(name, layer) for name in models for layer in ([None, early[name]] if name in early else [None])]
    ranked = rank_candidates(chosen, load, by=question.score)
    return Ranking(ranked, question.score, overall[question.label], ranked[0].num_images, image_size)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", help="folder laid out as PATH/<class_name>/<image>")
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help=(
            "results of `python -m tlhelpers.decision_matrix.sweep` "
            "(the course's: notebooks/results/decision_matrix.json)"
        ),
    )
    parser.add_argument("--images", type=int, default=SCORE_IMAGES, help="images to score (default: %(default)s)")
    parser.add_argument(
        "--models",
        default=None,
        help="also rank these backbones × layers for your labels, comma-separated "
        "(e.g. mobilenet_v2,efficientnet_lite0)",
    )
    parser.add_argument(
        "--selection",
        type=Path,
        default=Path("notebooks/results/model_selection.json"),
        help="results of `make selection` that say which score to trust (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    try:
        if args.results is not None or args.models is None:
            print(advise(args.path, args.results, num_images=args.images))
        if args.models is not None:
            models = [name.strip() for name in args.models.split(",") if name.strip()]
            print(rank_backbones(args.path, models, args.selection))
    except (ImageFolderError, AssetError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
