r"""Running the decision-matrix sweep: one job per run, each persisted, on the engine you have.

A *job* (:class:`Job`) is one training run — dataset, images per class, seed, strategy,
budget, image size, model — and a pure function of that configuration: every random draw
is seeded from it, so it gives the same numbers in any order, process or machine with the
same software and one torch thread. Its id is the sha256 of the configuration. As soon as
a job finishes, its row is written atomically to ``<jobs dir>/<id>.json``; a sweep skips the
jobs whose file is there and valid (a corrupt or foreign file is redone, with a warning).
So killing a sweep — Ctrl-C, ``kill -9``, power loss — loses at most the runs in flight, and
running the same command again finishes the rest. The results file is assembled from the
job files in a fixed order, whatever order they finished in.

Engines, one code path (:func:`run_jobs`):

* ``serial`` — one run after another in this process (the default; the committed file was
  made this way with ``--threads 1``);
* ``joblib`` — local processes across the cores, one torch thread each;
* ``dask`` — a Dask distributed cluster (``--scheduler tcp://host:8786``), or a
  ``LocalCluster`` on 127.0.0.1 when no address is given. Slurm, PBS and friends go
  through ``dask-jobqueue``, which gives the same kind of scheduler address.

The coordinating process writes each job file when the result comes back, so workers need
no shared file system. The sweep's configuration lives in :mod:`tlhelpers.decision_matrix.config`,
the strategies in :mod:`tlhelpers.decision_matrix.strategies`; reading results is
:mod:`tlhelpers.decision_matrix.results`.

    python -m tlhelpers.decision_matrix.sweep --output notebooks/results/decision_matrix.json \
        --threads 1   # `make matrix`
    python -m tlhelpers.decision_matrix.sweep --output build/again.json --engine joblib --workers 2
    python -m tlhelpers.decision_matrix.sweep --output build/again.json --dry-run \
        --reference notebooks/results/decision_matrix.json
    python -m tlhelpers.decision_matrix.sweep --reduced        # the notebook's reduced sweep, printed, nothing written
    python -m tlhelpers.decision_matrix.sweep --selection --engine joblib \
        --output notebooks/results/model_selection.json  # `make selection`
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import functools
import hashlib
import json
import os
import shlex
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from tqdm.auto import tqdm

from tlhelpers.assets import atomic_path
from tlhelpers.decision_matrix.config import (
    CONTROL_SWEEP,
    DATASETS,
    EARLY_BLOCK,
    FULL_SWEEP,
    IMAGE_SIZES,
    MODEL_NAME,
    RECIPE_SWEEP,
    RECIPE_VARIANTS,
    REDUCED_SWEEP,
    SELECTION_SWEEP,
    STRATEGIES,
    WEIGHTS_NAME,
    Budget,
    SweepPart,
)
from tlhelpers.decision_matrix.pools import draw_split, load_pool
from tlhelpers.decision_matrix.results import load_results, results_table, summarize
from tlhelpers.decision_matrix.strategies import run_strategy
from tlhelpers.machine import machine_info, usable_cores
from tlhelpers.models import get_model

JOB_FORMAT = 1  # bump when what a job measures changes, so old job files are not reused
ENGINES = ("serial", "joblib", "dask")
SCORED_STRATEGIES = ("features", "early_features")  # the runs that extract features, and can score them
ROW_KEYS = (
    "dataset",
    "n_per_class",
    "seed",
    "strategy",
    "acc",
    "seconds",
    "num_train",
    "epochs",
    "steps",
    "correct",
    "labels",
)


@dataclass(frozen=True)
class Job:
    """One training run of the sweep, fully described by its fields."""

    dataset: str
    n_per_class: int
    seed: int
    strategy: str
    budget: Budget = field(default_factory=Budget)
    image_size: int = 0  # 0: the dataset's sweep size, IMAGE_SIZES[dataset]
    model: str = MODEL_NAME
    weights: str = WEIGHTS_NAME
    early_block: str = EARLY_BLOCK
    scores: bool = False  # feature-extraction runs also score their training features (tlhelpers.selection)

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS:
            raise ValueError(f"unknown dataset {self.dataset!r} — use one of {list(DATASETS)}")
        if self.strategy not in STRATEGIES and self.strategy not in RECIPE_VARIANTS:
            raise ValueError(
                f"unknown strategy {self.strategy!r} — use one of {list(STRATEGIES) + list(RECIPE_VARIANTS)}"
            )
        if not self.image_size:
            object.__setattr__(self, "image_size", IMAGE_SIZES[self.dataset])

    def config(self) -> dict:
        """Everything the result depends on, as plain JSON values.

        ``scores`` appears only when set, so that jobs from before it existed keep their ids.
        """
        config = {"format": JOB_FORMAT, **asdict(self)}
        if not self.scores:
            del config["scores"]
        return config

    @property
    def id(self) -> str:
        return hashlib.sha256(json.dumps(self.config(), sort_keys=True).encode()).hexdigest()[:24]


def sweep_jobs(parts: Sequence[SweepPart], budget: Budget = Budget()) -> list[Job]:
    """The jobs of ``parts`` in the canonical order: dataset, images per class, seed, strategy (then model)."""
    return [
        Job(
            part.dataset,
            n,
            seed,
            strategy,
            part.budget or budget,
            part.image_size,
            *backbone,
            scores=part.scores and strategy in SCORED_STRATEGIES,
        )
        for part in parts
        for n in part.amounts
        for seed in part.seeds
        for strategy in part.strategies
        for backbone in part.models
    ]


# --- one job -----------------------------------------------------------------------------------


# What consecutive jobs of one process share: the pretrained model, the data pools and the current draw. They
# live as long as the process (a joblib worker runs many jobs); run_jobs empties them when it is done, so that a
# notebook's kernel does not keep a model and pools alive, and clear_caches() starts a measurement cold.
@functools.lru_cache(maxsize=2)
def _pretrained(model: str, weights: str) -> torch.nn.Module:
    return get_model(model, weights).eval()


@functools.lru_cache(maxsize=4)
def _pool(dataset: str, image_size: int, model: str, weights: str):
    return load_pool(dataset, image_size, model, weights)


@functools.lru_cache(maxsize=2)  # consecutive jobs (the strategies and backbones of one draw) share it
def _split(dataset: str, image_size: int, n_per_class: int, seed: int, model: str, weights: str):
    return draw_split(_pool(dataset, image_size, model, weights), n_per_class, seed)


def clear_caches() -> None:
    """Forget the pretrained models, data pools and draws this process keeps between jobs."""
    for cached in (_pretrained, _pool, _split):
        cached.cache_clear()


def run_job(job: Job, cache_dir: str | None = None, threads: int | None = None) -> dict:
    """Train and measure one job; its row (accuracies, training seconds, images, epochs, steps)."""
    if threads:
        torch.set_num_threads(threads)
    train, eval_sets = _split(job.dataset, job.image_size, job.n_per_class, job.seed, job.model, job.weights)
    result = run_strategy(
        job.strategy,
        train,
        eval_sets,
        job.budget,
        job.seed,
        _pretrained(job.model, job.weights),
        cache_dir,
        early_block=job.early_block,
        model_name=job.model,
        score_features=job.scores,
    )
    row = {
        "dataset": job.dataset,
        "n_per_class": job.n_per_class,
        "seed": job.seed,
        "strategy": job.strategy,
        "acc": result["eval"],
        "seconds": result["seconds"],
        "num_train": len(train),
        "epochs": job.budget.num_epochs(len(train)),
        "steps": job.budget.num_steps(len(train)),
    }
    if "cartoons" in result:
        row["cartoon_acc"] = result["cartoons"]
    row.update(result["images"])  # correct / labels / held_out: the held-out images one by one
    if job.image_size != IMAGE_SIZES[job.dataset]:  # a control's row says what it changed
        row["image_size"] = job.image_size
    if job.model != MODEL_NAME:
        row["model"] = job.model
    row.update(result.get("scores", {}))
    return row


def _job_and_row(job: Job, cache_dir: str | None, threads: int | None) -> tuple[Job, dict]:
    """What a worker runs: the job and its row (a module-level function, so that it pickles)."""
    return job, run_job(job, cache_dir, threads)


# --- job files ---------------------------------------------------------------------------------


def job_path(jobs_dir: str | Path, job: Job) -> Path:
    return Path(jobs_dir) / f"{job.id}.json"


def write_job_result(jobs_dir: str | Path, job: Job, row: dict) -> Path:
    """Store one finished job atomically: a crash mid-write leaves no file, never half a file."""
    path = job_path(jobs_dir, job)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps({"job": job.config(), "row": row}, indent=1) + "\n", encoding="utf-8")
    return path


def read_job_result(jobs_dir: str | Path, job: Job) -> dict | None:
    """The stored row of ``job``, or None when it has not run — or its file is unusable (then with a warning)."""
    path = job_path(jobs_dir, job)
    if not path.is_file():
        return None
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored["job"] != job.config():
            problem = "belongs to another configuration"
        elif not all(key in stored["row"] for key in ROW_KEYS):
            problem = "has an incomplete row"
        else:
            return stored["row"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as error:
        problem = f"is corrupt ({type(error).__name__})"
    warnings.warn(f"job file {path} {problem} — running that job again", stacklevel=2)
    return None


# --- engines -----------------------------------------------------------------------------------


def _serial(jobs: Sequence[Job], workers: int, cache_dir: str | None, threads: int | None, scheduler: str | None):
    for job in jobs:
        yield _job_and_row(job, cache_dir, threads)


def _joblib(jobs: Sequence[Job], workers: int, cache_dir: str | None, threads: int | None, scheduler: str | None):
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=workers, backend="loky", return_as="generator_unordered")
    yield from parallel(delayed(_job_and_row)(job, cache_dir, threads or 1) for job in jobs)


@contextlib.contextmanager
def _environment_kept():
    """Undo what starting a LocalCluster writes into this process's environment.

    Dask's nannies set ``OMP_NUM_THREADS=1`` (and MKL's, OpenBLAS's, malloc's settings) in
    ``os.environ`` to hand them to their workers, and leave them there: every process started
    here afterwards — a notebook kernel, a test's subprocess — would run torch on one thread.
    """
    saved = dict(os.environ)
    try:
        yield
    finally:
        for name in set(os.environ) - set(saved):
            del os.environ[name]
        os.environ.update(saved)


def local_cluster(workers: int):
    """A Dask LocalCluster of ``workers`` processes on 127.0.0.1 (no dashboard) that leaves this process's environment
    as it was — the sweep's and the grader's (``python -m tools.grade --engine dask``) when no scheduler is given."""
    from dask.distributed import LocalCluster

    with _environment_kept():
        return LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        )


def _dask(jobs: Sequence[Job], workers: int, cache_dir: str | None, threads: int | None, scheduler: str | None):
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise SystemExit("the dask engine needs Dask — `pip install 'dask[distributed]'` (or the `cluster` extra)")
    cluster = local_cluster(workers) if scheduler is None else None
    client = Client(scheduler if scheduler is not None else cluster)
    try:
        futures = client.map(_job_and_row, list(jobs), cache_dir=cache_dir, threads=threads or 1, pure=False)
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


_ENGINES: dict[str, Callable[..., Iterator[tuple[Job, dict]]]] = {"serial": _serial, "joblib": _joblib, "dask": _dask}


def default_workers() -> int:
    return usable_cores()


def run_jobs(
    jobs: Sequence[Job],
    jobs_dir: str | Path | None = None,
    *,
    engine: str = "serial",
    workers: int | None = None,
    scheduler: str | None = None,
    threads: int | None = None,
    cache_dir: str | None = None,
    progress: bool = True,
) -> list[dict]:
    """The row of every job, in the order of ``jobs``: stored ones read back, the others run on ``engine``.

    ``jobs_dir`` keeps one file per finished job (None: a temporary folder, nothing kept).
    ``threads`` is torch's thread count per run (parallel engines: 1 unless given).
    ``cache_dir`` is the feature cache (default: :func:`tlhelpers.features.feature_cache_dir`).
    """
    if engine not in _ENGINES:
        raise ValueError(f"unknown engine {engine!r} — use one of {list(ENGINES)}")
    if jobs_dir is None:
        with tempfile.TemporaryDirectory(prefix="tlhelpers-sweep-") as tmp:
            return run_jobs(
                jobs,
                tmp,
                engine=engine,
                workers=workers,
                scheduler=scheduler,
                threads=threads,
                cache_dir=cache_dir,
                progress=progress,
            )
    workers = workers or (1 if engine == "serial" else default_workers())
    rows = {job.id: read_job_result(jobs_dir, job) for job in jobs}
    pending = list({job.id: job for job in jobs if rows[job.id] is None}.values())
    bar = tqdm(
        total=len(rows),
        initial=len(rows) - len(pending),
        desc=f"sweep ({engine})",
        unit="run",
        disable=not progress or not pending,
        dynamic_ncols=True,
    )
    with bar, contextlib.ExitStack() as stack:
        stack.callback(clear_caches)  # this process's models and pools go with the sweep (a notebook's kernel too)
        remaining = len(pending)
        for job, row in _ENGINES[engine](pending, workers, cache_dir, threads, scheduler):
            write_job_result(jobs_dir, job, row)
            rows[job.id] = row
            remaining -= 1
            bar.set_postfix_str(
                f"done {len(rows) - remaining}, running {min(workers, remaining)}, "
                f"remaining {remaining}; last: {job.dataset} n={job.n_per_class} "
                f"seed={job.seed} {job.strategy} {100 * row['acc']:.0f} %",
                refresh=False,
            )
            bar.update()
    return [rows[job.id] for job in jobs]


def run_sweep(parts: Sequence[SweepPart] = FULL_SWEEP, budget: Budget = Budget(), **options) -> list[dict]:
    """Every (dataset, images per class, seed, strategy) of ``parts``: one row each. Options: :func:`run_jobs`."""
    return run_jobs(sweep_jobs(parts, budget), **options)


# --- cost ----------------------------------------------------------------------------------------


def estimate_seconds(jobs: Sequence[Job], reference: dict, workers: int = 1) -> float:
    """Wall seconds for ``jobs`` on ``workers`` processes, from a results file's per-run training seconds.

    Training seconds are scaled by the reference's ratio of wall time to summed training time
    (data preparation, evaluation), and each job missing from the reference counts as the
    mean of those present.
    """
    runs = reference["runs"]
    per_point = {(r["dataset"], r["n_per_class"], r["strategy"]): r["seconds"] for r in summarize(runs)}
    about = reference["about"]
    trained = about.get("computed_seconds", sum(r["seconds"] for r in runs))  # files before runs_computed: all
    parallel = (about.get("engine") or {}).get("workers") or 1
    overhead = about.get("wall_seconds", 0) * parallel / max(trained, 1e-9)
    mean = sum(per_point.values()) / max(len(per_point), 1)
    total = sum(per_point.get((job.dataset, job.n_per_class, job.strategy), mean) for job in jobs)
    return total * max(overhead, 1.0) / max(workers, 1)


# --- the results file ----------------------------------------------------------------------------


def reference_similarity(num_subsets: int = 20, progress: bool = True) -> dict[str, dict]:
    """The similarity score of each dataset of the sweep: mean ± std over random subsets of SCORE_IMAGES images."""
    from tlhelpers import similarity
    from tlhelpers.data import fashion_mnist, per_class_subset, stamps, weights_transform
    from tlhelpers.models import get_weights

    model = get_model(MODEL_NAME, WEIGHTS_NAME).eval()
    transform = weights_transform(get_weights(MODEL_NAME, WEIGHTS_NAME))  # the weights' own crop size
    sources = {
        "photos": stamps("photo", "all", transform),
        "cartoons": stamps("cartoon", "all", transform),
        "fashion_mnist": per_class_subset(fashion_mnist("test", transform), 16, seed=0),
    }
    layer = similarity.last_batchnorm_layer(model)
    references = {}
    for name, dataset in sources.items():
        moments = similarity.activation_moments(model, dataset, [layer], progress=progress)
        mean, std, _ = similarity.score_spread(model, moments, similarity.SCORE_IMAGES, num_subsets)
        references[name] = {
            "score": round(mean, 4),
            "std": round(std, 4),
            "num_images": len(dataset),
            "subset_size": min(similarity.SCORE_IMAGES, len(dataset)),
            "num_subsets": num_subsets,
        }
    return references


def stored_similarity(jobs_dir: str | Path, num_subsets: int = 20) -> dict[str, dict]:
    """:func:`reference_similarity`, kept in the jobs folder like a job so that a resumed sweep reuses it."""
    path = Path(jobs_dir) / f"similarity-format{JOB_FORMAT}-{num_subsets}.json"
    if path.is_file():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            warnings.warn(f"{path} is corrupt — computing the similarity references again", stacklevel=2)
    references = reference_similarity(num_subsets)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(references, indent=1) + "\n", encoding="utf-8")
    return references


def write_results(
    path: str | Path,
    rows: list[dict],
    similarity: dict,
    budget: Budget,
    parts: Sequence[SweepPart],
    command: str,
    wall_seconds: float,
    engine: dict | None = None,
    computed: Sequence[dict] | None = None,
) -> None:
    """The results file: the runs, the similarity references and how they were produced.

    ``computed``: the rows this invocation trained (default: all); the others were read back
    from job files. ``wall_seconds`` is this invocation's, so it goes with ``runs_computed``.
    """
    computed = rows if computed is None else computed
    record = {
        "about": {
            "command": command,
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "wall_seconds": round(wall_seconds, 1),
            "runs_computed": len(computed),
            "computed_seconds": round(sum(row["seconds"] for row in computed), 1),
            "environment": machine_info(),
            "engine": engine or {"engine": "serial"},
            "model": ", ".join(sorted({f"{model} {weights}" for part in parts for model, weights, _ in part.models})),
            "budget": asdict(budget),
            "image_sizes": IMAGE_SIZES,
            "early_block": EARLY_BLOCK,
            "sweep": [asdict(part) for part in parts],
            "metric": "balanced accuracy (mean of per-class accuracies) on held-out images",
        },
        "similarity": similarity,
        "runs": rows,
    }
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=None, help="results file to write (required unless --reduced)")
    parser.add_argument("--reduced", action="store_true", help="run the notebook's reduced sweep and only print it")
    parser.add_argument(
        "--recipes",
        action="store_true",
        help="run the fine-tuning recipe variants instead of the matrix (notebooks/results/fine_tuning_recipes.json)",
    )
    parser.add_argument(
        "--controls",
        action="store_true",
        help="run the matrix's controls: one image size, a larger from-scratch budget "
        "(notebooks/results/decision_matrix_controls.json)",
    )
    parser.add_argument(
        "--selection",
        action="store_true",
        help="run model selection: two backbones, scored and measured (notebooks/results/model_selection.json)",
    )
    parser.add_argument("--engine", choices=ENGINES, default="serial", help="where the runs go (default: serial)")
    parser.add_argument("--workers", type=int, default=None, help="parallel runs (default: the usable cores)")
    parser.add_argument("--scheduler", default=None, help="Dask scheduler address (default: a LocalCluster)")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch CPU threads per run (default: torch's own choice serially, 1 in parallel)",
    )
    parser.add_argument(
        "--jobs-dir",
        type=Path,
        default=None,
        help="one result file per finished run (default: OUTPUT's name + '.jobs' beside it)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the job count and estimated wall time, run nothing"
    )
    parser.add_argument(
        "--reference",
        type=Path,
        default=None,
        help="results file whose per-run seconds --dry-run uses (default: OUTPUT if it exists)",
    )
    args = parser.parse_args(argv)
    if args.output is None and not args.reduced:
        parser.error("--output FILE is required (the committed file is notebooks/results/decision_matrix.json)")
    chosen = {
        "reduced": REDUCED_SWEEP,
        "recipes": RECIPE_SWEEP,
        "controls": CONTROL_SWEEP,
        "selection": SELECTION_SWEEP,
    }
    parts = next((sweep for flag, sweep in chosen.items() if getattr(args, flag)), FULL_SWEEP)
    budget = Budget()
    jobs = sweep_jobs(parts, budget)
    jobs_dir = args.jobs_dir or (args.output.with_name(args.output.name + ".jobs") if args.output else None)
    workers = args.workers or (1 if args.engine == "serial" else default_workers())
    if args.dry_run:
        done = sum(read_job_result(jobs_dir, job) is not None for job in jobs) if jobs_dir else 0
        reference = args.reference or (args.output if args.output and args.output.is_file() else None)
        line = f"{len(jobs)} runs ({done} already done in {jobs_dir}), {args.engine} engine, {workers} worker(s)"
        if reference is not None:
            pending = [job for job in jobs if jobs_dir is None or read_job_result(jobs_dir, job) is None]
            minutes = estimate_seconds(pending, load_results(reference), workers) / 60
            line += f"; estimated wall time {minutes:.0f} min (from the per-run seconds in {reference})"
        print(line)
        return 0
    if args.threads:
        torch.set_num_threads(args.threads)
    start = time.perf_counter()
    options = dict(engine=args.engine, workers=workers, scheduler=args.scheduler, threads=args.threads)
    stored = set() if args.reduced else {job.id for job in jobs if read_job_result(jobs_dir, job) is not None}
    rows = run_jobs(jobs, None if args.reduced else jobs_dir, **options)
    if args.reduced:
        print(results_table(rows))
        return 0
    similarity = stored_similarity(jobs_dir) if parts is FULL_SWEEP else {}
    command = shlex.join(["python", "-m", "tlhelpers.sweep", *(argv if argv is not None else sys.argv[1:])])
    engine = {
        "engine": args.engine,
        "workers": workers,
        "threads_per_run": args.threads or (None if args.engine == "serial" else 1),
    }
    computed = [row for job, row in zip(jobs, rows) if job.id not in stored]
    write_results(args.output, rows, similarity, budget, parts, command, time.perf_counter() - start, engine, computed)
    print(
        f"wrote {args.output} ({len(rows)} runs, {len(computed)} trained now in {time.perf_counter() - start:.0f} s, "
        f"{len(rows) - len(computed)} read from {jobs_dir})"
    )
    return 0


if __name__ == "__main__":
    # Run the importable module's copy, so that worker processes unpickle its functions and jobs by name.
    from tlhelpers.decision_matrix.sweep import main as importable_main

    raise SystemExit(importable_main())
