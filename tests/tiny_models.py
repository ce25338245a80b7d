"""The tiny models the unit tests share: MobileNet-shaped in miniature (``features`` blocks, pooling, a head).

Each is seeded where a test depends on its initial weights. One base, :class:`PooledCNN`,
holds the forward pass they all use.
"""

from __future__ import annotations

import torch
from torch import nn


class PooledCNN(nn.Module):
    """``features`` → mean over positions → the head (``classifier``, or ``fc`` like ResNet)."""

    head_name = "classifier"

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return getattr(self, self.head_name)(self.features(images).mean(dim=(2, 3)))


class TinyBatchNormCNN(PooledCNN):
    """``features`` blocks (conv, BatchNorm, ReLU) with a pooling layer between, then dropout + linear head."""

    def __init__(self, num_classes: int = 3) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU()),
            nn.Sequential(nn.Conv2d(4, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU()),
            nn.MaxPool2d(2),
            nn.Sequential(nn.Conv2d(6, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU()),
            nn.Sequential(nn.Conv2d(8, 8, 1), nn.BatchNorm2d(8), nn.ReLU()),
        )
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(8, num_classes))


class TinyCNN(PooledCNN):
    """Two conv + BatchNorm blocks and a ResNet-style ``fc`` head."""

    head_name = "fc"

    def __init__(self, num_classes: int = 2) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU()),
            nn.Sequential(nn.Conv2d(4, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU()),
        )
        self.fc = nn.Linear(8, num_classes)


class CountingCNN(PooledCNN):
    """``features`` blocks with 4, 6 and 8 channels, a dropout + linear head, and a count of forward calls."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.features = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU()),
            nn.Sequential(nn.Conv2d(4, 6, 3, padding=1), nn.ReLU()),
            nn.Sequential(nn.Conv2d(6, 8, 3, padding=1), nn.ReLU()),
        )
        self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Linear(8, 2))
        self.calls = 0

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return super().forward(images)


class KnownStatisticsNet(PooledCNN):
    """A first BatchNorm layer with chosen "ImageNet" statistics, a second after a convolution, a head with one more."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.features = nn.Sequential(nn.BatchNorm2d(3), nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
        self.classifier = nn.Sequential(nn.BatchNorm1d(4), nn.Linear(4, 2))
        self.features[0].running_mean = torch.tensor([0.0, 1.0, 2.0])
        self.features[0].running_var = torch.tensor([1.0, 4.0, 9.0])
        self.eval()


class StridedScoringNet(PooledCNN):
    """One strided conv + BatchNorm + ReLU and a linear head, in eval mode: a cheap model for the advisor."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.features = nn.Sequential(nn.Conv2d(3, 4, 3, stride=4), nn.BatchNorm2d(4), nn.ReLU())
        self.classifier = nn.Linear(4, 2)
        self.eval()
