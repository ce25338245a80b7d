"""The exercise checkers of notebook 06 · Choosing a pretrained model, one per exercise.

See :mod:`tlhelpers.exercises`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tlhelpers.exercises.checks import (
    CheckerMisuse,
    CheckResult,
    _close_without_value,
    _correct,
    _not_attempted,
    _problem,
    _t,
    _wrong,
    checker,
    is_unanswered,
)


@checker
def check_selection_regret(
    answer: Any, runs: Sequence[dict], draw: tuple[str, int, int], name: str | None = "exercise 2"
) -> CheckResult:
    """06 · 2: accuracy points a linear probe loses in ``draw`` by taking LogME's top candidate instead of the best."""
    from tlhelpers.decision_matrix.selection_results import QUESTIONS, candidates, tau_and_regret

    if is_unanswered(answer):
        return _not_attempted(name)
    scored = candidates(runs, draw, QUESTIONS[0])
    if len(scored) < 2:
        raise CheckerMisuse(f"check_selection_regret: the runs have no scored candidates for {draw}")
    expected = tau_and_regret(scored)[1]
    hint = _t("the candidate with the highest logme, its acc against the highest acc, in points (× 100)")
    return _close_without_value(answer, expected, 0.05, name, hint)


@checker
def check_kendall_tau(kendall_tau: Any, name: str | None = "exercise 3") -> CheckResult:
    """06 · 3: ``kendall_tau(x, y)`` for two lists without ties → (concordant − discordant pairs) / all pairs.

    Checked against hand-made cases and against ``scipy.stats.kendalltau`` on seeded random lists.
    """
    from scipy import stats

    if is_unanswered(kendall_tau):
        return _not_attempted(name)
    if not callable(kendall_tau):
        return _wrong(_t("expected a function, got {type}", type=type(kendall_tau).__name__), None, name)
    rng = np.random.default_rng(0)
    cases = [
        (_t("the same order"), [1, 2, 3], [10, 20, 30]),
        (_t("the reverse order"), [1, 2, 3], [3, 2, 1]),
        (_t("one swapped pair of four"), [1, 2, 3, 4], [1, 3, 2, 4]),
        (_t("two candidates"), [0.5, -1.0], [0.2, 0.9]),
    ]
    cases += [
        (_t("random lists of {n}", n=n), (rng.permutation(n) * 0.1).tolist(), rng.random(n).tolist())
        for n in (5, 9, 12)
    ]
    for label, x, y in cases:
        try:
            tau = kendall_tau(x, y)
        except Exception as error:  # the answer's own code fails
            problem = _t(
                "on {label} it raised {error_type}: {error}", label=label, error_type=type(error).__name__, error=error
            )
            return _wrong(problem, None, name)
        if is_unanswered(tau):
            return _not_attempted(name)
        result = _close_without_value(tau, float(stats.kendalltau(x, y).statistic), 1e-9, None, None)
        if not result:
            return _wrong(
                _t("on {label}: {problem}", label=label, problem=_problem(result)),
                _t(
                    "count the pairs (i < j) whose order agrees in x and y, "
                    "minus those whose order disagrees, over n(n − 1)/2"
                ),
                name,
            )
    return _correct(name)
