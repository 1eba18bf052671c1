"""A JSON codec generic over dataclass declarations: add a field by declaring it, nothing else.

``encode`` turns dataclasses, tuples, lists and dicts into plain JSON values; ``decode(T, data)``
rebuilds a ``T`` from them by reading the type hints — nested dataclasses, ``tuple[X, ...]``,
fixed tuples, ``list``, ``dict[str, X]``, ``X | None``, ``Literal`` (values checked) and ``Any``
(taken as is). A missing field takes its declared default; an unknown field or a value of the
wrong type is a ``CodecError`` naming where in the document it is.
"""
from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any, Literal, TypeVar, Union

T = TypeVar("T")


class CodecError(ValueError):
    """A document does not match the declaration it is decoded into."""


def encode(value: Any) -> Any:
    """Plain JSON value of a dataclass (recursively); tuples become lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


def decode(tp: Any, data: Any, where: str = "$") -> Any:
    """The value of type ``tp`` that ``data`` (parsed JSON) encodes."""
    if tp is Any or tp is object:
        return data
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        return _union(tp, data, where)
    if origin is Literal:
        if not any(data == a and type(data) is type(a) for a in typing.get_args(tp)):
            allowed = ", ".join(map(repr, typing.get_args(tp)))
            raise CodecError(f"{where}: {data!r} is not one of {allowed}")
        return data
    if origin in (list, tuple):
        if not isinstance(data, list):
            raise CodecError(f"{where}: expected an array, got {_kind(data)}")
        args = typing.get_args(tp)
        if origin is list:
            return [decode(args[0] if args else Any, v, f"{where}[{i}]") for i, v in enumerate(data)]
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(args[0], v, f"{where}[{i}]") for i, v in enumerate(data))
        if args and len(args) != len(data):
            raise CodecError(f"{where}: expected {len(args)} items, got {len(data)}")
        return tuple(decode(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, data))) if args else tuple(data)
    if origin is dict or tp is dict:
        if not isinstance(data, dict):
            raise CodecError(f"{where}: expected an object, got {_kind(data)}")
        args = typing.get_args(tp)
        value_tp = args[1] if args else Any
        if value_tp is Any:
            return dict(data)
        return {k: decode(value_tp, v, f"{where}.{k}") for k, v in data.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass(tp, data, where)
    return _scalar(tp, data, where)


def _union(tp: Any, data: Any, where: str) -> Any:
    args = typing.get_args(tp)
    if data is None:
        if type(None) in args:
            return None
        raise CodecError(f"{where}: must not be null")
    errors = []
    for arm in args:
        if arm is type(None):
            continue
        try:
            return decode(arm, data, where)
        except CodecError as exc:
            errors.append(str(exc))
    raise CodecError(errors[0] if len(errors) == 1 else f"{where}: {data!r} matches none of {tp}")


def _scalar(tp: Any, data: Any, where: str) -> Any:
    if tp is bool:
        ok = isinstance(data, bool)
    elif tp is int:
        ok = isinstance(data, int) and not isinstance(data, bool)
    elif tp is float:
        if isinstance(data, int) and not isinstance(data, bool):
            return float(data)
        ok = isinstance(data, float)
    elif tp is str:
        ok = isinstance(data, str)
    elif tp is type(None):
        ok = data is None
    else:
        raise CodecError(f"{where}: the codec cannot decode type {tp!r}; declare the field with JSON types")
    if not ok:
        raise CodecError(f"{where}: expected {getattr(tp, '__name__', tp)}, got {_kind(data)} {_short(data)}")
    return data


@functools.cache
def _hints(cls: type) -> tuple[tuple[str, Any, bool], ...]:
    """(name, type, required) of every init field of a dataclass, resolved once per class."""
    hints = typing.get_type_hints(cls)
    return tuple((f.name, hints[f.name], f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
                 for f in dataclasses.fields(cls) if f.init)


def _dataclass(cls: type[T], data: Any, where: str) -> T:
    if not isinstance(data, dict):
        raise CodecError(f"{where}: expected an object ({cls.__name__}), got {_kind(data)}")
    fields = _hints(cls)
    names = {name for name, _, _ in fields}
    unknown = [k for k in data if k not in names]
    if unknown:
        raise CodecError(f"{where}: unknown field(s) {', '.join(map(repr, unknown))} for {cls.__name__}")
    kwargs = {}
    for name, tp, required in fields:
        if name in data:
            kwargs[name] = decode(tp, data[name], f"{where}.{name}")
        elif required:
            raise CodecError(f"{where}: missing field {name!r} of {cls.__name__}")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise CodecError(f"{where}: {cls.__name__}: {exc}") from exc


def _kind(data: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(data), "a number" if isinstance(data, (int, float)) else type(data).__name__)


def _short(data: Any) -> str:
    text = repr(data)
    return text if len(text) <= 40 else text[:37] + "..."
