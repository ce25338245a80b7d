"""Prepare the photo stamps (and their cartoon counterparts) from Tux Paint's stamps collection.

Tux Paint's stamps (release 2022.06.04, GPL-2) mix real photo cut-outs with cartoons; ``stamps_manifest.csv``
lists the curated files (class, domain photo/cartoon, split, sha256). The files come from the first of these
sources that has them, each file checked against the manifest's sha256 whatever its source:

1. a Tux Paint ``stamps`` folder already on disk: ``--stamps-from DIR`` or ``$TLHELPERS_STAMPS_FROM``
   (e.g. ``/usr/share/tuxpaint/stamps``, or the ``stamps`` folder inside a Tux Paint install on Windows/macOS);
2. Debian's or Ubuntu's package ``tuxpaint-stamps-default`` (``apt-get download``, unpacked with ``dpkg-deb``);
3. Tux Paint's own release archive from SourceForge over HTTPS (``$TLHELPERS_STAMPS_URL`` overrides the address).

A file of another release that differs is named in one line and taken from the next source; the run fails,
writing nothing, only when a manifest file matches in none. Each PNG's transparent background is then
composited onto a neutral colour (the ImageNet mean, which normalisation maps to zero) and centred on a square
canvas, and saved under ``<data dir>/stamps/<domain>/<class>/`` (see :func:`tlhelpers.assets.data_dir`).
``index.csv`` is written last, so a run that was interrupted is simply redone.

    python -m data_scripts.stamps [--stamps-from DIR]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from data_scripts.fetch import FIX, download_url, downloads_dir, fetch_deb, unpack_deb
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
STAMPS_RELEASE = "2022.06.04"  # the release the manifest's checksums come from (Debian's 2022.06.04-1)
UPSTREAM_URL = (
    f"https://downloads.sourceforge.net/project/tuxpaint/tuxpaint-stamps/{STAMPS_RELEASE.replace('.', '-')}/"
    f"tuxpaint-stamps-{STAMPS_RELEASE}.tar.gz"
)
FOLDER_VARIABLE = "TLHELPERS_STAMPS_FROM"
URL_VARIABLE = "TLHELPERS_STAMPS_URL"
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
    return all((folder / row["path"]).is_file() and sha256_file(folder / row["path"]) == row["sha256"] for row in index)


class Source:
    """Where stamp files may come from: a name, and a function giving a folder.

    The folder that function gives plays the part of /usr/share/tuxpaint/stamps.
    """

    def __init__(self, name: str, root: Callable[[], Path]) -> None:
        self.name, self.root = name, root


def folder_source(folder: str | Path) -> Source:
    def root() -> Path:
        path = Path(folder).expanduser()
        if not path.is_dir():
            raise AssetError(f"{path} is not a folder")
        return path

    return Source(f"folder {folder}", root)


def debian_source() -> Source:
    return Source(
        f"Debian package {STAMPS_PACKAGE}", lambda: unpack_deb(fetch_deb(STAMPS_PACKAGE)) / STAMPS_ROOT_IN_DEB
    )


def upstream_source(manifest: list[dict[str, str]]) -> Source:
    url = os.environ.get(URL_VARIABLE) or UPSTREAM_URL
    return Source(f"Tux Paint's release archive {url}", lambda: unpack_upstream(url, manifest))


def unpack_upstream(url: str, manifest: list[dict[str, str]]) -> Path:
    """Download the release archive once, and copy the manifest's files out of it (no other member is read)."""
    target = downloads_dir() / f"tuxpaint-stamps-{STAMPS_RELEASE}-upstream"
    if target.is_dir():
        return target
    archive = download_url(url, downloads_dir() / url.rstrip("/").split("/")[-1])
    wanted = {row["path"] for row in manifest}
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        with tarfile.open(archive) as tar:
            for member in tar:
                inside = member.name.split("/stamps/", 1)[-1]  # <release folder>/stamps/<manifest path>
                if member.isfile() and "/stamps/" in member.name and inside in wanted:
                    destination = partial / inside
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    with tar.extractfile(member) as source, open(destination, "wb") as handle:
                        shutil.copyfileobj(source, handle)
    except (tarfile.TarError, OSError, EOFError) as error:
        shutil.rmtree(partial, ignore_errors=True)
        raise AssetError(f"{archive} is not a readable release archive ({error}) — delete it and {FIX}") from None
    partial.rename(target)
    return target


def sources(manifest: list[dict[str, str]], folder: str | Path | None = None) -> list[Source]:
    """The sources to try, in order: the folder given (or in $TLHELPERS_STAMPS_FROM), Debian's package, upstream."""
    folder = folder or os.environ.get(FOLDER_VARIABLE)
    return ([folder_source(folder)] if folder else []) + [debian_source(), upstream_source(manifest)]


def gather(manifest: list[dict[str, str]], candidates: list[Source]) -> tuple[dict[str, Path], list[str]]:
    """{manifest path: a file whose sha256 matches}, from the first source that has it; and what to report."""
    found: dict[str, Path] = {}
    report: list[str] = []
    for source in candidates:
        missing = [row for row in manifest if row["path"] not in found]
        if not missing:
            break
        try:
            root = source.root()
        except AssetError as error:
            report.append(f"photo stamps: {source.name} not used: {error}")
            continue
        before = len(found)
        for row in missing:
            path = root / row["path"]
            if path.is_file() and sha256_file(path) == row["sha256"]:
                found[row["path"]] = path
            elif path.is_file():
                report.append(
                    f"photo stamps: {row['path']} from {source.name} differs from the manifest's (another release?)"
                )
        report.append(f"photo stamps: {len(found) - before} of {len(manifest)} files from {source.name}")
    missing = [row["path"] for row in manifest if row["path"] not in found]
    if missing:
        raise AssetError(
            f"{len(missing)} of {len(manifest)} stamp files (e.g. {missing[0]}) match in no source — "
            f"install apt-get's tuxpaint-stamps-default, or point --stamps-from / ${FOLDER_VARIABLE} at a Tux Paint "
            f"{STAMPS_RELEASE} stamps folder, then run `python -m data_scripts` (tried: "
            + "; ".join(line.removeprefix("photo stamps: ") for line in report)
            + ")"
        )
    return found, report


def main(stamps_from: str | Path | None = None) -> list[str]:
    folder = stamps_path()
    manifest = stamps_manifest()
    if index_is_current(folder, manifest):
        return [f"photo stamps: already prepared in {folder} ({len(manifest)} images)"]
    files, report = gather(manifest, sources(manifest, stamps_from))
    ours = set()
    if (folder / STAMPS_INDEX).is_file():  # files a previous run created may be replaced
        ours = {row["path"] for row in read_csv_rows(folder / STAMPS_INDEX)}
    index = []
    for row in manifest:
        source = files[row["path"]]
        name = output_name(row)
        target = folder / name
        if target.exists() and name not in ours:
            raise AssetError(f"{target} exists and was not made by this script — move it away, then {FIX}")
        buffer = io.BytesIO()
        composite(source).save(buffer, format="PNG")
        atomic_write_bytes(target, buffer.getvalue())
        index.append(
            {
                "path": name,
                "class": row["class"],
                "domain": row["domain"],
                "split": row["split"],
                "source": row["path"],
                "sha256": sha256_file(target),
            }
        )
    with atomic_path(folder / STAMPS_INDEX) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=INDEX_FIELDS)
            writer.writeheader()
            writer.writerows(index)
    counts: dict[str, int] = {}
    for row in index:
        counts[row["domain"]] = counts.get(row["domain"], 0) + 1
    summary = ", ".join(f"{n} {domain}" for domain, n in sorted(counts.items()))
    return report + [f"photo stamps: wrote {len(index)} images ({summary}) to {folder}"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stamps-from",
        metavar="DIR",
        help=f"a Tux Paint stamps folder to take the stamps from first (or ${FOLDER_VARIABLE})",
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    arguments = parser.parse_args()
    run_main(lambda: main(arguments.stamps_from))
