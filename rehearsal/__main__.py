"""``python -m rehearsal``: rehearse a whole consultation against the loopback emulator (``make demo``)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import ConfigError, load_settings, setup_logging
from rehearsal.demo import prepare_output, run_demo


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rehearsal",
        description="Rehearse a consultation: emulated Discord on loopback, simulated members, no token.",
    )
    parser.add_argument("--out", type=Path, default=Path("demo-output"))
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--members", type=int, default=60)
    args = parser.parse_args(argv)
    try:
        setup_logging(load_settings().log_level)
    except ConfigError as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
    out_dir = prepare_output(args.out)
    return asyncio.run(run_demo(out_dir, seed=args.seed, members=args.members))


if __name__ == "__main__":
    sys.exit(main())
