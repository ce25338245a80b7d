"""Small interactive explorers for the notebooks, built on ipywidgets 8.

Each explorer is a plain function doing the work (:func:`predict_topk`, or the notebook's
own ``compute``) wrapped in a few controls and an ``Output`` widget that the controls'
handlers refill. Widgets only come alive in a running kernel, so each explorer also prints
(or shows) its first result once as ordinary cell output: that is what GitHub, nbval and
exported notebooks see, and it is deterministic.

    prediction_explorer(model, weights, {"cat": cat_photo, "dog": dog_photo})
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets
import numpy as np
from IPython.display import display
from matplotlib.figure import Figure
from PIL import Image
from torch import nn

from tlhelpers.data import read_image, to_rgb
from tlhelpers.plots import show_topk


def _to_pil(image: Image.Image | np.ndarray) -> Image.Image:
    """8-bit RGB the way every dataset reads an image (:func:`tlhelpers.data.to_rgb`: transparency on grey)."""
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    return to_rgb(image)


def predict_topk(
    model: nn.Module, weights: Any, image: Image.Image | np.ndarray, k: int = 5
) -> list[tuple[str, float]]:
    """The ``k`` most probable ImageNet categories for one image, as ``(category, probability)``.

    ``weights`` is the torchvision weights enum the model was built with (or its name, such as
    ``"MobileNet_V2_Weights.IMAGENET1K_V1"``); its ``transforms()`` preprocess the image and its
    ``meta["categories"]`` name the outputs; :func:`tlhelpers.train.topk` runs the model (in
    eval mode, on its own device, then back in the mode it was in).
    """
    from tlhelpers.train import topk  # lazily: the one place where top-k is computed

    if isinstance(weights, str):
        import torchvision

        weights = torchvision.models.get_weight(weights)
    batch = weights.transforms()(_to_pil(image)).unsqueeze(0)
    return topk(model, batch, weights.meta["categories"], k)[0]


def format_topk(predictions: Sequence[tuple[str, float]]) -> str:
    """Top-k predictions as aligned lines, probabilities to 1 % (stable enough for stored outputs)."""
    width = max((len(category) for category, _ in predictions), default=0)
    return "\n".join(f"{category:<{width}}  {probability:4.0%}" for category, probability in predictions)


def _show(output: ipywidgets.Output, result: Figure | str) -> None:
    """Replace what ``output`` shows by a figure or a text (in one update, so it does not flicker)."""
    with output.hold_sync():
        output.outputs = ()
        if isinstance(result, Figure):
            output.append_display_data(result)
        else:
            output.append_stdout(f"{result}\n")


def _reporting_errors(output: ipywidgets.Output, action: Callable[[], Any]) -> None:
    """Run a handler's ``action``, showing any error in ``output`` (else it reaches only the kernel log)."""
    try:
        action()
    except Exception as error:
        _show(output, f"Could not show this: {type(error).__name__}: {error}")


def prediction_explorer(
    model: nn.Module,
    weights: Any,
    images: Mapping[str, Image.Image | np.ndarray],
    k: int = 5,
) -> ipywidgets.VBox:
    """Pick one of ``images`` or upload a photo; see it beside the model's top-``k`` predictions.

    Prints the top-``k`` of the first image straight away (the static view). Returns
    ``VBox([HBox([dropdown, upload]), output])``.
    """
    names = list(images)
    if not names:
        raise ValueError("prediction_explorer needs at least one image, e.g. {'cat': cat_photo}")
    dropdown = ipywidgets.Dropdown(options=names, value=names[0], description="Photo:")
    upload = ipywidgets.FileUpload(accept="image/*", multiple=False, description="Upload")
    output = ipywidgets.Output()

    def show_prediction(name: str, image: Image.Image | np.ndarray) -> list[tuple[str, float]]:
        predictions = predict_topk(model, weights, image, k)
        _show(output, show_topk([_to_pil(image)], [predictions], labels=[name], ncols=1))
        return predictions

    def on_dropdown_change(change: dict[str, Any]) -> None:
        _reporting_errors(output, lambda: show_prediction(change["new"], images[change["new"]]))

    def on_upload(change: dict[str, Any]) -> None:
        if not change["new"]:
            return
        uploaded = change["new"][0]
        try:
            image = read_image(io.BytesIO(bytes(uploaded["content"])))  # upright and RGB, as a dataset reads it
        except Exception as error:
            _show(output, f"Could not read {uploaded['name']} as an image ({error}) — try a PNG or JPEG file.")
            return
        _reporting_errors(output, lambda: show_prediction(uploaded["name"], image))

    dropdown.observe(on_dropdown_change, names="value")
    upload.observe(on_upload, names="value")
    first_predictions = show_prediction(names[0], images[names[0]])

    print(f"Top-{k} predictions for {names[0]!r} (pick or upload photos in the widget below, in a live notebook):")
    print(format_topk(first_predictions))
    return ipywidgets.VBox([ipywidgets.HBox([dropdown, upload]), output])


def slider_explorer(
    compute: Callable[[Any], Figure | str],
    values: Sequence[Any],
    description: str = "value",
    default: Any = None,
) -> ipywidgets.VBox:
    """A slider over ``values``; each move shows ``compute(value)`` (a Figure or a text).

    ``compute`` should be cheap — look results up, don't train — e.g. accuracy against the
    number of unfrozen blocks from a precomputed table. ``compute(default)`` (the first value
    unless given) is also shown once as ordinary output, the static view. Returns
    ``VBox([slider, output])``.
    """
    values = list(values)
    if not values:
        raise ValueError("slider_explorer needs at least one value to show")
    default = values[0] if default is None else default
    slider = ipywidgets.SelectionSlider(options=values, value=default, description=description, continuous_update=False)
    output = ipywidgets.Output()

    def on_slider_change(change: dict[str, Any]) -> None:
        _reporting_errors(output, lambda: _show(output, compute(change["new"])))

    slider.observe(on_slider_change, names="value")
    first_result = compute(default)
    _show(output, first_result)

    print(f"{description} = {default} (move the slider below, in a live notebook):")
    if isinstance(first_result, Figure):
        display(first_result)
    else:
        print(first_result)
    return ipywidgets.VBox([slider, output])
