"""The command that reruns one scenario exactly, and the hashes that say it is the same input.

A rerun is exact when the build and the scenario file are byte-identical (their SHA-256 are
printed beside the command) and the seed is the one the scenario actually ran with.
"""
from __future__ import annotations

import hashlib
import shlex
from pathlib import Path
from typing import Any

from harness.contract.adapter import Adapter

DEVIATIONS_DEFAULT = "fail"  # ``tankharness run --deviations``'s default
# Adapter field -> command-line flag: the one declaration of these flag names (harness.cli.common
# builds its options from it; a rerun command writes them).
ADAPTER_OPTIONS = {"site_attr": "--site-attr", "api_attr": "--api-attr", "outbox_key": "--outbox-key",
                   "deadletter_key": "--deadletter-key", "api_name": "--api-name"}


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def sha256_file(path: str | Path) -> str | None:
    """SHA-256 of a file's bytes; ``None`` when it cannot be read (an inline scenario)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def adapter_args(adapter: Adapter) -> list[str]:
    """The adapter options that differ from the defaults, as command-line arguments."""
    default = Adapter()
    args: list[str] = []
    for attr, option in ADAPTER_OPTIONS.items():
        value = getattr(adapter, attr)
        if value != getattr(default, attr):
            args += [option, "none" if value is None else str(value)]
    for name, value in adapter.extra_attrs.items():
        args += ["--attr", f"{name}={value}"]
    return args


def run_args(*, tracker: str, ingest: str, proxy: bool, seed: int | None, adapter: Adapter,
             site_id: str | None, database_url: str | None, tap_url: str | None, strict: bool = False,
             profile: str | Path | None = None, deviations: str = DEVIATIONS_DEFAULT) -> dict[str, Any]:
    """What a run was started with, as the report's ``meta.run`` (secrets left out). With a build
    profile the adapter comes from the profile, so its options are not repeated."""
    return {"tracker": tracker, "ingest": ingest, "proxy": proxy, "seed": seed,
            "adapter_args": [] if profile else adapter_args(adapter),
            "site_id": site_id, "database_url": bool(database_url), "tap_url": tap_url, "strict": strict,
            "profile": str(profile) if profile else None, "deviations": deviations}


def _short(path: str) -> str:
    """A path relative to the working directory when it lies below it (shorter to copy)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def rerun_command(run: dict[str, Any], *, name: str, path: str | None, seed: int | None) -> str:
    """``tankharness run …`` for one scenario, with the seed it ran with."""
    args = ["tankharness", "run", "--tracker", str(run.get("tracker") or "reference")]
    if path:
        args += ["--scenarios", _short(path)]
    args += ["--only", name]
    if seed is not None:
        args += ["--seed", str(seed)]
    args += ["--ingest", str(run.get("ingest") or "memory")]
    if run.get("profile"):
        args += ["--profile", _short(str(run["profile"]))]
        if run.get("deviations") not in (None, DEVIATIONS_DEFAULT):
            args += ["--deviations", str(run["deviations"])]
    if run.get("strict"):
        args.append("--strict")
    if run.get("proxy") is False:
        args.append("--no-proxy")
    args += [str(a) for a in run.get("adapter_args") or ()]
    if run.get("site_id"):
        args += ["--site-id", str(run["site_id"])]
    if run.get("tap_url"):
        args += ["--tap-url", str(run["tap_url"])]
    line = shlex.join(args)
    if run.get("database_url"):
        line += " --database-url \"$DATABASE_URL\""
    return line
