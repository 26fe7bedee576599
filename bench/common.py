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


def machine_cpu_ticks() -> list[int]:
    """The machine's CPU time so far, in clock ticks, from /proc/stat's first line: user, nice,
    system, idle, iowait, irq, softirq, steal."""
    return [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]


def machine_cpu_split(before: list[int], after: list[int]) -> dict[str, float]:
    """Per cent of the machine's CPU time between two ``machine_cpu_ticks`` readings that was busy,
    idle, waiting on the disk (iowait) and taken by the hypervisor for other guests (steal): a run
    slowed by the disk or by the host, not by the code, shows it here."""
    spent = [b - a for a, b in zip(before, after)]
    total = sum(spent) or 1
    user, nice, system, idle, iowait, irq, softirq, steal = spent
    return {"busy": round((user + nice + system + irq + softirq) * 100 / total, 1),
            "idle": round(idle * 100 / total, 1), "iowait": round(iowait * 100 / total, 1),
            "steal": round(steal * 100 / total, 1)}


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


class KeepAliveClient:
    """A plain HTTP/1.1 client on one kept-alive connection, as a clinic system's client talks to us:
    requests with ``Content-Length``, answers read by their ``Content-Length``; the connection is
    opened again after an answer with ``Connection: close`` (gunicorn.conf.py's default: no keep-alive).

    Why not ``http.client``: the benchmark's clients run on the same two cores as the server, and
    ``http.client`` parsed every answer's headers through the ``email`` package, about 0.35 ms of
    CPU a request (bench national ``client_cpu_ms_per_claim``) taken from the server measured."""

    def __init__(self, host: str, port: int, *, timeout: float = 30.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.sock = None
        self.buffer = b""

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """(status, body) of ``POST path``."""
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{head}"
                   f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1") + body
        if self.sock is None:
            self._connect()
        # No retry: a POST settles a claim. A connection the server closed after its answer
        # (gunicorn.conf.py: no keep-alive by default) is opened again above, inside the request's time.
        self.sock.sendall(request)
        return self._answer()

    def _connect(self) -> None:
        import socket

        if self.sock is not None:
            self.sock.close()
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def _answer(self) -> tuple[int, bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._receive()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {name.strip().lower(): value.strip() for name, value in
                  (line.split(":", 1) for line in lines[1:])}
        if "content-length" not in fields:
            raise ValueError(f"an answer without Content-Length: {lines[0]}")
        length = int(fields["content-length"])
        while len(self.buffer) < length:
            self._receive()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        if fields.get("connection", "").lower() == "close":
            self.sock.close()
            self.sock = None
        return status, body

    def _receive(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
