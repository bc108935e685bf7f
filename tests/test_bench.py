"""Every benchmark in bench/ keeps working: CI runs each one's --quick mode (small data, short
runs) under a timeout and checks it exits 0 and prints its figures. Figures are never asserted:
this machine's timings say nothing in a test. A new file in bench/ fails here until it is listed."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# bench file -> (what its figures look like in the output, seconds it may take at most)
QUICK_RUNS = {
    "page_render.py": (r"patient /my-care\s+\d+\.\d+\s+\d+\.\d+", 300),
    "queue.py": (r"first page \(open, 50\)\s+\d+\.\d+ ms", 300),
    "monitoring.py": (r"first page \(50\)\s+\d+\.\d+ ms\s+\d+\.\d+x", 300),
    "push.py": (r"[\d,]+ patients/s[\s\S]*[\d,]+ pushes/s", 600),
    "page_weight.py": (r"first visit[^\n]*\d+(\.\d+)? ?kB", 600),
    "request_profile.py": (r"patient home /my-care\s+\d+\.\d+\s+1/\d+\s+\d+", 300),
    "pages.py": (r"patient home /my-care\s+\d+\s+\d+\.\d+\s+\d+\.\d+[\s\S]*durable save floor \(bare Flask, 1 row\)\s+\d+"
                 r"[\s\S]*the durable save floor's commits here: [^\n]*HNA JSON autosave 1/\d", 600),
    "volume.py": (r"\d+\.\d+x ", 600),
    "lighthouse.py": (r"\n[^\n]+ +\d{1,3} +\d{1,3} +\d{1,3} +\d+\.\d\d ", 900),
    "load.py": (r"symptom sent \(JSON\)\s+\d+[^\n]*\nsubmissions accepted[\s\S]*lost: 0, stored without an answer: 0, "
                r"doubled: 0, errors: 0", 600),
}
# Not benchmarks: tools the benchmarks use, tested on their own.
NOT_BENCHMARKS = {"generate.py": "the volume data generator (tests/test_bench_generate.py)",
                  "scale.py": "what bench/queue.py and bench/monitoring.py share"}
# What a benchmark runs besides Python: scripts/test installs each (scripts/install-system-deps, npm ci).
NEEDS = {"pages.py": ["wrk"], "page_weight.py": ["chromium"], "push.py": ["chromium"],
         "lighthouse.py": ["chromium", str(ROOT / "node_modules" / ".bin" / "lighthouse")]}


def test_every_benchmark_has_a_quick_run_here():
    files = {path.name for path in (ROOT / "bench").glob("*.py") if not path.name.startswith("_")}
    assert files - set(NOT_BENCHMARKS) == set(QUICK_RUNS), "list each new benchmark in QUICK_RUNS with its --quick mode"


@pytest.mark.bench
@pytest.mark.parametrize("name", QUICK_RUNS)
def test_the_benchmark_runs_quickly_and_prints_its_figures(name):
    figures, timeout = QUICK_RUNS[name]
    missing = [tool for tool in NEEDS.get(name, []) if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed here (scripts/test installs it: "
                    "scripts/install-system-deps, npm ci)")
    # Each server a benchmark starts is under `timeout` of its own; this bounds the rest.
    result = subprocess.run([sys.executable, str(ROOT / "bench" / name), "--quick"], cwd=ROOT, capture_output=True,
                            text=True, timeout=timeout)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert re.search(figures, result.stdout), result.stdout[-3000:]


# bench/pages.py's other modes, run as CI runs the quick ones: (arguments, what their figures look like).
PAGES_MODES = {
    "served profile": (["--profile-served", "HNA question"],
                       r"inside the Flask app\s+\d+\.\d+[\s\S]*in process \(Flask test client, no server\)\s+\d+\.\d+"
                       r"[\s\S]*the access log\s+\d+\.\d+"),
    "server shapes": (["--shapes", "sync workers", "--only", "follow-up"],
                      r"follow-up /my-care/follow-up\s+1/[\d.]+ \(1/[\d.]+-[\d.]+\)"),
}


@pytest.mark.bench
@pytest.mark.parametrize("mode", PAGES_MODES)
def test_the_served_benchmark_modes_run_quickly_and_print_their_figures(mode):
    arguments, figures = PAGES_MODES[mode]
    if shutil.which("wrk") is None:
        pytest.skip("wrk not installed here (scripts/test installs it: scripts/install-system-deps)")
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "pages.py"), "--quick", *arguments], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert re.search(figures, result.stdout), result.stdout[-3000:]
