"""Helpers shared by the benchmarks: timing, peak memory, JSON-line output."""
import json
import os
import resource
import time
from contextlib import contextmanager
from pathlib import Path


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def proc_stat(pid) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (field 3 onwards), or None when that
    process is not on this machine (or gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError, TypeError):
        return None


def cpu_seconds(fields: list[str], *, reaped_children: bool = False) -> float:
    """User + system CPU seconds of a /proc stat (``proc_stat``); with ``reaped_children``, also
    those of the children it has waited for."""
    used = fields[11:15] if reaped_children else fields[11:13]
    return sum(int(x) for x in used) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and its live children (a gunicorn master and its
    workers), read from /proc; 0 for what is gone."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = proc_stat(stat.parent.name)
        if fields is not None and (int(stat.parent.name) == pid or int(fields[1]) == pid):
            total += cpu_seconds(fields)
    return total


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
