"""Contact sheets (labelled thumbnail grids) for reviewing Tux Paint stamp PNGs.

Each thumbnail is composited on mid-grey so transparent cut-outs are visible,
and labelled with its index and path.  Run as::

    python -m data_scripts.contact_sheets STAMPS_ROOT OUT_DIR \
        [--manifest data_scripts/stamps_manifest.csv]

With ``--manifest`` one set of sheets is written per (domain, class), named
``<domain>_<class>_<n>.png``, and each label also shows the split.  Without it,
every PNG under ``STAMPS_ROOT`` (or only those under ``--under`` folders) is
shown in path order, in sheets ``all_<n>.png``, with a ``<sheet>.txt`` index.
Uses Pillow only.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

THUMB = 180
LABEL_H = 28
PER_SHEET = 35
COLS = 7
GREY = (128, 128, 128, 255)


def _thumbnail(path: Path, size: int = THUMB) -> Image.Image:
    """Return ``path`` scaled to fit ``size`` x ``size``, composited on grey."""
    with Image.open(path) as im:
        im = im.convert("RGBA")
        im.thumbnail((size, size), Image.Resampling.LANCZOS)
    tile = Image.new("RGBA", (size, size), GREY)
    tile.alpha_composite(im, ((size - im.width) // 2, (size - im.height) // 2))
    return tile.convert("RGB")


def make_sheet(root: Path, items: list[tuple[str, str]], out: Path) -> None:
    """Write one grid of thumbnails; ``items`` are (relative path, label) pairs."""
    rows = (len(items) + COLS - 1) // COLS
    sheet = Image.new("RGB", (COLS * THUMB, rows * (THUMB + LABEL_H)), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for i, (rel, label) in enumerate(items):
        x, y = (i % COLS) * THUMB, (i // COLS) * (THUMB + LABEL_H)
        try:
            sheet.paste(_thumbnail(root / rel), (x, y))
        except OSError as exc:  # unreadable file: leave the tile blank
            draw.text((x + 4, y + 4), f"ERR {exc}"[:30], fill="red", font=font)
        size = ""
        try:
            with Image.open(root / rel) as im:
                size = f" {im.width}x{im.height}"
        except OSError:
            pass
        draw.text((x + 2, y + THUMB), label[:30], fill="black", font=font)
        draw.text((x + 2, y + THUMB + 13), (Path(rel).name[:22] + size)[:30], fill="black", font=font)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)


def _chunks(items: list[tuple[str, str]], n: int) -> list[list[tuple[str, str]]]:
    """Split ``items`` into consecutive lists of at most ``n``."""
    return [items[i : i + n] for i in range(0, len(items), n)]


def sheets_from_manifest(root: Path, manifest: Path, out_dir: Path) -> list[Path]:
    """One series of sheets per (domain, class) listed in ``manifest``."""
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    with manifest.open(newline="") as fh:
        for row in csv.DictReader(fh):
            key = (row["domain"], row["class"])
            groups.setdefault(key, []).append((row["path"], row["split"]))
    written: list[Path] = []
    for (domain, cls), rows in sorted(groups.items()):
        for k, chunk in enumerate(_chunks(sorted(rows), PER_SHEET)):
            items = [(p, f"{k * PER_SHEET + i} {s} {Path(p).parent.name}") for i, (p, s) in enumerate(chunk)]
            out = out_dir / f"{domain}_{cls}_{k}.png"
            make_sheet(root, items, out)
            written.append(out)
    return written


def sheets_from_tree(root: Path, out_dir: Path, under: list[str]) -> list[Path]:
    """Sheets of every PNG below ``root`` (optionally only below ``under``)."""
    bases = [root / u for u in under] if under else [root]
    paths = sorted({p.relative_to(root).as_posix() for b in bases for p in b.rglob("*.png")})
    written: list[Path] = []
    for k, chunk in enumerate(_chunks([(p, p) for p in paths], PER_SHEET)):
        items = [(p, f"{k * PER_SHEET + i} {Path(p).parent.as_posix()[-24:]}") for i, (p, _) in enumerate(chunk)]
        out = out_dir / f"all_{k:02d}.png"
        make_sheet(root, items, out)
        out.with_suffix(".txt").write_text("".join(f"{k * PER_SHEET + i}\t{p}\n" for i, (p, _) in enumerate(chunk)))
        written.append(out)
    return written


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("stamps_root", type=Path)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--manifest", type=Path, default=None)
    ap.add_argument("--under", nargs="*", default=[], help="without --manifest: only these sub-folders of the root")
    args = ap.parse_args(argv)
    if args.manifest is not None:
        written = sheets_from_manifest(args.stamps_root, args.manifest, args.out_dir)
    else:
        written = sheets_from_tree(args.stamps_root, args.out_dir, args.under)
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
