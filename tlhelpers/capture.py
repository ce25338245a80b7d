"""Read what a layer inside a model computes, and skip the layers after it.

Feature extraction from an earlier block, the head's input, the similarity score's
BatchNorm inputs: each needs the activation at some named layers and nothing beyond
them. :func:`capture_activations` registers a forward hook on each requested layer,
records its output (or its input, with ``inputs=True``), and aborts the forward pass
as soon as the last requested activation is in, so the rest of the model never runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn


class _StopForward(Exception):
    """Raised by a hook once every requested activation is captured."""


def capture_activations(
    model: nn.Module,
    images: torch.Tensor,
    layers: Sequence[str],
    *,
    inputs: bool = False,
    reduce: Callable[[torch.Tensor], Any] | None = None,
) -> dict[str, Any]:
    """``{layer: activation}`` for each of ``layers`` (dotted module names) when ``model`` runs on ``images``.

    ``inputs=True`` records what goes *into* each layer instead of what comes out. ``reduce``
    is applied to each activation the moment it is captured (e.g. pooling, or moments), so
    that large early feature maps are never kept. Gradients are not disabled here: wrap the
    call in ``torch.inference_mode()`` when none are needed.
    """
    modules = dict(model.named_modules())
    unknown = [layer for layer in layers if layer not in modules]
    if unknown:
        raise ValueError(f"{type(model).__name__} has no layer {unknown[0]!r} — see model.named_modules()")
    remaining = set(layers)
    captured: dict[str, Any] = {}

    def record(name: str, activation: torch.Tensor) -> None:
        if name in remaining:
            captured[name] = reduce(activation) if reduce is not None else activation
            remaining.discard(name)
        if not remaining:
            raise _StopForward

    handles = []
    for name in dict.fromkeys(layers):
        if inputs:
            hook = lambda module, args, name=name: record(name, args[0])  # noqa: E731
            handles.append(modules[name].register_forward_pre_hook(hook))
        else:
            hook = lambda module, args, output, name=name: record(name, output)  # noqa: E731
            handles.append(modules[name].register_forward_hook(hook))
    try:
        model(images)
    except _StopForward:
        pass
    finally:
        for handle in handles:
            handle.remove()
    if remaining:
        missing = next(layer for layer in layers if layer in remaining)
        raise RuntimeError(f"{missing} did not run in {type(model).__name__}.forward — choose another layer")
    return captured
