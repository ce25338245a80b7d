"""tlhelpers.capture: activations at named layers, and nothing after the last one runs."""

import pytest
import torch
from torch import nn

from tests.tiny_models import TinyBatchNormCNN
from tlhelpers.capture import capture_activations


def test_outputs_inputs_and_reduction_match_a_manual_forward():
    torch.manual_seed(0)
    model = TinyBatchNormCNN().eval()
    images = torch.randn(2, 3, 8, 8)
    with torch.inference_mode():
        first = model.features[0](images)
        second = model.features[1](first)
        captured = capture_activations(model, images, ["features.1", "features.0"])
        assert set(captured) == {"features.0", "features.1"}
        assert torch.equal(captured["features.0"], first) and torch.equal(captured["features.1"], second)
        inputs = capture_activations(model, images, ["features.1"], inputs=True)
        assert torch.equal(inputs["features.1"], first), "inputs=True: what goes into the layer"
        pooled = capture_activations(model, images, ["features.1"], reduce=lambda a: a.mean(dim=(2, 3)))
        assert pooled["features.1"].shape == (2, 6)


def test_the_layers_after_the_last_requested_one_never_run():
    model = TinyBatchNormCNN().eval()
    ran = []
    model.classifier.register_forward_pre_hook(lambda module, args: ran.append("classifier"))
    model.features[3].register_forward_pre_hook(lambda module, args: ran.append("features.3"))
    with torch.inference_mode():
        capture_activations(model, torch.randn(1, 3, 8, 8), ["features.1"])
    assert ran == []
    with torch.inference_mode():
        capture_activations(model, torch.randn(1, 3, 8, 8), ["classifier.1"], inputs=True)
    assert ran == ["features.3", "classifier"], "the head's input: everything before it runs once"
    assert not model.features[1]._forward_hooks and not model.classifier[1]._forward_pre_hooks, "hooks removed"


def test_unknown_or_unused_layers_fail_with_the_layer_named():
    model = TinyBatchNormCNN().eval()
    with pytest.raises(ValueError, match="no layer 'features.9'"):
        capture_activations(model, torch.randn(1, 3, 8, 8), ["features.9"])
    model.unused = nn.Linear(2, 2)
    with pytest.raises(RuntimeError, match="unused did not run"):
        capture_activations(model, torch.randn(1, 3, 8, 8), ["unused"])
