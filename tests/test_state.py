"""tlhelpers.state: eval mode and a seed for one block, each restored afterwards."""

import pytest
import torch
from torch import nn

from tests.tiny_models import TinyBatchNormCNN
from tlhelpers.state import eval_mode, seeded, set_seed


def test_eval_mode_restores_the_previous_mode_even_after_an_error():
    model = TinyBatchNormCNN().train()
    with eval_mode(model) as inside:
        assert inside is model and not model.training and not model.features[0][1].training
    assert model.training and model.features[0][1].training
    model.eval()
    with eval_mode(model):
        pass
    assert not model.training, "a model that was in eval mode stays there"
    model.train()
    with pytest.raises(RuntimeError, match="boom"), eval_mode(model):
        raise RuntimeError("boom")
    assert model.training


def test_seeded_gives_the_same_weights_and_leaves_the_global_stream_alone():
    set_seed(0)
    expected_next = torch.rand(3)
    set_seed(0)
    with seeded(7):
        first = nn.Linear(4, 2).weight.clone()
    assert torch.equal(torch.rand(3), expected_next), "the global generator continues as if nothing happened"
    with seeded(7):
        again = nn.Linear(4, 2).weight.clone()
    with seeded(8):
        other = nn.Linear(4, 2).weight.clone()
    assert torch.equal(first, again) and not torch.equal(first, other)
