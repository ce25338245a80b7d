"""What a notebook's text says beyond its numbers, held against the same notebook's outputs and hidden tests.

:mod:`tools.claims` checks the numbers the text quotes; this module checks four more things, each a rule that
reads the committed notebook and never runs it. Text is read as :mod:`tools.claims` reads it (mistune's syntax
tree, :func:`tools.claims.prose`), split into blocks (a paragraph, a list item, a table row, a heading) and those
into sentences; a section is what :func:`tools.claims._chunks` makes it (a ``## `` heading to the next, plus the
sections the text names; the intro, summary and exercises: the whole notebook).

1. **Figures** (:func:`figure_problems`). A sentence that points at a figure shown here must have an image output
   (``image/png``, ``image/jpeg``, ``image/svg+xml``) among its section's code cells. A pointer is
   :data:`FIGURE_REFERENCE`: "the"/"this"/"these" with up to two words and a figure noun ("the figure", "the
   t-SNE maps", "the right panel", "the confusion matrix"), or a figure noun with "above"/"below" ("curves
   above"). Not a pointer: "a plot" (no particular figure), a bare "matrix" (the course's decision matrix),
   "feature map(s)" and "linear map" (the field's names for things, not figures), headings (they name a
   topic), and a figure of another notebook ("notebook 03's map", "the map of notebook 03").
2. **Statement cells** (:func:`statement_problems`). A code cell that calls ``check_statements(`` (or its old
   name ``check_claims(``) must show its statement lines (stream lines starting ``"yes  "`` or ``"NO   "``),
   one per key of the dict it is given when that dict is written out in the call (at least one otherwise),
   and no ``execute_result`` whose text is a bare ``True``/``False``.
3. **Exercise leaks** (:func:`leaks`). An exercise's expected value — read from the instructor version's hidden
   tests (``notebooks/solutions/*_solutions.ipynb``, between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN
   TESTS``, parsed with :mod:`ast`, never run: ``plain.integer``/``number``/``close``/``text``/``texts``/``shape``
   of a plain variable compared with a literal; a value computed by the test, or a function's test case, has
   nothing to quote) — must not be given away by the text before the exercise: the markdown (the summary and
   earlier exercises included) and the printed outputs of earlier code cells, in the student notebook and in
   the instructor version alike. A value is *said about the question* when it is not one item of an
   enumeration ("birds, flowers, fruit": a "," or ";" among the three words before it and right after it) and
   within :data:`WINDOW` words of it are two words of the question, one of them *specific* to it — in fewer
   than :data:`SPECIFIC` of the notebook's sentences (at least :data:`MIN_SENTENCES` counted), so that
   "ImageNet" or "class" alone say nothing in a notebook about ImageNet classes. Words: four letters or more,
   not in :data:`_COMMON`, singular; numbers from 10 up count as words ("1,000 images per class" names a point
   as much as "dissimilar" does).

   - a number: a sentence quotes it, at a precision :func:`tools.claims._backed` accepts for a fraction (3.3,
     3.31, or "+3", "3 points", but not a bare "3", for 3.31; "72 %" for 0.72; never 0 or 1), exactly for a
     whole number, said about the question;
   - a word (or each word of ``texts``): the word or its plural (case, ``_`` and ``-`` aside), said about
     the question (the word itself is not one of the question's words);
   - a shape: its last two sizes written ``H × W``, said about the question;
   - a choice (one letter, the options listed as ``- a) …`` lines): the letter named as an answer ("option
     c", "answer c", "(c)", "c)" inside a sentence), or a code span that only the correct option has
     (``model.features.eval()``, not ``model.train()`` that the question also shows) in a paragraph that
     shares a word with the question.
4. **Verdict words** (:func:`verdict_problems`). A sentence — of the markdown, or a printed output line, where
   the words come from code that may use another rule — with a margin's interval in points ("+4 (95 % CI −13
   to +21…)", "+4 (−13 to +21)", "an interval of −13 to +21", "(−2.1, from −11.1 to +6.9)"; "-" or "−"; at
   least one bound written with its sign, the low bound first; not a τ) and a verdict word must use the word
   of the course's rule, :func:`tlhelpers.decision_matrix.results.outcome` on the interval / 100: "clear",
   "clearly", "ahead", "beat(s)", "win(s)" → clear; "tie(s|d)", "level", "equal" → tie; "undecided", "cannot
   tell", "can't tell" → undecided. Each word is read against the nearest interval; an interval below zero is
   turned round first (the other side is the one ahead); a word after "not", "no", "never", "neither", "nor"
   (up to two words between) says only that the outcome is not that word. The interval is taken at the
   precision written: the word must fit some interval that rounds to the quoted one.

    python -m tools.text_checks       # every notebook: one line per finding, or "no findings"
"""

from __future__ import annotations

import ast
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import nbformat

from tlhelpers.decision_matrix.results import outcome
from tools import claims
from tools.notebook_list import SOLUTION_SUFFIX, all_notebooks, solution_of

IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")
_FIGURE_NOUN = r"(?:figures?|plots?|heatmaps?|curves?|panels?|maps?|confusion matri(?:x|ces)|charts?|histograms?)"
FIGURE_REFERENCE = re.compile(
    rf"\b(?:the|this|these)\s+(?:[\w\-']+\s+){{0,2}}?{_FIGURE_NOUN}\b|\b{_FIGURE_NOUN}\s+(?:above|below)\b", re.I
)
_NOT_A_FIGURE = re.compile(r"\b(?:feature|linear)\s+maps?\b", re.I)
_OTHER_NOTEBOOK = re.compile(
    rf"\bnotebook\s+(\d\d[a-z]?)'s\s+(?:[\w\-']+\s+){{0,2}}{_FIGURE_NOUN}|{_FIGURE_NOUN}\s+(?:of|in|from)\s+notebook\s+(\d\d[a-z]?)",
    re.I,
)

WINDOW = 8  # words either side of a quoted answer that may share words with the question
SPECIFIC = 0.10  # a question word is specific when fewer than this share of the notebook's sentences (≥ 30) have it
MIN_SENTENCES = 30  # a short notebook counts as this many sentences: a word in one or two of them is specific
_COMMON = set(
    "about above after again also answer base before being below between both call calls check compute does each every "
    "exercise find first from gives have here into just last many more most much need notebook number only other over "
    "same section should store than that their them then there these they this those through under used using what "
    "when where which while will with without your three four five seven eight nine".split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-_']*")

_SIGNED = r"[+\-−]?\d+(?:\.\d+)?"
_INTERVAL = re.compile(
    rf"(?:\(\s*(?:95\s?%\s?CI\s+)?|\binterval\s+(?:of\s+|from\s+)?|,\s*from\s+)(?P<low>{_SIGNED})\s*(?:points?\s+)?to\s+"
    rf"(?P<high>{_SIGNED})"
)
VERDICT_WORDS = {
    "clear": r"clear|clearly|ahead|beats?|wins?",
    "tie": r"ties?|tied|level|equal",
    "undecided": r"undecided|cannot tell|can[’']t tell",
}
_VERDICT = re.compile("|".join(rf"\b(?P<{word}>{pattern})\b" for word, pattern in VERDICT_WORDS.items()), re.I)
_NEGATION = re.compile(r"\b(?:not|no|never|neither|nor|n[’']t)\s+(?:[\w\-]+\s+){0,2}$", re.I)


# --- reading a notebook -------------------------------------------------------------------------------------------


def _blocks(tokens: list[dict]) -> list[tuple[str, str, list[str]]]:
    """(kind, prose, code spans) of every paragraph, list item, table row and heading of a mistune syntax tree."""
    found = []
    for token in tokens:
        kind, children = token["type"], token.get("children")
        if kind in ("list", "list_item", "block_quote", "table", "table_body"):
            found += _blocks(children)
        elif children is not None or kind == "block_html":
            spans = [child["raw"] for child in _walk(children or []) if child["type"] == "codespan"]
            found.append((kind, " ".join(claims._plain([token]).split()), spans))
    return found


def _walk(tokens: list[dict]):
    for token in tokens:
        yield token
        yield from _walk(token.get("children") or [])


def blocks(markdown: str) -> list[tuple[str, str, list[str]]]:
    """The blocks of ``markdown`` as :mod:`tools.claims` parses it: (mistune's kind, prose, inline code spans)."""
    return _blocks(claims._MARKDOWN(markdown))


def sentences(text: str) -> list[str]:
    """The sentences of one block of prose: split after ".", "!" or "?" before anything but a small letter."""
    return [part for part in re.split(r"(?<=[.!?])\s+(?=[^a-z\s])", text.strip()) if part]


def _has_image(cells: list) -> bool:
    return any(
        kind in output.get("data", {}) for cell in cells for output in cell.get("outputs", []) for kind in IMAGE_TYPES
    )


def _stem(word: str) -> str:
    """A word's singular, roughly: "classes" → "class", "histories" → "history", "layers" → "layer"."""
    word = word.lower().rstrip("'’").removesuffix("'s").removesuffix("’s")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    return word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")) else word


def content_words(text: str) -> set[str]:
    """The words of ``text`` that say what it is about: four letters or more, not in :data:`_COMMON`, singular;
    and its numbers from 10 up ("1,000" as "1000"), which name a point of the question as much as a word does."""
    words = {_stem(word) for word in _WORD.findall(text) if len(word) >= 4 and _stem(word) not in _COMMON}
    numbers = {
        number.replace(",", "") for number in re.findall(r"(?<![\w.,])\d{1,3}(?:,\d{3})+(?![\w.])|\b[1-9]\d+\b", text)
    }
    return words | numbers


# --- 1. figures ---------------------------------------------------------------------------------------------------


def figure_references(text: str, notebook_number: str = "") -> list[str]:
    """The figure pointers of one sentence (:data:`FIGURE_REFERENCE`), less those to another notebook's figures."""
    for match in _OTHER_NOTEBOOK.finditer(text):
        if (match.group(1) or match.group(2)) != notebook_number:
            text = text.replace(match.group(0), " ")
    text = _NOT_A_FIGURE.sub(" ", text)
    return [match.group(0) for match in FIGURE_REFERENCE.finditer(text)]


def figure_problems(path: Path) -> list[str]:
    """Sentences that point at a figure when their section's code cells show no image."""
    notebook = nbformat.read(path, as_version=4)
    number = path.stem.split("_")[0]
    problems = []
    for index, text, scope in claims._chunks(notebook):
        if _has_image(scope):
            continue
        for kind, block, _ in blocks(text):
            for sentence in sentences(block) if kind != "heading" else []:
                if figure_references(sentence, number):
                    problems.append(f"{path.name} cell {index}: figure — no image in its section: “{sentence}”")
    return problems


# --- 2. statement cells -------------------------------------------------------------------------------------------


def _statement_count(source: str) -> int:
    """The number of keys of the dict literal given to ``check_statements``; 1 where it cannot be read."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return 1
    for node in ast.walk(tree):
        name = getattr(getattr(node, "func", None), "attr", getattr(getattr(node, "func", None), "id", None))
        if isinstance(node, ast.Call) and name in ("check_statements", "check_claims") and node.args:
            if isinstance(node.args[0], ast.Dict):
                return max(1, len(node.args[0].keys))
    return 1


def statement_problems(path: Path) -> list[str]:
    """``check_statements`` cells that hide their lines, show too few of them, or show a bare True/False."""
    notebook = nbformat.read(path, as_version=4)
    problems = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or not re.search(r"\bcheck_(?:statements|claims)\(", cell.source):
            continue
        where = f"{path.name} cell {index}: check_statements"
        text = "".join(
            "".join(output["text"]) if isinstance(output["text"], list) else output["text"]
            for output in cell.get("outputs", [])
            if output.get("output_type") == "stream"
        )
        shown = [line for line in text.splitlines() if line.startswith(("yes  ", "NO   "))]
        expected = _statement_count(cell.source)
        if len(shown) < expected:
            problems.append(f"{where} — {len(shown)} statement line(s) shown, {expected} expected")
        for output in cell.get("outputs", []):
            plain = output.get("data", {}).get("text/plain", "")
            plain = "".join(plain) if isinstance(plain, list) else plain
            if output.get("output_type") == "execute_result" and plain.strip() in ("True", "False"):
                problems.append(f"{where} — shows a bare “Out: {plain.strip()}”")
    return problems


# --- 3. exercise leaks --------------------------------------------------------------------------------------------


@dataclass
class Answer:
    """One expected value of a graded exercise: ``kind`` is "number", "word", "shape" or "choice"."""

    exercise: int
    kind: str
    value: object


_EXERCISE = re.compile(r"\*\*Exercise (\d+)\.\*\*")


def _plain_call(node) -> tuple[str, str] | None:
    """(helper, variable) of ``plain.helper(variable, …)``, through method calls on its result (``.strip()``)."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        target = node.func.value
        if isinstance(target, ast.Name) and target.id == "plain":
            if node.args and isinstance(node.args[0], ast.Name):
                return node.func.attr, node.args[0].id
            return None
        node = target
    return None


def hidden_answers(source: str, exercise: int) -> list[Answer]:
    """The expected values of one hidden-test block, read from its ``assert`` lines (parsed, never run)."""
    tests = re.search(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", source, re.S)
    answers = []
    for node in ast.walk(ast.parse(tests.group(1) if tests else "")):
        if not isinstance(node, ast.Assert):
            continue
        test = node.test
        if isinstance(test, ast.Call) and _plain_call(test) and _plain_call(test)[0] == "close" and len(test.args) > 1:
            try:
                answers.append(Answer(exercise, "number", float(ast.literal_eval(test.args[1]))))
            except ValueError:
                pass
            continue
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
            continue
        call = _plain_call(test.left)
        try:
            expected = ast.literal_eval(test.comparators[0])
        except ValueError:
            continue
        if call is None:
            continue
        helper = call[0]
        if helper in ("integer", "number") and isinstance(expected, (int, float)):
            answers.append(Answer(exercise, "number", expected))
        elif helper == "text" and isinstance(expected, str):
            answers.append(Answer(exercise, "choice" if len(expected) == 1 else "word", expected))
        elif helper == "texts" and isinstance(expected, tuple):
            answers += [Answer(exercise, "word", word) for word in expected if isinstance(word, str)]
        elif helper == "shape" and isinstance(expected, tuple) and len(expected) >= 2:
            answers.append(Answer(exercise, "shape", expected))
    return answers


def exercises(solution: Path) -> dict[int, list[Answer]]:
    """{exercise number: its expected values} from the hidden tests of an instructor version."""
    notebook = nbformat.read(solution, as_version=4)
    found: dict[int, list[Answer]] = {}
    current = 0
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            numbers = _EXERCISE.findall(cell.source)
            current = int(numbers[-1]) if numbers else current
        elif current and "### BEGIN HIDDEN TESTS" in cell.source:
            found.setdefault(current, []).extend(hidden_answers(cell.source, current))
    return found


def _before_and_question(notebook, exercise: int) -> tuple[list[tuple[str, list[str]]], str]:
    """(the blocks of text before exercise ``exercise`` — markdown blocks and printed output lines — as (prose, code
    spans), and the exercise's own markdown)."""
    before: list[tuple[str, list[str]]] = []
    marker = f"**Exercise {exercise}.**"
    skipped = {"navigation", "contents", "glossary"}
    for cell in notebook.cells:
        if cell.cell_type == "code":
            before += [(line.strip(), []) for line in claims._output_text(cell).splitlines() if line.strip()]
        elif cell.cell_type == "markdown" and not set(cell.metadata.get("tags", [])) & skipped:
            head, found, question = cell.source.partition(marker)
            before += [(text, spans) for _, text, spans in blocks(head)]
            if found:
                return before, question.split("**Exercise")[0]
    return before, ""


def _near_question(sentence: str, start: int, end: int, question: set[str], specific: set[str]) -> bool:
    """Is the answer at ``sentence[start:end]`` said about the question: not one item of an enumeration (a "," or
    ";" among the three words before it and right after it), and within :data:`WINDOW` words two words of the
    question, one of them specific to it?"""
    before, after = sentence[:start].split()[-3:], sentence[end:].split()[:1]
    listed = any(word.endswith((",", ";")) for word in before) and (
        sentence[end:].lstrip()[:1] in (",", ";", "'", '"') or any(word.endswith((",", ";")) for word in after)
    )
    words = sentence[:start].split()[-WINDOW:] + sentence[end:].split()[:WINDOW]
    shared = content_words(" ".join(words)) & question
    return not listed and len(shared) >= 2 and bool(shared & specific)


def _places(sentence: str, written: str) -> list[tuple[int, int]]:
    return [
        (match.start(), match.end())
        for match in re.finditer(rf"(?<![\w.,]){re.escape(written)}(?![\w])", sentence, re.I)
    ]


def _number_leaks(expected: float, sentence: str, question: set[str], specific: set[str]) -> bool:
    whole = float(expected).is_integer()
    for written, value, decimals, percent in claims.quoted_numbers(sentence):
        if value in (0, 1) or (whole and (percent or value != expected)):
            continue
        if not whole and not claims._backed(value, decimals, percent, {abs(expected)}):
            continue
        for start, end in _places(sentence, written):
            sign = sentence[max(0, start - 1) : start]
            if sign == "±" or (sign in ("-", "−") and expected > 0):
                continue  # a tolerance, or the other sign: not this value
            if re.match(r"\s+to\s+[+\-−]?\d", sentence[end:]) or re.search(r"\bto\s+[+\-−]?$", sentence[:start]):
                continue  # an interval's end is not the margin itself
            signed = sign in ("+", "-", "−")
            unit = re.match(r"\s*points?\b", sentence[end:])
            if not whole and not (decimals or percent or signed or unit):
                continue  # "3" alone is too common to stand for 3.31; "+3", "3 points", "3.3" are not
            if _near_question(sentence, start, end, question, specific):
                return True
    return False


def _options(question: str) -> dict[str, str]:
    return {letter: text for letter, text in re.findall(r"(?m)^\s*[-*]\s+([a-z])\)\s+(.*)$", question)}


def _choice_leaks(answer: Answer, text: str, spans: list[str], question: str, words: set[str]) -> str:
    """How ``text`` gives the correct option away ("option c", or its code span), or ""."""
    letter = answer.value.lower()
    named = re.search(
        rf"\b(?:option|answer|choice)\s+\(?{letter}\b\)?(?!\s*[a-z])|\({letter}\)|(?<=\s){letter}\)", text, re.I
    )
    if named:
        return named.group(0)
    options = _options(question)
    others = " ".join(text for key, text in options.items() if key != letter) + question.split("\n- ")[0]
    distinctive = [span for span in re.findall(r"`([^`]+)`", options.get(letter, "")) if span not in others]
    shown = [span for span in distinctive if span in spans]
    return f"`{shown[0]}`" if shown and content_words(text) & words else ""


def leaks(path: Path) -> list[str]:
    """Sentences before an exercise that give away its expected value (the rules in the module's docstring)."""
    solution = path if path.stem.endswith(SOLUTION_SUFFIX) else solution_of(path)
    if not solution.exists():
        return []
    notebook = nbformat.read(path, as_version=4)
    everything = [sentence for text, _ in _before_and_question(notebook, 0)[0] for sentence in sentences(text)]
    counts = Counter(word for sentence in everything for word in content_words(sentence))
    problems = []
    for exercise, answers in exercises(solution).items():
        before, question = _before_and_question(notebook, exercise)
        words = content_words(claims.prose(question.split("\n- ")[0]))
        specific = {word for word in words if counts[word] < SPECIFIC * max(MIN_SENTENCES, len(everything))}
        for text, spans in before:
            for answer in answers:
                where = f"{path.name} exercise {exercise}: leaks {answer.value!r}"
                if answer.kind == "choice":
                    how = _choice_leaks(answer, text, spans, question, words)
                    problems += [f"{where} ({how}): “{text}”"] if how else []
                    continue
                found = [sentence for sentence in sentences(text) if _leaks(answer, sentence, words, specific)]
                if answer.kind == "word" and re.search(rf"[\"`']{re.escape(str(answer.value))}[\"`']", question):
                    # one of the options the question quotes ("clear", "tie" or "undecided"): naming it is no leak,
                    # saying it about the question's own point (one of its numbers, such as "100") is
                    points = [n for n in re.findall(r"\d[\d,]*", claims.prose(question)) if len(n) >= 2]
                    found = [
                        s for s in found if any(re.search(rf"(?<![\d,]){re.escape(n)}(?![\d,])", s) for n in points)
                    ]
                problems += [f"{where}: “{sentence}”" for sentence in found]
    return problems


def _leaks(answer: Answer, sentence: str, words: set[str], specific: set[str]) -> bool:
    if answer.kind == "number":
        return _number_leaks(answer.value, sentence, words, specific)
    if answer.kind == "word":
        pattern = re.escape(answer.value).replace("_", "[_\\- ]?").replace("\\-", "[_\\- ]?")
        words = words - content_words(answer.value)
        places = [match.span() for match in re.finditer(rf"\b{pattern}(?:e?s)?\b", sentence, re.I)]
        return any(_near_question(sentence, start, end, words, specific) for start, end in places)
    if answer.kind == "shape":
        height, width = answer.value[-2:]
        places = [
            match.span()
            for match in claims._SHAPE.finditer(sentence)
            if match.group(0).replace(" ", "").replace("×", "x").endswith(f"{height}x{width}")
        ]
        return any(_near_question(sentence, start, end, words, specific) for start, end in places)
    return False


# --- 4. verdict words ---------------------------------------------------------------------------------------------


def _number(text: str) -> float:
    return float(text.replace("−", "-"))


def _possible_outcomes(low_text: str, high_text: str) -> set[str]:
    """The rule's words for every interval (in points) that rounds to the quoted one, turned round if below zero."""
    low, high = _number(low_text), _number(high_text)
    if low + high < 0:  # the other side is the one ahead
        low, high = -high, -low
    step = 0.5 * 10 ** -max(len(part.partition(".")[2]) for part in (low_text, high_text))
    corners = [(low + a, high + b) for a in (-step, step) for b in (-step, step) if low + a <= high + b]
    return {outcome((low_end / 100, high_end / 100)) for low_end, high_end in corners}


def verdict_disagreements(sentence: str) -> list[str]:
    """The verdict words of ``sentence`` that its nearest interval's outcome contradicts, one line each."""
    intervals = [
        match
        for match in _INTERVAL.finditer(sentence)
        if (match.group("low")[0] in "+-−" or match.group("high")[0] in "+-−")
        and _number(match.group("low")) <= _number(match.group("high"))
        and not re.search(r"τ|\btau\b", sentence[max(0, match.start() - 25) : match.start()])
    ]
    if not intervals:
        return []
    wrong = []
    for word in _VERDICT.finditer(sentence):
        verdict = word.lastgroup
        nearest = min(
            intervals, key=lambda match: min(abs(match.start() - word.end()), abs(word.start() - match.end()))
        )
        possible = _possible_outcomes(nearest.group("low"), nearest.group("high"))
        negated = bool(_NEGATION.search(sentence[: word.start()]))
        fits = bool(possible - {verdict}) if negated else verdict in possible
        if not fits:
            rule = " or ".join(sorted(possible))
            interval = f"{nearest.group('low')} to {nearest.group('high')}"
            wrong.append(f"“{'not ' if negated else ''}{word.group(0)}” but the rule says {rule} for {interval}")
    return wrong


def verdict_problems(path: Path) -> list[str]:
    """Sentences of the markdown and printed output lines whose verdict word the course's rule contradicts."""
    notebook = nbformat.read(path, as_version=4)
    problems = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            lines = [sentence for _, block, _ in blocks(cell.source) for sentence in sentences(block)]
        elif cell.cell_type == "code":
            lines = [line.strip() for line in claims._output_text(cell).splitlines()]
        else:
            continue
        for line in lines:
            for wrong in verdict_disagreements(line):
                problems.append(f"{path.name} cell {index}: verdict {wrong}: “{line}”")
    return problems


# --- all ----------------------------------------------------------------------------------------------------------


def problems(path: Path) -> list[str]:
    """Every finding of the four checks in one notebook."""
    return figure_problems(path) + statement_problems(path) + leaks(path) + verdict_problems(path)


def main() -> int:
    found = [problem for path in all_notebooks() for problem in problems(path)]
    print(
        "\n".join(found) if found else "no findings: figures, statement cells, exercise leaks and verdict words agree"
    )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
