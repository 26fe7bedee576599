"""The claims batch's chunks settled side by side (claims/batch.py calls ``settle_side_by_side``
outside a transaction on PostgreSQL): in forked worker processes, or on threads where fork is
unavailable.

``batch`` is the batch's loaded state: ``settle_chunk(member_ids)`` runs one chunk's transaction and
fills ``outcomes``; ``by_member`` gives each member's request indexes. Chunks hold disjoint members
and each locks its rows in member order, so workers neither wait for nor deadlock with one another.
"""
from __future__ import annotations

import multiprocessing as mp
import pickle
import queue
import threading

from django.db import connections

from .batch_outcomes import outcomes_pack, outcomes_unpack


def settle_side_by_side(batch, chunks: list[list[int]], workers: int) -> None:
    """Each worker takes the next chunk until none is left; the first failure stops the others
    from starting new chunks (chunks already committed stay, as when settling one by one) and is
    raised here.

    The workers are forked processes, not threads: deciding a claim is Python work, and threads
    under the GIL added only 15-20 % over one. Forked after this process closed its connections,
    each child inherits the loaded batch (members, providers, requests) without copying it, opens
    its own connection, and sends back only its chunks' outcomes. Where fork is unavailable, the
    same loop runs on threads."""
    if "fork" not in mp.get_all_start_methods():
        _settle_on_threads(batch, chunks, workers)
        return
    global _FORKED
    connections.close_all()  # a forked child must never share this process's sockets
    context = mp.get_context("fork")
    next_chunk, stop, results = context.Value("l", 0), context.Event(), context.Queue()
    _FORKED = (batch, chunks, next_chunk, stop, results)
    processes = [context.Process(target=_chunk_worker, name=f"claims-batch-{n}")
                 for n in range(min(workers, len(chunks)))]
    try:
        for process in processes:
            process.start()
    finally:
        _FORKED = None
    failures: list[BaseException] = []
    running = len(processes)
    while running:
        try:
            kind, payload = results.get(timeout=1.0)
        except queue.Empty:
            if any(p.exitcode not in (None, 0) for p in processes):  # killed before saying "done"
                stop.set()
                failures.append(RuntimeError("a claims batch worker process died: "
                                             + ", ".join(f"{p.name} exit {p.exitcode}" for p in processes)))
                break
            continue
        if kind == "chunk":
            outcomes_unpack(payload, batch.outcomes, batch.requests)
        elif kind == "failed":
            failures.append(payload)
        else:
            running -= 1
    for process in processes:
        process.join()
    if failures:
        raise failures[0]


_FORKED: tuple | None = None  # (batch, chunks, next chunk number, stop event, results queue) for the children


def _chunk_worker() -> None:
    """A forked child: settle chunks until none is left (or a sibling failed), sending each
    chunk's outcomes back as soon as it commits."""
    batch, chunks, next_chunk, stop, results = _FORKED
    try:
        while not stop.is_set():
            with next_chunk.get_lock():
                number = next_chunk.value
                next_chunk.value = number + 1
            if number >= len(chunks):
                break
            batch.settle_chunk(chunks[number], summarise=False)
            indexes = [i for m in chunks[number] for i in batch.by_member[m]]
            results.put(("chunk", outcomes_pack(batch.outcomes, indexes)))
            for index in indexes:  # this process's copy: the parent has them now
                batch.outcomes[index] = None
    except BaseException as exc:  # sent to the parent, which raises it
        stop.set()
        results.put(("failed", _portable(exc)))
    finally:
        connections.close_all()
        results.put(("done", None))


def _portable(exc: BaseException) -> BaseException:
    """The exception itself when it survives pickling; otherwise a RuntimeError naming it."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _settle_on_threads(batch, chunks: list[list[int]], workers: int) -> None:
    pending = iter(chunks)
    lock = threading.Lock()
    failures: list[BaseException] = []

    def work() -> None:
        try:
            while not failures:
                with lock:
                    chunk = next(pending, None)
                if chunk is None:
                    return
                batch.settle_chunk(chunk)
        except BaseException as exc:  # re-raised in the caller's thread below
            failures.append(exc)
        finally:
            connections.close_all()  # this thread's connections only

    threads = [threading.Thread(target=work, name=f"claims-batch-{n}") for n in range(min(workers, len(chunks)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
