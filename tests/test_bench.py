"""The benchmarks keep running as the engine changes (their figures are read by people, not asserted here)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_bench(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(ROOT / "bench" / "service_path.py"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_service_path_bench_runs_the_main_path_and_ends_with_its_json_line():
    done = run_bench("--cases", "2", "--cases-ceiling", "2", "--repeat", "1", "--warmup", "0",
                     "--what-if", "dump,validation")
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    figures = json.loads(lines[-1])
    assert set(figures) == {"ceiling_cases_per_s", "service_cases_per_s", "ratio"}
    assert figures["ceiling_cases_per_s"] > 0 and figures["service_cases_per_s"] > 0
    assert abs(figures["ratio"] - figures["service_cases_per_s"] / figures["ceiling_cases_per_s"]) < 0.01
    assert sum("without dump + validation" in line for line in lines) == 1


def test_service_path_bench_measures_the_cold_path():
    done = run_bench("--cases", "2", "--cases-ceiling", "2", "--repeat", "1", "--warmup", "0", "--what-if", "cache")
    assert done.returncode == 0, done.stderr[-3000:]
    assert sum("without cache " in line for line in done.stdout.splitlines()) == 1


def test_service_path_bench_refuses_an_unknown_layer_or_an_impossible_pair():
    done = run_bench("--what-if", "spiff")
    assert done.returncode == 2 and "unknown layer(s) spiff" in done.stderr
    done = run_bench("--what-if", "dump,cache")
    assert done.returncode == 2 and "cannot go together" in done.stderr
