"""Package attributes resolved on first use (PEP 562), so importing a package stays cheap.

The CLI imports every command module to list them; through package ``__init__`` files that
re-export everything, a command's one import of an error class loaded the scenario format, the
embedded proxy, aiohttp and the checker (``python -m harness --help``: 1 s of CPU, 15 s of wall on a
loaded machine). A package whose ``__init__`` sets ``__getattr__ = lazy_attributes(__name__, …)``
keeps its public names and imports the module behind each one when it is first asked for.
"""
from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any


def lazy_attributes(package: str, exports: dict[str, tuple[str, ...]]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: each name of ``exports`` (module -> names) is imported
    from its module when first asked for, then kept on the package."""
    where = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module hook's name
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value
    return __getattr__


def exported(exports: dict[str, tuple[str, ...]]) -> list[str]:
    """``__all__`` of a lazy package: every name it exports."""
    return sorted(name for names in exports.values() for name in names)
