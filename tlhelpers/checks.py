"""The old import path of :mod:`tlhelpers.exercises.checks`, kept for notebooks already handed out."""

from tlhelpers.exercises.checks import (
    CORRECT,
    NOT_ATTEMPTED,
    WRONG,
    CheckerMisuse,
    CheckResult,
    check_accuracy_near,
    check_choice,
    check_claims,
    check_close,
    check_frozen,
    check_head,
    check_shape,
    check_statements,
    check_value,
    checker,
    is_unanswered,
)

__all__ = [
    "CORRECT",
    "NOT_ATTEMPTED",
    "WRONG",
    "CheckerMisuse",
    "CheckResult",
    "check_accuracy_near",
    "check_choice",
    "check_claims",
    "check_close",
    "check_frozen",
    "check_head",
    "check_shape",
    "check_statements",
    "check_value",
    "checker",
    "is_unanswered",
]
