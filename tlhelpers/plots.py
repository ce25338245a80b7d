"""The notebooks' figures, one call each.

Every function draws a whole figure and returns its :class:`~matplotlib.figure.Figure`.
The figure is built with pyplot and closed straight away, so a call that ends a cell is
shown exactly once (Jupyter displays the returned Figure) and nothing piles up in pyplot;
anywhere else use ``display(fig)`` or ``fig.savefig(path)`` — these functions never call
``plt.show()``. Sizes depend only on how many panels, classes or metrics there are, never
on the values drawn, so the text that nbval compares (``<Figure size 1080x440 with 12
Axes>``) is stable.

Images may be PIL images, ``uint8`` arrays (H×W×C or H×W), float arrays in [0, 1], or
C×H×W tensors; float tensors are un-normalised with ``mean``/``std`` (ImageNet's unless
told otherwise, ``None`` for tensors already in [0, 1]).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullLocator
from PIL import Image

from tlhelpers.data import IMAGENET_MEAN, IMAGENET_STD, to_rgb
from tlhelpers.models import ModelZooRow, model_zoo_table, pareto_front

Stats = Sequence[float] | None


def _figure(figsize: tuple[float, float], nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple[Figure, np.ndarray]:
    """A new figure with a 2-D array of axes, already closed in pyplot (see the module docstring).

    The dpi is pinned so that the size in the figure's repr does not follow local settings.
    """
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, dpi=100, squeeze=False, layout="constrained", **kwargs)
    plt.close(fig)
    return fig, axes


def _shared_legend(fig: Figure, axes: np.ndarray, max_columns: int) -> None:
    """One legend below the panels for every labelled line of ``axes`` (each label once)."""
    handles = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    if handles:
        fig.legend(
            list(handles.values()),
            list(handles),
            loc="outside lower center",
            ncols=min(len(handles), max_columns),
            fontsize=8,
            frameon=False,
        )


def _to_numpy(values: Any) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    return np.asarray(values)


def to_display_image(image: Any, mean: Stats = IMAGENET_MEAN, std: Stats = IMAGENET_STD) -> np.ndarray:
    """An H×W×3 (or H×W grey) array that ``imshow`` shows as the picture looked before preprocessing."""
    if isinstance(image, Image.Image):
        return np.asarray(image if image.mode in ("RGB", "L") else to_rgb(image))
    if isinstance(image, torch.Tensor):
        tensor = image.detach().cpu()
        if tensor.ndim != 3:
            raise ValueError(f"expected a C×H×W image tensor, got shape {tuple(tensor.shape)}")
        if tensor.dtype == torch.uint8:
            array = tensor.permute(1, 2, 0).numpy()
        else:
            if mean is not None and std is not None:
                if len(mean) != tensor.shape[0] or len(std) != tensor.shape[0]:
                    raise ValueError(
                        f"a {tensor.shape[0]}-channel tensor needs {tensor.shape[0]} mean/std values, got "
                        f"{len(mean)} — pass the ones used to normalise it, or mean=None, std=None"
                    )
                tensor = tensor * torch.tensor(std).view(-1, 1, 1) + torch.tensor(mean).view(-1, 1, 1)
            array = tensor.permute(1, 2, 0).clamp(0, 1).numpy()
        return array[..., 0] if array.shape[-1] == 1 else array
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.dtype != np.uint8:
        array = np.clip(array.astype(float), 0, 1)
    return array


def _show_image(ax: Axes, image: Any, mean: Stats, std: Stats) -> None:
    array = to_display_image(image, mean, std)
    ax.imshow(array, cmap="gray" if array.ndim == 2 else None, vmin=0, vmax=255 if array.dtype == np.uint8 else 1)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _label_text(label: Any, classes: Sequence[str] | None) -> str:
    if classes is not None and not isinstance(label, str):
        return classes[int(label)]
    return str(label)


def _image_grid(
    images: Sequence[Any],
    labels: Sequence[str] | None,
    label_colors: Sequence[str] | None,
    ncols: int,
    title: str | None,
    mean: Stats,
    std: Stats,
) -> Figure:
    count = len(images)
    if count == 0:
        fig, axes = _figure((4, 1))
        axes[0, 0].axis("off")
        axes[0, 0].text(0.5, 0.5, title or "no images", ha="center", va="center")
        return fig
    ncols = min(ncols, count)
    nrows = math.ceil(count / ncols)
    row_height = 1.8 + (0.4 if labels else 0)  # room for two lines of caption
    fig, axes = _figure((1.8 * ncols, row_height * nrows + (0.4 if title else 0)), nrows, ncols)
    for index, ax in enumerate(axes.flat):
        if index >= count:
            fig.delaxes(ax)
            continue
        _show_image(ax, images[index], mean, std)
        if labels:
            ax.set_title(labels[index], fontsize=9, color=label_colors[index] if label_colors else "black")
    if title:
        fig.suptitle(title)
    return fig


def show_images(
    images: Sequence[Any],
    labels: Sequence[Any] | None = None,
    classes: Sequence[str] | None = None,
    ncols: int = 6,
    title: str | None = None,
    mean: Stats = IMAGENET_MEAN,
    std: Stats = IMAGENET_STD,
) -> Figure:
    """A grid of images (a list, or an N×C×H×W / N×H×W batch), each captioned by its label.

    Integer labels become class names when ``classes`` is given.
    """
    texts = [_label_text(label, classes) for label in labels] if labels is not None else None
    return _image_grid(list(images), texts, None, ncols, title, mean, std)


def show_topk(
    images: Sequence[Any],
    predictions: Sequence[Sequence[tuple[str, float]]],
    labels: Sequence[str] | None = None,
    ncols: int = 2,
    mean: Stats = IMAGENET_MEAN,
    std: Stats = IMAGENET_STD,
) -> Figure:
    """Each image beside a bar chart of its top-k ``(category, probability)`` predictions."""
    images = list(images)
    count = len(images)
    ncols = max(1, min(ncols, count))
    nrows = max(1, math.ceil(count / ncols))
    fig, axes = _figure((6.5 * ncols, 2.6 * nrows), nrows, 2 * ncols, width_ratios=[1.4, 1] * ncols)
    for index in range(nrows * ncols):
        image_ax, bars_ax = axes[index // ncols, 2 * (index % ncols)], axes[index // ncols, 2 * (index % ncols) + 1]
        if index >= count:
            fig.delaxes(image_ax)
            fig.delaxes(bars_ax)
            continue
        _show_image(image_ax, images[index], mean, std)
        if labels:
            image_ax.set_title(labels[index], fontsize=10)
        categories = [category for category, _ in predictions[index]]
        probabilities = [float(probability) for _, probability in predictions[index]]
        positions = np.arange(len(categories))
        bars_ax.barh(positions, probabilities, color=["tab:blue"] + ["tab:gray"] * (len(categories) - 1))
        bars_ax.set_yticks(positions, categories, fontsize=9)
        bars_ax.invert_yaxis()  # the top-1 class on top
        bars_ax.set_xlim(0, 1.15)
        bars_ax.set_xticks([0, 0.5, 1], ["0%", "50%", "100%"], fontsize=8)
        bars_ax.spines[["top", "right"]].set_visible(False)
        for position, probability in zip(positions, probabilities):
            bars_ax.text(probability + 0.02, position, f"{probability:.0%}", va="center", fontsize=8)
    return fig


# --- training ------------------------------------------------------------------------------


def _series(history: Any, key: str) -> list[float]:
    values = history.get(key) if isinstance(history, Mapping) else getattr(history, key, None)
    return [float(value) for value in values] if values is not None else []


def plot_history(histories: Any, metrics: Sequence[str] = ("loss", "acc"), title: str | None = None) -> Figure:
    """Training curves, one panel per metric: train solid, validation dashed.

    ``histories`` is one history — an object with ``train_loss``, ``val_loss``, ``train_acc``,
    ``val_acc`` lists, or a dict with those keys — or a dict ``{run name: history}`` whose
    runs share the panels, one colour each, to compare strategies. A history whose
    ``best_epoch`` is set (``fit(..., keep_best=True)``) gets a star on its validation curve
    there: the weights the run kept. The legend sits below the panels, so it hides no curve.
    """
    keys = {f"{split}_{metric}" for split in ("train", "val") for metric in metrics}
    is_single = not isinstance(histories, Mapping) or any(key in histories for key in keys)
    runs = {"": histories} if is_single else dict(histories)
    fig, axes = _figure((4.5 * len(metrics), 3.4 + 0.25 * math.ceil(3 * len(runs) / 4)), 1, len(metrics))
    for ax, metric in zip(axes.flat, metrics):
        for run_index, (run_name, history) in enumerate(runs.items()):
            color = f"C{run_index % 10}"
            for split, style in (("train", "-"), ("val", "--")):
                values = _series(history, f"{split}_{metric}")
                if values:
                    label = f"{run_name} {split}".strip()
                    epochs = range(1, len(values) + 1)
                    ax.plot(epochs, values, style, color=color, marker="o", markersize=3, label=label)
            best = history.get("best_epoch") if isinstance(history, Mapping) else getattr(history, "best_epoch", None)
            values = _series(history, f"val_{metric}")
            if best and values:
                ax.plot(
                    [best],
                    [values[best - 1]],
                    "*",
                    color=color,
                    markersize=13,
                    markeredgecolor="black",
                    label=f"{run_name} ★ kept epoch".strip(),
                )
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_title(metric)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
    if axes[0, 0].get_lines():
        fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncol=4, fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def plot_confusion(
    targets: Any,
    predictions: Any,
    classes: Sequence[str],
    normalize: str | None = None,
    title: str | None = None,
) -> Figure:
    """Confusion matrix (rows: true class, columns: predicted); ``normalize="true"`` shows row fractions."""
    from sklearn.metrics import ConfusionMatrixDisplay

    side = 2.5 + 0.5 * len(classes)
    fig, axes = _figure((side + 0.5, side))
    ConfusionMatrixDisplay.from_predictions(
        _to_numpy(targets),
        _to_numpy(predictions),
        labels=list(range(len(classes))),
        display_labels=list(classes),
        normalize=normalize,
        values_format=".0%" if normalize else "d",
        cmap="Blues",
        colorbar=False,
        xticks_rotation=45,
        ax=axes[0, 0],
    )
    plt.setp(axes[0, 0].get_xticklabels(), ha="right", rotation_mode="anchor")
    if title:
        axes[0, 0].set_title(title)
    return fig


def show_misclassified(
    images: Sequence[Any],
    targets: Any,
    predictions: Any,
    classes: Sequence[str],
    max_images: int = 12,
    ncols: int = 6,
    mean: Stats = IMAGENET_MEAN,
    std: Stats = IMAGENET_STD,
) -> Figure:
    """The first ``max_images`` images whose prediction is wrong, captioned true vs predicted."""
    targets, predictions = _to_numpy(targets), _to_numpy(predictions)
    wrong = np.flatnonzero(targets != predictions)
    shown = wrong[:max_images]
    title = f"{len(wrong)} of {len(targets)} misclassified"
    if len(shown) < len(wrong):
        title += f" (first {len(shown)})"
    labels = [f"true: {classes[targets[i]]}\npred: {classes[predictions[i]]}" for i in shown]
    return _image_grid([images[int(i)] for i in shown], labels, ["tab:red"] * len(shown), ncols, title, mean, std)


# --- features ------------------------------------------------------------------------------


def _embed_2d(features: np.ndarray, method: str, seed: int) -> np.ndarray:
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed).fit_transform(features)
    if method == "tsne":
        from sklearn.manifold import TSNE
        from threadpoolctl import threadpool_limits  # installed with scikit-learn

        perplexity = min(30.0, (len(features) - 1) / 3)
        tsne = TSNE(n_components=2, init="pca", perplexity=perplexity, random_state=seed)
        # One thread: the map then does not depend on the machine's core count, and t-SNE's
        # many short parallel steps run slower threaded, badly so on a busy 2-core machine.
        with threadpool_limits(limits=1, user_api="openmp"):
            return tsne.fit_transform(features)
    raise ValueError(f"unknown method {method!r} — use 'pca' or 'tsne'")


def plot_embedding(
    features: Any,
    targets: Any,
    classes: Sequence[str],
    method: str = "pca",
    seed: int = 0,
    ax: Axes | None = None,
    title: str | None = None,
    legend: bool = True,
) -> Figure:
    """A 2-D map of feature vectors (N×D) by PCA or t-SNE, one colour per class.

    Pass ``ax`` to draw into an existing figure (two maps side by side); the result is
    then that figure.
    """
    features = _to_numpy(features).reshape(len(targets), -1).astype(np.float32)
    targets = _to_numpy(targets)
    points = _embed_2d(features, method, seed)
    if ax is None:
        fig, axes = _figure((6.5, 5))
        ax = axes[0, 0]
    else:
        fig = ax.figure
    palette = plt.get_cmap("tab10" if len(classes) <= 10 else "tab20")
    for class_index, class_name in enumerate(classes):
        chosen = targets == class_index
        color = palette(class_index)
        ax.scatter(points[chosen, 0], points[chosen, 1], s=10, alpha=0.8, color=color, label=class_name)
    method_name = {"pca": "PCA", "tsne": "t-SNE"}[method]
    ax.set_title(title or f"{method_name} of {features.shape[0]} feature vectors ({features.shape[1]}-d)")
    ax.set_xticks([])
    ax.set_yticks([])
    if legend:
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, markerscale=1.5, frameon=False)
    return fig


def plot_embeddings_side_by_side(
    maps: Mapping[str, tuple[Any, Any, Sequence[str]]],
    method: str = "tsne",
    seed: int = 0,
) -> Figure:
    """Several :func:`plot_embedding` maps in one row, e.g. ``{"ImageNet features": (f, y, classes), ...}``.

    Maps with the same classes share one legend, at the right of the last of them; maps of
    different datasets (photos beside Fashion-MNIST) each get their own.
    """
    class_lists = [list(classes) for _, _, classes in maps.values()]
    legends = [index == len(maps) - 1 or class_lists[index] != class_lists[index + 1] for index in range(len(maps))]
    fig, axes = _figure((5.0 * len(maps) + 1.5 * sum(legends), 5), 1, len(maps))
    for ax, legend, (name, (features, targets, classes)) in zip(axes.flat, legends, maps.items()):
        plot_embedding(features, targets, classes, method, seed, ax=ax, title=name, legend=legend)
    return fig


# --- choosing a model ----------------------------------------------------------------------


ZOO_LABELS = (
    "alexnet",
    "vgg16",
    "resnet18",
    "resnet50",
    "mobilenet_v2",
    "mobilenet_v3_large",
    "efficientnet_b0",
    "convnext_tiny",
    "vit_b_16",
    "vit_h_14",
)


def plot_model_zoo(
    rows: Sequence[ModelZooRow] | None = None,
    label: Sequence[str] = ZOO_LABELS,
    title: str = "torchvision's ImageNet classifiers",
) -> Figure:
    """ImageNet top-1 accuracy against GFLOPS (log scale), marker area by parameter count.

    The models named in ``label`` are highlighted (each of their weights) and annotated at
    their best weights; a dashed line follows the Pareto front.
    """
    rows = [row for row in (model_zoo_table() if rows is None else rows) if not math.isnan(row.acc1)]
    highlighted = [row for row in rows if row.model in set(label)]
    fig, axes = _figure((9, 5.5))
    ax = axes[0, 0]

    def area(num_params: float) -> float:
        return 6 + num_params / 1e6 * 0.8

    layers = ((rows, "tab:blue", 0.3, "none"), (highlighted, "tab:orange", 0.9, "black"))
    for chosen, color, alpha, edgecolor in layers:
        x, y, sizes = [r.gflops for r in chosen], [r.acc1 for r in chosen], [area(r.num_params) for r in chosen]
        ax.scatter(x, y, s=sizes, color=color, alpha=alpha, edgecolor=edgecolor, linewidth=0.5)
    front = pareto_front(rows)
    ax.step(
        [r.gflops for r in front],
        [r.acc1 for r in front],
        where="post",
        color="gray",
        linestyle="--",
        linewidth=1,
        label="Pareto front",
    )
    for model_name in dict.fromkeys(row.model for row in highlighted):
        best = max((row for row in highlighted if row.model == model_name), key=lambda row: row.acc1)
        ax.annotate(model_name, (best.gflops, best.acc1), xytext=(6, -4), textcoords="offset points", fontsize=8)
    for num_params in (5e6, 50e6, 500e6):
        ax.scatter([], [], s=area(num_params), color="tab:blue", alpha=0.3, label=f"{num_params / 1e6:.0f} M params")
    ax.legend(loc="lower right", labelspacing=1.2, borderpad=0.8, fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("GFLOPS per image (log scale)")
    ax.set_ylabel("ImageNet top-1 accuracy (%)")
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    return fig


def plot_decision_matrix(
    values: Any,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    annotations: Sequence[Sequence[str]] | None = None,
    title: str | None = None,
    value_label: str = "",
    center: float | None = None,
    marks: Sequence[Sequence[str | None]] | None = None,
    mark_labels: Mapping[str, str] | None = None,
    limit: float | None = None,
) -> Figure:
    """An n×m heatmap with a text per cell (e.g. the winning strategy and its margin).

    With ``center`` (e.g. 0 for "A minus B" margins) the colours diverge from it, so the
    sign is what stands out. ``marks`` (n×m of a word or None) marks cells whose colour is no measured
    difference — "tie" (drawn grey, hatched ``//``) or "undecided" (drawn white, hatched ``..``) — instead of
    colouring them; the legend names each mark used, with ``mark_labels[mark]`` (default: the word).
    ``limit`` caps the colour scale at ``center ± limit`` (values beyond it take the end colours; the colour
    bar shows arrows), so that one huge margin does not wash out the others. Columns widen to fit the longest
    annotation line.
    """
    from matplotlib.patches import Patch, Rectangle

    values = _to_numpy(values).astype(float)
    nrows, ncols = values.shape
    longest = max((len(line) for row in annotations or [] for text in row for line in text.splitlines()), default=0)
    lines = max((len(text.splitlines()) for row in annotations or [] for text in row), default=1)
    column_width = max(2.4, 0.085 * longest + 0.3)
    fig, axes = _figure((1.5 + column_width * ncols, 0.9 + max(1.5, 0.3 * lines + 0.4) * nrows))
    ax = axes[0, 0]
    if center is None:
        cmap, vmin, vmax = "Blues", np.nanmin(values), np.nanmax(values)
    else:
        spread = limit if limit is not None else (np.nanmax(np.abs(values - center)) or 1.0)
        cmap, vmin, vmax = "RdBu", center - spread, center + spread
    image = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    clipped = limit is not None and bool(np.nanmax(np.abs(values - (center or 0))) > limit)
    fig.colorbar(image, ax=ax, label=value_label, shrink=0.9, extend="both" if clipped else "neither")
    ax.set_xticks(range(ncols), col_labels)
    ax.set_yticks(range(nrows), row_labels)
    ax.tick_params(length=0)
    styles = {"tie": {"facecolor": "0.88", "hatch": "//"}, "undecided": {"facecolor": "white", "hatch": ".."}}
    used: list[str] = []
    for row in range(nrows):
        for col in range(ncols):
            text = annotations[row][col] if annotations is not None else f"{values[row, col]:.2f}"
            red, green, blue, _ = image.cmap(image.norm(values[row, col]))
            dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5  # luminance: white text on dark cells
            mark = marks[row][col] if marks is not None else None
            if mark is not None:
                if mark not in styles:
                    raise ValueError(f"unknown mark {mark!r} — use one of {list(styles)} or None")
                ax.add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1, edgecolor="0.55", **styles[mark]))
                used += [mark] if mark not in used else []
                dark = False
            ax.text(
                col,
                row,
                text,
                ha="center",
                va="center",
                fontsize=10,
                color="white" if dark else "black",
                bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"} if mark is not None else None,
            )
    if used:
        labels = mark_labels or {}
        ax.legend(
            handles=[Patch(edgecolor="0.55", label=labels.get(mark, mark), **styles[mark]) for mark in used],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.08),
            frameon=False,
        )
    if title:
        ax.set_title(title)
    return fig


def plot_learning_curves(
    curves: Mapping[str, Mapping[str, tuple[Sequence[float], Sequence[float], Sequence[float]]]],
    chance: Mapping[str, float] | None = None,
    xlabel: str = "training images per class (log scale)",
    ylabel: str = "accuracy",
    title: str | None = None,
) -> Figure:
    """Learning curves, one panel per dataset: ``{panel: {strategy: (amounts, means, stds)}}``.

    Each strategy keeps its colour in every panel; the band is mean ± std over seeds. The
    x axis is logarithmic; ``chance`` (per panel) draws a dotted line at chance accuracy.
    """
    names = list(dict.fromkeys(strategy for panel in curves.values() for strategy in panel))
    fig, axes = _figure((4.6 * len(curves), 3.9), 1, len(curves), sharey=True)
    for ax, (panel, strategies) in zip(axes.flat, curves.items()):
        for strategy, (amounts, means, stds) in strategies.items():
            x, mean, std = np.asarray(amounts, float), np.asarray(means, float), np.asarray(stds, float)
            color = f"C{names.index(strategy) % 10}"
            ax.plot(x, mean, marker="o", markersize=4, color=color, label=strategy)
            ax.fill_between(x, mean - std, mean + std, color=color, alpha=0.2, linewidth=0)
        if chance and panel in chance:
            ax.axhline(chance[panel], color="gray", linestyle=":", linewidth=1, label="chance")
        ax.set_xscale("log")
        amounts_drawn = sorted({float(a) for amounts, _, _ in strategies.values() for a in amounts})
        ax.set_xticks(amounts_drawn, [f"{a:g}" for a in amounts_drawn])  # the measured amounts, as plain numbers
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_title(panel)
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3, which="both")
    axes[0, 0].set_ylabel(ylabel)
    _shared_legend(fig, axes, max_columns=5)
    if title:
        fig.suptitle(title)
    return fig


def plot_sweep(
    values: Sequence[float],
    panels: Mapping[str, Sequence[float]],
    xlabel: str,
    highlight: float | None = None,
    title: str | None = None,
    ylims: Mapping[str, tuple[float, float]] | None = None,
) -> Figure:
    """One result per setting of a knob, one panel per metric: ``{"val accuracy": [...], ...}``.

    ``values`` are the knob's settings (e.g. the number of unfrozen blocks) on a linear x axis;
    ``highlight`` circles that setting in every panel, for a slider to move along; ``ylims`` fixes
    a panel's y range (``{"val accuracy": (0, 1)}``), so that one run's noise does not fill the panel
    and read as a trend.
    """
    x = np.asarray(values, dtype=float)
    fig, axes = _figure((4.5 * len(panels), 3.4), 1, len(panels))
    for index, (ax, (metric, results)) in enumerate(zip(axes.flat, panels.items())):
        y = np.asarray(results, dtype=float)
        if len(y) != len(x):
            raise ValueError(f"panel {metric!r} has {len(y)} results for {len(x)} values of {xlabel!r}")
        ax.plot(x, y, marker="o", markersize=4, color=f"C{index % 10}")
        if highlight is not None:
            chosen = np.flatnonzero(x == highlight)
            ax.plot(x[chosen], y[chosen], "o", markersize=12, markerfacecolor="none", markeredgecolor="black")
        ax.set_xticks(x)
        ax.set_xlabel(xlabel)
        ax.set_title(metric)
        ax.grid(alpha=0.3)
        if ylims and metric in ylims:
            ax.set_ylim(*ylims[metric])
    if title:
        fig.suptitle(title)
    return fig


def plot_scores_vs_accuracy(
    panels: Mapping[str, Mapping[str, tuple[Sequence[float], Sequence[float]]]],
    xlabel: str = "score (higher: predicted better)",
    ylabel: str = "measured accuracy",
    title: str | None = None,
) -> Figure:
    """A transferability score against the accuracy it should predict: ``{panel: {candidate: (scores, accuracies)}}``.

    One panel per dataset and amount, one colour per candidate, one dot per seed's draw;
    accuracies are fractions, drawn in points. With both axes relative to each draw's mean
    (:func:`tlhelpers.decision_matrix.selection_results.score_accuracy_points`), a score that ranks well puts
    the dots in the lower-left and upper-right quadrants.
    """
    names = list(dict.fromkeys(candidate for panel in panels.values() for candidate in panel))
    fig, axes = _figure((3.6 * len(panels), 3.4), 1, len(panels))
    for ax, (panel, candidates) in zip(axes.flat, panels.items()):
        for candidate, (scores, accuracies) in candidates.items():
            color = f"C{names.index(candidate) % 10}"
            ax.scatter(scores, 100 * np.asarray(accuracies, float), s=22, color=color, alpha=0.8, label=candidate)
        ax.set_title(panel, fontsize=10)
        ax.set_xlabel(xlabel, fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.axhline(0, color="gray", linewidth=0.8)
        ax.axvline(0, color="gray", linewidth=0.8)
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel(ylabel)
    _shared_legend(fig, axes, max_columns=4)
    if title:
        fig.suptitle(title)
    return fig
