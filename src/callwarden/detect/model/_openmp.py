"""Let LightGBM's OpenMP threads sleep, not spin, while they wait for work.

GNU OpenMP's default ("active") waiting spins on the CPU between parallel steps. On a machine
whose cores are also busy with other work (a shared server, two trainings at once, a test run
beside a benchmark), the spinning threads steal time from the ones doing the work: ten times
slower fits and more (docs/benchmarks.md has the figures). libgomp reads the
setting once, when it is loaded, so it is set before lightgbm is first imported;
``setdefault`` keeps any value the operator chose.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
