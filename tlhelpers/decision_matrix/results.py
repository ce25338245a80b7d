"""Reading the decision-matrix results: summaries over seeds, verdicts, learning curves, reruns compared.

The sweep (:mod:`tlhelpers.decision_matrix.sweep`) writes one JSON file: ``about`` (how it was produced),
``similarity`` (each dataset's similarity score) and ``runs`` (one row per dataset, images
per class, seed and strategy, with its balanced accuracy and seconds). Everything here
works on those rows and imports no torch, so the notebook, the advisor and a quick look at
a results file stay light.

    python -m tlhelpers.decision_matrix.results notebooks/results/decision_matrix.json                  # the table
    python -m tlhelpers.decision_matrix.results build/again.json --compare notebooks/results/decision_matrix.json
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from tlhelpers.decision_matrix.config import DATASETS, QUADRANTS, RECIPE_VARIANTS, RULES, SHORT_NAMES, STRATEGIES


def load_results(path: str | Path) -> dict:
    """A results file written by :mod:`tlhelpers.decision_matrix.sweep`, as a dict.

    The dict has ``about``, ``similarity`` and ``runs``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found — run `python -m tlhelpers.decision_matrix.sweep --output {path}` to produce it"
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not a results file ({type(error).__name__}) — rerun the sweep") from None


def summarize(rows: Sequence[dict], key: str = "acc") -> list[dict]:
    """Mean and sample standard deviation (ddof=1) over seeds of ``key`` per (dataset, n_per_class, strategy)."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        if key in row:
            groups.setdefault((row["dataset"], row["n_per_class"], row["strategy"]), []).append(row)
    summary = []
    for (dataset, n_per_class, strategy), members in groups.items():
        values = np.array([member[key] for member in members])
        summary.append(
            {
                "dataset": dataset,
                "n_per_class": n_per_class,
                "strategy": strategy,
                "mean": float(values.mean()),
                "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
                "num_seeds": len(values),
                "seconds": float(np.mean([member["seconds"] for member in members])),
            }
        )
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


CONFIDENCE = 0.95  # of the interval on a paired margin
TIE_MARGIN = 0.02  # two strategies tie when the whole interval of their margin lies within ± this (2 points)
# Why 2 points: it is the smallest difference the course acts on. A strategy that costs ten times more (fine-tuning
# against a cached-feature probe) is not worth a gain smaller than that, and below it the margins of the course's
# measurements move by as much from one seed to the next (typical spread of a margin over seeds: 1-3 points).

OUTCOMES = ("clear", "tie", "undecided")


def mean_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Student's t-interval of the mean of ``values`` (sample std, ddof=1); infinite with fewer than 2.

    Written out as the notebooks state it (mean ± t × std / √n); tests/test_results.py holds it equal to
    SciPy's ``stats.ttest_1samp(values, 0).confidence_interval(confidence)``.
    """
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return (-math.inf, math.inf)
    half = stats.t.ppf(0.5 + confidence / 2, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
    return (float(values.mean() - half), float(values.mean() + half))


def paired_interval(differences: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The t-interval of the mean of paired differences (one per seed): :func:`mean_interval` of them.

    It measures how much the *training* moves the margin on the held-out images at hand; :func:`margin_between`
    adds the noise of the held-out images themselves.
    """
    return mean_interval(differences, confidence)


def outcome(interval: tuple[float, float], tie_margin: float = TIE_MARGIN) -> str:
    """The rule's word for a margin (winner − runner-up) with this interval: one of :data:`OUTCOMES`.

    - **tie**: the whole interval lies within ± ``tie_margin`` — the two are equal for every purpose the
      margin serves (even if one is reliably ahead by less than that);
    - **clear**: otherwise, the interval lies above zero — the winner is ahead;
    - **undecided**: otherwise — the interval is too wide to say either (it reaches below zero and past the
      tie margin). "Undecided" is not "equal": more seeds or more held-out images would decide it.
    """
    low, high = interval
    if -tie_margin <= low and high <= tie_margin:
        return "tie"
    if low > 0:
        return "clear"
    return "undecided"


def _class_balanced_mean(values: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean([values[labels == label].mean() for label in np.unique(labels)]))


def test_set_error(correct_a: np.ndarray, correct_b: np.ndarray, labels: np.ndarray) -> float:
    """Standard error, over the held-out images, of a balanced-accuracy margin measured on one set of images.

    ``correct_a``/``correct_b``: ``[seeds, images]`` of 0/1 (each image right or wrong, per seed); ``labels``:
    each image's class. Each image's difference is averaged over the seeds first; the margin is the mean over
    classes of its mean over the class's images, so its variance is the sum over classes of (variance of the
    class's image differences / its number of images), divided by the number of classes squared.
    """
    per_image = (np.asarray(correct_a, dtype=float) - np.asarray(correct_b, dtype=float)).mean(axis=0)
    classes = np.unique(labels)
    variance = 0.0
    for label in classes:
        members = per_image[labels == label]
        if len(members) > 1:
            variance += members.var(ddof=1) / len(members)
    return math.sqrt(variance) / len(classes)


@dataclass
class Margin:
    """One strategy's accuracy minus another's at one point, paired seed by seed, with the rule's interval.

    The interval adds two sources of noise in quadrature: the **seeds** (Student's t-interval of the per-seed
    differences: how much training randomness moves the margin) and, when every seed was scored on the same
    held-out images, the **held-out images** (normal interval from :func:`test_set_error`: how much the margin
    would move on another draw of images like them). When each seed held out its own images (the cartoons),
    the spread over seeds already contains the images' noise and only the t-interval is used.
    """

    margin: float  # mean over seeds, in accuracy (0–1)
    interval: tuple[float, float]  # the CONFIDENCE interval of the margin: seeds and held-out images
    seed_interval: tuple[float, float]  # the t-interval over seeds alone (the training's noise)
    test_error: float | None  # standard error from the held-out images; None when not separable (see above)
    num_seeds: int
    num_images: int | None  # held-out images per seed (None: rows without image-level results)
    differences: tuple[float, ...]  # per seed

    @property
    def outcome(self) -> str:
        """ "clear", "tie" or "undecided": :func:`outcome` of the interval, taken for whichever of the two leads.

        For a negative margin (``b`` ahead) the interval is mirrored first, so "clear" means that the one ahead
        is clearly ahead.
        """
        low, high = self.interval
        return outcome((low, high) if self.margin >= 0 else (-high, -low))

    def text(self) -> str:
        """E.g. "+4 (95 % CI −3 to +11; 3 seeds × 66 images)" — in points."""
        low, high = (100 * value for value in self.interval)
        images = f" × {self.num_images} images" if self.num_images else ""
        interval = f"{100 * CONFIDENCE:.0f} % CI {low:+.0f} to {high:+.0f}"
        return f"{100 * self.margin:+.0f} ({interval}; {self.num_seeds} seeds{images})"


def margin_between(rows_a: Sequence[dict], rows_b: Sequence[dict]) -> Margin:
    """``a`` minus ``b``: two strategies' rows at one point (one row per seed; seeds both have are paired).

    Rows that carry the held-out images one by one (``correct``, ``labels``, ``held_out``, written by the sweep)
    get the images' noise added to the interval (:class:`Margin`); rows without them get the seeds' alone.
    """
    by_seed_a, by_seed_b = {row["seed"]: row for row in rows_a}, {row["seed"]: row for row in rows_b}
    seeds = sorted(set(by_seed_a) & set(by_seed_b))
    if not seeds:
        raise KeyError("the two sets of rows share no seed")
    differences = np.array([by_seed_a[s]["acc"] - by_seed_b[s]["acc"] for s in seeds])
    seed_low, seed_high = paired_interval(differences)
    mean = float(differences.mean())
    pairs = [(by_seed_a[s], by_seed_b[s]) for s in seeds]
    test_error, num_images = None, None
    if all("correct" in a and "correct" in b for a, b in pairs):
        held_out = {row["held_out"] for pair in pairs for row in pair}
        num_images = len(pairs[0][0]["correct"])
        if len(held_out) == 1:  # the same images for every seed: their noise is not in the seeds' spread
            correct_a = np.array([[int(c) for c in a["correct"]] for a, _ in pairs])
            correct_b = np.array([[int(c) for c in b["correct"]] for _, b in pairs])
            labels = np.array([int(c, 36) for c in pairs[0][0]["labels"]])
            test_error = test_set_error(correct_a, correct_b, labels)
    half_seeds = (seed_high - seed_low) / 2 if len(seeds) > 1 else math.inf
    half_images = stats.norm.ppf(0.5 + CONFIDENCE / 2) * test_error if test_error is not None else 0.0
    half = math.hypot(half_seeds, half_images)
    return Margin(
        mean,
        (mean - half, mean + half),
        (seed_low, seed_high),
        test_error,
        len(seeds),
        num_images,
        tuple(float(d) for d in differences),
    )


@dataclass
class Verdict:
    """The measured winner at one point, and by how much it beats the runner-up (paired seed by seed).

    **The rule, used everywhere a winner is named** (tables, heatmap, advisor, text): the margin of the winner
    over the runner-up gets a 95 % interval that includes both the seeds' and the held-out images' noise
    (:func:`margin_between`), and :func:`outcome` names it: **clear** (the interval lies above zero),
    **tie** (it lies within ±2 points, :data:`TIE_MARGIN`) or **undecided** (neither: it cannot tell).
    """

    dataset: str
    n_per_class: int
    winner: str
    runner_up: str
    winner_acc: float
    compared: Margin  # winner − runner-up
    means: dict[str, float]

    @property
    def margin(self) -> float:
        return self.compared.margin

    @property
    def interval(self) -> tuple[float, float]:
        return self.compared.interval

    @property
    def num_seeds(self) -> int:
        return self.compared.num_seeds

    @property
    def clear(self) -> bool:
        """True when the winner is clearly ahead (the rule's "clear")."""
        return self.outcome == "clear"

    @property
    def outcome(self) -> str:
        """ "clear", "tie" or "undecided": the rule's word for this point."""
        return self.compared.outcome

    def margin_text(self) -> str:
        """The margin in points with its interval, e.g. "+4 (95 % CI +1 to +7; 3 seeds × 66 images)"."""
        return self.compared.text()


def point_runs(rows: Sequence[dict], dataset: str, n_per_class: int) -> dict[str, list[dict]]:
    """``{strategy: [row per seed]}`` of one point of the sweep."""
    found: dict[str, list[dict]] = {}
    for row in rows:
        if row["dataset"] == dataset and row["n_per_class"] == n_per_class:
            found.setdefault(row["strategy"], []).append(row)
    if not found:
        raise KeyError(f"no runs of {dataset} with {n_per_class} images per class in these results")
    return found


def verdict(rows: Sequence[dict], dataset: str, n_per_class: int, among: Sequence[str] | None = None) -> Verdict:
    """Who wins at (dataset, n_per_class) — among ``among`` (default: every strategy run there).

    Highest mean accuracy; the margin over the runner-up is paired seed by seed (seeds both have).
    """
    by_strategy = point_runs(rows, dataset, n_per_class)
    if among is not None:
        by_strategy = {strategy: found for strategy, found in by_strategy.items() if strategy in among}
        if len(by_strategy) < 2:
            raise KeyError(f"fewer than two of {list(among)} were run on {dataset} with {n_per_class} images per class")
    means = {strategy: float(np.mean([row["acc"] for row in found])) for strategy, found in by_strategy.items()}
    order = [*STRATEGIES, *RECIPE_VARIANTS]
    ranked = sorted(means, key=lambda strategy: (-means[strategy], order.index(strategy)))
    winner, runner_up = ranked[0], ranked[1]
    return Verdict(
        dataset,
        n_per_class,
        winner,
        runner_up,
        means[winner],
        margin_between(by_strategy[winner], by_strategy[runner_up]),
        means,
    )


def rule_outcome(rows: Sequence[dict], dataset: str, n_per_class: int, picks: Sequence[str]) -> tuple[str, Verdict]:
    """Did a rule that recommends ``picks`` hold at this point? One of "held", "tie", "failed", "undecided".

    *held*: a pick won clearly. *tie*: the best pick and the best of the rest tie (within ±2 points).
    *failed*: another strategy beat every pick clearly. *undecided*: the measurement cannot tell.
    The verdict returned is the duel that decided.
    """
    best = verdict(rows, dataset, n_per_class)
    if best.winner in picks:
        return {"clear": "held", "tie": "tie", "undecided": "undecided"}[best.outcome], best
    pick = max(picks, key=lambda strategy: best.means.get(strategy, -math.inf))
    duel = verdict(rows, dataset, n_per_class, among=(best.winner, pick))
    return {"clear": "failed", "tie": "tie", "undecided": "undecided"}[duel.outcome], duel


claim_outcome = rule_outcome  # the names the committed notebooks call


def learning_curves(rows: Sequence[dict], key: str = "acc") -> dict[str, dict[str, tuple[list, list, list]]]:
    """``{dataset name: {strategy name: (images per class, mean, std)}}``, ready for ``plot_learning_curves``."""
    curves: dict[str, dict[str, tuple[list, list, list]]] = {}
    summary = sorted(summarize(rows, key), key=lambda row: row["n_per_class"])
    for dataset in DATASETS:
        for strategy in STRATEGIES:
            points = [row for row in summary if row["dataset"] == dataset and row["strategy"] == strategy]
            if points:
                curves.setdefault(DATASETS[dataset], {})[STRATEGIES[strategy]] = (
                    [row["n_per_class"] for row in points],
                    [row["mean"] for row in points],
                    [row["std"] for row in points],
                )
    return curves


def quadrant_verdicts(rows: Sequence[dict]) -> dict[tuple[str, str], Verdict]:
    """The measured :class:`Verdict` of each quadrant of :data:`QUADRANTS`."""
    return {quadrant: verdict(rows, dataset, n) for quadrant, (dataset, n) in QUADRANTS.items()}


def rules_table(rows: Sequence[dict]) -> str:
    """Each quadrant: its point, the winner with its margin and the rule's word, and each source's claim held or not."""
    table = [["quadrant", "point", "measured winner", "margin over runner-up", *(f"{name} claim" for name in RULES)]]
    for quadrant, (dataset, n) in QUADRANTS.items():
        found = verdict(rows, dataset, n)
        cells = []
        for rule in RULES.values():
            outcome_word, _ = rule_outcome(rows, dataset, n, rule[quadrant])
            cells.append(f"{' / '.join(SHORT_NAMES[s] for s in rule[quadrant])}: {outcome_word}")
        table.append(
            [
                ", ".join(quadrant),
                f"{DATASETS[dataset]}, {n}/class",
                STRATEGIES[found.winner],
                f"{found.margin_text()}: {found.outcome}",
                *cells,
            ]
        )
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in table)


claims_table = rules_table


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


# --- a rerun against a reference ------------------------------------------------------------------


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
        compared.append(
            {
                "dataset": point[0],
                "n_per_class": point[1],
                "strategy": point[2],
                "mean": row["mean"],
                "reference_mean": ref["mean"],
                "reference_std": ref["std"],
                "within": abs(row["mean"] - ref["mean"]) <= tolerance,
                "identical": sum(by_seed.get(point + (r["seed"],)) == r["acc"] for r in seeds),
                "seeds": len(seeds),
            }
        )
    return compared


def comparison_report(compared: Sequence[dict]) -> str:
    """The comparison as text: points outside the spread listed, then one line of totals."""
    lines = [f"{'point':<24}{'strategy':<16}{'new':>6}{'committed':>16}  identical seeds"]
    for row in compared:
        if not row["within"]:
            lines.append(
                f"{row['dataset'] + ' ' + str(row['n_per_class']) + '/class':<24}{row['strategy']:<16}"
                f"{100 * row['mean']:5.1f}%{100 * row['reference_mean']:9.1f} ± {100 * row['reference_std']:3.1f}"
                f"  {row['identical']}/{row['seeds']}  OUTSIDE"
            )
    within = sum(row["within"] for row in compared)
    identical, seeds = sum(row["identical"] for row in compared), sum(row["seeds"] for row in compared)
    lines.append(
        f"{within} of {len(compared)} points within the committed spread; "
        f"{identical} of {seeds} runs identical to the committed ones"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path, help="a results file of `python -m tlhelpers.decision_matrix.sweep`")
    parser.add_argument(
        "--compare",
        type=Path,
        metavar="REFERENCE",
        default=None,
        help="compare RESULTS point by point with the REFERENCE file (exit 1 if a point "
        "falls outside the reference's spread)",
    )
    args = parser.parse_args(argv)
    try:
        runs = load_results(args.results)["runs"]
        if args.compare is None:
            print(results_table(runs))
            return 0
        compared = compare_runs(runs, load_results(args.compare)["runs"])
    except (FileNotFoundError, ValueError, KeyError) as error:
        print(f"error: {error}", flush=True)
        return 2
    print(comparison_report(compared))
    return 0 if all(row["within"] for row in compared) else 1


if __name__ == "__main__":
    raise SystemExit(main())
