"""tlhelpers.decision_matrix.advise on tiny generated folders, a tiny BatchNorm model and made-up sweep results."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tests.tiny_models import StridedScoringNet
from tlhelpers import assets
from tlhelpers.data import ImageFolderError
from tlhelpers.decision_matrix.advise import advise, choose, main


def rows(dataset, n_per_class, accuracies, seconds):
    return [
        {
            "dataset": dataset,
            "n_per_class": n_per_class,
            "seed": seed,
            "strategy": strategy,
            "acc": acc,
            "seconds": seconds[strategy],
            "num_train": 1,
            "epochs": 1,
            "steps": 1,
        }
        for strategy, values in accuracies.items()
        for seed, acc in enumerate(values)
    ]


SECONDS = {"features": 0.1, "early_features": 0.1, "fine_tuning": 30.0, "scratch": 30.0}
RESULTS = {
    "similarity": {"photos": {"score": 0.1}, "cartoons": {"score": 0.2}, "fashion_mnist": {"score": 0.4}},
    "runs": rows("photos", 5, {"features": [0.8, 0.82, 0.84], "fine_tuning": [0.7, 0.72, 0.74]}, SECONDS)
    + rows("photos", 10, {"features": [0.85, 0.8, 0.9], "fine_tuning": [0.9, 0.85, 0.8]}, SECONDS)
    + rows("cartoons", 3, {"early_features": [0.6, 0.7, 0.8], "features": [0.4, 0.5, 0.6]}, SECONDS)
    + rows("fashion_mnist", 10, {"features": [0.6, 0.6, 0.6], "fine_tuning": [0.5, 0.5, 0.5]}, SECONDS)
    + rows("fashion_mnist", 100, {"features": [0.801, 0.805, 0.8], "fine_tuning": [0.8, 0.8, 0.8]}, SECONDS)
    + rows("fashion_mnist", 1000, {"features": [0.8, 0.8, 0.8], "fine_tuning": [0.9, 0.91, 0.92]}, SECONDS),
}


def make_folder(root, counts, seed=0, size=(40, 48)):
    rng = np.random.default_rng(seed)
    for class_name, count in counts.items():
        (root / class_name).mkdir(parents=True)
        for index in range(count):
            pixels = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / class_name / f"{index:03d}.png")
    return root


def test_choose_reads_the_nearest_measured_point():
    reference, n, strategy, reason, found = choose(RESULTS, score=0.12, images_per_class=6)
    assert (reference, n, strategy, found.winner) == ("photos", 5, "features", "features")
    assert "on photo stamps, the nearest reference, at 5 images per class" in reason and "won clearly" in reason
    assert "95 % CI +10 to +10; 3 seeds" in reason
    # 500 per class: only Fashion-MNIST was measured that far, so it is the reference whatever the score
    reference, n, strategy, reason, _ = choose(RESULTS, score=0.12, images_per_class=500)
    assert (reference, n, strategy) == ("fashion_mnist", 1000, "fine_tuning")
    # undecided (the interval reaches past zero and past ±2 points): said so, start with the cheaper
    reference, n, strategy, reason, found = choose(RESULTS, score=0.05, images_per_class=12)
    assert (reference, n, found.outcome, strategy) == ("photos", 10, "undecided", "features")
    assert "the measurement is undecided" in reason and "start with the cheaper" in reason and "tie" not in reason
    # a tie (the whole interval within ±2 points): the cheaper strategy
    reference, n, strategy, reason, found = choose(RESULTS, score=0.4, images_per_class=100)
    assert (reference, n, found.outcome, strategy) == ("fashion_mnist", 100, "tie", "features")
    assert "the top two tie — the interval lies within ±2 points" in reason and "is cheaper" in reason
    reference, _, strategy, _, _ = choose(RESULTS, score=0.21, images_per_class=3)
    assert (reference, strategy) == ("cartoons", "early_features")


def test_choose_names_one_reference_when_the_nearest_was_not_measured_that_far():
    # nearest in similarity: the cartoons, measured up to 3 per class only; 10 per class reads the photos
    reference, n, _, reason, _ = choose(RESULTS, score=0.21, images_per_class=10)
    assert (reference, n) == ("photos", 10)
    assert reason.startswith(
        "cartoon stamps (3 classes) is nearer in similarity but was measured only up to "
        "3 images per class; on photo stamps, the nearest reference measured at your amount"
    )


def test_advise_counts_scores_and_recommends(tmp_path):
    folder = make_folder(tmp_path / "mine", {"cats": 6, "dogs": 4, "owls": 5})
    (folder / "dogs" / "notes.txt").write_text("not an image")
    advice = advise(folder, RESULTS, model=StridedScoringNet(), num_images=8)
    assert advice.counts == {"cats": 6, "dogs": 4, "owls": 5} and advice.skipped == 1
    assert advice.images_per_class == 5 and advice.scored_images == 8 and advice.score > 0
    assert advice.strategy in {"features", "fine_tuning", "early_features", "scratch"}
    report = str(advice)
    for expected in (
        "3 classes, 15 images (1 files skipped)",
        "images per class: 5 (median; smallest class: 4)",
        "similarity to ImageNet:",
        "references: photo stamps 0.10 | cartoon stamps (3 classes) 0.20",
        "recommended:",
        "reason:",
    ):
        assert expected in report
    assert advice.placement.startswith(("closer to", "between", "farther from", "level with"))
    assert "image sizes: median 48 × 40 px, shorter side 40–40 px" in report
    assert "warning: most images are under 64 px" in report
    advice.score = 0.2004
    assert advice.placement == "level with cartoon stamps (3 classes)"
    advice.score = 0.16
    assert (
        advice.placement == "between photo stamps and cartoon stamps (3 classes); nearest: cartoon stamps (3 classes)"
    )
    advice.score = 0.01
    assert advice.placement == "closer to ImageNet than photo stamps; nearest: photo stamps"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda root: None, "not found"),
        (lambda root: make_folder(root, {"only": 3}), "a classifier needs at least two"),
        (lambda root: (root.mkdir(), (root / "a.png").write_bytes(b"")), "not in class sub-folders"),
    ],
)
def test_bad_folders_raise_one_line_errors(tmp_path, make, message):
    root = tmp_path / "folder"
    make(root)
    with pytest.raises(ImageFolderError, match=message) as error:
        advise(root, RESULTS, model=StridedScoringNet())
    assert "\n" not in str(error.value) and "expected" in str(error.value)


def test_cli_bad_folder_exits_2_with_one_line(tmp_path, capsys):
    assert main([str(tmp_path / "missing")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("error: folder ") and captured.err.count("\n") == 1
    folder = make_folder(tmp_path / "mine", {"a": 2, "b": 2})
    assert main([str(folder), "--results", str(tmp_path / "none.json")]) == 2
    assert "python -m tlhelpers.decision_matrix.sweep" in capsys.readouterr().err


def test_cli_as_a_module_no_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tlhelpers.decision_matrix.advise", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("error: folder") and result.stdout == ""


@pytest.mark.skipif(not assets.MOBILENET_V2.path.is_file(), reason="MobileNetV2 weights missing — run `make data`")
def test_cli_prints_the_report(tmp_path, capsys):
    folder = make_folder(tmp_path / "mine", {"a": 3, "b": 3})
    results = tmp_path / "results.json"
    results.write_text(json.dumps(RESULTS))
    assert main([str(folder), "--results", str(results), "--images", "4"]) == 0
    output = capsys.readouterr().out
    assert "2 classes, 6 images" in output and "recommended: " in output


def test_advise_survives_the_torture_folder(tmp_path):
    """The advisor reads a user's folder through the same loader: every bad file is skipped and counted."""
    from tests.test_data import build_torture_folder

    root = tmp_path / "mine"
    bad_name_ok = build_torture_folder(root)
    advice = advise(root, RESULTS, model=StridedScoringNet(), num_images=8)  # counts skips in its report
    loaded_cats = 11 + bad_name_ok  # the loader's 10 (+ the odd name), and huge.png: no pixel limit here
    assert advice.counts == {"cats": loaded_cats, "dogs": 1} and advice.skipped == 8
    assert advice.score > 0 and advice.strategy in {"features", "fine_tuning", "early_features", "scratch"}
    assert "(8 files skipped)" in str(advice)


def test_large_images_get_no_size_warning(tmp_path):
    folder = make_folder(tmp_path / "big", {"cats": 3, "dogs": 3}, size=(96, 128))
    report = str(advise(folder, RESULTS, model=StridedScoringNet(), num_images=6))
    assert "image sizes: median 128 × 96 px" in report and "warning" not in report
