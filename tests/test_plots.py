"""Each figure on tiny inputs: its size and axes count (what nbval compares) and what it draws."""

from __future__ import annotations

import math
from types import SimpleNamespace

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from PIL import Image

from tlhelpers.models import ModelZooRow, pareto_front
from tlhelpers.plots import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    plot_confusion,
    plot_decision_matrix,
    plot_embedding,
    plot_embeddings_side_by_side,
    plot_history,
    plot_learning_curves,
    plot_model_zoo,
    plot_sweep,
    show_images,
    show_misclassified,
    show_topk,
    to_display_image,
)

matplotlib.use("Agg")  # headless: figures are drawn, never shown

CLASSES = ["cat", "dog", "bird"]


@pytest.fixture(autouse=True)
def no_figures_left_open():
    """The functions close their figures in pyplot, so none pile up (or show twice in Jupyter)."""
    yield
    assert plt.get_fignums() == []


def texts_of(fig) -> list[str]:
    return [text.get_text() for ax in fig.axes for text in ax.texts]


def rgb_image(seed: int = 0, size: int = 8) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)


def test_to_display_image_undoes_normalisation():
    image = rgb_image()
    tensor = torch.from_numpy(image).permute(2, 0, 1).float() / 255
    normalised = (tensor - torch.tensor(IMAGENET_MEAN).view(3, 1, 1)) / torch.tensor(IMAGENET_STD).view(3, 1, 1)
    np.testing.assert_allclose(to_display_image(normalised), image / 255, atol=1e-6)
    np.testing.assert_allclose(to_display_image(tensor, mean=None, std=None), image / 255, atol=1e-6)
    assert to_display_image(Image.fromarray(image)).dtype == np.uint8
    assert to_display_image(torch.from_numpy(image).permute(2, 0, 1)).shape == (8, 8, 3)  # uint8 C×H×W
    assert to_display_image(torch.rand(1, 8, 8), mean=(0.5,), std=(0.5,)).shape == (8, 8)  # grey
    assert to_display_image(np.full((8, 8), 2.0)).max() == 1.0  # floats are clipped to [0, 1]


def test_to_display_image_names_a_mean_std_mismatch():
    with pytest.raises(ValueError, match="1-channel tensor needs 1 mean/std values"):
        to_display_image(torch.zeros(1, 8, 8))


def test_show_images_grid():
    images = [rgb_image(seed) for seed in range(7)]
    fig = show_images(images, labels=[0, 1, 2, 0, 1, 2, 0], classes=CLASSES, ncols=3, title="seven")
    assert len(fig.axes) == 7  # 3 rows of 3, the two empty cells removed
    assert [ax.get_title() for ax in fig.axes][:3] == CLASSES
    assert repr(fig) == "<Figure size 540x700 with 7 Axes>"  # fixed by the counts alone


def test_show_images_takes_a_batch_tensor_and_grey_arrays():
    assert repr(show_images(torch.randn(4, 3, 8, 8))) == "<Figure size 720x180 with 4 Axes>"
    assert len(show_images(np.zeros((2, 28, 28), dtype=np.uint8), labels=["a", "b"]).axes) == 2
    assert texts_of(show_images([])) == ["no images"]


def test_show_topk_draws_bars_and_percentages():
    predictions = [
        [("tabby", 0.6), ("tiger cat", 0.3)],
        [("espresso", 0.9), ("cup", 0.05)],
        [("kite", 0.5), ("hen", 0.1)],
    ]
    fig = show_topk([rgb_image(seed) for seed in range(3)], predictions, labels=["a", "b", "c"], ncols=2)
    assert repr(fig) == "<Figure size 1300x520 with 6 Axes>"
    assert texts_of(fig) == ["60%", "30%", "90%", "5%", "50%", "10%"]
    assert [label.get_text() for label in fig.axes[1].get_yticklabels()] == ["tabby", "tiger cat"]


def history(offset: float = 0.0, with_val: bool = True) -> dict[str, list[float]]:
    result = {"train_loss": [1.0, 0.6, 0.4], "train_acc": [0.5 + offset, 0.7, 0.8]}
    if with_val:
        result |= {"val_loss": [1.1, 0.8, 0.7], "val_acc": [0.45, 0.6, 0.65]}
    return result


def test_plot_history_single_run_dict_or_object():
    fig = plot_history(history())
    assert repr(fig) == "<Figure size 900x365 with 2 Axes>"
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["train", "val"]
    assert fig.legends and not fig.axes[0].get_legend()  # the legend sits below the panels
    as_object = plot_history(SimpleNamespace(**history()))
    np.testing.assert_array_equal(as_object.axes[1].get_lines()[1].get_ydata(), [0.45, 0.6, 0.65])
    assert len(plot_history(history(with_val=False), metrics=("loss",)).axes[0].get_lines()) == 1


def test_plot_history_stars_the_kept_epoch():
    fig = plot_history({"run": SimpleNamespace(**history(), best_epoch=2)})
    star = [line for line in fig.axes[0].get_lines() if line.get_marker() == "*"]
    assert len(star) == 1 and list(star[0].get_ydata()) == [0.8] and "kept epoch" in star[0].get_label()


def test_plot_history_compares_runs():
    fig = plot_history({"frozen": history(), "fine-tuned": history(0.1)})
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels == ["frozen train", "frozen val", "fine-tuned train", "fine-tuned val"]
    colors = [line.get_color() for line in fig.axes[0].get_lines()]
    assert colors[0] == colors[1] != colors[2]  # one colour per run, train and val alike


def test_plot_confusion_counts_and_fractions():
    targets = torch.tensor([0, 0, 1, 1, 2, 2])
    predictions = torch.tensor([0, 1, 1, 1, 2, 0])
    fig = plot_confusion(targets, predictions, CLASSES)
    assert len(fig.axes) == 1
    assert texts_of(fig) == ["1", "1", "0", "0", "2", "0", "1", "0", "1"]
    assert texts_of(plot_confusion(targets, predictions, CLASSES, normalize="true"))[:3] == ["50%", "50%", "0%"]


def test_show_misclassified_captions_true_and_predicted():
    images = [rgb_image(seed) for seed in range(5)]
    fig = show_misclassified(images, [0, 1, 2, 0, 1], [0, 2, 2, 1, 1], CLASSES)
    assert repr(fig) == "<Figure size 360x260 with 2 Axes>"
    assert fig.axes[0].get_title() == "true: dog\npred: bird"
    assert fig.get_suptitle() == "2 of 5 misclassified"
    assert show_misclassified(images, [0, 1, 2, 0, 1], [1, 2, 0, 1, 2], CLASSES, max_images=3).get_suptitle() == (
        "5 of 5 misclassified (first 3)"
    )
    assert texts_of(show_misclassified(images, [0] * 5, [0] * 5, CLASSES)) == ["0 of 5 misclassified"]


def clustered_features(count_per_class: int = 10, dim: int = 16) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=5, size=(3, dim))
    targets = np.repeat(np.arange(3), count_per_class)
    return centres[targets] + rng.normal(size=(len(targets), dim)), targets


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_plot_embedding(method):
    features, targets = clustered_features()
    fig = plot_embedding(torch.from_numpy(features), torch.from_numpy(targets), CLASSES, method=method)
    assert repr(fig) == "<Figure size 650x500 with 1 Axes>"
    ax = fig.axes[0]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == CLASSES
    assert ax.get_title() == f"{'PCA' if method == 'pca' else 't-SNE'} of 30 feature vectors (16-d)"
    again = plot_embedding(features, targets, CLASSES, method).axes[0]
    for points, same_points in zip(ax.collections, again.collections):  # seeded: the same map twice
        np.testing.assert_array_equal(points.get_offsets(), same_points.get_offsets())


def test_plot_embeddings_side_by_side_share_one_legend():
    features, targets = clustered_features()
    maps = {"raw": (features, targets, CLASSES), "deep": (features * 2, targets, CLASSES)}
    fig = plot_embeddings_side_by_side(maps, method="pca")
    assert repr(fig) == "<Figure size 1150x500 with 2 Axes>"
    assert [ax.get_title() for ax in fig.axes] == ["raw", "deep"]
    assert fig.axes[0].get_legend() is None and fig.axes[1].get_legend() is not None


def test_plot_embeddings_side_by_side_of_different_datasets_get_a_legend_each():
    features, targets = clustered_features()
    maps = {"photos": (features, targets, CLASSES), "clothes": (features, targets, ["shirt", "bag", "boot"])}
    fig = plot_embeddings_side_by_side(maps, method="pca")
    assert repr(fig) == "<Figure size 1300x500 with 2 Axes>"
    assert [[t.get_text() for t in ax.get_legend().get_texts()] for ax in fig.axes] == [
        CLASSES,
        ["shirt", "bag", "boot"],
    ]


def test_plot_embedding_rejects_unknown_method():
    features, targets = clustered_features()
    with pytest.raises(ValueError, match="use 'pca' or 'tsne'"):
        plot_embedding(features, targets, CLASSES, method="umap")


def test_pareto_front_keeps_only_unbeaten_models():
    rows = [
        ModelZooRow("small", "V1", 70.0, 90.0, 0.3, 3_000_000, 14.0),
        ModelZooRow("slow_and_worse", "V1", 69.0, 89.0, 4.0, 25_000_000, 98.0),
        ModelZooRow("big", "V1", 80.0, 95.0, 4.0, 25_000_000, 98.0),
        ModelZooRow("features_only", "V1", math.nan, math.nan, 1.0, 1, 1.0),
    ]
    assert [row.model for row in pareto_front(rows)] == ["small", "big"]
    fig = plot_model_zoo(rows, label=["big", "features_only"])
    assert repr(fig) == "<Figure size 900x550 with 1 Axes>"
    assert texts_of(fig) == ["big"]  # the NaN row is not drawn


def test_plot_model_zoo_labels_landmarks_by_default():
    assert {"mobilenet_v2", "resnet50", "vit_b_16"} <= set(texts_of(plot_model_zoo()))


def test_plot_decision_matrix():
    values = [[4.0, -1.0], [12.5, 0.8]]
    annotations = [["frozen\n+4.0", "fine-tune\n+1.0"], ["frozen\n+12.5", "frozen\n+0.8"]]
    fig = plot_decision_matrix(values, ["small", "large"], ["similar", "different"], annotations, center=0)
    assert repr(fig) == "<Figure size 630x390 with 2 Axes>"  # the heatmap and its colour bar
    assert texts_of(fig) == ["frozen\n+4.0", "fine-tune\n+1.0", "frozen\n+12.5", "frozen\n+0.8"]
    assert fig.axes[0].images[0].get_clim() == (-12.5, 12.5)  # symmetric around the centre
    default_texts = texts_of(plot_decision_matrix(np.array([[0.5, 0.25, 1.0]]), ["acc"], ["a", "b", "c"]))
    assert default_texts == ["0.50", "0.25", "1.00"]
    tied = plot_decision_matrix(
        values,
        ["small", "large"],
        ["similar", "different"],
        annotations,
        center=0,
        marks=[[None, "tie"], ["undecided", None]],
        mark_labels={"tie": "tie: within ±2 points"},
    )
    hatched = [patch for patch in tied.axes[0].patches if patch.get_hatch() == "//"]
    assert len(hatched) == 1 and hatched[0].get_xy() == (0.5, -0.5)  # row 0, column 1
    dotted = [patch for patch in tied.axes[0].patches if patch.get_hatch() == ".."]
    assert len(dotted) == 1 and dotted[0].get_xy() == (-0.5, 0.5)  # row 1, column 0
    legend = [t.get_text() for t in tied.axes[0].get_legend().get_texts()]
    assert legend == ["tie: within ±2 points", "undecided"]
    with pytest.raises(ValueError, match="unknown mark 'maybe'"):
        plot_decision_matrix(values, ["a", "b"], ["c", "d"], marks=[["maybe", None], [None, None]])
    assert plot_decision_matrix(values, ["a", "b"], ["c", "d"]).axes[0].get_legend() is None
    capped = plot_decision_matrix(values, ["a", "b"], ["c", "d"], center=0, limit=5)
    assert capped.axes[0].images[0].get_clim() == (-5, 5)  # 12.5 takes the end colour
    wide = plot_decision_matrix(values, ["a", "b"], ["c", "d"], [["x" * 60, "y"], ["z", "w"]])
    assert wide.get_size_inches()[0] > 1.5 + 2.4 * 2 + 2  # columns widen for long annotation lines


def test_plot_learning_curves():
    curves = {
        "photos": {
            "frozen": ([1, 5, 10], [0.5, 0.7, 0.8], [0.1, 0.05, 0.02]),
            "fine-tune": ([1, 5], [0.4, 0.6], [0, 0]),
        },
        "clothes": {"fine-tune": ([10, 100], [0.6, 0.9], [0.01, 0.01])},
    }
    fig = plot_learning_curves(curves, chance={"photos": 0.2})
    assert repr(fig) == "<Figure size 920x390 with 2 Axes>"
    photos, clothes = fig.axes
    assert photos.get_xscale() == "log" and [ax.get_title() for ax in fig.axes] == ["photos", "clothes"]
    assert [label.get_text() for label in photos.get_xticklabels()] == ["1", "5", "10"]
    colors = {line.get_label(): line.get_color() for ax in fig.axes for line in ax.get_lines()}
    assert colors["fine-tune"] == "C1" and clothes.get_lines()[0].get_color() == "C1", "one colour per strategy"
    assert [text.get_text() for text in fig.legends[0].get_texts()] == ["frozen", "fine-tune", "chance"]


def test_plot_sweep_one_panel_per_metric_and_a_highlight():
    fig = plot_sweep(
        [0, 1, 2, 19],
        {"val accuracy": [0.8, 0.82, 0.85, 0.86], "seconds": [1, 2, 3, 9]},
        "unfrozen blocks",
        highlight=2,
        title="k = 2",
    )
    assert repr(fig) == "<Figure size 900x340 with 2 Axes>"
    assert [ax.get_title() for ax in fig.axes] == ["val accuracy", "seconds"]
    curve, circle = fig.axes[0].get_lines()
    assert list(curve.get_xdata()) == [0, 1, 2, 19] and list(circle.get_xdata()) == [2]
    assert list(circle.get_ydata()) == [0.85]
    with pytest.raises(ValueError, match="3 results for 4 values"):
        plot_sweep([0, 1, 2, 3], {"acc": [1, 2, 3]}, "k")


def test_plot_sweep_can_fix_a_panels_range():
    fig = plot_sweep([0, 1, 2], {"accuracy": [0.80, 0.81, 0.79], "seconds": [1, 2, 3]}, "k", ylims={"accuracy": (0, 1)})
    assert fig.axes[0].get_ylim() == (0, 1) and fig.axes[1].get_ylim() != (0, 1)
