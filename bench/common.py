"""Helpers shared by the benchmarks: timing, peak memory, JSON-line output."""
import json
import resource
import time
from contextlib import contextmanager


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def emit(**figures) -> None:
    print(json.dumps(figures, ensure_ascii=False), flush=True)


@contextmanager
def timed():
    """with timed() as t: ...; t() -> seconds elapsed."""
    start = time.perf_counter()
    result = {}
    yield lambda: result.get("s", time.perf_counter() - start)
    result["s"] = time.perf_counter() - start


def percentile(sorted_values: list, fraction: float):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]
