"""Prepare the photo stamps (and their cartoon counterparts) from tuxpaint-stamps-default.

The Debian package mixes real photo cut-outs with cartoons; ``stamps_manifest.csv`` lists
the curated files (class, domain photo/cartoon, split, sha256). Each source PNG is checked
against its sha256, its transparent background is composited onto a neutral colour (the
ImageNet mean, which normalisation maps to zero) and centred on a square canvas, then saved
under ``<data dir>/stamps/<domain>/<class>/`` (see :func:`tlhelpers.assets.data_dir`). ``index.csv`` is written last, so a run that was
interrupted is simply redone.

    python -m data_scripts.stamps
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from PIL import Image

from data_scripts.fetch import downloads_dir, fetch_deb, unpack_deb
from data_scripts.run import run_main
from tlhelpers.assets import (
    NEUTRAL_BACKGROUND,
    STAMPS_INDEX,
    AssetError,
    atomic_path,
    atomic_write_bytes,
    read_csv_rows,
    sha256_file,
    stamps_path,
)

STAMPS_PACKAGE = "tuxpaint-stamps-default"  # Debian package, fetched with apt-get download
STAMPS_ROOT_IN_DEB = "usr/share/tuxpaint/stamps"
STAMPS_MANIFEST = Path(__file__).with_name("stamps_manifest.csv")
CANVAS_SIZE = 256
INDEX_FIELDS = ["path", "class", "domain", "split", "source", "sha256"]


def composite(source: Path, size: int = CANVAS_SIZE) -> Image.Image:
    """Cut-out on a neutral square canvas, the longer side scaled to 90 % of ``size``."""
    with Image.open(source) as image:
        image = image.convert("RGBA")
    box = image.getbbox() or (0, 0, *image.size)  # crop empty transparent margins
    image = image.crop(box)
    scale = 0.9 * size / max(image.size)
    new_size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    image = image.resize(new_size, Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (size, size), NEUTRAL_BACKGROUND)
    offset = ((size - image.width) // 2, (size - image.height) // 2)
    canvas.paste(image, offset, mask=image)
    return canvas


def stamps_manifest() -> list[dict[str, str]]:
    """The committed, curated list of stamp files: path, class, domain, split, sha256."""
    if not STAMPS_MANIFEST.is_file():
        raise AssetError(f"{STAMPS_MANIFEST} is missing — restore it with `git checkout -- {STAMPS_MANIFEST.name}`")
    return read_csv_rows(STAMPS_MANIFEST)


def output_name(row: dict[str, str]) -> str:
    """``<domain>/<class>/<source folder>_<stem>.png`` — the folder keeps names unique."""
    source = Path(row["path"])
    return f"{row['domain']}/{row['class']}/{source.parent.name}_{source.stem}.png"


def index_is_current(folder: Path, manifest: list[dict[str, str]]) -> bool:
    """True when index.csv lists exactly the manifest's files and every output verifies."""
    index_file = folder / STAMPS_INDEX
    if not index_file.is_file():
        return False
    index = read_csv_rows(index_file)
    if sorted(row["source"] for row in index) != sorted(row["path"] for row in manifest):
        return False
    return all((folder / row["path"]).is_file() and sha256_file(folder / row["path"]) == row["sha256"]
               for row in index)  # fmt: skip


def main() -> list[str]:
    folder = stamps_path()
    manifest = stamps_manifest()
    if index_is_current(folder, manifest):
        return [f"photo stamps: already prepared in {folder} ({len(manifest)} images)"]
    ours = set()
    if (folder / STAMPS_INDEX).is_file():  # files a previous run created may be replaced
        ours = {row["path"] for row in read_csv_rows(folder / STAMPS_INDEX)}
    source_root = unpack_deb(fetch_deb(STAMPS_PACKAGE)) / STAMPS_ROOT_IN_DEB
    index = []
    for row in manifest:
        source = source_root / row["path"]
        if not source.is_file() or sha256_file(source) != row["sha256"]:
            raise AssetError(
                f"{source} is missing or differs from the manifest ({STAMPS_PACKAGE} changed?) — "
                f"delete {downloads_dir() / STAMPS_PACKAGE}* and run `make data`"
            )
        name = output_name(row)
        target = folder / name
        if target.exists() and name not in ours:
            raise AssetError(f"{target} exists and was not made by this script — move it away, then run `make data`")
        buffer = io.BytesIO()
        composite(source).save(buffer, format="PNG")
        atomic_write_bytes(target, buffer.getvalue())
        index.append({"path": name, "class": row["class"], "domain": row["domain"],
                      "split": row["split"], "source": row["path"], "sha256": sha256_file(target)})  # fmt: skip
    with atomic_path(folder / STAMPS_INDEX) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=INDEX_FIELDS)
            writer.writeheader()
            writer.writerows(index)
    counts: dict[str, int] = {}
    for row in index:
        counts[row["domain"]] = counts.get(row["domain"], 0) + 1
    summary = ", ".join(f"{n} {domain}" for domain, n in sorted(counts.items()))
    return [f"photo stamps: wrote {len(index)} images ({summary}) to {folder}"]


if __name__ == "__main__":
    run_main(main)
