"""The common entry point of the data scripts: print what was done, or one line and exit 1."""

from __future__ import annotations

import sys
from collections.abc import Callable

from tlhelpers.assets import AssetError


def run_main(main: Callable[[], list[str]]) -> None:
    try:
        for line in main():
            print(line)
    except AssetError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(1) from None
