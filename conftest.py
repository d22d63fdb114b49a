"""Collection rules for the whole tree (pytest also imports every module for its doctests)."""

from __future__ import annotations

import importlib.util

# The Spark engine's modules import PySpark (the spark extra, which `make test` installs);
# without it their doctests cannot be imported, while the Spark suites still fail loudly.
collect_ignore_glob = (
    []
    if importlib.util.find_spec("pyspark")
    else [
        f"src/callwarden/features/engines/spark/{name}.py"
        for name in ("features", "triage", "scoring", "stream")
    ]
)
