"""Start-up time of the command line: `grokwatch --help`, `--version` and `ingest --help`
(each a fresh interpreter, as a user runs them), against a baseline in the same run: a
bare `python -c pass` and an interpreter that imports what the CLI used to import eagerly
(the app: spaCy, the chat SDKs, the Redis client). Prints the median of N runs of each,
and the ratio of `--help` to the eager baseline.

Run: .venv/bin/python benchmarks/startup.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(argv: list[str], repeat: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    py = sys.executable
    cases = {
        "python -c pass": [py, "-c", "pass"],
        "eager imports (bot.app)": [py, "-c", "import bot.app"],
        "grokwatch --help": [py, "-m", "bot.cli", "--help"],
        "grokwatch --version": [py, "-m", "bot.cli", "--version"],
        "grokwatch ingest --help": [py, "-m", "bot.cli", "ingest", "--help"],
    }
    results = {name: timed(argv, args.repeat) for name, argv in cases.items()}
    print(f"| command | median of {args.repeat} (s) |")
    print("|---|---|")
    for name, seconds in results.items():
        print(f"| {name} | {seconds:.3f} |")
    ratio = results["eager imports (bot.app)"] / results["grokwatch --help"]
    print(f"\n--help is {ratio:.1f}x faster than importing the app eagerly")


if __name__ == "__main__":
    main()
