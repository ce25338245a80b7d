"""The explorers, headless: build them, fire their handlers as a frontend would, read the Output."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator

import ipywidgets
import matplotlib
import numpy as np
import pytest
import torch
import torchvision
from PIL import Image
from skimage import data

from tlhelpers import plots, widgets
from tlhelpers.assets import check_weights
from tlhelpers.widgets import format_topk, predict_topk, prediction_explorer, slider_explorer

matplotlib.use("Agg")  # headless: figures are drawn, never shown

WEIGHTS = torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1
CAT_CLASSES = {"tabby", "tiger cat", "Egyptian cat"}


@pytest.fixture(scope="module")
def model() -> Iterator[torch.nn.Module]:
    check_weights()  # a missing checkpoint fails here, naming the fix
    # One thread: on a busy 2-core machine torch's threads wait on each other and one
    # forward pass takes seconds instead of milliseconds.
    num_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torchvision.models.mobilenet_v2(weights="IMAGENET1K_V1")
    torch.set_num_threads(num_threads)


@pytest.fixture
def drawn_labels(monkeypatch) -> list[str]:
    """Titles of every top-k figure the explorers draw, in order."""
    drawn = []

    def recording_show_topk(images, predictions, labels=None, **kwargs):
        drawn.extend(labels or [])
        return plots.show_topk(images, predictions, labels, **kwargs)

    monkeypatch.setattr(widgets, "show_topk", recording_show_topk)
    return drawn


def png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def uploaded_file(name: str, content: bytes) -> dict:
    """What ipywidgets 8's FileUpload holds after the browser sends a file."""
    return {
        "name": name,
        "type": "image/png",
        "size": len(content),
        "content": memoryview(content),
        "last_modified": datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
    }


def test_predict_topk_finds_the_cat(model):
    model.train()
    predictions = predict_topk(model, WEIGHTS, data.chelsea(), k=5)
    assert model.training  # the mode it was in is restored
    assert len(predictions) == 5
    assert CAT_CLASSES & {category for category, _ in predictions}
    probabilities = [probability for _, probability in predictions]
    assert probabilities == sorted(probabilities, reverse=True) and sum(probabilities) <= 1.0 + 1e-6
    assert (
        predict_topk(model, "MobileNet_V2_Weights.IMAGENET1K_V1", Image.fromarray(data.chelsea()), k=1)
        == (predictions[:1])
    )


def test_format_topk_aligns_and_rounds():
    assert format_topk([("tabby", 0.456), ("Egyptian cat", 0.1)]) == "tabby          46%\nEgyptian cat   10%"


def test_prediction_explorer_static_view_and_handlers(model, drawn_labels, capsys):
    photos = {"chelsea": data.chelsea(), "coffee": Image.fromarray(data.coffee())}
    explorer = prediction_explorer(model, WEIGHTS, photos, k=3)

    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("Top-3 predictions for 'chelsea'")
    assert len(printed) == 4 and printed[1].split("  ")[0].strip() in CAT_CLASSES

    (controls, output) = explorer.children
    dropdown, upload = controls.children
    assert isinstance(dropdown, ipywidgets.Dropdown) and isinstance(upload, ipywidgets.FileUpload)
    assert isinstance(output, ipywidgets.Output)
    assert [out["data"]["text/plain"] for out in output.outputs] == ["<Figure size 650x260 with 2 Axes>"]

    dropdown.value = "coffee"
    upload.value = (uploaded_file("astronaut.png", png_bytes(data.astronaut())),)
    assert drawn_labels == ["chelsea", "coffee", "astronaut.png"]
    assert len(output.outputs) == 1  # each view replaces the last

    upload.value = (uploaded_file("notes.png", b"not an image"),)
    assert output.outputs[0]["output_type"] == "stream"
    assert output.outputs[0]["text"].startswith("Could not read notes.png as an image")


def test_prediction_explorer_needs_images(model):
    with pytest.raises(ValueError, match="at least one image"):
        prediction_explorer(model, WEIGHTS, {})


def test_slider_explorer_with_text(capsys):
    accuracy = {0: 0.71, 2: 0.78, 4: 0.83}
    explorer = slider_explorer(lambda k: f"unfrozen blocks: {k}, accuracy {accuracy[k]:.0%}", list(accuracy), "k", 2)
    printed = capsys.readouterr().out.splitlines()
    assert printed == ["k = 2 (move the slider below, in a live notebook):", "unfrozen blocks: 2, accuracy 78%"]

    slider, output = explorer.children
    assert isinstance(slider, ipywidgets.SelectionSlider) and slider.value == 2
    assert output.outputs[0]["text"] == "unfrozen blocks: 2, accuracy 78%\n"
    slider.value = 4
    assert [out["text"] for out in output.outputs] == ["unfrozen blocks: 4, accuracy 83%\n"]


def test_slider_explorer_with_figures(capsys):
    def compute(k: int):
        return plots.plot_decision_matrix([[k, 1.0]], ["acc"], ["a", "b"])

    explorer = slider_explorer(compute, [1, 2, 3], "k")
    assert "<Figure size 630x240 with 2 Axes>" in capsys.readouterr().out  # the static view
    slider, output = explorer.children
    slider.value = 3
    assert [out["data"]["text/plain"] for out in output.outputs] == ["<Figure size 630x240 with 2 Axes>"]
    with pytest.raises(ValueError, match="at least one value"):
        slider_explorer(compute, [], "k")


def test_slider_explorer_shows_a_handler_error_in_its_output():
    explorer = slider_explorer(lambda k: f"1 / k = {1 / k:.2f}", [1, 0], "k")
    slider, output = explorer.children
    slider.value = 0  # in a live kernel the traceback would only reach the log
    assert [out["text"] for out in output.outputs] == ["Could not show this: ZeroDivisionError: division by zero\n"]
