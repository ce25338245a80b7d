"""The Korean edition (tools/translations.py): catalogues keyed by cell id and English hash, derived notebooks.

A tiny course (an index, two lessons and their instructor versions) is written to a temporary folder and each
defect the mechanism must catch is planted in it; the last tests hold the committed catalogues and Korean
notebooks to the English ones.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tools import translations
from tools.notebook_list import NOTEBOOK_DIR
from tools.translations import SETUP_LINE, Edition, source_hash, unmatched_numbers

SETUP = (
    "import torch\n"
    "from tlhelpers.exercises import checks\n"
    "from tlhelpers.exercises import notebook01 as exercise_checks"
)
CHECK_LINE = "exercise 1: correct!\n"
INTRO = "Training took **84 %** of the budget: 10 epochs. See the [solutions](solutions/01_a_solutions.ipynb)."
KOREAN_INTRO = "학습은 예산의 **84 %**를 썼습니다: 10 에폭. [풀이](solutions/01_a_solutions.ipynb)를 보세요."


def markdown(source: str, cell_id: str, tags: list[str] | None = None) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source, id=cell_id)
    if tags:
        cell.metadata["tags"] = tags
    return cell


def code(source: str, cell_id: str, printed: str = "") -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source, id=cell_id, execution_count=1)
    if printed:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)]
    return cell


def lesson(number: str, instructor: bool) -> nbformat.NotebookNode:
    cells = [
        markdown(f"# {number} · Lesson {number}\n\n**Learning goals**\n- one", f"nb{number}-00"),
        markdown("< generated >", "navigation-top", ["navigation"]),
        code(SETUP, f"nb{number}-01", "PyTorch 2.x\n"),
        markdown(INTRO, f"nb{number}-02"),
        code("print(0.84)", f"nb{number}-03", "0.84\n"),
        markdown("**Exercise 1.** Answer." + (" Worked out below." if instructor else ""), f"nb{number}-04"),
        code("exercise_checks.check_answer(answer)", f"nb{number}-05", CHECK_LINE),
    ]
    if instructor:
        cells.append(markdown("Why the answer is right.", f"nb{number}-06"))
    cells.append(markdown("< generated >", "navigation-bottom", ["navigation"]))
    return nbformat.v4.new_notebook(cells=cells)


def index() -> nbformat.NotebookNode:
    cells = [
        markdown("# The course — contents\n\nStart here.", "cell-0"),
        markdown("## Contents\n\n< generated >", "contents", ["contents"]),
        code("import tlhelpers\nprint('ok')", "cell-1", "ok\n"),
    ]
    return nbformat.v4.new_notebook(cells=cells)


@pytest.fixture
def course(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    (folder / "solutions").mkdir(parents=True)
    write(folder / "index.ipynb", index())
    for number, slug in [("01", "a"), ("02", "b")]:
        write(folder / f"{number}_{slug}.ipynb", lesson(number, instructor=False))
        write(folder / "solutions" / f"{number}_{slug}_solutions.ipynb", lesson(number, instructor=True))
    (tmp_path / "README.md").write_text("# Course\n", encoding="utf-8")
    (tmp_path / "README.ko.md").write_text("# 과정\n\n<!-- notebooks:start -->\n<!-- notebooks:end -->\n", "utf-8")
    return folder


def write(path: Path, notebook: nbformat.NotebookNode) -> None:
    path.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def english_cell(folder: Path, notebook: str, cell_id: str) -> nbformat.NotebookNode:
    return next(cell for cell in read(folder / notebook).cells if cell.id == cell_id)


def entry(cell_id: str, english: str, korean: str) -> str:
    return f"<!-- cell: {cell_id} source-sha256: {source_hash(english)} -->\n{korean}\n\n"


def catalogue(folder: Path, stem: str, *entries: str) -> Path:
    path = folder / "translations" / "ko" / f"{stem}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("A note for translators.\n\n" + "".join(entries), encoding="utf-8")
    return path


def translated_course(folder: Path) -> None:
    """Catalogues for the index's title and lesson 01's title, text and (two wordings of) exercise cells."""
    title = english_cell(folder, "01_a.ipynb", "nb01-00").source
    student = english_cell(folder, "01_a.ipynb", "nb01-04").source
    instructor = english_cell(folder, "solutions/01_a_solutions.ipynb", "nb01-04").source
    catalogue(
        folder,
        "01_a",
        entry("nb01-00", title, "# 01 · 첫 강의\n\n**학습 목표**\n- 하나"),
        entry("nb01-02", INTRO, KOREAN_INTRO),
        entry("nb01-04", student, "**연습 문제 1.** 답하세요."),
        entry("nb01-04", instructor, "**연습 문제 1.** 답하세요. 아래에 풀이가 있습니다."),
    )
    catalogue(folder, "index", entry("cell-0", english_cell(folder, "index.ipynb", "cell-0").source, "# 과정 — 목차"))


def to_korean(line: str) -> str:
    return "연습문제 1: 정답입니다!" if line == "exercise 1: correct!" else line


def assert_code_as_english(english: nbformat.NotebookNode, korean: nbformat.NotebookNode, translate=None) -> None:
    """Same cells (ids, types, metadata); code cells and outputs the English ones, except the set-up line appended to
    the set-up cell and the printed lines of check cells passed through ``translate``."""
    assert [(c.id, c.cell_type) for c in korean.cells] == [(c.id, c.cell_type) for c in english.cells]
    setup = next((c.id for c in english.cells if c.cell_type == "code" and "tlhelpers" in c.source), None)
    calls_checks = any("checks." in c.source and "(" in c.source for c in english.cells if c.cell_type == "code")
    for theirs, ours in zip(english.cells, korean.cells, strict=True):
        assert ours.metadata == theirs.metadata
        if theirs.cell_type != "code":
            continue
        expected = theirs.source
        if theirs.id == setup and calls_checks:
            expected = theirs.source.rstrip() + "\n" + SETUP_LINE
        assert ours.source == expected, theirs.id
        assert ours.execution_count == theirs.execution_count
        outputs = [dict(output) for output in theirs.outputs]
        if translate and translations.CHECK_CALL.search(theirs.source):
            for output in outputs:
                if output.get("name") == "stdout":
                    output["text"] = translations.translated_lines(output["text"], translate)
        assert [dict(output) for output in ours.outputs] == outputs, theirs.id


def test_generated_notebooks_translate_markdown_and_keep_code(course: Path) -> None:
    translated_course(course)
    edition = Edition(course, translate=to_korean)
    written = edition.write()
    ko = course / "ko"
    assert {path.relative_to(course.parent).as_posix() for path in written} == {
        "notebooks/ko/index.ipynb",
        "notebooks/ko/01_a.ipynb",
        "notebooks/ko/02_b.ipynb",
        "notebooks/ko/solutions/01_a_solutions.ipynb",
        "notebooks/ko/solutions/02_b_solutions.ipynb",
        "README.ko.md",
    }
    assert Edition(course, translate=to_korean).write() == [], "a second run changes nothing"
    student, instructor = read(ko / "01_a.ipynb"), read(ko / "solutions" / "01_a_solutions.ipynb")
    for path in [*ko.glob("*.ipynb"), *ko.glob("solutions/*.ipynb")]:
        nbformat.validate(read(path))
        english = read(course / path.relative_to(ko))
        assert_code_as_english(english, read(path), to_korean)
    cells = {cell.id: cell.source for cell in student.cells}
    # the link, written as in the English notebook, still reaches the instructor version from notebooks/ko/
    assert cells["nb01-02"] == KOREAN_INTRO
    assert cells["nb01-04"] == "**연습 문제 1.** 답하세요."
    assert {c.id: c.source for c in instructor.cells}["nb01-04"] == "**연습 문제 1.** 답하세요. 아래에 풀이가 있습니다."
    assert {c.id: c.source for c in instructor.cells}["nb01-06"] == "Why the answer is right.", "untranslated: English"
    assert cells["navigation-top"] == (
        "< [과정 — 목차](index.ipynb) | [과정 — 목차](index.ipynb) | [02 · Lesson 02](02_b.ipynb) > "
        "· [English](../01_a.ipynb)"
    )
    assert {c.id: c.source for c in instructor.cells}["navigation-bottom"] == (
        "< [01 · 첫 강의](../01_a.ipynb) | [과정 — 목차](../index.ipynb) > "
        "· [English](../../solutions/01_a_solutions.ipynb)"
    )
    assert student.cells[-2].outputs[0].text == "연습문제 1: 정답입니다!\n"
    assert student.metadata["translation"] == {"language": "ko", "source": "../01_a.ipynb"}
    contents = {c.id: c.source for c in read(ko / "index.ipynb").cells}["contents"]
    assert "1. [01 · 첫 강의](01_a.ipynb) — [풀이](solutions/01_a_solutions.ipynb)" in contents
    assert "[The course — contents](../index.ipynb)" in contents
    assert "[01 · 첫 강의](notebooks/ko/01_a.ipynb)" in (course.parent / "README.ko.md").read_text("utf-8")
    report = Edition(course, translate=to_korean).check()
    assert report.failures == []
    assert any(note.startswith("02_b: 0 of 5 markdown cell texts translated") for note in report.notes)


def test_links_are_re_pointed_from_the_korean_folder(course: Path) -> None:
    edition = Edition(course, translate=False)
    text = '[a](02_b.ipynb) [r](../README.md) [i](results/x.png) <img src="results/y.png"> `[c](02_b.ipynb)` [w](https://x.org)'
    assert edition.relink(text, course, course / "ko") == (
        '[a](02_b.ipynb) [r](../../README.ko.md) [i](../results/x.png) <img src="../results/y.png"> '
        "`[c](02_b.ipynb)` [w](https://x.org)"
    )
    solutions = course / "solutions"
    assert edition.relink("[l](../01_a.ipynb#top)", solutions, course / "ko" / "solutions") == "[l](../01_a.ipynb#top)"


def test_an_english_cell_edited_after_its_translation_is_stale(course: Path) -> None:
    translated_course(course)
    Edition(course, translate=False).write()
    for name in ["01_a.ipynb", "solutions/01_a_solutions.ipynb"]:
        notebook = read(course / name)
        next(c for c in notebook.cells if c.id == "nb01-02").source = INTRO.replace("84 %", "86 %")
        write(course / name, notebook)
    report = Edition(course, translate=False).check()
    stale = [line for line in report.failures if "nb01-02 is stale" in line]
    assert len(stale) == 1, report.failures
    assert f"set its source-sha256 to {source_hash(INTRO.replace('84 %', '86 %'))}" in stale[0]
    assert stale[0].startswith("notebooks/translations/ko/01_a.md:")
    # the Korean notebooks fall back to the new English text until the translation is updated
    assert any(line.startswith("notebooks/ko/01_a.ipynb: out of date") for line in report.failures)
    Edition(course, translate=False).write()
    korean = {c.id: c.source for c in read(course / "ko" / "01_a.ipynb").cells}
    assert korean["nb01-02"].startswith("Training took **86 %**")


def test_a_korean_notebook_edited_by_hand_differs(course: Path, capsys: pytest.CaptureFixture) -> None:
    translated_course(course)
    Edition(course, translate=False).write()
    path = course / "ko" / "01_a.ipynb"
    notebook = read(path)
    notebook.cells[4].source = "print(0.85)"
    write(path, notebook)
    (course / "ko" / "03_gone.ipynb").write_text("{}", encoding="utf-8")  # a lesson that no longer exists
    assert translations.main(["--check"], folder=course) == 1
    printed = capsys.readouterr().out
    assert "notebooks/ko/01_a.ipynb: out of date with its English notebook and catalogue" in printed
    assert "notebooks/ko/03_gone.ipynb: no English notebook makes it" in printed
    translations.main([], folder=course)
    assert not (course / "ko" / "03_gone.ipynb").exists()
    assert read(path).cells[4].source == "print(0.84)"


def test_a_number_not_in_the_english_cell_is_reported(course: Path) -> None:
    catalogue(course, "01_a", entry("nb01-02", INTRO, KOREAN_INTRO.replace("84 %", "48 %")))
    edition = Edition(course, translate=False)
    assert (
        [line for line in edition.check().failures if "“48 %”" in line]
        == edition.numbers()
        == [
            "notebooks/translations/ko/01_a.md:3: cell nb01-02: “48 %” in the Korean text is not in the English "
            "cell — write the English cell's number"
        ]
    )


@pytest.mark.parametrize(
    ("korean", "english", "unmatched"),
    [
        ("정확도 84 %의 모델", "a model at 84 % accuracy", []),
        ("정확도 84%", "84 %", []),
        ("정확도 48 %의 모델", "a model at 84 % accuracy", ["48 %"]),
        ("학습 이미지 128만 장", "1.28 million training images", []),
        ("학습 이미지 182만 장", "1.28 million training images", ["1,820,000"]),
        ("3배 빠르다", "three times faster", []),
        ("섹션 3에서 본 것처럼 10에폭", "as in section 3, 10 epochs", []),
        ("노트북 03–05에서", "in notebooks 03–05", []),
        ("지난 10년", "a decade of results", []),
        ("2012년의 결과", "the results of ILSVRC", []),
        ("224 × 224 이미지", "224 × 224 images", []),
        ("224 × 244 이미지", "224 × 224 images", ["224 × 244"]),
        ("`lr=0.5` 로", "with `lr=0.1`", []),  # code is not prose
    ],
)
def test_numbers_held_to_the_english_cell(korean: str, english: str, unmatched: list[str]) -> None:
    assert unmatched_numbers(korean, english) == unmatched


def test_stub_adds_placeholders_and_moves_entries(course: Path) -> None:
    title = english_cell(course, "02_b.ipynb", "nb02-00").source
    catalogue(course, "01_a", entry("nb02-00", title, "# 02 · 두 번째 강의"))  # filed under the wrong notebook
    edition = Edition(course, translate=False)
    assert any("cell nb02-00 is now in 02_b" in note for note in edition.check().notes)
    assert translations.main(["--stub", "02"], folder=course) == 0
    text = (course / "translations" / "ko" / "02_b.md").read_text("utf-8")
    assert text.index("cell: nb02-00") < text.index("cell: nb02-02") < text.index("cell: nb02-06")
    assert "# 02 · 두 번째 강의" in text and "두 번째 강의" not in (course / "translations/ko/01_a.md").read_text()
    assert text.count("<!-- cell: nb02-04 ") == 2, "two wordings (lesson and instructor version), two entries"
    edition = Edition(course, translate=False)
    assert [(e.cell_id, bool(e.text)) for e in edition.entries if e.cell_id == "nb02-02"] == [("nb02-02", False)]
    assert {c.id: c.source for c in edition.korean_notebook(course / "02_b.ipynb").cells}["nb02-02"] == INTRO
    # a translator writes the Korean under the placeholder's English comment
    path = course / "translations" / "ko" / "02_b.md"
    header = f"<!-- cell: nb02-02 source-sha256: {source_hash(INTRO)} -->\n<!-- en:\n{INTRO}\n-->\n"
    path.write_text(path.read_text("utf-8").replace(header, header + KOREAN_INTRO + "\n"), encoding="utf-8")
    notebook = Edition(course, translate=False).korean_notebook(course / "02_b.ipynb")
    assert {c.id: c.source for c in notebook.cells}["nb02-02"] == KOREAN_INTRO
    # a second --stub adds nothing
    before = path.read_text("utf-8")
    translations.main(["--stub", "02_b"], folder=course)
    assert path.read_text("utf-8") == before


def test_entries_for_missing_or_code_cells_fail(course: Path) -> None:
    catalogue(course, "01_a", entry("nb01-99", "gone", "사라진 셀"), entry("nb01-03", "print(0.84)", "코드"))
    failures = Edition(course, translate=False).check().failures
    assert any("cell nb01-99 is in no English notebook" in line for line in failures)
    assert any("cell nb01-03 is a code or generated cell" in line for line in failures)


def test_a_set_up_cell_without_the_checks_import_is_refused(course: Path) -> None:
    notebook = read(course / "01_a.ipynb")
    notebook.cells[2].source = "import tlhelpers"
    write(course / "01_a.ipynb", notebook)
    with pytest.raises(SystemExit, match="lacks `from tlhelpers.exercises import checks`"):
        Edition(course, translate=False).korean_notebook(course / "01_a.ipynb")


def test_without_translate_output_the_printed_lines_stay_english(course: Path) -> None:
    korean = Edition(course, translate=False).korean_notebook(course / "01_a.ipynb")
    assert korean.cells[-2].outputs[0].text == CHECK_LINE
    assert_code_as_english(read(course / "01_a.ipynb"), korean)


# --- the committed Korean edition ----------------------------------------------------------------------------------


def test_committed_catalogues_and_korean_notebooks_are_current() -> None:
    report = Edition().check()
    assert report.failures == [], "\n".join(report.failures)


def test_committed_korean_notebooks_keep_the_english_code_and_outputs() -> None:
    edition = Edition()
    korean = sorted((NOTEBOOK_DIR / "ko").rglob("*.ipynb"))
    assert korean, "no Korean notebooks: run python -m tools.translations"
    for path in korean:
        english = NOTEBOOK_DIR / path.relative_to(NOTEBOOK_DIR / "ko")
        assert_code_as_english(read(english), read(path), edition.translate)
