"""Hide nbgrader's instructor tools in the Binder image (run by binder/postBuild).

The pinned stack installs nbgrader, whose server extensions and JupyterLab plugins are
enabled on install: students on Binder would see the formgrader, the course list and the
"create assignment" toolbar, none of which a student needs (and Binder has no exchange for
the assignment list). This writes, at the environment's level (`sys.prefix`, the level
pip's nbgrader install used), the same settings as `jupyter server extension disable
--sys-prefix` and `jupyter labextension disable --level=sys_prefix` + `lock`, as plain
JSON so that it can be tested against a scratch folder. The validate-assignment button
stays: it is useful to a student.

    python binder/student_mode.py [PREFIX]     # default: sys.prefix
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

SERVER_EXTENSIONS = ("nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list",
                     "nbgrader.server_extensions.assignment_list")
LAB_PLUGINS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:course-list",
               "@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:assignment-list")


def _update(path: Path, change) -> None:
    config = json.loads(path.read_text()) if path.exists() else {}
    change(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def disable_instructor_tools(prefix) -> list[Path]:
    """Write the settings under `<prefix>/etc/jupyter`; returns the two files written."""
    root = Path(prefix) / "etc" / "jupyter"
    server, lab = root / "jupyter_server_config.json", root / "labconfig" / "page_config.json"

    def servers_off(config):
        extensions = config.setdefault("ServerApp", {}).setdefault("jpserver_extensions", {})
        extensions.update({name: False for name in SERVER_EXTENSIONS})

    def plugins_off(config):
        for key in ("disabledExtensions", "lockedExtensions"):  # locked: not re-enabled from the UI
            config.setdefault(key, {}).update({name: True for name in LAB_PLUGINS})

    _update(server, servers_off)
    _update(lab, plugins_off)
    return [server, lab]


if __name__ == "__main__":
    for written in disable_instructor_tools(sys.argv[1] if len(sys.argv) > 1 else sys.prefix):
        print(f"student mode: wrote {written}")
