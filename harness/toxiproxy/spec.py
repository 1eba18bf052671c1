"""Checking a toxic spec before it reaches any Toxiproxy (used by the scenario loader).

Toxiproxy quietly defaults a missing or misspelt attribute to 0 — a latency toxic without
``latency`` does nothing — so a scenario typo would only show as a run that proves nothing.
This check reads the same attribute declarations the embedded server uses.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from .toxics import REGISTRY, STREAMS
from .toxics.base import check_minimum, check_value

SPEC_TYPES: tuple[str, ...] = tuple(t for t in REGISTRY if t != "noop")
"""Toxic types a scenario may use (SPEC §7); ``noop`` exists on the server but proves nothing."""


def validate_toxic_spec(spec: dict[str, Any]) -> None:
    """Raise ValueError naming the first problem in ``{type, stream?, toxicity?, name?, attributes?}``.

    Checks: known type; stream ``upstream``/``downstream``; toxicity a number in [0, 1]; name a
    non-empty string; attributes an object with only that type's attribute names, each a
    non-negative integer (slicer ``average_size`` ≥ 1), and the type's required attribute present.
    Other top-level keys (e.g. a scenario's ``op``) are ignored.
    """
    if not isinstance(spec, dict):
        raise ValueError(f"a toxic spec must be a mapping, got {type(spec).__name__}")
    type_name = spec.get("type")
    if type_name not in SPEC_TYPES:
        raise ValueError(f"unknown toxic type {type_name!r}; expected one of: {', '.join(SPEC_TYPES)}")
    label = f"{type_name} toxic"
    stream = spec.get("stream")
    if stream is not None and stream not in STREAMS:
        raise ValueError(f"{label}: stream must be 'upstream' or 'downstream', got {stream!r}")
    toxicity = spec.get("toxicity")
    if toxicity is not None:
        if isinstance(toxicity, bool) or not isinstance(toxicity, (int, float)):
            raise ValueError(f"{label}: toxicity must be a number between 0 and 1, got {toxicity!r}")
        if not 0.0 <= toxicity <= 1.0:
            raise ValueError(f"{label}: toxicity must be between 0 and 1, got {toxicity}")
    name = spec.get("name")
    if name is not None and (not isinstance(name, str) or not name):
        raise ValueError(f"{label}: name must be a non-empty string, got {name!r}")
    attributes = spec.get("attributes")
    if attributes is None:
        attributes = {}
    if not isinstance(attributes, dict):
        raise ValueError(f"{label}: attributes must be a mapping, got {type(attributes).__name__}")
    fields = {f.name: f for f in dataclasses.fields(REGISTRY[type_name])}
    for key in attributes:
        if key not in fields:
            known = ", ".join(fields)
            raise ValueError(f"{label}: unknown attribute {key!r}; {type_name} takes: {known}")
    for key, f in fields.items():
        if key in attributes:
            try:
                value = check_value(type_name, f, attributes[key])
            except ValueError as exc:
                raise ValueError(f"{label}: {exc}") from None
            if value < 0:
                raise ValueError(f"{label}: attribute {key!r} must not be negative, got {value}")
        elif f.metadata["required"]:
            raise ValueError(f"{label}: attribute {key!r} is required ({f.metadata['unit']})")
        else:
            value = 0  # every attribute defaults to 0, as in Toxiproxy
        try:
            check_minimum(type_name, f, value)
        except ValueError as exc:
            raise ValueError(f"{label}: {exc}") from None
