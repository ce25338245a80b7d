"""Every dependency of the course and of its instructor extra resolves to released wheels for Python 3.11-3.13 on
Linux x86_64, macOS arm64 and Windows x86_64 (`make platforms`, run by .ci/run; it reads the package index).

The first tests need no index and run in `make test`: what the check reads and how it counts.
"""

from __future__ import annotations

import pytest

from tools import platforms


def test_it_checks_every_runtime_dependency_and_the_instructor_extra():
    names = {requirement.split(">")[0].split("=")[0].split("<")[0].strip() for requirement in platforms.requirements()}
    assert {"torch", "torchvision", "timm", "nbgrader"} <= names
    assert "pytest" not in names  # the dev extra is CI's, not the learners'
    assert not [r for r in platforms.requirements() if "==" in r], "exact pins belong in constraints.txt"


def test_nine_cells_and_the_host():
    assert [p[:4] for p in platforms.PYTHONS] == ["3.11", "3.12", "3.13"]
    assert [t.name for t in platforms.TARGETS] == ["Linux x86_64", "macOS arm64", "Windows x86_64"]
    assert (
        platforms.announced_bytes("  Downloading torch-2.15.0-cp313-cp313-manylinux_2_28_x86_64.whl (539.2 MB)")
        == 539.2e6
    )
    assert platforms.announced_bytes("Collecting filelock") == 0


@pytest.mark.platforms
@pytest.mark.parametrize("pins", [False, True], ids=["ranges", "constraints"])
def test_every_python_and_platform_resolves(pins):
    rows, uv_bytes = platforms.check(pins=pins)
    assert len(rows) == 9
    failed = [f"{row['python']} {row['platform']}: {row['detail']}" for row in rows if not row["ok"]]
    assert not failed, "\n".join(failed)
    assert uv_bytes < 200e6, f"resolving read {uv_bytes / 1e6:.0f} MB: wheels were downloaded, not just metadata"


@pytest.mark.platforms
def test_installing_the_course_keeps_the_torch_already_there():
    """What `%pip install ..` does in a hosted notebook: the torch and torchvision it finds stay (ranges, no pins)."""
    ok, installs, output = platforms.pip_dry_run("--no-build-isolation", str(platforms.ROOT))
    assert ok, output
    names = {item["metadata"]["name"].lower() for item in installs}
    assert names == {"tlhelpers"}, f"would also install or replace: {sorted(names - {'tlhelpers'})}"


@pytest.mark.platforms
@pytest.mark.parametrize("torch, torchvision", [("2.4.1", "0.19.1"), ("2.9.1", "0.24.1")])
def test_an_older_preinstalled_torch_is_accepted(tmp_path, torch, torchvision):
    """A hosted service's older torch (Colab, Kaggle) satisfies the course's ranges, on Python 3.12, Linux."""
    requirement_file = tmp_path / "requirements.txt"
    requirement_file.write_text(
        "\n".join([*platforms.requirements(), f"torch=={torch}", f"torchvision=={torchvision}"])
    )
    ok, detail = platforms.resolve_with_uv(requirement_file, "3.12.1", platforms.TARGETS[0], tmp_path / "cache")
    assert ok, detail
    assert f"torch {torch}" in detail
