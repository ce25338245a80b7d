"""Model selection: scoring a layer, ranking candidates, the sweep's scored jobs, the advisor's ranking."""

import json

import pytest
import torch
from torch.utils.data import TensorDataset

from tests.test_advise import make_folder
from tests.test_selection_results import draw_rows
from tests.tiny_models import TinyBatchNormCNN
from tlhelpers import assets
from tlhelpers.assets import EFFICIENTNET_LITE0, MOBILENET_V2
from tlhelpers.decision_matrix.config import SELECTION_SWEEP
from tlhelpers.decision_matrix.sweep import Job, sweep_jobs
from tlhelpers.selection import Candidate, rank_candidates, score_layer

pytestmark = pytest.mark.filterwarnings("ignore:TensorDataset has no `fingerprint`")


def labelled_images(n_per_class=6, classes=3, seed=0):
    generator = torch.Generator().manual_seed(seed)
    images = torch.randn(n_per_class * classes, 3, 8, 8, generator=generator)
    labels = torch.arange(classes).repeat_interleave(n_per_class)
    images += labels.view(-1, 1, 1, 1).float()  # class-dependent brightness: something to separate
    return TensorDataset(images, labels)


def test_score_layer_gives_leep_only_where_there_is_a_head(tmp_path):
    torch.manual_seed(0)
    model = TinyBatchNormCNN(num_classes=4).eval()
    data = labelled_images()
    last = score_layer(model, data)
    early = score_layer(model, data, layer="features.0")
    assert set(last) == {"logme", "h_score", "leep", "score_seconds"}
    assert set(early) == {"logme", "h_score", "score_seconds"}
    assert last["leep"] <= 0 and 0 <= last["h_score"] <= 2 + 1e-9
    # precomputed features give the same scores as extracting them here
    from tlhelpers.features import extract_features

    assert score_layer(model, data, features=extract_features(model, data, progress=False))["logme"] == last["logme"]


def test_rank_candidates_sorts_by_the_score_and_puts_missing_scores_last():
    torch.manual_seed(0)
    model, data = TinyBatchNormCNN(num_classes=4).eval(), labelled_images()
    ranked = rank_candidates([("tiny", "features.0"), ("tiny", None)], lambda name: (model, data), by="leep")
    assert [c.layer for c in ranked] == ["last", "features.0"]
    assert isinstance(ranked[0], Candidate)
    ranked = rank_candidates([("tiny", "features.0"), ("tiny", None)], lambda name: (model, data), by="logme")
    assert ranked[0].scores["logme"] >= ranked[1].scores["logme"]


def test_scored_jobs_keep_the_ids_of_unscored_ones():
    plain = Job("photos", 5, 0, "features")
    assert "scores" not in plain.config()  # the committed matrix's job files stay valid
    assert Job("photos", 5, 0, "features", scores=True).id != plain.id
    jobs = sweep_jobs(SELECTION_SWEEP)
    assert len(jobs) == 2 * 4 * 5 * 3
    assert {job.model for job in jobs} == {"mobilenet_v2", "efficientnet_lite0"}
    assert all(job.scores == (job.strategy != "fine_tuning") for job in jobs)
    # fine-tuning jobs of MobileNetV2 are the decision matrix's own: their results are shared
    assert Job("photos", 5, 0, "fine_tuning").id in {job.id for job in jobs}


@pytest.mark.skipif(not (MOBILENET_V2.path.is_file() and EFFICIENTNET_LITE0.path.is_file()), reason="run `make data`")
def test_advisor_ranks_backbones_and_layers(tmp_path, capsys):
    from tlhelpers.decision_matrix.advise import main

    folder = make_folder(tmp_path / "mine", {"a": 3, "b": 3}, size=(64, 64))
    selection = tmp_path / "selection.json"
    rows = draw_rows(0, probe=[0.8, 0.6, 0.9, 0.7], tuned=[0.85, 0.95], logme=[-1, -3, 0, -2], leep=[-0.5, -0.4])
    rows += draw_rows(1, probe=[0.9, 0.6, 0.8, 0.7], tuned=[0.95, 0.85], logme=[-1, -3, 0, -2], leep=[-0.5, -0.4])
    selection.write_text(json.dumps({"about": {}, "runs": rows}))
    assert main([str(folder), "--models", "mobilenet_v2,efficientnet_lite0", "--selection", str(selection)]) == 0
    output = capsys.readouterr().out
    lines = [line for line in output.splitlines() if line.lstrip()[:2] in {"1.", "2.", "3.", "4."}]
    assert len(lines) == 4 and "ranked by LogME" in output and "on 6 of your images at 128 px" in output
    assert {"blocks.5.0", "features.14"} <= {line.split()[2] for line in lines}
    assert "Kendall's τ +0.83" in output and "caveat" in output


@pytest.mark.skipif(
    not (EFFICIENTNET_LITE0.path.is_file() and (assets.stamps_path() / assets.STAMPS_INDEX).is_file()),
    reason="run `make data`",
)
def test_a_scored_job_of_the_second_backbone_stores_its_scores(tmp_path):
    from tlhelpers.decision_matrix.sweep import run_job

    last = run_job(
        Job("photos", 1, 0, "features", model="efficientnet_lite0", early_block="blocks.5.0", scores=True),
        cache_dir=str(tmp_path),
        threads=1,
    )
    early = run_job(
        Job("photos", 1, 0, "early_features", model="efficientnet_lite0", early_block="blocks.5.0", scores=True),
        cache_dir=str(tmp_path),
        threads=1,
    )
    assert last["model"] == early["model"] == "efficientnet_lite0" and last["num_train"] == 5
    assert {"logme", "h_score", "leep", "score_seconds"} <= set(last) and "leep" not in early
    assert last["h_score"] == pytest.approx(4.0)  # 5 images in 1,280 dimensions: K − 1 whatever the features
    plain = run_job(
        Job("photos", 1, 0, "features", model="efficientnet_lite0", early_block="blocks.5.0"), cache_dir=str(tmp_path)
    )
    assert "logme" not in plain and plain["acc"] == last["acc"]  # scoring changes nothing the run measures
