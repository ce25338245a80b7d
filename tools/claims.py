"""Numbers quoted in a notebook's text, held against the outputs of the same notebook.

The course promises that every number in its text comes from a code cell above it. This module
finds the numbers a markdown cell states (``84 %``, ``196 days``, ``0.3–0.6 %``, ``209×``) and looks
for each among the numbers that the notebook's outputs print and its code sets (a parameter such as
``EPOCHS = 10``): a measured-looking one (a percentage, decimals) in the text's own section and the sections
it names, a whole number anywhere in the notebook. A quoted number that appears nowhere is *unbacked*:
the text has drifted from the run, or it cites a fact from outside the notebook, which must then be
listed with its source in :data:`CITED` so that a reader (and this check) can tell the two apart.

What counts as a match is deliberately loose — the same value at the precision the text quotes it
(``84 %`` is backed by an output ``0.838`` or ``83.8%``; ``2.2 million`` by ``2,223,872``) — so the
check has no false alarms on honest rounding; it catches a number that no output gives.

    python -m tools.claims            # every notebook: the unbacked numbers, or "all backed"
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import mistune
import nbformat

from tools.notebook_list import all_notebooks

ROOT = Path(__file__).resolve().parents[1]

# Numbers in a notebook's text that come from outside it, with where they come from. Keys are notebook
# stems; each value maps the number as written in the text to its source.
CITED: dict[str, dict[str, str]] = {
    "01": {
        "14 million": "ImageNet's size: Deng et al., ImageNet: A large-scale hierarchical image database, CVPR 2009",
        "21,841": "ImageNet's WordNet synsets (the fall 2011 release), as listed on image-net.org",
        "1.28 million": "ILSVRC-2012's training set: Russakovsky et al., IJCV 115 (2015), table 2",
        "50,000": "ILSVRC-2012's validation set: Russakovsky et al., IJCV 115 (2015), table 2",
        "100,000": "ILSVRC-2012's test set: Russakovsky et al., IJCV 115 (2015), table 2",
    },
    "05b": {
        "1.96 ×": "the standard normal quantile z(0.975), 1.960 (tlhelpers.decision_matrix.results.margin_between)",
    },
    "06": {
        "0.5": "LogME's weighted Kendall tau over ImageNet models, low end across eight target datasets: "
        "Agostinelli et al., How stable are transferability metrics evaluations?, ECCV 2022 (the range as "
        "the course's issue #17 summarises it)",
        "0.8": "the same, high end (Agostinelli et al., ECCV 2022)",
    },
}

_NUMBER = re.compile(
    r"(?<![\w.\-/#])"  # not part of a name (ResNet-50, features.14, top-5, v2, #3)
    r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"  # 1,280 / 0.3 / 196
    r"(\s?(?:%|×|x\b|million\b|M\b|k\b|thousand\b))?"  # a unit that changes the value
    r"(?![\w\-])"  # not 3D, 28px, 1-D
)
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_SCIENTIFIC = re.compile(r"(\d+(?:\.\d+)?)\s?×\s?10(?:\^(-?\d+)|([⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+))")
# What a number in the prose may be without being a claim. The markdown itself (code, link targets, html, the
# numbers of headings and list items) is already gone: mistune parsed it (:func:`prose`).
_IGNORED_CONTEXT = [
    re.compile(
        r"\b(?:notebooks?|sections?|exercises?|cells?|steps?|items?|Case|stage|stop)\s+\d+(?:\s*(?:–|-|and|or|,)\s*\d+)*",
        re.I,
    ),  # cross-references: notebook 03, sections 2 and 4
    re.compile(r"\b(?:19|20)\d\d\b"),  # years
    re.compile(r"\d[\d,]*(?:\s?×\s?\d[\d,]*)+"),  # sizes: 224 × 224, 7 × 7 × 1,280 — checked as shapes below
]
_SHAPE = re.compile(
    r"(?<![\d,])(\d{1,3}(?:,\d{3})+|\d+)\s?×\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\s?×\s?(\d{1,3}(?:,\d{3})+|\d+))?"
)


def _scale(unit: str) -> float:
    unit = unit.strip()
    return {"million": 1e6, "M": 1e6, "k": 1e3, "thousand": 1e3}.get(unit, 1.0)


# Jupyter renders GitHub-flavoured markdown, tables included; renderer=None gives mistune's syntax tree.
_MARKDOWN = mistune.create_markdown(renderer=None, plugins=["table", "strikethrough"])
_INLINE = {"text", "emphasis", "strong", "strikethrough", "link", "image", "codespan", "inline_html"}
_SECTION_NUMBER = re.compile(r"\d+(?:\.\d+)*\.?(?!\S)")  # "3." or "2.1" opening a heading


class _HTMLText(HTMLParser):
    """The text of a block of HTML, its tags left out (the standard library's parser)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _html_text(html: str) -> str:
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    return " ".join(parser.parts)


def _plain(tokens: list[dict]) -> str:
    parts = []
    for token in tokens:
        kind, children = token["type"], token.get("children")
        if kind in ("codespan", "block_code", "inline_html"):  # code: names and calls, not claims; a tag alone
            parts.append(" ")
        elif kind == "block_html":
            parts.append(f" {_html_text(token['raw'])}\n")
        elif kind in ("softbreak", "linebreak"):
            parts.append("\n")
        elif kind == "heading":  # its number is the section's, not a claim
            parts.append(_SECTION_NUMBER.sub(" ", _plain(children).lstrip(), count=1) + "\n")
        elif kind in ("link", "image"):  # the words (an image's alt text), not the target
            parts.append(f" {_plain(children)} ")
        elif children is not None:  # list items come without their numbers: the parser keeps them apart
            parts.append(_plain(children) + ("" if kind in _INLINE else "\n"))
        else:
            parts.append(token.get("raw", ""))
    return "".join(parts)


def prose(markdown: str) -> str:
    """The text of ``markdown`` as a reader reads it: no code (inline or fenced), no link targets, no HTML tags,
    no heading or list numbers — parsed by mistune, the markdown parser nbconvert uses."""
    return _plain(_MARKDOWN(markdown))


def quoted_numbers(markdown: str) -> list[tuple[str, float, int, bool]]:
    """(as written, value, decimals quoted, is a percentage) for every number the text states."""
    text = prose(markdown)
    found = []
    for match in _SCIENTIFIC.finditer(text):  # 7 × 10¹⁷: the value, at the precision of its mantissa
        mantissa, exponent = match.group(1), match.group(2) or match.group(3).translate(_SUPERSCRIPTS)
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        found.append((match.group(0), float(mantissa) * 10 ** int(exponent), decimals - int(exponent), False))
    text = _SCIENTIFIC.sub(" ", text)
    for pattern in _IGNORED_CONTEXT:
        text = pattern.sub(" ", text)
    for match in _NUMBER.finditer(text):
        written, unit = match.group(1), (match.group(2) or "")
        value = float(written.replace(",", "")) * _scale(unit)
        decimals = len(written.split(".")[1]) if "." in written else 0
        found.append((match.group(0).strip(), value, decimals, unit.strip() == "%"))
    return found


def shapes(markdown: str) -> list[str]:
    """Image, feature-map and kernel sizes the text states (``224 × 224``), as plain ``224x224`` strings."""
    text = _SCIENTIFIC.sub(" ", prose(markdown))
    return ["x".join(part.replace(",", "") for part in match.groups() if part) for match in _SHAPE.finditer(text)]


def _numbers_in(text: str) -> set[float]:
    """Every number in ``text`` (1,280 / 0.838 / 6.9e+17), as absolute values."""
    values = set()
    for match in re.finditer(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d*\.\d+(?:e[-+]?\d+)?|-?\d+(?:e[-+]?\d+)?", text):
        try:
            values.add(abs(float(match.group(0).replace(",", ""))))
        except ValueError:
            continue
    return values


def _output_text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if "text" in output:
            parts.append(output["text"] if isinstance(output["text"], str) else "".join(output["text"]))
        for kind in ("text/plain", "text/markdown"):
            data = output.get("data", {}).get(kind)
            if data:
                parts.append(data if isinstance(data, str) else "".join(data))
    return "\n".join(parts)


def _chunks(notebook) -> list[tuple[int, str, list]]:
    """The notebook's prose in pieces, one per markdown cell and ``## `` section: (cell index, text, the code
    cells whose outputs may back that text). Those are the cells of the text's own section and of the sections
    it names ("section 6", "sections 2 and 4"); for the intro, the summary and the exercises, which sum up every
    section, the whole notebook's."""
    pieces, sections, numbers = [], [[]], {}  # sections[k]: the code cells after the k-th heading
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            sections[-1].append(cell)
            continue
        if cell.cell_type != "markdown" or set(cell.metadata.get("tags", [])) & {"navigation", "contents", "glossary"}:
            continue
        if cell.source.startswith("**Exercise"):  # a question's givens ("90 epochs", "15 degrees"), not claims
            continue
        parts = re.split(r"(?m)^(?=## )", cell.source)
        for number, part in enumerate(parts):
            if number > 0 or part.startswith("## "):
                sections.append([])
                heading = re.match(r"## (\d+)\.", part)
                if heading:
                    numbers[heading.group(1)] = len(sections) - 1
            whole = (
                len(sections) == 1
                or bool(re.match(r"## (Summary|Exercises)", part))
                or (number == 0 and not part.startswith("## ") and bool(pieces) and pieces[-1][3])
            )
            pieces.append((index, part, len(sections) - 1, whole))
    everything = [cell for cells in sections for cell in cells]
    chunks = []
    for index, part, section, whole in pieces:
        named = {
            numbers[n]
            for group in re.findall(r"\bsections?\s+((?:\d+(?:\s*(?:,|and|–|-)\s*)?)+)", part)
            for n in re.findall(r"\d+", group)
            if n in numbers
        }
        parameters = [cell for cell in everything if "parameters" in cell.metadata.get("tags", [])]
        scope = everything if whole else parameters + [cell for k in sorted({section} | named) for cell in sections[k]]
        chunks.append((index, part, scope))
    return chunks


def _backed(value: float, decimals: int, percent: bool, numbers: set[float]) -> bool:
    """Is ``value`` (written with ``decimals`` decimals) among ``numbers`` at that precision?

    A percentage is backed by the same number (84 % by 84%, or 84 in a table of percentages) or by a fraction
    (84 % by 0.838); a plain number by the same number, and a large one (2.2 million) by a number within 5 %
    of it (2,223,872)."""
    candidates = list(numbers)
    if percent:
        candidates += [100 * number for number in numbers if number <= 1]
    tolerance = 0.5 * 10**-decimals
    return any(
        abs(number - value) <= max(tolerance, 0.05 * value if value >= 1e4 else 0) + 1e-9 for number in candidates
    )


def unbacked(path: Path) -> list[str]:
    """The numbers and shapes the notebook's text states that nothing in it gives (cited ones aside), one line each.

    A measured-looking number — a percentage, or one with decimals — must be printed (or set in code) in the
    text's own section (the summary and the exercises may quote any section); a whole number, such as a count
    of images or classes, anywhere in the notebook.
    """
    notebook = nbformat.read(path, as_version=4)
    cited = CITED.get(path.stem.split("_")[0], {})
    everything = "\n".join(
        part for code in notebook.cells if code.cell_type == "code" for part in (code.source, _output_text(code))
    )
    all_numbers = _numbers_in(everything)
    flat = re.sub(r"\s", "", everything).replace("×", "x").replace(",", "x")
    problems = []
    for index, text, scope in _chunks(notebook):
        local = "\n".join(part for code in scope for part in (code.source, _output_text(code)))
        numbers = _numbers_in(local)
        for written, value, decimals, percent in quoted_numbers(text):
            if written in cited or value in (0, 1) or re.fullmatch(r"0\d", written):
                continue
            measured = percent or decimals > 0
            found = _backed(value, decimals, percent, numbers if measured else all_numbers)
            if not found:
                where = "its section" if measured else "the notebook"
                problems.append(f"{path.name} cell {index}: “{written}” — no output or code of {where} gives it")
        for shape in shapes(text):
            if not (shape in flat or all(float(part) in all_numbers for part in shape.split("x"))):
                problems.append(f"{path.name} cell {index}: “{shape.replace('x', ' × ')}” — no output or code gives it")
    return problems


def notebooks() -> list[Path]:
    return all_notebooks()


def main() -> int:
    problems = [problem for path in notebooks() for problem in unbacked(path)]
    print("\n".join(problems) if problems else "all quoted numbers are backed by an output of their notebook")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
