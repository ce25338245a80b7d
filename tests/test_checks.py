"""Every checker, for each outcome: not attempted, wrong (with a reason), correct; a misused checker raises."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision
from torch import nn

from tlhelpers.exercises.checks import (
    CheckResult,
    check_choice,
    check_close,
    check_frozen,
    check_head,
    check_shape,
    check_value,
    checker,
    is_unanswered,
)


def tiny_model(num_classes: int = 10) -> nn.Module:
    """A stand-in for a pretrained CNN: ``features`` (backbone) then ``classifier`` (head)."""
    return nn.Sequential(
        nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()),
        nn.Sequential(nn.Dropout(0.2), nn.Linear(4, num_classes)),
    )


def frozen_tiny_model() -> nn.Module:
    model = tiny_model()
    for parameter in model[0].parameters():
        parameter.requires_grad = False
    return model


@pytest.mark.parametrize("unanswered", [None, ...])
def test_unanswered_answers_are_not_attempted(unanswered, capsys):
    for result in [
        check_value(unanswered, 3),
        check_close(unanswered, 0.5),
        check_shape(unanswered, (1, 10)),
        check_choice(unanswered, ["a", "b"], "a"),
        check_head(unanswered, 10),
        check_frozen(unanswered),
    ]:
        assert result.status == "not attempted"
        assert result.message.startswith("not attempted yet")
        assert not result
    assert capsys.readouterr().out.count("not attempted yet") == 6


def test_stub_value_counts_as_not_attempted():
    assert check_value(0, 42, stub=0).status == "not attempted"
    assert check_close(0.0, 0.9, tol=0.01, stub=0.0).status == "not attempted"
    assert is_unanswered("", stub="") and not is_unanswered(0, stub=0.0)
    assert not is_unanswered(np.zeros(3), stub=np.zeros(3))  # arrays are answers, whatever they hold


def test_check_value_outcomes(capsys):
    assert check_value(42, 42)
    assert check_value(0.1 + 0.2, 0.3)
    assert check_value(torch.tensor(7), 7)
    assert check_value(" Tiger Cat ", "tiger cat")
    assert check_value([1, 2, 3], [1, 2, 3])
    assert check_value(np.arange(3), np.arange(3))

    too_low = check_value(41, 42, name="count")
    assert too_low.status == "wrong"
    assert too_low.message == "count: not quite: 41 is too low"
    assert "too high" in check_value(43, 42).message
    assert "expected a number" in check_value("42", 42).message
    assert "mismatch at 2 positions, the first is 1" in check_value([1, 0, 0], [1, 2, 3]).message
    assert "expected 3 items" in check_value([1, 2], [1, 2, 3]).message
    assert "'dog' is not the answer" in check_value("dog", "cat").message
    assert check_value(0.5, 0.52, tol=0.05)
    assert capsys.readouterr().out.splitlines()[0] == "correct!"


def test_check_close_outcomes():
    assert check_close(0.871, 0.87, tol=0.01)
    assert check_close(torch.tensor([0.5, 0.25]), [0.5, 0.25])
    result = check_close(0.5, 0.87, tol=0.01, hint="divide by the number of images")
    assert result.status == "wrong"
    assert result.message == "not quite: 0.5 is too low — hint: divide by the number of images"
    assert "expected shape (2,), got (3,)" in check_close([1, 2, 3], [1, 2]).message
    assert "1 of 3 values are off, the first at index (2,)" in check_close([1, 2, 4], [1, 2, 3]).message
    assert "NaN" in check_close(float("nan"), 1.0).message
    assert "expected numbers" in check_close("abc", 1.0).message


def test_check_shape_outcomes():
    assert check_shape(torch.zeros(8, 1280), (None, 1280))
    assert check_shape(torch.Size([1, 10]), (1, 10))
    assert check_shape(np.zeros((2, 3)), [2, 3])
    assert "expected shape (any, 1280), got (8, 1000)" in check_shape(torch.zeros(8, 1000), (None, 1280)).message
    assert "expected 2 dimensions" in check_shape(torch.zeros(1280), (1, 1280)).message
    assert "expected a tensor" in check_shape(5, (1,)).message


def test_check_choice_outcomes():
    options = ["A", "B", "C"]
    assert check_choice("b", options, "B")
    assert "not the best option" in check_choice("A", options, "B").message
    not_an_option = check_choice("D", options, "B")
    assert not_an_option.status == "wrong" and "pick one of 'A', 'B', 'C'" in not_an_option.message
    assert check_choice(2, [1, 2, 3], 2)


def test_check_head_outcomes():
    assert check_head(tiny_model(10), 10)
    assert check_head(tiny_model(10), 10, input_shape=(3, 16, 16))
    result = check_head(tiny_model(1000), 10)
    assert result.status == "wrong"
    assert "the head `1.1` outputs 1000 scores, not 10" in result.message
    assert "hint: replace the last layer with nn.Linear(in_features, num_classes)" in result.message
    assert "no nn.Linear" in check_head(nn.Conv2d(3, 3, 3), 10).message
    assert "expected a torch.nn.Module" in check_head("resnet", 10).message


def test_checks_find_the_head_of_torchvision_models():
    mobilenet = torchvision.models.mobilenet_v2(weights=None)
    assert "the head `classifier.1` outputs 1000 scores, not 10" in check_head(mobilenet, 10).message
    mobilenet.classifier[1] = nn.Linear(1280, 10)
    assert check_head(mobilenet, 10)
    for parameter in mobilenet.features.parameters():
        parameter.requires_grad = False
    assert check_frozen(mobilenet)
    assert check_head(torchvision.models.squeezenet1_1(weights=None, num_classes=10), 10)  # a 1x1 conv head


def test_check_head_runs_the_model_in_eval_mode_and_restores_it():
    model = tiny_model(10).train()
    model.append(nn.Flatten(0))  # a wrong output shape that the last Linear alone does not reveal
    result = check_head(model, 10, input_shape=(3, 16, 16))
    assert "one image gives output shape (10,), not (1, 10)" in result.message
    assert model.training


def test_check_frozen_outcomes():
    assert check_frozen(frozen_tiny_model())
    assert check_frozen(frozen_tiny_model(), trainable=["1"])

    untouched = check_frozen(tiny_model())
    assert untouched.status == "wrong"
    assert "requires_grad is True for 2 parameter tensors outside 1.1 (e.g. 0.0.weight)" in untouched.message

    all_frozen = frozen_tiny_model()
    all_frozen[1][1].weight.requires_grad = False
    head_frozen = check_frozen(all_frozen).message
    assert "requires_grad is False for 1 parameter tensor of 1.1 (e.g. 1.1.weight)" in head_frozen

    partly_unfrozen = frozen_tiny_model()
    partly_unfrozen[0][0].bias.requires_grad = True
    assert check_frozen(partly_unfrozen).status == "wrong"
    assert "0.0.weight" in check_frozen(partly_unfrozen, trainable=["0.0", "1"]).message
    assert "no parameters are named head" in check_frozen(frozen_tiny_model(), trainable=["head"]).message


def test_odd_answers_are_wrong_not_errors():
    class Weird:
        def __eq__(self, other):
            raise RuntimeError("no comparing me")

    assert check_value(Weird(), "x").status == "wrong"
    result = check_value(Weird(), object(), name="thing")
    assert result.message.startswith("thing: not quite: an answer of type Weird cannot be compared")
    broken = tiny_model()
    broken[0][0] = nn.Conv2d(5, 4, 3)  # the answer's own forward pass fails
    assert "the model fails on one (3, 16, 16) image" in check_head(broken, 10, input_shape=(3, 16, 16)).message


def test_a_misused_checker_raises():
    """A broken exercise must fail the suite, not tell the student "not quite" (02's old check_head call)."""
    from tlhelpers.exercises.checks import CheckerMisuse

    with pytest.raises(CheckerMisuse, match="one image's"):
        check_head(tiny_model(), 10, input_shape=(1, 3, 64, 64))
    with pytest.raises(CheckerMisuse, match="not one of the options"):
        check_choice("a", ["a", "b"], "c")
    with pytest.raises(TypeError):
        check_value(1)  # no expected value


def test_custom_checker_and_result_display():
    @checker
    def check_positive(answer) -> CheckResult:
        if answer > 0:
            return CheckResult("correct", "correct!")
        return CheckResult("wrong", "not quite: not positive")

    assert check_positive(3)
    assert check_positive(-1).status == "wrong"
    with pytest.raises(TypeError):  # a checker's own error is not the student's
        check_positive("a")
    result = check_positive(1)
    assert str(result) == "correct!"
    assert result._ipython_display_() is None  # shows nothing more in Jupyter: the message was printed


def test_check_claims_prints_each_statement_and_says_whether_all_hold(capsys):
    from tlhelpers.exercises.checks import check_claims

    assert check_claims({"two is more than one": 2 > 1, "pi is about 3": abs(3.14159 - 3) < 0.2}).all_hold is True
    assert capsys.readouterr().out == "yes  two is more than one\nyes  pi is about 3\n"
    assert not check_claims({"holds": True, "fails": 1 > 2})
    assert capsys.readouterr().out == "yes  holds\nNO   fails\n"
