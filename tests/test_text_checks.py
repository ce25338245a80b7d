"""The text of a notebook against its outputs and hidden tests, beyond numbers (``tools/text_checks.py``).

Each rule is shown failing on a small notebook with a planted defect and passing on the fixed one; the last test
runs every rule over every committed notebook.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tools import text_checks
from tools.notebook_list import all_notebooks

PNG = "iVBORw0KGgo="  # the start of a PNG: an image output is a mime type, its bytes are not read


def stream(text: str):
    return new_output("stream", name="stdout", text=text)


def image():
    return new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure size 640x480 with 1 Axes>"})


def result(text: str):
    return new_output("execute_result", data={"text/plain": text}, execution_count=1)


def code(source: str, *outputs):
    return new_code_cell(source, outputs=list(outputs))


def write(path: Path, *cells) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(cells=list(cells)), path)
    return path


# --- 1. figures ---------------------------------------------------------------------------------------------------


def test_a_figure_the_text_points_at_must_be_in_its_section(tmp_path):
    text = "## 2. Mistakes\n\nThe confusion matrix below shows where the clothes are taken for one another."
    planted = write(tmp_path / "01_a.ipynb", new_markdown_cell(text), code("plot_confusion(...)", stream("done\n")))
    fixed = write(tmp_path / "01_b.ipynb", new_markdown_cell(text), code("plot_confusion(...)", image()))
    found = text_checks.figure_problems(planted)
    assert len(found) == 1 and "confusion matrix below" in found[0]
    assert text_checks.figure_problems(fixed) == []


def test_a_figure_of_another_section_does_not_count(tmp_path):
    path = write(
        tmp_path / "01_a.ipynb",
        new_markdown_cell("## 1. A map"),
        code("plot_embedding(...)", image()),
        new_markdown_cell("## 2. Numbers\n\nThe logistic regression measures what the map above suggested."),
        code("print(accuracy)", stream("0.9\n")),
    )
    assert len(text_checks.figure_problems(path)) == 1
    named = write(
        tmp_path / "01_b.ipynb",
        new_markdown_cell("## 1. A map"),
        code("plot_embedding(...)", image()),
        new_markdown_cell("## 2. Numbers\n\nIt measures what the map of section 1 suggested."),
        code("print(accuracy)", stream("0.9\n")),
    )
    assert text_checks.figure_problems(named) == []


@pytest.mark.parametrize(
    "sentence",
    [
        "Notebook 03's map put the fruit among the vegetables.",
        "The map of notebook 03 put the fruit among the vegetables.",
        "The backbone turns the image into 7 × 7 feature maps.",
        "You will read a plot of a decade of results.",
        "The decision matrix has four quadrants.",
    ],
)
def test_no_figure_pointer(sentence, tmp_path):
    path = write(tmp_path / "05_a.ipynb", new_markdown_cell(f"## 1. Text\n\n{sentence}"), code("x = 1"))
    assert text_checks.figure_problems(path) == []


def test_figure_pointers():
    for sentence in [
        "The plot shows the error.",
        "Read the training curves.",
        "the right panel shows the cost",
        "curves above",
    ]:
        assert text_checks.figure_references(sentence), sentence
    assert text_checks.figure_references("the heatmap of notebook 05", "05") == ["the heatmap"]
    assert text_checks.figure_references("the heatmap of notebook 05", "06") == []


# --- 2. statement cells -------------------------------------------------------------------------------------------

STATEMENTS = 'checks.check_statements({\n    "a holds": a > 0,\n    "b holds": b > 0,\n})'


def test_a_statement_cell_shows_its_lines_and_no_bare_true(tmp_path):
    lines = stream("yes  a holds\nyes  b holds\n")
    planted = write(tmp_path / "a.ipynb", code(STATEMENTS, lines, result("True")))
    fixed = write(tmp_path / "b.ipynb", code(STATEMENTS, lines))
    found = text_checks.statement_problems(planted)
    assert len(found) == 1 and "Out: True" in found[0]
    assert text_checks.statement_problems(fixed) == []


def test_a_statement_cell_shows_one_line_per_statement(tmp_path):
    missing = write(tmp_path / "a.ipynb", code(STATEMENTS, stream("yes  a holds\n")))
    silent = write(tmp_path / "b.ipynb", code("checks.check_statements(statements)", stream("other output\n")))
    assert "1 statement line(s) shown, 2 expected" in text_checks.statement_problems(missing)[0]
    assert "0 statement line(s) shown, 1 expected" in text_checks.statement_problems(silent)[0]
    counted = write(tmp_path / "c.ipynb", code("checks.check_statements(statements)", stream("NO   a holds\n")))
    assert text_checks.statement_problems(counted) == []  # a failing "NO" is test_claims' business


# --- 3. exercise leaks --------------------------------------------------------------------------------------------

HIDDEN = """exercise_checks.check_{name}({name})
### BEGIN HIDDEN TESTS
from tlhelpers.hidden_tests import fresh; plain = fresh()
{assertion}
### END HIDDEN TESTS"""

QUESTIONS = {
    1: (
        "**Exercise 1.** At how many of the 52 BatchNorm layers are the photo stamps closer to ImageNet than the "
        "cartoon stamps?",
        "layers_photos_closer",
        "assert plain.integer(layers_photos_closer) == 37",
    ),
    2: (
        "**Exercise 2.** By how many accuracy points does fine-tuning beat feature extraction on Fashion-MNIST with "
        "1,000 images per class?",
        "fashion_1000_margin",
        "assert plain.close(fashion_1000_margin, 3.3099998831748967, 1e-6)",
    ),
    3: (
        "**Exercise 3.** Which class of the photo stamps is farthest from ImageNet?",
        "farthest_class",
        'assert plain.text(farthest_class) == "flower"',
    ),
    4: (
        "**Exercise 4.** Which change stops the BatchNorm running statistics from moving? Answer with one letter.\n\n"
        "- a) a smaller learning rate\n- b) running the backbone under `torch.no_grad()`\n"
        "- c) calling `model.features.eval()` right after `model.train()`\n- d) fewer epochs",
        "batchnorm_fix",
        'assert plain.text(batchnorm_fix).strip().lower() == "c"',
    ),
}


def course(tmp_path: Path, lesson: str, printed: str = "") -> tuple[Path, Path]:
    """A lesson (text, one printed output, the four exercises) and its instructor version with hidden tests."""
    cells = [
        new_markdown_cell("# 01 · Demo\n\n## 1. Lesson\n\n" + lesson),
        code("print(results)", stream(printed)),
        new_markdown_cell("## Summary\n\n- The lesson measured things.\n\n## Exercises"),
    ]
    solution_cells, student_cells = list(cells), list(cells)
    for question, name, assertion in QUESTIONS.values():
        solution_cells += [
            new_markdown_cell(question),
            code(f"{name} = ..."),
            code(HIDDEN.format(name=name, assertion=assertion)),
        ]
        student_cells += [new_markdown_cell(question), code(""), code(f"exercise_checks.check_{name}({name})")]
    solution = write(tmp_path / "notebooks" / "solutions" / "01_demo_solutions.ipynb", *solution_cells)
    student = write(tmp_path / "notebooks" / "01_demo.ipynb", *student_cells)
    return student, solution


def test_hidden_answers_are_read_from_every_plain_form():
    source = HIDDEN.format(
        name="x",
        assertion="\n".join(
            [
                "assert plain.integer(a) == 37",
                'assert plain.text(b) == "flower"',
                'assert plain.texts(c) == ("efficientnet_b2", "IMAGENET1K_V1")',
                "assert plain.close(d, 0.72, 0.02)",
                "assert plain.shape(e) == (1, 1280, 5, 5)",
                'assert plain.text(f).strip().lower() == "c"',
                "assert plain.number(kendall_tau([1, 2], [2, 1])) == -1.0",  # a function's test, not an answer
                "assert plain.integer(g) == 1 + plain.first_minimum(h)",  # computed: nothing to quote
            ]
        ),
    )
    found = [(answer.kind, answer.value) for answer in text_checks.hidden_answers(source, 1)]
    assert found == [
        ("number", 37),
        ("word", "flower"),
        ("word", "efficientnet_b2"),
        ("word", "IMAGENET1K_V1"),
        ("number", 0.72),
        ("shape", (1, 1280, 5, 5)),
        ("choice", "c"),
    ]


@pytest.mark.parametrize(
    ("exercise", "leaking", "fixed"),
    [
        (
            1,
            "The photo stamps are closer to ImageNet than the cartoons at 37 of the 52 BatchNorm layers.",
            "The photo stamps are closer to ImageNet than the cartoons at most BatchNorm layers.",
        ),
        (
            2,
            "With 1,000 images per class fine-tuning beats feature extraction by 3 points.",
            "With 1,000 images per class fine-tuning beats feature extraction.",
        ),
        (
            2,
            "On Fashion-MNIST with 1,000 images per class the margin is +3.3 accuracy points for fine-tuning.",
            "On Fashion-MNIST with 1,000 images per class the margin favours fine-tuning.",
        ),
        (
            3,
            "Of the photo stamps, the flowers are the class farthest from ImageNet.",
            "Of the photo stamps, one class is farthest from ImageNet.",
        ),
        (
            4,
            "The fix keeps BatchNorm in eval mode: call `model.features.eval()` after every `model.train()`.",
            "The fix keeps BatchNorm in eval mode while the head trains.",
        ),
        (4, "The answer to the BatchNorm question is option c.", "The BatchNorm question has one answer."),
    ],
)
def test_an_exercise_answer_in_the_text_before_it_leaks(tmp_path, exercise, leaking, fixed):
    student, solution = course(tmp_path / "planted", leaking)
    for path in (student, solution):
        found = [line for line in text_checks.leaks(path) if f"exercise {exercise}:" in line]
        assert len(found) == 1, (path.name, text_checks.leaks(path))
        assert path.name in found[0]
    student, solution = course(tmp_path / "fixed", fixed)
    assert text_checks.leaks(student) == text_checks.leaks(solution) == []


def test_a_printed_output_can_leak(tmp_path):
    student, _ = course(tmp_path, "Nothing here.", printed="layers where the photos are closer: 37 of 52\n")
    assert text_checks.leaks(student) == [
        "01_demo.ipynb exercise 1: leaks 37: “layers where the photos are closer: 37 of 52”"
    ]


@pytest.mark.parametrize(
    "innocent",
    [
        "The photo stamps show birds, flowers, fruit and mammals.",  # one item of an enumeration
        "The sweep trains on 3 seeds of Fashion-MNIST with 1,000 images per class.",  # a bare 3 is not 3.31 points
        "A ResNet-50 has 37 layers and a fully connected head.",  # one word of the question only
        "Exercise 4 has four options, a) to d).",
        "Fine-tuning and feature extraction tie at 1,000 images per class when the interval lies within ±3 points.",
        "Fine-tuning minus feature extraction at 1,000 images per class: the interval runs from +1 to +3 points.",
    ],
)
def test_what_is_no_leak(tmp_path, innocent):
    student, solution = course(tmp_path, innocent)
    assert text_checks.leaks(student) == text_checks.leaks(solution) == []


def test_a_quoted_option_leaks_only_about_the_questions_own_point(tmp_path, monkeypatch):
    monkeypatch.setitem(
        QUESTIONS,
        3,
        (
            "**Exercise 3.** What does the rule call fine-tuning against feature extraction on Fashion-MNIST at 100 "
            'images per class: `"clear"`, `"tie"` or `"undecided"`?',
            "rule_word",
            'assert plain.text(rule_word) == "undecided"',
        ),
    )
    innocent = "Undecided is not a tie: fine-tuning and feature extraction on Fashion-MNIST can still differ."
    student, _ = course(tmp_path, innocent)
    assert not [line for line in text_checks.leaks(student) if "exercise 3" in line]
    leaking = "On Fashion-MNIST at 100 images per class fine-tuning against feature extraction is undecided."
    student, _ = course(tmp_path / "leak", leaking)
    assert [line for line in text_checks.leaks(student) if "exercise 3" in line]


# --- 4. verdict words ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "Cartoons: the measurement is a tie (5 seeds, an interval of −13 to +21 points).",
        "Fine-tuning leads by +4 (95 % CI −13 to +21; 5 seeds): tie",
        "Two stages against one: −2.1 (−7.1 to +2.9), a tie.",
        "Fine-tuning is clearly ahead, +4 points (−13 to +21).",
        "The cosine schedule is undecided: +0.1 (−1.5 to +1.7).",
        "Feature extraction is not ahead: +4 (95 % CI +2 to +6).",
    ],
)
def test_a_verdict_word_must_agree_with_the_rule(sentence):
    assert text_checks.verdict_disagreements(sentence), sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "Cartoons: undecided (5 seeds, an interval of −13 to +21 points).",
        "Fine-tuning leads by +4 (95 % CI −13 to +21; 5 seeds): we cannot tell.",
        "There is no clear winner: +4 (95 % CI −13 to +21).",
        "The winner is not clear, +4 points (−13 to +21).",
        "Fine-tuning clearly, +3 (95 % CI +2 to +5; 10 seeds).",
        "BatchNorm statistics updated  62 %  -8.8 (-11.9 to -5.8): recipe ahead, clear",
        "cosine learning-rate schedule 71 %  +0.1 (-1.5 to +1.7): tie",
        "fine-tuning's lead shrinks from +4 to +1, a tie",  # a change, not an interval
        "LogME ranks with τ +0.35 (95 % CI +0.16 to +0.54), a tie elsewhere",  # τ, not points
        "+2 (95 % CI +0 to +4): clear",  # "+0" may be +0.4: clear fits an interval that rounds to it
    ],
)
def test_verdict_words_that_agree(sentence):
    assert text_checks.verdict_disagreements(sentence) == [], sentence


def test_verdict_words_in_markdown_and_printed_outputs(tmp_path):
    planted = write(
        tmp_path / "a.ipynb",
        new_markdown_cell("The cartoons are a tie (an interval of −13 to +21 points)."),
        code("print(table)", stream("two stages   68 %   -2.1 (-7.1 to +2.9): tie\n")),
    )
    fixed = write(
        tmp_path / "b.ipynb",
        new_markdown_cell("The cartoons are undecided (an interval of −13 to +21 points)."),
        code("print(table)", stream("two stages   68 %   -2.1 (-7.1 to +2.9): undecided\n")),
    )
    found = text_checks.verdict_problems(planted)
    assert [line.split(":")[0] for line in found] == ["a.ipynb cell 0", "a.ipynb cell 1"]
    assert "the rule says undecided for −13 to +21" in found[0]
    assert text_checks.verdict_problems(fixed) == []


# --- every committed notebook -------------------------------------------------------------------------------------

NOTEBOOKS = all_notebooks()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_every_notebook_text_agrees_with_its_outputs_and_exercises(path):
    problems = text_checks.problems(path)
    assert not problems, "python -m tools.text_checks lists what to fix:\n" + "\n".join(problems)
