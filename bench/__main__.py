"""``python -m bench`` (``make bench``): every benchmark, one after the other, each in its own process."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The single-server digest's generated database, reused by the three-server digest (it copies it).
DIGEST_DB = str(Path(tempfile.gettempdir()) / "consultation-bench-digest.sqlite3")

BENCHMARKS = (
    ("ingest", []),
    ("gateway", ["--profile"]),
    ("digest", ["--db", DIGEST_DB]),
    ("digest_servers", ["--db", DIGEST_DB]),
    ("signup_rush", []),
    ("signup_rush", ["--spread", "2"]),
    ("memory", []),
    ("outside", []),
    ("postgres", []),
    ("themes", []),
)


def main() -> int:
    started = time.perf_counter()
    failures = 0
    for name, arguments in BENCHMARKS:
        command = [sys.executable, "-m", f"bench.{name}", *arguments]
        sys.stdout.write(f"\n$ python -m bench.{name} {' '.join(arguments)}\n")
        sys.stdout.flush()
        failures += subprocess.run(command, check=False).returncode != 0
    sys.stdout.write(f"\nAll benchmarks took {time.perf_counter() - started:.0f} s; {failures} failed.\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
