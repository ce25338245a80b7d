"""Checkers for the notebooks' exercises.

Every checker prints one short line and returns a :class:`CheckResult`, so an exercise left
unanswered still runs clean under nbval:

- ``not attempted yet`` while the answer is ``None``, ``...`` or the stub's own value;
- ``not quite: <what is wrong>`` (a type, a shape, too high / too low, with a hint where one helps);
- ``correct!``.

A checker called wrongly (an argument the exercise's author got wrong, say) *raises*: a broken
exercise fails the test suite instead of telling the student "not quite".

The generic checkers here take the expected value. The exercises' public check cells call the
exercise checkers of :mod:`tlhelpers.exercises` (one module per notebook) instead, which compute what they compare
with from the notebook's own objects and never print it: the check cell next to the stub gives
nothing away. The graded answers (nbgrader's hidden tests) are only in the instructor
versions, ``notebooks/solutions/``. ``name`` prefixes the message when a cell checks several
answers; ``hint`` replaces the default hint.

The messages are in English, or in Korean after ``use_language("ko")`` (:mod:`tlhelpers.exercises.messages`):
each is written once, as an English template for ``_t``.

    answer = ...  # your code here
    check_close(answer, expected=0.25, tol=0.01, name="accuracy")
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from tlhelpers.exercises.messages import _t, localised_name
from tlhelpers.exercises.messages import use_language as use_language  # the Korean notebooks call checks.use_language
from tlhelpers.state import eval_mode, random_state_kept

Status = Literal["not attempted", "wrong", "correct"]

NOT_ATTEMPTED: Status = "not attempted"
WRONG: Status = "wrong"
CORRECT: Status = "correct"

_NO_STUB = object()  # the default for ``stub``: only None and ... count as unanswered


@dataclass(frozen=True)
class CheckResult:
    """The outcome of a check: ``status`` and the one-line ``message`` that was printed.

    ``bool(result)`` is True only when the answer is correct. In Jupyter the result shows
    nothing of its own, because the checker has already printed its message.
    """

    status: Status
    message: str

    def __bool__(self) -> bool:
        return self.status == CORRECT

    def __str__(self) -> str:
        return self.message

    def _ipython_display_(self) -> None:
        # The checker printed the message already; showing it again as Out[] would double it.
        pass


def _prefix(name: str | None) -> str:
    return f"{localised_name(name)}: " if name else ""


def _not_attempted(name: str | None = None) -> CheckResult:
    """Result for an exercise whose stub has not been replaced yet."""
    return CheckResult(NOT_ATTEMPTED, _prefix(name) + _t("not attempted yet — replace the `...` with your answer"))


def _wrong(problem: str, hint: str | None = None, name: str | None = None) -> CheckResult:
    """Result for an answer that is not right: ``problem`` says what, ``hint`` how to fix it."""
    if hint:
        return CheckResult(WRONG, _prefix(name) + _t("not quite: {problem} — hint: {hint}", problem=problem, hint=hint))
    return CheckResult(WRONG, _prefix(name) + _t("not quite: {problem}", problem=problem))


def _correct(name: str | None = None) -> CheckResult:
    """Result for a correct answer."""
    return CheckResult(CORRECT, _prefix(name) + _t("correct!"))


def _problem(result: CheckResult) -> str:
    """What a "not quite" result made without a name or a hint says is wrong, to go into a longer message."""
    before, _, after = _t("not quite: {problem}", problem="\0").partition("\0")
    return result.message.removeprefix(before).removesuffix(after)


def is_unanswered(answer: Any, stub: Any = _NO_STUB) -> bool:
    """True if ``answer`` is None, ``...`` or identical/equal to the exercise's ``stub``."""
    if answer is None or answer is Ellipsis:
        return True
    if stub is _NO_STUB:
        return False
    if answer is stub:
        return True
    try:
        return bool(type(answer) is type(stub) and answer == stub)
    except Exception:  # e.g. arrays, whose == is elementwise
        return False


class CheckerMisuse(TypeError):
    """A checker was called wrongly: the exercise is broken, not the student's answer."""


def checker(function: Callable[..., CheckResult]) -> Callable[..., CheckResult]:
    """Decorate a checker so that it prints its message and leaves every random generator as it found it.

    It does not swallow exceptions: each checker turns what can be wrong with an *answer* into
    a "not quite" result itself, and anything else — a checker called with the wrong
    arguments — must fail loudly, so that a broken exercise fails ``make test``.
    """

    @functools.wraps(function)
    def run_check(*args: Any, **kwargs: Any) -> CheckResult:
        with random_state_kept():  # a check cell never moves the notebook's random streams
            result = function(*args, **kwargs)
        if not isinstance(result, CheckResult):
            raise CheckerMisuse(f"{function.__name__} returned {type(result).__name__}, not a CheckResult")
        print(result.message)
        return result

    return run_check


def _equal(answer: Any, expected: Any) -> bool | None:
    """``answer == expected`` as a bool, or None when the answer cannot be compared at all."""
    try:
        return bool(answer == expected)
    except Exception:  # an answer whose == raises or is elementwise
        return None


# --- generic checks ------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _as_float_array(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=float)


def _compare_close(answer: Any, expected: Any, tol: float, name: str | None, hint: str | None) -> CheckResult:
    try:
        answer_array = _as_float_array(answer)
    except (TypeError, ValueError):
        return _wrong(_t("expected numbers, got {type}", type=type(answer).__name__), hint, name)
    expected_array = _as_float_array(expected)
    if answer_array.shape != expected_array.shape:
        return _wrong(
            _t("expected shape {expected}, got {shape}", expected=expected_array.shape, shape=answer_array.shape),
            hint,
            name,
        )
    if np.isnan(answer_array).any():
        return _wrong(_t("the answer contains NaN"), hint, name)
    difference = answer_array - expected_array
    off = np.abs(difference) > tol
    if not off.any():
        return _correct(name)
    if answer_array.ndim == 0:
        value = f"{answer_array.item():.4g}"
        too = _t("{value} is too high", value=value) if difference > 0 else _t("{value} is too low", value=value)
        return _wrong(too, hint, name)
    first = tuple(int(i) for i in np.argwhere(off)[0])
    problem = _t(
        "{wrong} of {total} values are off, the first at index {index}",
        wrong=int(off.sum()),
        total=off.size,
        index=first,
    )
    return _wrong(problem, hint, name)


@checker
def check_close(
    answer: Any,
    expected: Any,
    tol: float = 1e-6,
    name: str | None = None,
    hint: str | None = None,
    stub: Any = _NO_STUB,
) -> CheckResult:
    """Correct if the number (or array, tensor) ``answer`` is within ``tol`` of ``expected`` everywhere."""
    if is_unanswered(answer, stub):
        return _not_attempted(name)
    return _compare_close(answer, expected, tol, name, hint)


@checker
def check_value(
    answer: Any,
    expected: Any,
    tol: float | None = None,
    name: str | None = None,
    hint: str | None = None,
    stub: Any = _NO_STUB,
) -> CheckResult:
    """Correct if ``answer`` equals ``expected``.

    Text ignores surrounding spaces and case; lists and tuples compare item by item;
    numbers, arrays and tensors compare within ``tol`` (default: exact up to rounding).
    """
    if is_unanswered(answer, stub):
        return _not_attempted(name)
    if tol is not None or isinstance(expected, (np.ndarray, torch.Tensor)):
        return _compare_close(answer, expected, tol or 0.0, name, hint)
    if isinstance(expected, str):
        if not isinstance(answer, str):
            return _wrong(_t("expected text, got {type}", type=type(answer).__name__), hint, name)
        if answer.strip().lower() == expected.strip().lower():
            return _correct(name)
        return _wrong(_t("{answer} is not the answer", answer=repr(answer)), hint, name)
    if isinstance(expected, (list, tuple)):
        if not isinstance(answer, (list, tuple)):
            problem = _t(
                "expected a list of {length} items, got {type}", length=len(expected), type=type(answer).__name__
            )
            return _wrong(problem, hint, name)
        if len(answer) != len(expected):
            return _wrong(
                _t("expected {expected} items, got {actual}", expected=len(expected), actual=len(answer)), hint, name
            )
        mismatches = [i for i, (a, e) in enumerate(zip(answer, expected)) if not _equal(a, e)]
        if mismatches:
            count = len(mismatches)
            counted = _t("{number} position" if count == 1 else "{number} positions", number=count)
            problem = _t("mismatch at {counted}, the first is {first}", counted=counted, first=mismatches[0])
            return _wrong(problem, hint, name)
        return _correct(name)
    if _is_number(expected):
        if isinstance(answer, torch.Tensor) and answer.numel() == 1:
            answer = answer.item()
        if not _is_number(answer):
            return _wrong(_t("expected a number, got {type}", type=type(answer).__name__), hint, name)
        if math.isclose(answer, expected, rel_tol=1e-9, abs_tol=1e-12):
            return _correct(name)
        too = _t("{value} is too high", value=answer) if answer > expected else _t("{value} is too low", value=answer)
        return _wrong(too, hint, name)
    equal = _equal(answer, expected)
    if equal is None:
        return _wrong(_t("an answer of type {type} cannot be compared", type=type(answer).__name__), hint, name)
    if equal:
        return _correct(name)
    return _wrong(_t("{answer} is not the answer", answer=repr(answer)), hint, name)


@checker
def check_shape(
    answer: Any,
    expected_shape: Sequence[int | None],
    name: str | None = None,
    hint: str | None = None,
) -> CheckResult:
    """Correct if the tensor/array (or shape) ``answer`` has ``expected_shape``; None matches any size."""
    if answer is None or answer is Ellipsis:
        return _not_attempted(name)
    if hasattr(answer, "shape"):
        shape = tuple(answer.shape)
    elif isinstance(answer, (tuple, list)):  # torch.Size is a tuple
        shape = tuple(answer)
    else:
        return _wrong(_t("expected a tensor, an array or a shape, got {type}", type=type(answer).__name__), hint, name)
    expected = tuple(expected_shape)
    matches = len(shape) == len(expected) and all(e is None or s == e for s, e in zip(shape, expected))
    if matches:
        return _correct(name)
    sizes = ["any" if e is None else str(e) for e in expected]
    shown = f"({', '.join(sizes)}{',' if len(sizes) == 1 else ''})"
    if len(shape) != len(expected):
        problem = _t(
            "expected {expected} dimensions {shown}, got {actual}: {shape}",
            expected=len(expected),
            shown=shown,
            actual=len(shape),
            shape=shape,
        )
        return _wrong(problem, hint, name)
    return _wrong(_t("expected shape {expected}, got {shape}", expected=shown, shape=shape), hint, name)


@checker
def check_choice(
    answer: Any,
    options: Sequence[Any],
    correct: Any,
    name: str | None = None,
    hint: str | None = None,
) -> CheckResult:
    """Multiple choice: ``answer`` must be one of ``options`` (strings ignore case) and equal ``correct``."""

    def normalise(value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    normalised_options = [normalise(option) for option in options]
    if normalise(correct) not in normalised_options:
        raise CheckerMisuse(f"check_choice: the correct answer {correct!r} is not one of the options")
    if answer is None or answer is Ellipsis:
        return _not_attempted(name)
    if normalise(answer) not in normalised_options:
        listed = ", ".join(repr(option) for option in options)
        return _wrong(
            _t("{answer} is not one of the options", answer=repr(answer)),
            _t("pick one of {options}", options=listed),
            name,
        )
    if normalise(answer) == normalise(correct):
        return _correct(name)
    return _wrong(_t("{answer} is not the best option", answer=repr(answer)), hint, name)


# --- model checks --------------------------------------------------------------------------


def _head_path(model: nn.Module) -> str:
    """Where the head is, found as the course's own ``replace_head`` and ``freeze_backbone`` find it."""
    from tlhelpers.models import find_head  # lazily: checks stays importable on its own

    return find_head(model).path


@checker
def check_head(
    model: Any,
    num_classes: int,
    input_shape: Sequence[int] | None = None,
    name: str | None = None,
    hint: str | None = None,
) -> CheckResult:
    """Correct if ``model``'s classifier head outputs ``num_classes`` scores.

    The head is found by :func:`tlhelpers.models.find_head` (the last ``nn.Linear`` in a
    known place such as ``classifier`` or ``fc``, or SqueezeNet's 1x1 convolution). With
    ``input_shape`` (e.g. ``(3, 224, 224)``) the model also runs on one zero image, in eval
    mode, to check the output shape.
    """
    if input_shape is not None and (len(input_shape) != 3 or not all(isinstance(n, int) for n in input_shape)):
        raise CheckerMisuse(
            f"check_head: input_shape is one image's (channels, height, width), got {tuple(input_shape)}"
        )
    if model is None or model is Ellipsis:
        return _not_attempted(name)
    if not isinstance(model, nn.Module):
        return _wrong(_t("expected a torch.nn.Module, got {type}", type=type(model).__name__), hint, name)
    default_hint = hint or _t("replace the last layer with nn.Linear(in_features, num_classes)")
    try:
        head_path = _head_path(model)
    except ValueError:
        return _wrong(_t("the model has no nn.Linear (or 1x1 nn.Conv2d) layer to act as a head"), default_hint, name)
    head = model.get_submodule(head_path)
    out_features = head.out_features if isinstance(head, nn.Linear) else head.out_channels
    if out_features != num_classes:
        problem = _t(
            "the head `{path}` outputs {actual} scores, not {expected}",
            path=head_path,
            actual=out_features,
            expected=num_classes,
        )
        return _wrong(problem, default_hint, name)
    if input_shape is not None:
        device = next(model.parameters()).device
        try:
            with eval_mode(model), torch.inference_mode():
                output = model(torch.zeros(1, *input_shape, device=device))
        except Exception as error:  # the answer's own forward pass fails
            problem = _t(
                "the model fails on one {shape} image ({error})", shape=tuple(input_shape), error=type(error).__name__
            )
            return _wrong(problem, hint, name)
        if tuple(output.shape) != (1, num_classes):
            problem = _t(
                "one image gives output shape {shape}, not (1, {num_classes})",
                shape=tuple(output.shape),
                num_classes=num_classes,
            )
            return _wrong(problem, hint, name)
    return _correct(name)


@checker
def check_frozen(
    model: Any,
    trainable: Sequence[str] | None = None,
    name: str | None = None,
    hint: str | None = None,
) -> CheckResult:
    """Correct if exactly the parameters under ``trainable`` require gradients.

    ``trainable`` lists parameter-name prefixes (``["classifier"]``, or
    ``["features.18", "classifier"]`` for a partly unfrozen backbone); by default just the
    head (:func:`tlhelpers.models.find_head`): a frozen backbone with a trainable head.
    """
    if model is None or model is Ellipsis:
        return _not_attempted(name)
    if not isinstance(model, nn.Module):
        return _wrong(_t("expected a torch.nn.Module, got {type}", type=type(model).__name__), hint, name)
    if trainable is None:
        try:
            trainable = [_head_path(model)]
        except ValueError:
            return _wrong(_t("the model has no nn.Linear (or 1x1 nn.Conv2d) head"), hint, name)
    prefixes = tuple(prefix.rstrip(".") for prefix in trainable)

    def should_train(parameter_name: str) -> bool:
        return any(parameter_name == prefix or parameter_name.startswith(prefix + ".") for prefix in prefixes)

    parameters = list(model.named_parameters())
    frozen_wrongly = [n for n, p in parameters if should_train(n) and not p.requires_grad]
    training_wrongly = [n for n, p in parameters if not should_train(n) and p.requires_grad]
    if not any(should_train(n) for n, _ in parameters):
        return _wrong(_t("no parameters are named {names}", names=_t(" or ").join(prefixes)), hint, name)
    where = ", ".join(prefixes)

    def tensors(count: int) -> str:
        return _t("{number} parameter tensor" if count == 1 else "{number} parameter tensors", number=count)

    if training_wrongly:
        return _wrong(
            _t(
                "requires_grad is True for {counted} outside {where} (e.g. {example})",
                counted=tensors(len(training_wrongly)),
                where=where,
                example=training_wrongly[0],
            ),
            hint or _t("set requires_grad = False on every parameter of the backbone"),
            name,
        )
    if frozen_wrongly:
        return _wrong(
            _t(
                "requires_grad is False for {counted} of {where} (e.g. {example})",
                counted=tensors(len(frozen_wrongly)),
                where=where,
                example=frozen_wrongly[0],
            ),
            hint or _t("the new head must train: freeze the backbone before replacing the head"),
            name,
        )
    return _correct(name)


# --- one number, compared without giving the answer away -----------------------------------


def _as_number(answer: Any, name: str | None, hint: str | None) -> float | CheckResult:
    """The answer as a float, or the "not quite" result that says why it is not a number."""
    if isinstance(answer, torch.Tensor) and answer.numel() == 1:
        answer = answer.item()
    if not _is_number(answer):
        return _wrong(_t("expected a number, got {type}", type=type(answer).__name__), hint, name)
    if math.isnan(answer):
        return _wrong(_t("the answer is NaN"), hint, name)
    return float(answer)


def _close_without_value(answer: Any, expected: float, tol: float, name: str | None, hint: str | None) -> CheckResult:
    """Like :func:`check_close` for one number, but "too high"/"too low" without the student's value either."""
    number = _as_number(answer, name, hint)
    if isinstance(number, CheckResult):
        return number
    if abs(number - expected) <= tol:
        return _correct(name)
    return _wrong(_t("too high") if number > expected else _t("too low"), hint, name)


def _same_shape(shape: Sequence[int], expected: Sequence[int], name: str | None, hint: str | None) -> CheckResult:
    """Shapes compared dimension by dimension, saying which one is off and which way, not its size."""
    shape, expected = tuple(shape), tuple(expected)
    if len(shape) != len(expected):
        problem = _t(
            "the shape {shape} has {actual} dimensions, the answer has {expected}",
            shape=shape,
            actual=len(shape),
            expected=len(expected),
        )
        return _wrong(problem, hint, name)
    for index, (size, wanted) in enumerate(zip(shape, expected)):
        if size != wanted:
            problem = _t(
                "dimension {index} of {shape} is too large"
                if size > wanted
                else "dimension {index} of {shape} is too small",
                index=index,
                shape=shape,
            )
            return _wrong(problem, hint, name)
    return _correct(name)


@checker
def check_accuracy_near(
    answer: Any, expected: float, tol: float, name: str | None = None, hint: str | None = None
) -> CheckResult:
    """An accuracy (a fraction between 0 and 1) within ``tol`` of ``expected``, which is not printed."""
    if is_unanswered(answer):
        return _not_attempted(name)
    number = _as_number(answer, name, hint)
    if not isinstance(number, CheckResult) and not 0 <= number <= 1:
        return _wrong(_t("an accuracy is a fraction between 0 and 1"), _t("divide by the number of images"), name)
    return _close_without_value(answer, expected, tol, name, hint)


# --- statements the notebook text makes about its own run ------------------------------------


@dataclass(frozen=True)
class Statements:
    """What :func:`check_statements` returns: ``bool()`` is True when every statement holds.

    Like :class:`CheckResult` it shows nothing of its own in Jupyter — the cell's output is the printed lines,
    one per statement, never a bare ``True`` under them.
    """

    lines: tuple[str, ...]
    all_hold: bool

    def __bool__(self) -> bool:
        return self.all_hold

    def __str__(self) -> str:
        return "\n".join(self.lines)

    def _ipython_display_(self) -> None:
        pass


def check_statements(statements: dict[str, bool]) -> Statements:
    """Print ``yes``/``NO`` for each statement the text makes about this run's results.

    Whole-network training is not bit-stable across CPUs and thread counts, so the exact
    numbers of such a run are printed in a cell that nbval ignores. The *statements* the text
    makes about them ("fine-tuning beats from scratch by more than 5 points") are stable, and
    a cell of ``check_statements`` keeps them checked: if a run ever disagrees with the text, the
    printed ``NO`` differs from the committed ``yes`` and nbval fails. ``bool()`` of the result is True if all
    hold. (Not a checker of an answer: it returns :class:`Statements`, not a :class:`CheckResult`.)
    """
    lines = tuple(f"{'yes' if holds else 'NO '}  {statement}" for statement, holds in statements.items())
    for line in lines:
        print(line)
    return Statements(lines, all(bool(holds) for holds in statements.values()))


check_claims = check_statements  # the name the committed notebooks call
