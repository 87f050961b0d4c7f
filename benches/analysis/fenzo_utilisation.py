#!/usr/bin/env python3
"""Where the Fenzo scenario's utilisation goes (issue 19, item 2: >= 97.2% when full).

Rebuilds the task stream of `offerfit::bench_gen::fenzo_tasks` (SplitMix64, Fenzo's
`TestLotsOfTasks` mix and its 20-pass "shuffle") and replays it on the cpus alone, in calls of
200 tasks, with three placements:

- **best fit**: each call's tasks biggest first, each on the agent with the fewest cpus left
  that holds it (what the engine's binpack does on this workload, give or take ties: the
  engine also scores mem and ports and repairs the last calls);
- **offline**: every task on one agent chosen with the whole stream known (100%: the mix is
  built to fill the cluster exactly);
- **hindsight after the first 6-cpu task**: the calls before the first 6-cpu task placed by best
  fit (no rule that reads only the request can know that 6-cpu tasks will come: those calls
  hold 1- and 4-cpu tasks only, on a cluster with no hole), then the best packing of everything
  after it, computed exactly (6-cpu tasks only fit empty agents; 4-cpu tasks never waste;
  1-cpu tasks fill any room).

It also counts where best fit puts the 1-cpu tasks once a 6-cpu task was seen (all into the
holes of 1 or 2 cpus), which is what shows that the choice of agent is not where the loss is.

Usage: python3 benches/analysis/fenzo_utilisation.py [SEED ...]   (default: seeds 7 to 16)
"""
import sys

MASK = (1 << 64) - 1
AGENTS, CORES, BATCH = 10_000, 8, 200


class SplitMix64:
    """The generator of src/bench_gen.rs (same constants, same `below` / `percent`)."""

    def __init__(self, seed):
        self.state = seed

    def next_u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def percent(self, p):
        return (self.next_u64() * 100) >> 64 < p


def fenzo_sizes(seed, agents=AGENTS, cores=CORES):
    """Task cpus in stream order, as `fenzo_tasks` makes them (whole cpus)."""
    rng, total, sizes, used = SplitMix64(seed), agents * cores, [], 0
    for size, budget in ((1, total // 5), (cores // 2, total * 2 // 5), (cores * 3 // 4, total * 2 // 5)):
        spent = 0
        while spent < budget:
            sizes.append(size)
            spent += size
            used += size
    sizes += [1] * (total - used)
    out = []
    for _ in range(20):
        rest = []
        for s in sizes:
            (out if rng.percent(50) else rest).append(s)
        sizes = rest
    return out + sizes


def best_fit(stream, hist, counts=None, seen=None):
    """Places `stream` call by call on `hist` (agents per cpus left); returns cpus placed."""
    placed = 0
    for b in range(0, len(stream), BATCH):
        call = sorted(stream[b:b + BATCH], reverse=True)
        if seen is not None and 6 in call:
            seen[0] = True
        for s in call:
            f = next((f for f in range(s, CORES + 1) if hist[f]), None)
            if f is None:
                continue
            if counts is not None and s == 1 and seen and seen[0]:
                counts[f] = counts.get(f, 0) + 1
            hist[f] -= 1
            hist[f - s] += 1
            placed += s
    return placed


def hindsight_after_first_six(stream):
    first = stream.index(CORES * 3 // 4)
    hist = [0] * (CORES + 1)
    hist[CORES] = AGENTS
    used = best_fit(stream[:first], hist)
    rest = stream[first:]
    n1, n4, n6 = rest.count(1), rest.count(4), rest.count(6)
    empties, four_holes = hist[CORES], hist[4]
    odd = sum(f * hist[f] for f in (1, 2, 3, 5, 6, 7))
    best = 0
    for x in range(min(n6, empties) + 1):
        agents = empties - x
        f4 = min(n4, four_holes + 2 * agents)
        room_for_ones = 2 * x + (four_holes + 2 * agents - f4) * 4 + odd
        best = max(best, 6 * x + 4 * f4 + min(n1, room_for_ones))
    return used + best, stream[:first].count(1)


def main():
    seeds = [int(s) for s in sys.argv[1:]] or list(range(7, 17))
    total = AGENTS * CORES
    print("| seed | best fit | 1-cpu tasks before the first 6-cpu task | hindsight after it | offline |")
    print("| --- | --- | --- | --- | --- |")
    for seed in seeds:
        stream = fenzo_sizes(seed)
        hist = [0] * (CORES + 1)
        hist[CORES] = AGENTS
        counts, seen = {}, [False]
        bf = best_fit(stream, hist, counts, seen)
        bound, ones_before = hindsight_after_first_six(stream)
        into_holes = counts.get(1, 0) + counts.get(2, 0)
        assert into_holes == sum(counts.values()), counts
        print(f"| {seed} | {100 * bf / total:.2f}% | {ones_before} | {100 * bound / total:.2f}% | 100.00% |")


if __name__ == "__main__":
    main()
