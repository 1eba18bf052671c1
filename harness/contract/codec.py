"""A JSON codec generic over dataclass declarations: add a field by declaring it, nothing else.

``encode`` turns dataclasses, tuples, lists and dicts into plain JSON values; ``decode(T, data)``
rebuilds a ``T`` from them by reading the type hints — nested dataclasses, ``tuple[X, ...]``,
fixed tuples, ``list``, ``dict[str, X]``, ``X | None``, ``Literal`` (values checked) and ``Any``
(taken as is). A missing field takes its declared default; an unknown field or a value of the
wrong type is a ``CodecError`` naming where in the document it is.

A decoder is compiled once per type (histories hold hundreds of thousands of values), and the
path of a bad value is only built when there is one.
"""
from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable
from typing import Any, Literal, TypeVar, Union

T = TypeVar("T")
Decoder = Callable[[Any], Any]
_SCALARS = (str, int, float, bool, type(None))


class CodecError(ValueError):
    """A document does not match the declaration it is decoded into."""


class _Bad(Exception):
    """A misfit found deep inside a document; the containers on the way up add their step."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.steps: list[str] = []  # innermost first


def encode(value: Any) -> Any:
    """Plain JSON value of a dataclass (recursively); tuples become lists."""
    t = type(value)
    if t in _SCALARS:
        return value
    names = _field_names(t)
    if names is not None:
        return {n: encode(getattr(value, n)) for n in names}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


def decode(tp: Any, data: Any, where: str = "$") -> Any:
    """The value of type ``tp`` that ``data`` (parsed JSON) encodes."""
    try:
        return _decoder(tp)(data)
    except _Bad as bad:
        raise CodecError(f"{where}{''.join(reversed(bad.steps))}: {bad.message}") from None


@functools.cache
def _field_names(t: type) -> tuple[str, ...] | None:
    return tuple(f.name for f in dataclasses.fields(t)) if dataclasses.is_dataclass(t) else None


@functools.cache
def _decoder(tp: Any) -> Decoder:
    if tp is Any or tp is object:
        return _identity
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Union or origin is types.UnionType:
        return _union(tp, args)
    if origin is Literal:
        return _literal(args)
    if origin is list or tp is list:
        return _sequence(_decoder(args[0]) if args else _identity, list)
    if origin is tuple or tp is tuple:
        if not args or (len(args) == 2 and args[1] is Ellipsis):
            return _sequence(_decoder(args[0]) if args else _identity, tuple)
        return _fixed_tuple(tuple(_decoder(a) for a in args))
    if origin is dict or tp is dict:
        return _mapping(_decoder(args[1]) if args else _identity)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass(tp)
    if tp in _SCALARS:
        return _scalar(tp)
    raise TypeError(f"the codec cannot decode type {tp!r}; declare the field with JSON types")


def _identity(data: Any) -> Any:
    return data


def _union(tp: Any, args: tuple[Any, ...]) -> Decoder:
    nullable = type(None) in args
    arms = [_decoder(a) for a in args if a is not type(None)]

    def dec(data: Any) -> Any:
        if data is None:
            if nullable:
                return None
            raise _Bad("must not be null")
        if len(arms) == 1:
            return arms[0](data)
        for arm in arms:
            try:
                return arm(data)
            except _Bad:
                continue
        raise _Bad(f"{_short(data)} matches none of {tp}")

    return dec


def _literal(allowed: tuple[Any, ...]) -> Decoder:
    pairs = {(type(a), a) for a in allowed}

    def dec(data: Any) -> Any:
        try:
            if (type(data), data) in pairs:
                return data
        except TypeError:  # unhashable: a list or an object
            pass
        raise _Bad(f"{_short(data)} is not one of {', '.join(map(repr, allowed))}")

    return dec


def _at(step: str, decode: Decoder, data: Any) -> Any:
    """``decode(data)``; a failure inside adds where it was (``[3]``, ``.name``) on its way out."""
    try:
        return decode(data)
    except _Bad as bad:
        bad.steps.append(step)
        raise


def _sequence(item: Decoder, kind: type) -> Decoder:
    def dec(data: Any) -> Any:
        if not isinstance(data, list):
            raise _Bad(f"expected an array, got {_kind(data)}")
        if item is _identity:
            return kind(data)
        out = [_at(f"[{i}]", item, v) for i, v in enumerate(data)]
        return out if kind is list else kind(out)

    return dec


def _fixed_tuple(items: tuple[Decoder, ...]) -> Decoder:
    def dec(data: Any) -> Any:
        if not isinstance(data, list):
            raise _Bad(f"expected an array, got {_kind(data)}")
        if len(data) != len(items):
            raise _Bad(f"expected {len(items)} items, got {len(data)}")
        return tuple(_at(f"[{i}]", item, v) for i, (item, v) in enumerate(zip(items, data)))

    return dec


def _mapping(value: Decoder) -> Decoder:
    def dec(data: Any) -> Any:
        if not isinstance(data, dict):
            raise _Bad(f"expected an object, got {_kind(data)}")
        if value is _identity:
            return dict(data)
        return {k: _at(f".{k}", value, v) for k, v in data.items()}

    return dec


def _dataclass(cls: type) -> Decoder:
    compiled: list[tuple[str, Decoder, bool]] = []  # filled on first use: declarations may refer to each other

    def dec(data: Any) -> Any:
        if not isinstance(data, dict):
            raise _Bad(f"expected an object ({cls.__name__}), got {_kind(data)}")
        if not compiled:
            hints = typing.get_type_hints(cls)
            compiled.extend((f.name, _decoder(hints[f.name]),
                             f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
                            for f in dataclasses.fields(cls) if f.init)
        unknown = [k for k in data if k not in _init_names(cls)]
        if unknown:
            raise _Bad(f"unknown field(s) {', '.join(map(repr, unknown))} for {cls.__name__}")
        kwargs = {}
        for name, field_decoder, required in compiled:
            if name in data:
                kwargs[name] = _at(f".{name}", field_decoder, data[name])
            elif required:
                raise _Bad(f"missing field {name!r} of {cls.__name__}")
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as exc:
            raise _Bad(f"{cls.__name__}: {exc}") from None

    return dec


@functools.cache
def _init_names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls) if f.init)


def _scalar(tp: type) -> Decoder:
    if tp is float:
        def dec(data: Any) -> Any:
            if isinstance(data, float):
                return data
            if isinstance(data, int) and not isinstance(data, bool):
                return float(data)
            raise _Bad(f"expected float, got {_kind(data)} {_short(data)}")
        return dec
    if tp is int:
        def ok(data: Any) -> bool:
            return isinstance(data, int) and not isinstance(data, bool)
    elif tp is type(None):
        def ok(data: Any) -> bool:
            return data is None
    else:
        def ok(data: Any) -> bool:
            return isinstance(data, tp)

    def dec(data: Any) -> Any:
        if ok(data):
            return data
        raise _Bad(f"expected {tp.__name__}, got {_kind(data)} {_short(data)}")

    return dec


def _kind(data: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(data), "a number" if isinstance(data, (int, float)) else type(data).__name__)


def _short(data: Any) -> str:
    text = repr(data)
    return text if len(text) <= 40 else text[:37] + "..."
