"""Prepare every offline asset: ``python -m data_scripts`` (what ``make data`` runs)."""

from data_scripts import fashion_mnist, stamps, weights
from data_scripts.run import run_main


def main() -> list[str]:
    return weights.main() + fashion_mnist.main() + stamps.main()


if __name__ == "__main__":
    run_main(main)
