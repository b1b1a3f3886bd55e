"""The benchmark's rows: one JSON line per run, in ``<results>/<chunk>.jsonl``.

A run is identified by (dataset, arm, seed, budget, device). Chunks let several
sessions or machines write apart (e.g. ``cpu`` and ``cuda``); every chunk of the
directory is read together, a later line replaces an earlier one with the same
key, and a run whose row is present is not run again, unless its status is
``unavailable`` (a strategy not registered when it was tried: it runs once the
strategy is there) or, when asked, any status but ``ok``.
"""
from __future__ import annotations

import json
from pathlib import Path

KEY = ("dataset", "arm", "seed", "budget", "device")
# Statuses of rows that do not count as done: tried again on the next sweep.
RETRY = ("unavailable",)


def key_of(row: dict) -> tuple:
    return tuple(row[k] for k in KEY)


def chunk_path(results: Path, chunk: str) -> Path:
    if not chunk or "/" in chunk or chunk.startswith("."):
        raise ValueError(f"a chunk is a plain file name without a suffix, got {chunk!r}.")
    return Path(results) / f"{chunk}.jsonl"


def read_rows(results: Path) -> list[dict]:
    """Every run's latest row over all chunks of ``results`` (chunks in name order)."""
    latest = {}
    for path in sorted(Path(results).glob("*.jsonl")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number} is not a JSON line ({exc}); remove or fix "
                                 "that line (an interrupted write leaves a partial one).") from exc
            missing = [k for k in KEY if k not in row]
            if missing:
                raise ValueError(f"{path}:{number} is not a run of this benchmark (no "
                                 f"{', '.join(missing)}); keep other records out of {results}.")
            latest[key_of(row)] = row
    return list(latest.values())


def done_keys(results: Path, retry_failed: bool = False) -> set:
    """Keys of the runs a sweep skips: all but ``unavailable`` ones, and with
    ``retry_failed`` only the ``ok`` ones (an error, crash or timeout runs again)."""
    return {key_of(r) for r in read_rows(results) if r.get("status") not in RETRY
            and (not retry_failed or r.get("status") == "ok")}


def append_row(results: Path, chunk: str, row: dict) -> None:
    """Add one row to the chunk, as a single write of one line."""
    path = chunk_path(results, chunk)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as out:
        out.write(json.dumps(row, default=str, sort_keys=True) + "\n")
