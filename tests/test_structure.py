"""The package as a whole: no import cycle, every old import path still imports, one image-reading path,
check cells that leave the caller's random state alone."""

from __future__ import annotations

import ast
import io
import random
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import tlhelpers

PACKAGE = Path(tlhelpers.__file__).parent
NOTEBOOKS = sorted((PACKAGE.parent / "notebooks").glob("*.ipynb")) + sorted(
    (PACKAGE.parent / "notebooks" / "solutions").glob("*.ipynb")
)
# The old flat modules, now re-exports of the sub-packages: nothing inside the package imports them.
SHIMS = {
    "experiment",
    "pools",
    "strategies",
    "sweep",
    "results",
    "selection_results",
    "advise",
    "checks",
    "exercise_checks",
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every tlhelpers module ``path`` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}  # from tlhelpers import data
    return {name for name in found if name.startswith("tlhelpers.")}


def test_no_import_cycle():
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {
        name: sorted((_imports(path) & set(modules)) - {name}) for name, path in modules.items()
    }  # __main__ blocks
    for name in SHIMS:  # a shim points at its new module; nothing in the package may point at a shim
        assert not [
            user
            for user, targets in graph.items()
            if f"tlhelpers.{name}" in targets and user.split(".")[1] not in SHIMS
        ], f"tlhelpers.{name} is an old path: import the new one"
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for target in graph[name]:
            if state.get(target) == "open":
                raise AssertionError("import cycle: " + " → ".join([*trail[trail.index(target) :], target]))
            if target not in state:
                visit(target, [*trail, target])
        state[name] = "done"

    for name in graph:
        if name not in state:
            visit(name, [name])


def _notebook_code(path: Path) -> list[str]:
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    cells = []
    for cell in notebook.cells:
        if cell.cell_type == "code":
            lines = [line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))]
            cells.append("\n".join(lines))
    return cells


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_tlhelpers_import_of_the_notebooks_still_imports(path):
    modules = {}
    for source in _notebook_code(path):
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                if any(name and name.split(".")[0] == "tlhelpers" for name in names):
                    namespace: dict = {}
                    exec(compile(ast.Module([node], []), path.name, "exec"), namespace)  # the notebook's own line
                    modules.update({k: v for k, v in namespace.items() if k != "__builtins__"})
        for match in re.finditer(r"\b(checks|exercise_checks|experiment|similarity)\.(\w+)", source):
            module, attribute = match.groups()
            if module in modules:
                assert hasattr(modules[module], attribute), f"{path.name}: {module}.{attribute} is gone"


def test_old_paths_are_the_new_modules():
    import tlhelpers.decision_matrix.results
    import tlhelpers.decision_matrix.sweep
    import tlhelpers.results
    import tlhelpers.sweep
    from tlhelpers import checks, exercise_checks, experiment
    from tlhelpers.decision_matrix import config
    from tlhelpers.exercises import checks as new_checks
    from tlhelpers.exercises import notebook03

    assert tlhelpers.results is tlhelpers.decision_matrix.results and tlhelpers.sweep is tlhelpers.decision_matrix.sweep
    assert experiment is config
    assert checks.check_claims is new_checks.check_statements
    assert exercise_checks.check_training_loop is notebook03.check_training_loop


def _random_states():
    return torch.random.get_rng_state(), np.random.get_state()[1].copy(), random.getstate()


def _same(before, after) -> bool:
    return torch.equal(before[0], after[0]) and np.array_equal(before[1], after[1]) and before[2] == after[2]


def test_a_check_cell_leaves_the_random_state_alone():
    from torchvision.transforms import v2

    from tlhelpers.exercises import notebook03, notebook04
    from tlhelpers.train import fit

    def train_loop(model, train_loader, val_loader, optimizer, epochs):
        accuracies = []
        for _ in range(epochs):
            model.train()
            model.features.eval()
            for inputs, targets in train_loader:
                optimizer.zero_grad()
                torch.nn.functional.cross_entropy(model(inputs), targets).backward()
                optimizer.step()
            model.eval()
            with torch.no_grad():
                correct = sum(int((model(x).argmax(1) == y).sum()) for x, y in val_loader)
            accuracies.append(correct / sum(len(y) for _, y in val_loader))
        return accuracies

    def two_stage(model, train_loader, val_loader, head_epochs, full_epochs):
        from tlhelpers.models import unfreeze

        unfreeze(model, 0)
        first = fit(model, train_loader, val_loader, epochs=head_epochs, progress=False)
        unfreeze(model, 99)
        return first, fit(model, train_loader, val_loader, epochs=full_epochs, progress=False)

    augment = v2.Compose([v2.RandomResizedCrop(96, scale=(0.2, 1.0)), v2.RandomHorizontalFlip(), v2.RandomRotation(15)])
    image = torch.rand(3, 96, 96)
    torch.manual_seed(123), np.random.seed(123), random.seed(123)
    before = _random_states()
    assert notebook03.check_training_loop(train_loop)
    assert notebook04.check_two_stage(two_stage)
    assert notebook04.check_strong_augment(augment, image)  # draws from torch's generator
    assert _same(before, _random_states())


@pytest.fixture
def transparent_png(tmp_path) -> Path:
    rgba = np.zeros((40, 48, 4), dtype=np.uint8)
    rgba[..., 0], rgba[..., 3] = 255, 0  # fully transparent red: what shows is the background
    rgba[10:30, 10:30] = (20, 200, 40, 128)  # half-transparent green
    rgba[15:20, 15:20, 3] = 255
    path = tmp_path / "transparent.png"
    Image.fromarray(rgba, "RGBA").save(path)
    return path


def test_the_same_transparent_png_gives_the_same_tensor_on_every_reading_path(transparent_png, tmp_path):
    from torchvision.models import MobileNet_V2_Weights

    from tlhelpers import plots, widgets
    from tlhelpers.data import image_folder, read_image

    preprocess = MobileNet_V2_Weights.IMAGENET1K_V1.transforms()
    reference = read_image(transparent_png)
    expected = preprocess(reference)
    (tmp_path / "folder" / "cls").mkdir(parents=True)
    (tmp_path / "folder" / "cls" / "a.png").write_bytes(transparent_png.read_bytes())
    folder = image_folder(tmp_path / "folder", transform=preprocess)
    uploaded = read_image(io.BytesIO(transparent_png.read_bytes()))  # the widget's upload
    with Image.open(transparent_png) as opened:
        widget_image = widgets._to_pil(opened)  # the widget's photos
        displayed = plots.to_display_image(opened)
    for image in (uploaded, widget_image):
        assert torch.equal(preprocess(image), expected)
    assert torch.equal(folder[0][0], expected)
    assert np.array_equal(displayed, np.asarray(reference))
    assert tuple(np.asarray(reference)[0, 0]) != (0, 0, 0)  # composited on the neutral grey, not dropped to black


def test_the_hidden_tests_load_the_old_checker_path_afresh():
    from tlhelpers.exercises import notebook03
    from tlhelpers.hidden_tests import fresh

    loaded = fresh().load("tlhelpers.exercise_checks").check_training_loop
    assert loaded is not notebook03.check_training_loop  # a fresh copy, executed from the files
    assert loaded(..., name="hidden test").status == "not attempted"


def test_notebooks_handed_out_before_the_new_layout_still_import():
    """Every import line and checker attribute of the notebooks as they were before (tests/handed_out_imports.txt)."""
    listed = (Path(__file__).with_name("handed_out_imports.txt")).read_text(encoding="utf-8").splitlines()
    namespace: dict = {}
    imports = [line for line in listed if line.startswith(("from ", "import "))]
    for line in imports:
        exec(line, namespace)  # the handed-out notebook's own line
    attributes = [line for line in listed if line and not line.startswith(("#", "from ", "import "))]
    assert len(imports) > 20 and len(attributes) > 20
    for reference in attributes:
        module, attribute = reference.split(".")
        assert hasattr(namespace[module], attribute), f"{reference} is gone"
