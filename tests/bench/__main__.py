"""``python -m tests.bench [--only PREFIX]``: print one ``BENCH <name> <value> <unit>`` line per figure.

Every ratio is measured against its baseline in the same process and run, so
machine speed cancels out. Targets, baselines and why are in docs/benchmarks.md; nothing here asserts.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator

from tests.bench import admin, capacity, cost, decide, imports, reports, runtime, tag

Figure = tuple[str, float, str]
SUITES: dict[str, Callable[[], Iterator[Figure]]] = {
    "decide": decide.run,
    "import": imports.run,
    "tag": tag.run,
    "local": runtime.run,
    "admin": admin.run,
    "reports": reports.run,
    "cost": cost.run,
    "capacity": capacity.run,
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench")
    parser.add_argument("--only", default="", help="run only figures whose name starts with this prefix")
    args = parser.parse_args()
    ran = 0
    for suite, run in SUITES.items():
        if args.only and not (suite.startswith(args.only) or args.only.startswith(suite)):
            continue
        for name, value, unit in run():
            if name.startswith(args.only):
                print(f"BENCH {name} {value:g} {unit}", flush=True)
                ran += 1
    if not ran:
        sys.exit(f"no benchmark matches {args.only!r}; suites: {', '.join(SUITES)}")


if __name__ == "__main__":
    main()
