"""Build ``stamps_manifest.csv`` from the hand-made ``stamps_review.csv``.

The review lists every Tux Paint stamp PNG that was inspected, with a class and
a domain (``photo``, ``cartoon`` or ``exclude``).  This script drops excluded
and byte-identical files, hashes the rest, assigns a deterministic
train/val/test split per (domain, class) and writes the manifest atomically::

    python -m data_scripts.make_stamps_split /usr/share/tuxpaint/stamps

Split rule: each (domain, class) group is sorted by path and shuffled with
``numpy.random.default_rng(seed=0)``; 20 % (rounded) goes to val and 20 % to
test, at least 3 each when the group has >= 15 files, at least 1 each when it
has >= 3.  Cartoon groups with fewer than 10 files go entirely to ``test``.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

from tlhelpers.assets import atomic_path, sha256_file

HERE = Path(__file__).resolve().parent
CLASSES = ("mammal", "bird", "fruit", "vegetable", "flower")
# Reviewed but left out of the dataset, with the reason.
DROPPED_CLASSES = {"insect": "only 6 real photos in the package: too few for a train/val/test split"}
DOMAINS = ("photo", "cartoon")
FIELDS = ("path", "class", "domain", "split", "sha256")
SEED = 0
MIN_CARTOON_SPLIT = 10


def read_review(review: Path) -> list[tuple[str, str, str]]:
    """Return the kept (path, class, domain) decisions, checked for sanity."""
    kept: list[tuple[str, str, str]] = []
    with review.open(newline="") as fh:
        for row in csv.DictReader(fh):
            path, cls, domain = row["path"], row["class"], row["domain"]
            if not path.endswith(".png"):
                raise ValueError(f"not a PNG: {path}")
            if domain == "exclude" or cls in DROPPED_CLASSES:
                continue
            if domain not in DOMAINS or cls not in CLASSES:
                raise ValueError(f"bad class/domain for {path}: {cls!r}/{domain!r}")
            kept.append((path, cls, domain))
    return kept


def split_counts(n: int, domain: str) -> tuple[int, int, int]:
    """Number of (train, val, test) items for a group of ``n`` files."""
    if domain == "cartoon" and n < MIN_CARTOON_SPLIT:
        return 0, 0, n
    floor = 3 if n >= 15 else (1 if n >= 3 else 0)
    k = max(round(0.2 * n), floor)
    return n - 2 * k, k, k


def assign_splits(paths: list[str], domain: str) -> dict[str, str]:
    """Deterministically map each path of one (domain, class) group to a split."""
    order = sorted(paths)
    np.random.default_rng(seed=SEED).shuffle(order)
    n_train, n_val, _ = split_counts(len(order), domain)
    return {p: ("train" if i < n_train else "val" if i < n_train + n_val else "test") for i, p in enumerate(order)}


def build_rows(root: Path, decisions: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    """Hash files, drop exact duplicates (first path wins), assign splits."""
    seen: dict[str, str] = {}
    groups: dict[tuple[str, str], list[str]] = {}
    digest: dict[str, str] = {}
    for path, cls, domain in sorted(decisions):
        h = sha256_file(root / path)
        if h in seen:
            print(f"dropping {path}: identical to {seen[h]}", file=sys.stderr)
            continue
        seen[h], digest[path] = path, h
        groups.setdefault((domain, cls), []).append(path)
    rows: list[dict[str, str]] = []
    for (domain, cls), paths in groups.items():
        for path, split in assign_splits(paths, domain).items():
            rows.append({"path": path, "class": cls, "domain": domain, "split": split, "sha256": digest[path]})
    rows.sort(key=lambda r: (r["domain"], r["class"], r["path"]))
    return rows


def write_manifest(rows: list[dict[str, str]], out: Path) -> None:
    """Write ``rows`` as CSV to ``out``, atomically (tlhelpers.assets.atomic_path)."""
    with atomic_path(out) as tmp, tmp.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("stamps_root", type=Path)
    ap.add_argument("--review", type=Path, default=HERE / "stamps_review.csv")
    ap.add_argument("--out", type=Path, default=HERE / "stamps_manifest.csv")
    args = ap.parse_args(argv)
    rows = build_rows(args.stamps_root, read_review(args.review))
    write_manifest(rows, args.out)
    counts: dict[tuple[str, str, str], int] = {}
    for r in rows:
        key = (r["domain"], r["class"], r["split"])
        counts[key] = counts.get(key, 0) + 1
    for key in sorted(counts):
        print(*key, counts[key], sep="\t")
    print(f"wrote {len(rows)} rows to {args.out}")


if __name__ == "__main__":
    main()
