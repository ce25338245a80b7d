"""The Korean edition: notebooks/ko/ derived from the English notebooks and one translation catalogue per notebook.

    python -m tools.translations              # regenerate notebooks/ko/ and README.ko.md's course map where changed
    python -m tools.translations --check      # exit 1 on a stale or wrong translation or an out-of-date Korean file
    python -m tools.translations --stub 03    # add a placeholder for each untranslated cell of notebook 03

**The catalogue** ``notebooks/translations/ko/<stem>.md`` (``index.md``, ``03_feature_extraction.md``) holds the
Korean text of the notebook's markdown cells — the lesson's and its instructor version's, which share their cell
ids. Each entry is a header line, then the cell's Korean markdown up to the next header::

    <!-- cell: nb03-05 source-sha256: 1a2b3c4d5e6f -->
    ## 1. 한 번만 전처리한 사진 스탬프
    ...

``source-sha256`` is the first 12 hex digits of the sha256 of the English cell's source (UTF-8), so a translation
is looked up by *(cell id, English text)*: when the English cell changes, its translation is *stale* — the Korean
notebook shows the English text again and ``--check`` fails, naming the new hash to write once the Korean is
updated. Where a lesson and its instructor version word one cell differently, the catalogue has one entry per
wording (same id, two hashes). ``<!-- en: … -->`` comments inside an entry (the English text ``--stub`` writes as
a reference) are not part of the translation; an entry with nothing else is a placeholder, and its cell stays
English. Text before the first header is a note for translators. Write links as in the English notebook
(``solutions/…``, ``../README.md``): the generator points them at the Korean pages, or at the English files, from
the Korean notebook's folder. Lookups go across all catalogue files, so an entry keeps working when its cell
moves to another notebook (``--check`` notes it; ``--stub <new notebook>`` moves it into that notebook's file).

**What the Korean notebook changes**, and nothing else (code, outputs, figures, execution counts and metadata are
the English executed notebook's; nothing is executed a second time):

- markdown cells: the current translation, else the English text, links re-pointed as above;
- the navigation cells and the index's contents cell: regenerated, linking the Korean neighbours and the English page;
- the set-up cell (the first code cell importing the course) of a notebook with exercise checks: one line,
  :data:`SETUP_LINE`, appended — the checkers then print in Korean when the notebook is run;
- the stored printed lines of check cells (code cells calling ``checks.…`` or ``exercise_checks.…``): each line
  through ``tlhelpers.exercises.messages.translate_output`` where that function exists, else unchanged.

``--check`` also holds every number the Korean text quotes to its English cell (``tools.claims.quoted_numbers`` on
both; ``84 %`` must be ``84 %``): the English text is held to the outputs by ``tools.claims``, so the Korean is too.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import importlib
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from tlhelpers.assets import atomic_path
from tools import claims
from tools.navigation import CONTENTS_TAG, NAV_TAG
from tools.notebook_list import NOTEBOOK_DIR, lesson_of, lessons, solution_of, solutions

LANGUAGE = "ko"
SETUP_LINE = f'checks.use_language("{LANGUAGE}")  # 연습 문제 점검 메시지를 한국어로 (tools/translations.py)'
HEADER = re.compile(r"^<!-- cell: (?P<id>\S+) source-sha256: (?P<hash>[0-9a-f]{12}) -->[ \t]*$", re.M)
ENGLISH_NOTE = re.compile(r"<!-- en\b.*?-->[ \t]*\n?", re.S)
GENERATED_TAGS = {NAV_TAG, CONTENTS_TAG}
CHECK_CALL = re.compile(r"\b(?:exercise_)?checks\.\w+\(")
COURSE_IMPORT = re.compile(r"^\s*(?:import tlhelpers|from tlhelpers[\w.]* import)", re.M)
CHECKS_IMPORT = re.compile(r"^from tlhelpers\.exercises import checks\s*$", re.M)
README_START, README_END = "<!-- notebooks:start -->", "<!-- notebooks:end -->"
COMMAND = "python -m tools.translations"


def source_hash(text: str) -> str:
    """The key of an English cell's text: the first 12 hex digits of the sha256 of its source."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Entry:
    """One catalogue entry: the Korean ``text`` of cell ``cell_id`` whose English source has ``source_hash``."""

    cell_id: str
    source_hash: str
    text: str  # "" for a placeholder
    block: str  # the entry as written, header included
    path: Path
    line: int

    def where(self, root: Path) -> str:
        return f"{_relative(self.path, root)}:{self.line}"


def read_catalogue(path: Path) -> tuple[str, list[Entry]]:
    """(the note before the first header, the entries) of one catalogue file."""
    text = path.read_text(encoding="utf-8")
    headers = list(HEADER.finditer(text))
    preamble = text[: headers[0].start()] if headers else text
    entries = []
    for number, header in enumerate(headers):
        end = headers[number + 1].start() if number + 1 < len(headers) else len(text)
        body = ENGLISH_NOTE.sub("", text[header.end() : end])
        body = re.sub(r"\A(?:[ \t]*\n)+", "", body).rstrip()
        line = text.count("\n", 0, header.start()) + 1
        entries.append(Entry(header["id"], header["hash"], body, text[header.start() : end], path, line))
    return preamble, entries


def stub_block(cell_id: str, source: str, note: str = "") -> str:
    """A placeholder entry: the header and the English text in a comment (``-->`` escaped), no translation yet."""
    english = source.replace("-->", "--&gt;")
    label = f"en{note}"
    return f"<!-- cell: {cell_id} source-sha256: {source_hash(source)} -->\n<!-- {label}:\n{english}\n-->\n"


def _relative(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path, start)).as_posix()


def translatable(cell: nbformat.NotebookNode) -> bool:
    """Markdown cells other than the generated ones (navigation, contents)."""
    return cell.cell_type == "markdown" and not GENERATED_TAGS & set(cell.metadata.get("tags", []))


def output_translator() -> Callable[[str], str] | None:
    """``tlhelpers.exercises.messages.translate_output`` (English checker line → Korean), or None where it is absent."""
    try:
        module = importlib.import_module("tlhelpers.exercises.messages")
    except ModuleNotFoundError as error:
        if error.name in ("tlhelpers.exercises.messages", "tlhelpers.exercises", "tlhelpers"):
            return None
        raise
    return getattr(module, "translate_output", None)


def translated_lines(text: str, translate: Callable[[str], str]) -> str:
    """``text`` with each line (without its newline) passed through ``translate``."""
    lines = text.splitlines(keepends=True)
    return "".join(translate(line[:-1]) + "\n" if line.endswith("\n") else translate(line) for line in lines)


# --- numbers: the Korean text may quote only what its English cell quotes --------------------------------------

_HANGUL = "가-힣"
_KOREAN_UNITS = {"천": 1e3, "만": 1e4, "억": 1e8}
_NUMBER_WORDS = {
    **dict(zip("two three four five six seven eight nine ten eleven twelve".split(), range(2, 13), strict=True)),
    "twenty": 20,
    "thirty": 30,
    "fifty": 50,
    "hundred": 100,
    "thousand": 1000,
    "million": 1e6,
    "billion": 1e9,
    "dozen": 12,
    "decade": 10,
    "twice": 2,
    "double": 2,
    "triple": 3,
    "half": 0.5,
    **dict(zip("second third fourth fifth sixth seventh eighth ninth tenth".split(), range(2, 11), strict=True)),
}


def korean_plain(text: str) -> str:
    """Korean text in the form ``tools.claims`` reads: ``128만`` → ``1,280,000``; a space between a number (or its
    ``%``, ``×``) and the Hangul around it (``84 %의``, ``3배``, ``약84``), which the English patterns need."""

    def unit(match: re.Match) -> str:
        value = float(match.group(1).replace(",", "")) * _KOREAN_UNITS[match.group(2)]
        return f"{int(value):,}" if value == int(value) else f"{value:g}"

    text = re.sub(r"(\d(?:[\d,]*\d)?(?:\.\d+)?)\s?([천만억])(?!화)", unit, text)  # not "만화" (cartoon)
    text = re.sub(rf"(?<=[\d%×])(?=[{_HANGUL}])", " ", text)
    return re.sub(rf"(?<=[{_HANGUL}])(?=\d)", " ", text)


def english_values(english: str) -> set[float]:
    """Every number the English cell states or contains: quoted ones (with their units), the digits in its source
    (cross-references such as "section 3" included) and number words ("three", "twice")."""
    values = {value for _, value, _, _ in claims.quoted_numbers(english)} | claims._numbers_in(english)
    words = re.findall(r"[a-z]+", claims.prose(english).lower())
    return values | {float(_NUMBER_WORDS[word]) for word in words if word in _NUMBER_WORDS}


def unmatched_numbers(korean: str, english: str) -> list[str]:
    """The numbers and sizes the Korean text quotes that its English cell does not (as written in the Korean)."""
    plain = korean_plain(korean)
    values = english_values(english)
    found = [
        written
        for written, value, decimals, percent in claims.quoted_numbers(plain)
        if value not in (0, 1) and not claims._backed(value, decimals, percent, values)
    ]
    english_shapes = set(claims.shapes(english))
    found += [
        shape.replace("x", " × ")
        for shape in claims.shapes(plain)
        if shape not in english_shapes and not all(float(part) in values for part in shape.split("x"))
    ]
    return found


# --- the edition ---------------------------------------------------------------------------------------------------


@dataclass
class Report:
    failures: list[str] = field(default_factory=list)  # each line: what is wrong, and the command or edit that fixes it
    notes: list[str] = field(default_factory=list)  # untranslated cells, entries in another notebook's file


class Edition:
    """The Korean edition of the course in ``folder`` (the English ``notebooks/``)."""

    def __init__(self, folder: Path = NOTEBOOK_DIR, translate: Callable[[str], str] | None | bool = True) -> None:
        self.folder = folder
        self.root = folder.parent
        self.catalogue_dir = folder / "translations" / LANGUAGE
        self.output_dir = folder / LANGUAGE
        self.readme = self.root / f"README.{LANGUAGE}.md"
        self.translate = output_translator() if translate is True else (translate or None)
        self._notebooks: dict[Path, nbformat.NotebookNode] = {}
        self.entries: list[Entry] = []
        self.preambles: dict[Path, str] = {}
        for path in sorted(self.catalogue_dir.glob("*.md")):
            self.preambles[path], entries = read_catalogue(path)
            self.entries += entries
        self.by_key: dict[tuple[str, str], Entry] = {}
        self.duplicates: list[Entry] = []
        for entry in self.entries:
            if not entry.text:
                continue
            if (entry.cell_id, entry.source_hash) in self.by_key:
                self.duplicates.append(entry)
            else:
                self.by_key[entry.cell_id, entry.source_hash] = entry

    # the English side

    def units(self) -> dict[str, list[Path]]:
        """Catalogue stem → the English notebooks it translates: the index; each lesson and its instructor version."""
        units = {lesson.stem: [lesson] for lesson in lessons(self.folder)}
        for solution in solutions(self.folder):  # (a student notebook may not be generated yet)
            units.setdefault(lesson_of(solution).stem, []).append(solution)
        return {"index": [self.folder / "index.ipynb"], **dict(sorted(units.items()))}

    def english(self, path: Path) -> nbformat.NotebookNode:
        if path not in self._notebooks:
            self._notebooks[path] = nbformat.read(path, as_version=4)
        return self._notebooks[path]

    def cells(self, stem: str) -> list[tuple[str, str]]:
        """(cell id, English source) of each translatable cell of a unit, one per distinct wording, in order."""
        seen, found = set(), []
        for path in reversed(self.units()[stem]):  # the instructor version first: it has every cell
            for cell in self.english(path).cells:
                if translatable(cell) and (cell.id, cell.source) not in seen:
                    seen.add((cell.id, cell.source))
                    found.append((cell.id, cell.source))
        order: dict[str, int] = {}
        for position, (cell_id, _) in enumerate(found):
            order.setdefault(cell_id, position)
        return sorted(found, key=lambda item: order[item[0]])

    def korean_path(self, english: Path) -> Path:
        return self.output_dir / english.relative_to(self.folder)

    def catalogue_path(self, stem: str) -> Path:
        return self.catalogue_dir / f"{stem}.md"

    def translation(self, cell: nbformat.NotebookNode) -> str | None:
        entry = self.by_key.get((cell.id, source_hash(cell.source)))
        return entry.text if entry else None

    def title(self, english: Path) -> str:
        """The Korean notebook's title: the first "# " line of its first cell, translated where it is."""
        if not english.exists():  # an instructor version whose student notebook is not generated yet
            return english.stem
        first = self.english(english).cells[0]
        for line in (self.translation(first) or first.source).splitlines():
            if line.startswith("# "):
                return line[2:].strip()
        return english.stem

    # links

    def counterpart(self, english: Path) -> Path:
        """The Korean page for an English file (a notebook, the README), or the file itself."""
        if english.suffix == ".ipynb" and english.parent in (self.folder, self.folder / "solutions"):
            if english.name == "index.ipynb" or re.match(r"\d\d", english.name):
                return self.korean_path(english)
        if english == self.root / "README.md":
            return self.readme
        return english

    def relink(self, markdown: str, english_dir: Path, korean_dir: Path) -> str:
        """Relative link targets of ``markdown``, written for ``english_dir``, re-pointed for ``korean_dir``."""

        def target(written: str) -> str:
            if re.match(r"[a-z][a-z0-9+.-]*:", written, re.I) or written.startswith(("#", "/")):
                return written
            path, hash_sign, fragment = written.partition("#")
            resolved = Path(os.path.normpath(english_dir / path))
            return _relative(self.counterpart(resolved), korean_dir) + hash_sign + fragment

        def one(match: re.Match) -> str:
            return match.group(1) + target(match.group(2)) + match.group(3)

        links = re.compile(r"(\]\(<?)([^)\s>]+)(>?(?:\s+\"[^\"]*\")?\))|((?:src|href)=\")([^\"]+)(\")")
        parts = re.split(r"(```.*?```|`[^`\n]*`)", markdown, flags=re.S)  # code is left alone
        for index in range(0, len(parts), 2):
            parts[index] = links.sub(
                lambda m: one(m) if m.group(1) else m.group(4) + target(m.group(5)) + m.group(6), parts[index]
            )
        return "".join(parts)

    def link(self, target: Path, page: Path) -> str:
        """A markdown link from the Korean ``page`` to the Korean version of the English notebook ``target``."""
        return f"[{self.title(target)}]({_relative(self.korean_path(target), self.korean_path(page).parent)})"

    def english_link(self, page: Path) -> str:
        return f"[English]({_relative(page, self.korean_path(page).parent)})"

    def navigation(self, page: Path) -> str:
        index = self.folder / "index.ipynb"
        if page.parent.name == "solutions":
            return f"< {self.link(lesson_of(page), page)} | {self.link(index, page)} > · {self.english_link(page)}"
        order = sorted({*lessons(self.folder), *map(lesson_of, solutions(self.folder))})  # as tools.navigation
        position = order.index(page)
        previous = self.link(order[position - 1] if position > 0 else index, page)
        following = f" | {self.link(order[position + 1], page)} >" if position + 1 < len(order) else " >"
        return f"< {previous} | {self.link(index, page)}{following} · {self.english_link(page)}"

    def contents(self) -> str:
        index = self.folder / "index.ipynb"
        lines = ["## 목차", ""]
        for lesson in lessons(self.folder):
            solution = solution_of(lesson)
            extra = f" — [풀이]({_relative(self.korean_path(solution), self.output_dir)})" if solution.exists() else ""
            lines.append(f"1. {self.link(lesson, index)}{extra}")
        english_title = self.english(index).cells[0].source.splitlines()[0].removeprefix("# ").strip()
        lines += ["", f"English: [{english_title}](../index.ipynb)"]
        return "\n".join(lines)

    def readme_list(self) -> str:
        lines = []
        for lesson in lessons(self.folder):
            solution = solution_of(lesson)
            korean = _relative(self.korean_path(lesson), self.root)
            extra = f" — [풀이]({_relative(self.korean_path(solution), self.root)})" if solution.exists() else ""
            lines.append(f"1. [{self.title(lesson)}]({korean}){extra} · [English]({_relative(lesson, self.root)})")
        return "\n".join(lines)

    # generation

    def korean_notebook(self, english: Path) -> nbformat.NotebookNode:
        """The Korean version of one English notebook (a copy: the English one is not touched)."""
        notebook = copy.deepcopy(self.english(english))
        korean_dir = self.korean_path(english).parent
        calls_checks = any(c.cell_type == "code" and CHECK_CALL.search(c.source) for c in notebook.cells)
        setup = next((c for c in notebook.cells if c.cell_type == "code" and COURSE_IMPORT.search(c.source)), None)
        if calls_checks and (setup is None or not CHECKS_IMPORT.search(setup.source)):
            raise SystemExit(
                f"{_relative(english, self.root)}: its set-up cell (the first code cell importing tlhelpers) lacks "
                "`from tlhelpers.exercises import checks` — add it, so that the Korean edition can switch the "
                "checks' language"
            )
        for cell in notebook.cells:
            tags = set(cell.metadata.get("tags", []))
            if NAV_TAG in tags:
                cell.source = self.navigation(english)
            elif CONTENTS_TAG in tags:
                cell.source = self.contents()
            elif cell.cell_type == "markdown":
                cell.source = self.relink(self.translation(cell) or cell.source, english.parent, korean_dir)
            elif cell is setup and calls_checks:
                cell.source = f"{cell.source.rstrip()}\n{SETUP_LINE}"
            elif cell.cell_type == "code" and self.translate and CHECK_CALL.search(cell.source):
                for output in cell.outputs:
                    if output.output_type == "stream" and output.name == "stdout":
                        output.text = translated_lines(output.text, self.translate)
        notebook.metadata["translation"] = {"language": LANGUAGE, "source": _relative(english, korean_dir)}
        return notebook

    def generated(self) -> dict[Path, str]:
        """Every Korean file the command writes → its text."""
        files = {
            self.korean_path(english): nbformat.writes(self.korean_notebook(english)) + "\n"
            for notebooks in self.units().values()
            for english in notebooks
        }
        if self.readme.exists():
            text = self.readme.read_text(encoding="utf-8")
            if README_START in text and README_END in text:
                before, rest = text.split(README_START, 1)
                after = rest.split(README_END, 1)[1]
                files[self.readme] = f"{before}{README_START}\n{self.readme_list()}\n{README_END}{after}"
        return files

    def strays(self, files: dict[Path, str]) -> list[Path]:
        """Korean notebooks that no English notebook produces any more (a lesson renamed, split or removed)."""
        found = [*self.output_dir.glob("*.ipynb"), *(self.output_dir / "solutions").glob("*.ipynb")]
        return sorted(path for path in found if path not in files)

    def write(self) -> list[Path]:
        """Write the Korean files that changed (atomically), delete stray ones; return what changed."""
        files = self.generated()
        changed = []
        for path, text in files.items():
            if path.exists() and path.read_text(encoding="utf-8") == text:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as tmp:
                tmp.write_text(text, encoding="utf-8")
            changed.append(path)
        for path in self.strays(files):
            path.unlink()
            changed.append(path)
        return changed

    # checking

    def check(self) -> Report:
        report = Report()
        home: dict[str, str] = {}  # cell id → the unit whose English notebooks hold it
        current: dict[tuple[str, str], str] = {}  # (id, hash) → English source, translatable cells only
        other_cells: set[str] = set()
        for stem, notebooks in self.units().items():
            for english in notebooks:
                for cell in self.english(english).cells:
                    home.setdefault(cell.id, stem)
                    if translatable(cell):
                        current[cell.id, source_hash(cell.source)] = cell.source
                    else:
                        other_cells.add(cell.id)
        hashes: dict[str, list[str]] = {}
        for cell_id, digest in current:
            hashes.setdefault(cell_id, []).append(digest)
        for entry in self.duplicates:
            report.failures.append(
                f"{entry.where(self.root)}: cell {entry.cell_id} source-sha256 {entry.source_hash} is translated twice "
                "— keep one entry"
            )
        for entry in self.entries:
            if not entry.text:
                continue
            key = (entry.cell_id, entry.source_hash)
            if key in current:
                report.failures += self.number_problems(entry, current[key])
                if self.catalogue_path(home[entry.cell_id]) != entry.path:
                    report.notes.append(
                        f"{entry.where(self.root)}: cell {entry.cell_id} is now in {home[entry.cell_id]} — "
                        f"`{COMMAND} --stub {home[entry.cell_id]}` moves its entry there"
                    )
            elif entry.cell_id in hashes:
                now = " or ".join(hashes[entry.cell_id])
                report.failures.append(
                    f"{entry.where(self.root)}: cell {entry.cell_id} is stale: its English text changed since it was "
                    f"translated — update the Korean, then set its source-sha256 to {now}"
                )
            elif entry.cell_id in other_cells:
                report.failures.append(
                    f"{entry.where(self.root)}: cell {entry.cell_id} is a code or generated cell, which is not "
                    "translated — delete the entry"
                )
            else:
                report.failures.append(
                    f"{entry.where(self.root)}: cell {entry.cell_id} is in no English notebook (deleted, or given a "
                    "new id) — delete the entry, or give it the cell's new id and source-sha256"
                )
        for stem in self.units():
            cells = self.cells(stem)
            missing = [cell_id for cell_id, source in cells if (cell_id, source_hash(source)) not in self.by_key]
            if missing:
                report.notes.append(
                    f"{stem}: {len(cells) - len(missing)} of {len(cells)} markdown cell texts translated, "
                    f"{len(missing)} untranslated (`{COMMAND} --stub {stem}` lists them in "
                    f"{_relative(self.catalogue_path(stem), self.root)})"
                )
        for path in sorted(self.catalogue_dir.glob("*.md")):
            if path.stem not in self.units():
                report.notes.append(
                    f"{_relative(path, self.root)}: no English notebook {path.stem} (renamed or split?)"
                )
        files = self.generated()
        for path, text in files.items():
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                state = "missing" if not path.exists() else "out of date with its English notebook and catalogue"
                report.failures.append(f"{_relative(path, self.root)}: {state} — run `{COMMAND}`")
        for path in self.strays(files):
            report.failures.append(f"{_relative(path, self.root)}: no English notebook makes it — run `{COMMAND}`")
        if self.translate is None:
            report.notes.append(
                "tlhelpers.exercises.messages.translate_output not found: check cells' stored lines stay English"
            )
        return report

    def number_problems(self, entry: Entry, english: str) -> list[str]:
        """One line per number the entry's Korean quotes that its English cell does not."""
        return [
            f"{entry.where(self.root)}: cell {entry.cell_id}: “{written}” in the Korean text is not in the English "
            "cell — write the English cell's number"
            for written in unmatched_numbers(entry.text, english)
        ]

    def numbers(self) -> list[str]:
        """The number check alone, over every current translation (what ``python -m tools.claims`` can add)."""
        english = {
            (cell.id, source_hash(cell.source)): cell.source
            for notebooks in self.units().values()
            for path in notebooks
            for cell in self.english(path).cells
            if translatable(cell)
        }
        keys = [(entry, (entry.cell_id, entry.source_hash)) for entry in self.entries if entry.text]
        return [line for entry, key in keys if key in english for line in self.number_problems(entry, english[key])]

    # stubs

    def stub(self, stem: str) -> tuple[Path, int, int]:
        """Rewrite ``stem``'s catalogue in cell order: its entries and those of its cells found in other catalogue
        files (moved here) verbatim, stale placeholders replaced, a placeholder added for each untranslated cell —
        for a stale translation, right after it, with the new English and hash: move the updated Korean into it and
        delete the stale entry. Returns (the catalogue, placeholders added, entries moved in)."""
        path = self.catalogue_path(stem)
        cells = self.cells(stem)
        ids = {cell_id for cell_id, _ in cells}
        own = [entry for entry in self.entries if entry.path == path]
        moved = [entry for entry in self.entries if entry.path != path and entry.cell_id in ids]
        digests = {(cell_id, source_hash(source)) for cell_id, source in cells}
        keep = [
            entry
            for entry in own + moved
            if entry.text or (entry.cell_id, entry.source_hash) in digests  # a stale placeholder is replaced
        ]
        covered = {(entry.cell_id, entry.source_hash) for entry in keep}
        versions: dict[str, int] = {}
        for cell_id, _ in cells:
            versions[cell_id] = versions.get(cell_id, 0) + 1
        blocks, added = [], 0
        for cell_id in dict.fromkeys(cell_id for cell_id, _ in cells):
            blocks += [entry.block for entry in keep if entry.cell_id == cell_id]
            for other_id, source in cells:
                if other_id == cell_id and (cell_id, source_hash(source)) not in covered:
                    note = self._version_note(stem, cell_id, source) if versions[cell_id] > 1 else ""
                    blocks.append(stub_block(cell_id, source, note))
                    added += 1
        blocks += [entry.block for entry in keep if entry.cell_id not in ids]  # orphans stay for --check to report
        preamble = self.preambles.get(path) or self._preamble(stem)
        text = preamble.rstrip("\n") + "\n\n" + "\n".join(block.rstrip("\n") + "\n" for block in blocks)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
        for other in sorted({entry.path for entry in moved}):
            gone = {id(entry) for entry in moved if entry.path == other}
            rest = [entry.block for entry in self.entries if entry.path == other and id(entry) not in gone]
            left = self.preambles[other].rstrip("\n") + "\n\n" + "\n".join(b.rstrip("\n") + "\n" for b in rest)
            with atomic_path(other) as tmp:
                tmp.write_text(left, encoding="utf-8")
        return path, added, len(moved)

    def _version_note(self, stem: str, cell_id: str, source: str) -> str:
        names = [
            english.name
            for english in self.units()[stem]
            if any(c.id == cell_id and c.source == source for c in self.english(english).cells)
        ]
        return f" ({', '.join(names)})"

    def _preamble(self, stem: str) -> str:
        english = ", ".join(_relative(path, self.root) for path in self.units()[stem])
        return (
            f"Korean translation catalogue of {english} (how it works: tools/translations.py).\n"
            "Each entry is a header line — cell id and the first 12 hex digits of the sha256 of the English cell —\n"
            "then the cell's Korean markdown, up to the next header. Write the Korean below the English comment;\n"
            f"an entry without Korean leaves the cell in English. `{COMMAND} --check` says what is stale.\n"
        )


def find_stem(edition: Edition, name: str) -> str:
    """A unit's stem from its name or a prefix of it ("03", "index")."""
    stems = [stem for stem in edition.units() if stem == name or stem.startswith(name)]
    if len(stems) != 1:
        choices = ", ".join(edition.units())
        raise SystemExit(f"--stub {name}: {'ambiguous' if stems else 'no such notebook'} — one of {choices}")
    return stems[0]


def main(argv: list[str] | None = None, folder: Path = NOTEBOOK_DIR) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if anything is stale or wrong")
    parser.add_argument("--stub", metavar="NOTEBOOK", help="add placeholders for the untranslated cells of NOTEBOOK")
    args = parser.parse_args(argv)
    edition = Edition(folder)
    if args.stub:
        path, added, moved = edition.stub(find_stem(edition, args.stub))
        print(f"{_relative(path, edition.root)}: {added} placeholders added, {moved} entries moved in")
        return 0
    if args.check:
        report = edition.check()
        for line in report.notes:
            print(f"note: {line}")
        for line in report.failures:
            print(line)
        print(f"{len(report.failures)} problems" if report.failures else "Korean edition up to date")
        return 1 if report.failures else 0
    for path in edition.write():
        print(f"{_relative(path, edition.root)}: {'updated' if path.exists() else 'deleted'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
