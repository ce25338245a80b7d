"""The Jupyter settings `python -m tools.jupyter_settings` writes into the venv: JupyterLab offline, kernels over IPC.

make test checks the files; make test-browser checks that a running JupyterLab reads them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
from jupyter_core.paths import jupyter_config_path
from traitlets.utils.importstring import import_item

from tools import jupyter_settings

ROOT = Path(__file__).resolve().parents[1]
VENV_LAB_SETTINGS = jupyter_settings.LAB_SETTINGS
VENV_SERVER_CONFIG = jupyter_settings.SERVER_CONFIG
NOTIFICATION = "@jupyterlab/apputils-extension:notification"


def read_json(path: Path) -> dict:
    assert path.is_file(), (
        f"{path} is missing — run `python -m tools.jupyter_settings` (make test, make lab and make test-browser run it)"
    )
    return json.loads(path.read_text(encoding="utf-8"))


def test_jupyterlab_fetches_no_news_and_checks_no_updates():
    overrides = read_json(VENV_LAB_SETTINGS)
    assert overrides == read_json(ROOT / "tools" / "jupyter" / "overrides.json"), "stale copy: run make"
    assert overrides[NOTIFICATION] == {"checkForUpdates": False, "fetchNews": "false"}
    for plugin, settings in overrides.items():  # every key and value exists in the installed JupyterLab
        package, name = plugin.split(":")
        schema = read_json(Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas" / package / f"{name}.json")
        jsonschema.validate(settings, schema)


def test_jupyter_server_reads_the_offline_and_ipc_settings():
    config = read_json(VENV_SERVER_CONFIG)
    assert config == jupyter_settings.server_config(), "stale copy: run python -m tools.jupyter_settings"
    assert str(VENV_SERVER_CONFIG.parent) in jupyter_config_path()
    assert config["KernelManager"] == {"transport": "tcp" if sys.platform == "win32" else "ipc"}
    lab = config["LabApp"]
    assert lab["news_url"] is None and lab["extension_manager"] == "readonly"
    import_item(lab["check_for_updates_class"])  # the class exists in this JupyterLab


def test_windows_kernels_use_tcp(monkeypatch):
    """jupyter_client has no IPC transport on Windows: there the settings say TCP, everywhere else IPC."""
    import importlib

    monkeypatch.setattr(sys, "platform", "win32")
    try:
        windows = importlib.reload(jupyter_settings)
        assert windows.server_config()["KernelManager"] == {"transport": "tcp"}
    finally:
        monkeypatch.undo()
        importlib.reload(jupyter_settings)
    assert jupyter_settings.server_config()["KernelManager"] == {
        "transport": "ipc" if sys.platform != "win32" else "tcp"
    }
