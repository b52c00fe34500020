"""The benchmarks still measure what they say: each stage `bench_load.py --profile` times is run by a load."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[1] / "benchmarks" / "bench_load.py"


def test_the_load_profile_times_every_stage_it_names():
    out = subprocess.run([sys.executable, str(BENCH), "--profile", "--projects", "20", "--months", "3",
                          "--repeat", "1"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    stages = [line for line in out.stdout.splitlines() if " ms  " in line]
    assert len(stages) == 8  # six timed stages and the two remainders
    assert "whole load" in out.stdout and "ms CPU" in out.stdout
