"""Performance benchmarks: three figures, each a ratio against a baseline measured in the same run.

    python -m benchmarks.bench                    # what `make bench` runs
    python -m benchmarks.bench --skip-notebooks   # only the loop and sweep benchmarks (a few minutes less)

1. Notebooks: every notebook and solutions notebook executed headless (the runner of `make run`):
   seconds per notebook, the slowest cell, the total.
2. Feature extraction: training a new head on cached embeddings against the PyTorch tutorial's way,
   which runs the frozen backbone over the decoded images again in every epoch. Per-epoch time ratio,
   and the validation accuracy of both (the same head, optimiser, batches and epochs).
3. Fine-tuning: `tlhelpers.train.fit` on preloaded tensors against the raw model's forward + backward +
   update on synthetic tensors of the same shape: how close the real loop comes to the model's own speed.
4. The sweep's engines: a reduced decision-matrix sweep (six fine-tuning runs) serially with one torch thread
   against the joblib engine on every core (one thread per run), fresh job folders each: wall-time ratio, and
   whether both gave the same rows.

Writes benchmarks/results.json and benchmarks/results.md (with CPU model, core count and versions).
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

from tlhelpers.assets import atomic_path
from tlhelpers.data import fashion_mnist, make_loader, per_class_subset, preload, stamps, weights_transform
from tlhelpers.decision_matrix import sweep
from tlhelpers.decision_matrix.config import SweepPart
from tlhelpers.decision_matrix.sweep import default_workers, run_jobs, sweep_jobs
from tlhelpers.features import EpochShuffle, extract_features, feature_model, train_linear_head
from tlhelpers.machine import machine_info
from tlhelpers.models import freeze_backbone, get_model, get_weights, replace_head
from tlhelpers.state import seeded, set_seed
from tlhelpers.train import fit
from tools.notebook_list import NOTEBOOK_DIR, all_notebooks
from tools.run_notebooks import execute

HERE = Path(__file__).resolve().parent

FEATURE_IMAGE_SIZE = 160  # notebook 03's size for the photo stamps
FEATURE_EPOCHS = 5
FEATURE_BATCH = 32
FEATURE_LR = 1e-3
FINE_TUNE_IMAGE_SIZE = 128
FINE_TUNE_BATCH = 32
FINE_TUNE_IMAGES_PER_CLASS = 32  # 320 Fashion-MNIST images = 10 full batches
FINE_TUNE_EPOCHS = 5  # alternating rounds of one epoch each (10 batches)


def machine() -> dict:
    return {**machine_info(), "date": datetime.date.today().isoformat()}


def cell_seconds(cell) -> float:
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = datetime.datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds()


def bench_notebooks() -> dict:
    rows = []
    for path in all_notebooks():
        start = time.perf_counter()
        notebook, status = execute(path, record_timing=True)
        seconds = time.perf_counter() - start
        slowest = max((cell_seconds(cell) for cell in notebook.cells if cell.cell_type == "code"), default=0.0)
        rows.append(
            {
                "notebook": str(path.relative_to(NOTEBOOK_DIR)),
                "status": status,
                "seconds": round(seconds, 1),
                "slowest_cell_seconds": round(slowest, 1),
            }
        )
        print(f"  {rows[-1]}", flush=True)
    return {
        "rows": rows,
        "total_seconds": round(sum(row["seconds"] for row in rows), 1),
        "max_notebook_seconds": max(row["seconds"] for row in rows),
        "max_cell_seconds": max(row["slowest_cell_seconds"] for row in rows),
    }


def frozen_model(num_classes: int) -> nn.Module:
    set_seed(0)
    model = get_model("mobilenet_v2", "IMAGENET1K_V1")
    replace_head(model, num_classes)
    return freeze_backbone(model)


def bench_feature_cache(cache_dir: Path) -> dict:
    transform = weights_transform(get_weights("mobilenet_v2", "IMAGENET1K_V1"), image_size=FEATURE_IMAGE_SIZE)
    train_set, val_set = stamps("photo", "train", transform), stamps("photo", "val", transform)
    classes = len(train_set.classes)
    backbone = feature_model(frozen_model(classes)).eval()

    # Cached: run the backbone once, then train a linear head on the stored embeddings.
    start = time.perf_counter()
    train_features, train_targets = extract_features(backbone.model, train_set, cache_dir=cache_dir, progress=False)
    val_features, val_targets = extract_features(backbone.model, val_set, cache_dir=cache_dir, progress=False)
    extraction_seconds = time.perf_counter() - start
    _, history = train_linear_head(
        train_features,
        train_targets,
        val_features,
        val_targets,
        num_classes=classes,
        epochs=FEATURE_EPOCHS,
        lr=FEATURE_LR,
        batch_size=FEATURE_BATCH,
        seed=0,
        progress=False,
    )

    # Baseline, the PyTorch tutorial's way: every epoch decodes and transforms the images and runs
    # the frozen backbone again (the same `fit` loop, on backbone + head). Same head initialisation,
    # optimiser and batch order as above (train_linear_head's), so the two differ only in where the
    # features come from.
    with seeded(0):
        head = nn.Linear(train_features.shape[1], classes)
    optimizer = torch.optim.AdamW(head.parameters(), lr=FEATURE_LR, weight_decay=0.0)
    sampler = EpochShuffle(len(train_set), torch.Generator().manual_seed(0))
    loader = DataLoader(train_set, batch_size=FEATURE_BATCH, sampler=sampler)
    baseline = fit(nn.Sequential(backbone, head), loader, epochs=FEATURE_EPOCHS, optimizer=optimizer, progress=False)
    baseline_epochs = baseline.seconds
    with torch.no_grad():
        baseline_acc = (head(val_features).argmax(1) == val_targets).float().mean().item()

    baseline_epoch, cached_epoch = statistics.median(baseline_epochs), statistics.median(history.seconds)
    return {
        "images": len(train_set),
        "image_size": FEATURE_IMAGE_SIZE,
        "epochs": FEATURE_EPOCHS,
        "baseline_epoch_seconds": round(baseline_epoch, 4),
        "cached_epoch_seconds": round(cached_epoch, 5),
        "one_off_extraction_seconds": round(extraction_seconds, 2),
        "speedup_per_epoch": round(baseline_epoch / cached_epoch, 1),
        "baseline_val_acc": round(baseline_acc, 3),
        "cached_val_acc": round(history.val_acc[-1], 3),
    }


def bench_fine_tuning() -> dict:
    transform = weights_transform(get_weights("mobilenet_v2", "IMAGENET1K_V1"), image_size=FINE_TUNE_IMAGE_SIZE)
    dataset = preload(per_class_subset(fashion_mnist("train", transform), FINE_TUNE_IMAGES_PER_CLASS))
    batches = len(dataset) // FINE_TUNE_BATCH

    set_seed(0)
    model = get_model("mobilenet_v2", "IMAGENET1K_V1")
    replace_head(model, len(dataset.classes))
    loader = make_loader(dataset, batch_size=FINE_TUNE_BATCH, shuffle=True, seed=0, drop_last=True)

    # The model alone: the same shapes, no data pipeline, no bookkeeping.
    set_seed(0)
    raw_model = get_model("mobilenet_v2", "IMAGENET1K_V1")
    replace_head(raw_model, len(dataset.classes))
    raw_model.train().to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(raw_model.parameters(), lr=1e-4)
    images = torch.randn(FINE_TUNE_BATCH, 3, FINE_TUNE_IMAGE_SIZE, FINE_TUNE_IMAGE_SIZE).to(
        memory_format=torch.channels_last
    )
    labels = torch.randint(0, len(dataset.classes), (FINE_TUNE_BATCH,))

    def raw_epoch() -> float:
        start = time.perf_counter()
        for _ in range(batches):
            optimizer.zero_grad()
            nn.functional.cross_entropy(raw_model(images), labels).backward()
            optimizer.step()
        return time.perf_counter() - start

    # Warm-up both, then alternate epoch by epoch, so that a busy moment of the machine hits both
    # sides alike; the median epoch of each side counts.
    fit(model, loader, epochs=1, lr=1e-4, progress=False)
    raw_epoch()
    loop_seconds, raw_seconds = [], []
    for _ in range(FINE_TUNE_EPOCHS):
        loop_seconds += fit(model, loader, epochs=1, lr=1e-4, progress=False).seconds
        raw_seconds.append(raw_epoch())
    loop_images_per_second = batches * FINE_TUNE_BATCH / statistics.median(loop_seconds)
    raw_images_per_second = batches * FINE_TUNE_BATCH / statistics.median(raw_seconds)
    return {
        "images": len(dataset),
        "image_size": FINE_TUNE_IMAGE_SIZE,
        "batch_size": FINE_TUNE_BATCH,
        "loop_images_per_second": round(loop_images_per_second, 1),
        "raw_images_per_second": round(raw_images_per_second, 1),
        "loop_over_raw": round(loop_images_per_second / raw_images_per_second, 3),
    }


# Twelve runs of the two strategies that take most of the full sweep's time (6 runs measured the same ratio).
SWEEP_BENCH = (SweepPart("fashion_mnist", (20,), (0, 1, 2, 3, 4, 5), ("scratch", "fine_tuning")),)


def bench_sweep_engines(cache_dir: Path) -> dict:
    """The reduced sweep serially and with joblib on every core, each engine from a cold feature cache of its own."""
    jobs = sweep_jobs(SWEEP_BENCH)
    run_jobs(jobs[:1], cache_dir / "warm-up", threads=1, cache_dir=str(cache_dir / "warm-up"), progress=False)  # data
    seconds, rows = {}, {}
    for engine in ("serial", "joblib"):
        # Both legs start cold, as a fresh `python -m tlhelpers.decision_matrix.sweep` does: the warm-up above left
        # the data pool, the split and the model in this process's caches, which the serial leg would otherwise get
        # for free while each joblib worker builds its own.
        sweep.clear_caches()
        start = time.perf_counter()
        rows[engine] = run_jobs(
            jobs,
            cache_dir / engine / "jobs",
            engine=engine,
            threads=1,
            cache_dir=str(cache_dir / engine / "features"),
            progress=False,
        )
        seconds[engine] = time.perf_counter() - start
    same = [{k: v for k, v in row.items() if k != "seconds"} for row in rows["serial"]] == [
        {k: v for k, v in row.items() if k != "seconds"} for row in rows["joblib"]
    ]
    return {
        "runs": len(jobs),
        "workers": default_workers(),
        "serial_seconds": round(seconds["serial"], 1),
        "joblib_seconds": round(seconds["joblib"], 1),
        "speedup": round(seconds["serial"] / seconds["joblib"], 2),
        "same_rows": same,
    }


def markdown(results: dict) -> str:
    info = results["machine"]
    lines = [
        f"Measured {info['date']} on {info['cpu']}, {info['cpu_count']} cores ({info['torch_threads']} torch threads), "
        f"Python {info['python']}, torch {info['torch']}, torchvision {info['torchvision']}.",
        "",
        "| figure | measured | target |",
        "|---|---|---|",
    ]
    if "notebooks" in results:
        nb = results["notebooks"]
        lines += [
            f"| all notebooks, headless | {nb['total_seconds'] / 60:.1f} min | ≤ 10 min |",
            f"| slowest notebook | {nb['max_notebook_seconds']:.0f} s | ≤ 180 s |",
            f"| slowest cell | {nb['max_cell_seconds']:.0f} s | ≤ 60 s |",
        ]
    fe, ft = results["feature_cache"], results["fine_tuning"]
    lines += [
        f"| head training per epoch, cached embeddings vs backbone every epoch | {fe['speedup_per_epoch']:.0f}× faster "
        f"({fe['cached_epoch_seconds'] * 1000:.1f} ms vs {fe['baseline_epoch_seconds']:.2f} s); val accuracy "
        f"{fe['cached_val_acc']:.1%} vs {fe['baseline_val_acc']:.1%} | ≥ 20×, within 1 point |",
        f"| fine-tuning loop vs raw forward+backward | {ft['loop_over_raw']:.0%} "
        f"({ft['loop_images_per_second']:.0f} vs {ft['raw_images_per_second']:.0f} img/s "
        f"at {ft['image_size']} px) | ≥ 85 % |",
    ]
    if "sweep_engines" in results:
        sw = results["sweep_engines"]
        lines += [
            f"| reduced sweep ({sw['runs']} runs), joblib on {sw['workers']} cores vs serial "
            f"| {sw['speedup']:.2f}× faster ({sw['joblib_seconds']:.0f} s vs {sw['serial_seconds']:.0f} s); "
            f"same rows: {'yes' if sw['same_rows'] else 'NO'} | ≥ 1.7× on 2 cores, same rows |"
        ]
    if "notebooks" in results:
        lines += ["", "| notebook | status | seconds | slowest cell (s) |", "|---|---|---:|---:|"]
        lines += [
            f"| {r['notebook']} | {r['status']} | {r['seconds']:.0f} | {r['slowest_cell_seconds']:.0f} |"
            for r in results["notebooks"]["rows"]
        ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--skip-notebooks", action="store_true", help="skip the notebooks: only the loop and sweep benchmarks"
    )
    args = parser.parse_args()
    results = {
        "command": "python -m benchmarks.bench" + (" --skip-notebooks" if args.skip_notebooks else ""),
        "machine": machine(),
    }
    start = time.perf_counter()
    if not args.skip_notebooks:
        print("notebooks …", flush=True)
        results["notebooks"] = bench_notebooks()
    print("feature extraction: cached embeddings vs backbone every epoch …", flush=True)
    import tempfile

    with tempfile.TemporaryDirectory() as cache_dir:  # a cold cache: extraction is measured too
        results["feature_cache"] = bench_feature_cache(Path(cache_dir))
    print("fine-tuning loop vs raw model …", flush=True)
    results["fine_tuning"] = bench_fine_tuning()
    print("the sweep: joblib engine vs serial …", flush=True)
    with tempfile.TemporaryDirectory() as cache_dir:
        results["sweep_engines"] = bench_sweep_engines(Path(cache_dir))
    results["wall_seconds"] = round(time.perf_counter() - start, 1)
    with atomic_path(HERE / "results.json") as tmp:
        tmp.write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    with atomic_path(HERE / "results.md") as tmp:
        tmp.write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
