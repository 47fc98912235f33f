"""Print the benchmark table from run.sh's JSON lines (label, concurrency, loadgen result)."""

import json
import sys


def main(path: str) -> None:
    rows = [json.loads(line) for line in open(path) if line.strip()]
    by = {(r["server"], r["concurrency"]): r for r in rows}
    print(f"{'server':<18} {'conc':>4} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for r in rows:
        print(f"{r['server']:<18} {r['concurrency']:>4} {r['rps']:>9.1f} {r['p50_ms']:>8.3f} "
              f"{r['p99_ms']:>8.3f} {r['errors']:>6}")
    print()
    for other in sorted({r["server"] for r in rows} - {"roro"}):
        for c in sorted({r["concurrency"] for r in rows}):
            ours, theirs = by.get(("roro", c)), by.get((other, c))
            if not ours or not theirs or not theirs["rps"]:
                continue
            print(f"roro/{other} c={c}: req/s x{ours['rps'] / theirs['rps']:.2f}, "
                  f"p50 x{ours['p50_ms'] / theirs['p50_ms']:.2f}, p99 x{ours['p99_ms'] / theirs['p99_ms']:.2f}")


if __name__ == "__main__":
    main(sys.argv[1])
