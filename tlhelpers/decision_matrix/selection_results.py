"""Reading the model-selection results: did the transferability scores rank the candidates as training did?

The sweep's model-selection part (``python -m tlhelpers.decision_matrix.sweep --selection``, ``make selection``)
writes ``notebooks/results/model_selection.json``: for each dataset, images per class and seed
(a *draw*: the same training images for every candidate), each backbone's linear probe on its
last layer and on an earlier block — rows that carry the scores of their training features
(``logme``, ``h_score``; ``leep`` at the last layer) — and each backbone fine-tuned whole.

A *question* (:data:`QUESTIONS`) says which candidates a score has to order and by which
measured accuracy. In each draw, Kendall's τ between the score and the accuracy over the
candidates (``scipy.stats.kendalltau``, τ-b: 1 = same order, −1 = reversed; with two candidates
it is ±1: right or wrong), and the *regret*: accuracy points lost by taking the top-scored
candidate instead of the best one. Like :mod:`tlhelpers.decision_matrix.results`, no torch here.

    python -m tlhelpers.decision_matrix.selection_results notebooks/results/model_selection.json
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from tlhelpers.decision_matrix.config import DATASETS, MODEL_NAME
from tlhelpers.decision_matrix.results import load_results, mean_interval

LAYERS = {"features": "last layer", "early_features": "earlier block"}


@dataclass(frozen=True)
class Question:
    """Order these candidates by this score; the truth is this strategy's measured accuracy."""

    score: str  # a row key: "logme", "leep", "h_score"
    target: str  # "linear probe" (the candidates' own layers) or "fine-tuning" (whole backbones)
    layers: tuple[str, ...]  # which feature rows are candidates: "features", "early_features"

    @property
    def label(self) -> str:
        what = "backbone × layer" if len(self.layers) > 1 else "backbone"
        return f"{self.score} → {self.target} ({what})"


QUESTIONS = (
    Question("logme", "linear probe", ("features", "early_features")),
    Question("logme", "fine-tuning", ("features",)),
    Question("leep", "linear probe", ("features",)),
    Question("leep", "fine-tuning", ("features",)),
)


def model_of(row: dict) -> str:
    return row.get("model", MODEL_NAME)


def draws(rows: Sequence[dict]) -> list[tuple[str, int, int]]:
    """The (dataset, images per class, seed) of every draw that has scored rows, in file order."""
    found = {(r["dataset"], r["n_per_class"], r["seed"]): None for r in rows if "logme" in r}
    return list(found)


def candidates(rows: Sequence[dict], draw: tuple[str, int, int], question: Question) -> list[tuple[str, float, float]]:
    """(candidate name, score, measured accuracy) of every candidate of ``question`` in ``draw``."""
    mine = [r for r in rows if (r["dataset"], r["n_per_class"], r["seed"]) == draw]
    tuned = {model_of(r): r["acc"] for r in mine if r["strategy"] == "fine_tuning"}
    found = []
    for row in mine:
        if row["strategy"] not in question.layers or question.score not in row:
            continue
        name = f"{model_of(row)} {LAYERS[row['strategy']]}"
        if question.target == "fine-tuning":
            if model_of(row) not in tuned:
                continue
            found.append((model_of(row), row[question.score], tuned[model_of(row)]))
        else:
            found.append((name, row[question.score], row["acc"]))
    return found


def score_accuracy_points(rows: Sequence[dict], question: Question) -> dict[str, dict[str, tuple[list, list]]]:
    """``{point: {candidate: (scores, accuracies)}}``, each relative to its draw's mean over the candidates.

    A score compares candidates on the same images only, so each draw is centred on its own mean
    (the order within a draw, which τ judges, is unchanged). For
    :func:`tlhelpers.plots.plot_scores_vs_accuracy`.
    """
    panels: dict[str, dict[str, tuple[list, list]]] = {}
    for draw in draws(rows):
        scored = candidates(rows, draw, question)
        if len(scored) < 2:
            continue
        mean_score = float(np.mean([score for _, score, _ in scored]))
        mean_accuracy = float(np.mean([accuracy for _, _, accuracy in scored]))
        panel = panels.setdefault(f"{DATASETS[draw[0]]}, {draw[1]}/class", {})
        for name, score, accuracy in scored:
            scores, accuracies = panel.setdefault(name, ([], []))
            scores.append(score - mean_score)
            accuracies.append(accuracy - mean_accuracy)
    return panels


def tau_and_regret(scored: Sequence[tuple[str, float, float]]) -> tuple[float, float]:
    """Kendall's τ-b between scores and accuracies (0 when either is constant), and the regret in points."""
    scores = [score for _, score, _ in scored]
    accuracies = [acc for _, _, acc in scored]
    tau = stats.kendalltau(scores, accuracies).statistic if len(scored) > 1 else math.nan
    tau = 0.0 if math.isnan(tau) else float(tau)
    picked = accuracies[int(np.argmax(scores))]
    return tau, 100 * (max(accuracies) - picked)


def selection_table(rows: Sequence[dict], questions: Sequence[Question] = QUESTIONS) -> list[dict]:
    """Per question and per point (dataset, images per class): τ and regret over seeds; then over all draws."""
    table = []
    for question in questions:
        per_draw = {}
        for draw in draws(rows):
            scored = candidates(rows, draw, question)
            if len(scored) > 1:
                per_draw[draw] = tau_and_regret(scored)
        points = {(dataset, n): [] for dataset, n, _ in per_draw}
        for (dataset, n, _), values in per_draw.items():
            points[(dataset, n)].append(values)
        for point, values in [*points.items(), (("all", 0), list(per_draw.values()))]:
            taus = [tau for tau, _ in values]
            table.append(
                {
                    "question": question.label,
                    "dataset": point[0],
                    "n_per_class": point[1],
                    "draws": len(values),
                    "tau": float(np.mean(taus)),
                    "tau_min": min(taus),
                    "tau_max": max(taus),
                    "tau_interval": mean_interval(taus),
                    "regret": float(np.mean([r for _, r in values])),
                    "right": sum(r == 0 for _, r in values),
                }
            )
    return table


def selection_report(rows: Sequence[dict]) -> str:
    """The table as text: one block per question, one line per point and one over all draws."""
    lines, question = [], None
    for entry in selection_table(rows):
        if entry["question"] != question:
            question = entry["question"]
            lines.append(question)
        if entry["dataset"] == "all":
            low, high = entry["tau_interval"]
            where, spread = f"all {entry['draws']} draws", f"95 % CI {low:+.2f} to {high:+.2f}"
        else:
            where = f"{DATASETS[entry['dataset']]} {entry['n_per_class']}/class"
            spread = f"seeds {entry['tau_min']:+.2f} to {entry['tau_max']:+.2f}"
        lines.append(
            f"  {where:<26} τ {entry['tau']:+.2f} ({spread}); best picked in {entry['right']}/{entry['draws']}, "
            f"regret {entry['regret']:.1f} points"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "results", type=Path, help="the results of `python -m tlhelpers.decision_matrix.sweep --selection`"
    )
    args = parser.parse_args(argv)
    try:
        print(selection_report(load_results(args.results)["runs"]))
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
