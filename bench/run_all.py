"""``make bench``: every benchmark in turn, each printing its figures and same-run baselines."""

from __future__ import annotations

import subprocess
import sys

BENCHES = [
    ["bench.visit_throughput", "--visits", "400"],
    ["bench.card_to_page", "--cards", "200"],
    ["bench.claims_build"],
    ["bench.resync"],
    ["bench.working_set_size"],
    ["bench.bundle_delta", "--boxes", "200"],
    ["bench.fleet_heartbeats", "--boxes", "10000"],
]


def main() -> int:
    failed = 0
    for module, *args in BENCHES:
        print(f"\n== {module} {' '.join(args)}", flush=True)
        failed += subprocess.call([sys.executable, "-m", module, *args]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
