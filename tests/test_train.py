"""tlhelpers.train on toy problems that train in well under a second."""

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from tests.tiny_models import TinyBatchNormCNN, TinyCNN
from tlhelpers.models import freeze_backbone, unfreeze
from tlhelpers.state import set_seed
from tlhelpers.train import History, evaluate, fine_tune, fit, get_device, param_groups, predict, topk


def blobs(num_items=200, seed=0):
    """Two well-separated Gaussian blobs in 2-D: a linearly separable toy problem."""
    generator = torch.Generator().manual_seed(seed)
    targets = torch.arange(num_items) % 2
    points = torch.randn(num_items, 2, generator=generator) * 0.5 + (targets[:, None] * 2 - 1) * 2.0
    return TensorDataset(points, targets)


def loaders(batch_size=32):
    train_loader = DataLoader(blobs(200, seed=0), batch_size=batch_size, shuffle=True)
    val_loader = DataLoader(blobs(100, seed=1), batch_size=batch_size)
    return train_loader, val_loader


def mlp():
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))


def test_fit_learns_separable_problem():
    set_seed(0)
    train_loader, val_loader = loaders()
    history = fit(mlp(), train_loader, val_loader, epochs=5, lr=1e-2, progress=False)
    assert len(history) == 5 and not history.stopped_early
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.train_acc[-1] > history.train_acc[0] and history.val_acc[-1] >= 0.95
    rows = history.rows()
    assert [row["epoch"] for row in rows] == [1, 2, 3, 4, 5]
    assert set(rows[0]) == {"epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"}


def test_fit_same_seed_same_history():
    histories = []
    for _ in range(2):
        set_seed(123)
        train_loader, val_loader = loaders()
        histories.append(fit(mlp(), train_loader, val_loader, epochs=3, progress=False))
    first, second = histories
    for name in ("train_loss", "train_acc", "val_loss", "val_acc", "lr"):
        assert getattr(first, name) == getattr(second, name), name


def test_fit_without_validation_and_with_scheduler():
    set_seed(0)
    model = mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    history = fit(model, loaders()[0], epochs=3, optimizer=optimizer, scheduler=scheduler, progress=False)
    assert history.val_loss == [] and "val_loss" not in history.rows()[0]
    assert history.lr == pytest.approx([0.1, 0.05, 0.025])


def test_fit_max_seconds_stops_early():
    set_seed(0)
    history = fit(mlp(), loaders(batch_size=8)[0], loaders()[1], epochs=50, max_seconds=0, progress=False)
    assert len(history) == 1 and history.stopped_early
    assert len(history.val_acc) == 1, "the partial epoch is still validated"


def image_loader():
    """Class 1 images are brighter in channel 0: separable, and 4-D for channels_last."""
    targets = torch.arange(32) % 2
    images = torch.randn(32, 3, 6, 6, generator=torch.Generator().manual_seed(0))
    images[:, 0] += targets[:, None, None] * 3.0
    return DataLoader(TensorDataset(images, targets), batch_size=8)


def test_fit_cnn_channels_last_with_frozen_backbone():
    set_seed(0)
    model = freeze_backbone(TinyCNN())
    history = fit(model, image_loader(), image_loader(), epochs=8, lr=0.05, progress=False, channels_last=True)
    assert history.train_loss[-1] < history.train_loss[0]
    assert not model.training, "fit leaves the model in eval mode"
    for parameter in model.parameters():
        parameter.requires_grad = False
    with pytest.raises(ValueError, match="frozen"):
        fit(model, image_loader(), epochs=1, progress=False)


def test_param_groups_discriminative_lrs_without_frozen():
    model = unfreeze(TinyCNN(), 1)
    groups = param_groups(model, head_lr=1e-2, backbone_lr=1e-4)
    assert [(group["name"], group["lr"]) for group in groups] == [("head", 1e-2), ("backbone", 1e-4)]
    assert {id(p) for p in groups[0]["params"]} == {id(p) for p in model.fc.parameters()}
    assert {id(p) for p in groups[1]["params"]} == {id(p) for p in model.features[1].parameters()}
    optimizer = torch.optim.SGD(groups, lr=0.1)
    assert [group["lr"] for group in optimizer.param_groups] == [1e-2, 1e-4]
    assert len(param_groups(freeze_backbone(model), 1e-2, 1e-4)) == 1


def test_evaluate_predict_topk():
    set_seed(0)
    model = TinyCNN().train()
    loss, acc = evaluate(model, image_loader())
    assert loss > 0 and 0 <= acc <= 1 and model.training, "evaluate restores the mode"
    probabilities, targets = predict(model, image_loader())
    assert probabilities.shape == (32, 2) and targets.shape == (32,)
    assert torch.allclose(probabilities.sum(dim=1), torch.ones(32))
    predictions = topk(model, next(iter(image_loader()))[0], ["cat", "dog"], k=5)
    assert len(predictions) == 8 and all(len(row) == 2 for row in predictions)
    assert all(row[0][1] >= row[1][1] and {row[0][0], row[1][0]} == {"cat", "dog"} for row in predictions)
    assert len(topk(model, torch.randn(3, 6, 6), ["cat", "dog"], k=1)) == 1
    with pytest.raises(ValueError, match="categories"):
        topk(model, torch.randn(1, 3, 6, 6), ["cat"])


def test_get_device_and_history_dict():
    assert get_device().type in {"cpu", "cuda", "mps"}
    assert History().as_dict()["stopped_early"] is False


def test_fit_keep_best_restores_the_lowest_validation_loss_epoch():
    set_seed(0)
    train_loader, val_loader = loaders()
    model = mlp()
    history = fit(model, train_loader, val_loader, epochs=6, lr=0.5, keep_best=True, progress=False)  # a jumpy lr
    best = 1 + history.val_loss.index(min(history.val_loss))
    assert history.best_epoch == best and len(history) == 6
    assert evaluate(model, val_loader)[0] == pytest.approx(history.val_loss[best - 1], abs=1e-6)


def test_fit_patience_stops_after_epochs_without_improvement():
    set_seed(0)
    train_loader, val_loader = loaders()
    history = fit(mlp(), train_loader, val_loader, epochs=30, lr=0.5, patience=2, progress=False)
    assert history.stopped_early and len(history) == history.best_epoch + 2
    assert min(history.val_loss[history.best_epoch :]) >= history.val_loss[history.best_epoch - 1]
    with pytest.raises(ValueError, match="val_loader"):
        fit(mlp(), train_loader, epochs=1, keep_best=True, progress=False)


def test_histories_add_up_epoch_by_epoch():
    first = History(train_loss=[3.0], train_acc=[0.1], val_loss=[2.0], val_acc=[0.2], seconds=[1.0], lr=[0.1])
    second = History(
        train_loss=[2.0, 1.0],
        train_acc=[0.5, 0.6],
        val_loss=[1.5, 1.8],
        val_acc=[0.4, 0.3],
        seconds=[1.0, 1.0],
        lr=[0.01, 0.01],
        best_epoch=1,
    )
    joined = first + second
    assert joined.train_loss == [3.0, 2.0, 1.0] and joined.val_acc == [0.2, 0.4, 0.3] and joined.best_epoch == 2


def batches(num_items=16, seed=0):
    generator = torch.Generator().manual_seed(seed)
    images = torch.randn(num_items, 3, 8, 8, generator=generator) * 2 + 1
    return DataLoader(TensorDataset(images, torch.arange(num_items) % 3), batch_size=4)


def test_fine_tune_keeps_batchnorm_statistics_unless_asked():
    for batchnorm, moved in (("kept", False), ("updated", True)):
        set_seed(0)
        model = TinyBatchNormCNN()
        before = model.features[0][1].running_mean.clone()
        weight = model.features[0][0].weight.detach().clone()
        history = fine_tune(model, batches(), batches(8, seed=1), epochs=2, batchnorm=batchnorm, progress=False)
        assert len(history) == 2
        assert (not torch.equal(before, model.features[0][1].running_mean)) == moved, batchnorm
        assert not torch.equal(weight, model.features[0][0].weight)  # every weight trains
    with pytest.raises(ValueError, match="kept"):
        fine_tune(TinyBatchNormCNN(), batches(), epochs=1, batchnorm="frozen")


def test_fine_tune_two_stages_freeze_the_backbone_first():
    set_seed(0)
    model = TinyBatchNormCNN()
    weight = model.features[0][0].weight.detach().clone()
    stage_one = fine_tune(model, batches(), batches(8, seed=1), epochs=1 + 1, head_epochs=1, progress=False)
    assert len(stage_one) == 2 and all(p.requires_grad for p in model.parameters())
    assert not torch.equal(weight, model.features[0][0].weight)
    with pytest.raises(ValueError, match="head_epochs"):
        fine_tune(TinyBatchNormCNN(), batches(), epochs=2, head_epochs=2)


def test_fine_tune_cosine_schedule_lowers_the_learning_rate():
    set_seed(0)
    history = fine_tune(TinyBatchNormCNN(), batches(), epochs=4, head_lr=1e-2, cosine=True, progress=False)
    assert (
        history.lr[0] == pytest.approx(1e-2)
        and history.lr == sorted(history.lr, reverse=True)
        and history.lr[-1] < 5e-3
    )
