"""The exercise checkers of notebooks 05a (how far from ImageNet) and 05b (the decision matrix), one per exercise.

See :mod:`tlhelpers.exercises`. The docstrings name the exercise as "05a · 1" etc.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from torch import nn

from tlhelpers.exercises.checks import (
    CheckResult,
    _close_without_value,
    _correct,
    _not_attempted,
    _problem,
    _t,
    _wrong,
    check_choice,
    checker,
    is_unanswered,
)


@checker
def check_layers_closer(answer: Any, model: nn.Module, moments: dict, name: str | None = "exercise 1") -> CheckResult:
    """05a · 1: at how many BatchNorm layers the photo stamps are closer to ImageNet than the cartoons."""
    if is_unanswered(answer):
        return _not_attempted(name)
    from tlhelpers import similarity  # lazily: checks stays importable without the similarity stack

    photo, cartoon = (similarity.layer_distances(model, moments[key]) for key in ("photo stamps", "cartoon stamps"))
    if not isinstance(answer, (int, np.integer)) or isinstance(answer, bool):
        return _wrong(_t("expected a count of layers (an int), got {type}", type=type(answer).__name__), None, name)
    if not 0 <= answer <= len(photo):
        return _wrong(_t("there are {total} BatchNorm layers", total=len(photo)), None, name)
    expected = sum(photo[layer] < cartoon[layer] for layer in photo)
    return _close_without_value(
        int(answer), expected, 0, name, _t("count the layers where the photos' distance is smaller")
    )


def _fashion_means(runs: Sequence[dict]) -> dict[tuple[int, str], float]:
    from tlhelpers.decision_matrix.results import summarize  # lazily, as above

    return {
        (row["n_per_class"], row["strategy"]): row["mean"]
        for row in summarize(runs)
        if row["dataset"] == "fashion_mnist"
    }


@checker
def check_crossover(answer: Any, runs: Sequence[dict], name: str | None = "exercise 1") -> CheckResult:
    """05b · 1: the fewest images per class from which fine-tuning stays ahead of feature extraction (Fashion-MNIST)."""
    if is_unanswered(answer):
        return _not_attempted(name)
    means = _fashion_means(runs)
    amounts = sorted({n for n, _ in means})
    if answer not in amounts:
        return _wrong(
            _t("{answer} is not one of the amounts measured", answer=repr(answer)),
            _t("one of {amounts}", amounts=amounts),
            name,
        )
    ahead = [means[(n, "fine_tuning")] > means[(n, "features")] for n in amounts]
    expected = next(n for index, n in enumerate(amounts) if all(ahead[index:]))
    if answer < expected:
        return _wrong(_t("at some amount from {answer} on, fine-tuning is not ahead", answer=answer), None, name)
    if answer > expected:
        return _wrong(_t("fine-tuning is already ahead at every amount from a smaller one on"), None, name)
    return _correct(name)


@checker
def check_farthest_class(
    answer: Any, model: nn.Module, photos: Any, seed: int, name: str | None = "exercise 2"
) -> CheckResult:
    """05a · 2: the photo-stamp class whose similarity score, scored on its own, is the highest (farthest)."""
    if is_unanswered(answer):
        return _not_attempted(name)  # before scoring: the scores take seconds
    from tlhelpers import similarity
    from tlhelpers.data import keep_classes

    def score(class_name: str) -> float:
        return similarity.similarity_score(model, keep_classes(photos, [class_name]), seed=seed)

    return check_choice.__wrapped__(
        answer,
        photos.classes,
        max(photos.classes, key=score),
        name=name,
        hint=_t("a higher score is farther from ImageNet"),
    )


@checker
def check_paired_margin(paired_margin: Any, runs: Sequence[dict], name: str | None = "exercise 2") -> CheckResult:
    """05b · 2: ``paired_margin(runs, dataset, n_per_class, a, b)`` → mean over seeds of a's − b's accuracy, in points.

    Checked on the real runs and on a shuffled copy with one of b's seeds missing (pairs only the common seeds).
    """
    if is_unanswered(paired_margin):
        return _not_attempted(name)
    if not callable(paired_margin):
        return _wrong(_t("expected a function, got {type}", type=type(paired_margin).__name__), None, name)

    def expected(rows: Sequence[dict], a: str, b: str) -> float:
        by_seed = {
            s: {
                r["seed"]: r["acc"]
                for r in rows
                if r["dataset"] == "fashion_mnist" and r["n_per_class"] == 1000 and r["strategy"] == s
            }
            for s in (a, b)
        }
        seeds = sorted(set(by_seed[a]) & set(by_seed[b]))
        return 100 * float(np.mean([by_seed[a][seed] - by_seed[b][seed] for seed in seeds]))

    point = [row for row in runs if row["dataset"] == "fashion_mnist" and row["n_per_class"] == 1000]
    dropped = next(row for row in point if row["strategy"] == "features")
    shuffled = [row for row in reversed(runs) if row is not dropped]
    cases = (
        (_t("the real runs"), runs, "fine_tuning", "features"),
        (_t("the real runs, a and b swapped"), runs, "features", "fine_tuning"),
        (_t("runs in another order with one of b's seeds missing"), shuffled, "fine_tuning", "features"),
    )
    for label, rows, a, b in cases:
        try:
            margin = paired_margin(rows, "fashion_mnist", 1000, a, b)
        except Exception as error:  # the answer's own code fails
            problem = _t(
                "on {label} it raised {error_type}: {error}", label=label, error_type=type(error).__name__, error=error
            )
            return _wrong(problem, None, name)
        if is_unanswered(margin):
            return _not_attempted(name)
        result = _close_without_value(margin, expected(rows, a, b), 1e-6, None, None)
        if not result:
            return _wrong(
                _t("on {label}: {problem}", label=label, problem=_problem(result)),
                _t("pair the runs by seed; points are 100 × accuracy"),
                name,
            )
    return _correct(name)


@checker
def check_farther_at_64(
    answer: Any, model: nn.Module, weights: Any, seed: int, name: str | None = "exercise 3"
) -> CheckResult:
    """05a · 3: of the photo stamps and section 2's Fashion-MNIST images, the one farther from ImageNet at 64 px."""
    if is_unanswered(answer):
        return _not_attempted(name)  # before scoring: the scores take seconds
    from tlhelpers import similarity
    from tlhelpers.data import fashion_mnist, per_class_subset, stamps, weights_transform

    small = weights_transform(weights, 64)
    scores = {
        "photo stamps": similarity.similarity_score(model, stamps("photo", "all", small), seed=seed),
        "Fashion-MNIST": similarity.similarity_score(
            model, per_class_subset(fashion_mnist("test", small), 8, seed=seed), seed=seed
        ),
    }
    return check_choice.__wrapped__(
        answer, list(scores), max(scores, key=scores.get), name=name, hint=_t("a higher score is farther from ImageNet")
    )


@checker
def check_rule_outcome(
    answer: Any, runs: Sequence[dict], dataset: str, n_per_class: int, name: str | None = "exercise 3"
) -> CheckResult:
    """05b · 3: the rule's word for fine-tuning against feature extraction (last layer) at one point of the sweep."""
    if is_unanswered(answer):
        return _not_attempted(name)
    from tlhelpers.decision_matrix.results import OUTCOMES, margin_between, point_runs

    found = point_runs(runs, dataset, n_per_class)
    expected = margin_between(found["fine_tuning"], found["features"]).outcome
    return check_choice.__wrapped__(
        answer,
        list(OUTCOMES),
        expected,
        name=name,
        hint=_t("compare the interval with zero and with ±2 points, as section 4 does"),
    )
