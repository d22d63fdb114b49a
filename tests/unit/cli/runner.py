"""``callwarden`` as a user runs it: a fresh process with a clean environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run(
    *args: str, cwd: Path | None = None, stdin: str | None = None, columns: int = 160
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callwarden", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        input=stdin,
        env={"COLUMNS": str(columns), "PATH": "/usr/bin:/bin"},
        check=False,
    )
