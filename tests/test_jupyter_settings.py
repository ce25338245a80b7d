"""The Jupyter settings that `make` writes into the venv (from tools/jupyter/): JupyterLab offline, kernels over IPC.

make test checks the files; make test-browser checks that a running JupyterLab reads them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
from jupyter_core.paths import jupyter_config_path
from traitlets.utils.importstring import import_item

ROOT = Path(__file__).resolve().parents[1]
VENV_LAB_SETTINGS = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
VENV_SERVER_CONFIG = Path(sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.json"
NOTIFICATION = "@jupyterlab/apputils-extension:notification"


def read_json(path: Path) -> dict:
    assert path.is_file(), f"{path} is missing — run make (make test, make lab and make test-browser write it)"
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
    assert config == read_json(ROOT / "tools" / "jupyter" / "jupyter_server_config.json"), "stale copy: run make"
    assert str(VENV_SERVER_CONFIG.parent) in jupyter_config_path()
    assert config["KernelManager"] == {"transport": "ipc"}
    lab = config["LabApp"]
    assert lab["news_url"] is None and lab["extension_manager"] == "readonly"
    import_item(lab["check_for_updates_class"])  # the class exists in this JupyterLab
