"""tlhelpers.decision_matrix.sweep.

Jobs identified by their configuration, stored one file each, the same rows on every engine.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from tests.fake_results import fake_rows
from tlhelpers import assets
from tlhelpers.decision_matrix.config import Budget, SweepPart
from tlhelpers.decision_matrix.results import load_results
from tlhelpers.decision_matrix.sweep import (
    Job,
    estimate_seconds,
    job_path,
    read_job_result,
    run_jobs,
    sweep_jobs,
    write_job_result,
    write_results,
)

READY = assets.MOBILENET_V2.path.is_file() and (assets.stamps_path() / assets.STAMPS_INDEX).is_file()
needs_data = pytest.mark.skipif(not READY, reason="MobileNetV2 weights or photo stamps not prepared — run `make data`")

# Four cheap real runs: one photo per class, two seeds, the two feature-extraction strategies.
SMALL = (SweepPart("photos", (1,), (0, 1), ("features", "early_features")),)


def without_seconds(rows):
    return [{key: value for key, value in row.items() if key != "seconds"} for row in rows]


def test_results_file_round_trip(tmp_path):
    rows = fake_rows({"features": [0.8]})
    path = tmp_path / "results" / "matrix.json"
    write_results(path, rows, {"photos": {"score": 0.1, "std": 0.01}}, Budget(), [], "python -m x", 12.3)
    loaded = load_results(path)
    assert loaded["runs"] == rows and loaded["about"]["command"] == "python -m x"
    assert {"date", "wall_seconds", "environment", "budget"} <= set(loaded["about"])
    assert json.loads(path.read_text())["about"]["budget"]["min_steps"] == Budget().min_steps
    with pytest.raises(FileNotFoundError, match="python -m tlhelpers.decision_matrix.sweep"):
        load_results(tmp_path / "missing.json")


def test_a_job_is_named_by_its_whole_configuration():
    job = Job("photos", 5, 0, "features")
    assert job.image_size == 128 and job.id == Job("photos", 5, 0, "features", image_size=128).id
    others = [
        Job("photos", 5, 1, "features"),
        Job("photos", 5, 0, "fine_tuning"),
        Job("photos", 10, 0, "features"),
        Job("photos", 5, 0, "features", Budget(min_steps=61)),
        Job("photos", 5, 0, "features", image_size=96),
    ]
    assert len({job.id, *(other.id for other in others)}) == 1 + len(others)
    with pytest.raises(ValueError, match="unknown strategy"):
        Job("photos", 5, 0, "magic")
    assert Job("photos", 5, 0, "fine_tuning_bn_updated").id != job.id  # the recipe's variants are jobs too
    control = sweep_jobs(
        [SweepPart("fashion_mnist", (5,), (0,), ("scratch",), image_size=128, budget=Budget(epochs=10))]
    )
    assert [(j.image_size, j.budget.epochs) for j in control] == [(128, 10)], "a control part's size and budget win"
    jobs = sweep_jobs(SMALL)
    assert [(j.seed, j.strategy) for j in jobs] == [
        (0, "features"),
        (0, "early_features"),
        (1, "features"),
        (1, "early_features"),
    ]


def test_job_files_round_trip_and_bad_ones_are_redone(tmp_path):
    job, row = Job("photos", 1, 0, "features"), fake_rows({"features": [0.5]}, n_per_class=1)[0]
    row |= {"correct": "10", "labels": "01", "held_out": "0123456789ab"}  # a row keeps its held-out images
    assert read_job_result(tmp_path, job) is None
    write_job_result(tmp_path, job, row)
    assert read_job_result(tmp_path, job) == row
    assert not list(tmp_path.glob("*.tmp")), "written atomically: no temporary file left"
    path = job_path(tmp_path, job)
    for damage in (
        '{"job": {"format"',
        "\x00\x01 not json",
        json.dumps({"job": {**job.config(), "seed": 9}, "row": row}),
        json.dumps({"job": job.config(), "row": {"acc": 0.5}}),
    ):
        path.write_text(damage)
        with pytest.warns(UserWarning, match="running that job again"):
            assert read_job_result(tmp_path, job) is None


def test_dry_run_estimate_uses_the_reference_seconds():
    reference = {
        "about": {"wall_seconds": 30.0},
        "runs": fake_rows({"features": [1.0, 1.0]}, seconds={"features": 5.0}),
    }
    jobs = [Job("photos", 5, seed, "features") for seed in range(4)]
    assert estimate_seconds(jobs, reference) == pytest.approx(4 * 5.0 * 3.0), "5 s a run × (30 s wall / 10 s trained)"
    assert estimate_seconds(jobs, reference, workers=2) == pytest.approx(30.0)


@needs_data
def test_the_same_rows_serially_with_joblib_and_on_a_dask_cluster(tmp_path):
    cache = str(tmp_path / "cache")
    jobs = sweep_jobs(SMALL)
    serial = run_jobs(jobs, tmp_path / "serial", threads=1, cache_dir=cache, progress=False)
    assert [row["strategy"] for row in serial] == [job.strategy for job in jobs]
    assert all(0 <= row["acc"] <= 1 and "cartoon_acc" in row for row in serial)
    parallel = run_jobs(jobs, tmp_path / "joblib", engine="joblib", workers=2, cache_dir=cache, progress=False)
    assert without_seconds(parallel) == without_seconds(serial)
    pytest.importorskip("distributed")
    environment = dict(os.environ)
    on_dask = run_jobs(jobs, tmp_path / "dask", engine="dask", workers=2, cache_dir=cache, progress=False)
    assert without_seconds(on_dask) == without_seconds(serial)
    assert len(list((tmp_path / "dask").glob("*.json"))) == len(jobs)
    assert dict(os.environ) == environment, "the LocalCluster left OMP_NUM_THREADS & co. in this process's environment"


KILLED_AFTER_ONE = textwrap.dedent("""
    import os, signal, sys
    from tlhelpers.decision_matrix import sweep
    from tlhelpers.decision_matrix.config import SweepPart

    original = sweep.write_job_result
    def write_then_lose_power(*args):
        original(*args)
        os.kill(os.getpid(), signal.SIGKILL)  # like a power cut: no clean-up of any kind

    sweep.write_job_result = write_then_lose_power
    parts = (SweepPart("photos", (1,), (0, 1), ("features", "early_features")),)
    sweep.run_sweep(parts, jobs_dir=sys.argv[1], threads=1, cache_dir=sys.argv[2], progress=False)
""")


@needs_data
def test_a_sweep_killed_part_way_resumes_to_the_same_results(tmp_path):
    cache, jobs = str(tmp_path / "cache"), sweep_jobs(SMALL)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_AFTER_ONE, str(tmp_path / "killed"), cache],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert len(list((tmp_path / "killed").glob("*.json"))) == 1, "one run finished before the power cut"
    (tmp_path / "killed" / ".half-written.json.tmp").write_text('{"job": ')  # a leftover temporary file is ignored
    resumed = run_jobs(jobs, tmp_path / "killed", threads=1, cache_dir=cache, progress=False)
    straight = run_jobs(jobs, tmp_path / "straight", threads=1, cache_dir=cache, progress=False)
    assert without_seconds(resumed) == without_seconds(straight)
    for name, rows in (("resumed", resumed), ("straight", straight)):
        write_results(tmp_path / f"{name}.json", rows, {}, Budget(), SMALL, "test", 1.0)
    files = [load_results(tmp_path / f"{name}.json") for name in ("resumed", "straight")]
    assert without_seconds(files[0]["runs"]) == without_seconds(files[1]["runs"])
    assert os.path.getsize(tmp_path / "resumed.json") > 0
