"""JournalEntry <-> JSON, so the journal survives a JSONL file and the control endpoint.

The full request body is not part of ``JournalEntry`` (memory keeps a sample); on disk it sits
beside the entry as ``body`` (UTF-8 text) or ``body_b64`` (anything else).
"""
from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path
from typing import Any

from harness.contract.history import JournalEntry, JournalEvent


def entry_to_json(entry: JournalEntry, body: bytes | None = None) -> dict[str, Any]:
    """Plain-JSON form of an entry; with ``body``, the full body too."""
    out = dataclasses.asdict(entry)
    out["events"] = [dataclasses.asdict(e) for e in entry.events]
    if body is not None:
        try:
            out["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            out["body_b64"] = base64.b64encode(body).decode("ascii")
    return out


def entry_from_json(obj: dict[str, Any]) -> JournalEntry:
    """Inverse of ``entry_to_json`` (the full body, if any, is ignored; see ``body_from_json``)."""
    names = {f.name for f in dataclasses.fields(JournalEntry)}
    fields = {k: v for k, v in obj.items() if k in names}
    fields["events"] = tuple(JournalEvent(**e) for e in obj.get("events", ()))
    fields["headers"] = dict(obj.get("headers", {}))
    return JournalEntry(**fields)


def body_from_json(obj: dict[str, Any]) -> bytes | None:
    """The full body stored beside an entry, or ``None``."""
    if "body" in obj:
        return str(obj["body"]).encode("utf-8")
    if "body_b64" in obj:
        return base64.b64decode(obj["body_b64"])
    return None


def read_jsonl(path: Path) -> list[tuple[JournalEntry, bytes | None]]:
    """Read a journal file back: (entry, full body) per line, sorted by ``seq``.

    Lines are written when a request *ends*, so a file is in completion order; sorting restores
    arrival order.
    """
    rows: list[tuple[JournalEntry, bytes | None]] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                rows.append((entry_from_json(obj), body_from_json(obj)))
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{path}:{lineno}: not a journal entry: {exc}") from exc
    rows.sort(key=lambda r: r[0].seq)
    return rows
