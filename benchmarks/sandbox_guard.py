"""Cost of the tool sandbox's audit hook (issue 12): entering and leaving the sandbox, and an
audited event outside it (what every other thread of the process pays once the hook is in).

    python benchmarks/sandbox_guard.py [--n 20000]

Prints microseconds per enter+leave and nanoseconds per unrelated audited event (the best of 5
repeats; the machine is shared, so compare runs made one after the other).
"""

from __future__ import annotations

import argparse
import sys
import timeit

from steps_agents.worlds.sandbox import sandboxed


def enter_leave() -> None:
    with sandboxed():
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    n = parser.parse_args().n
    enter_leave()  # installs the hook
    inside = min(timeit.repeat(enter_leave, number=n, repeat=5)) / n * 1e6
    outside = min(timeit.repeat(lambda: sys.audit("bench.event", 1), number=10 * n, repeat=5))
    print(
        f"enter+leave {inside:.2f} us; an audited event outside {outside / (10 * n) * 1e9:.0f} ns"
    )


if __name__ == "__main__":
    main()
