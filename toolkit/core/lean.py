"""Imports the `dict` process makes leaner than a library caller's.

jsonschema imports every optional format library installed beside it (rfc3987 with regex, isoduration with
arrow, idna, webcolors, ...: about 0.04 CPU-s, a tenth of a small command) to serve the "format" keyword.
dict checks its mapping and policy schemas without a format checker, so the `dict` process (``cli.main`` as
the process's entry point, ``process_entry()``) hides them while jsonschema is imported. A library caller,
or a test calling ``main`` in its own process, gets jsonschema as it comes: hiding is process-wide.
"""
from __future__ import annotations

import importlib
import sys
from types import ModuleType

FORMAT_LIBRARIES = ("fqdn", "idna", "rfc3987", "rfc3986_validator", "rfc3987_syntax", "rfc3339_validator",
                    "webcolors", "jsonpointer", "uri_template", "isoduration")

_entry: list[bool] = [False]


def process_entry(on: bool = True) -> None:
    """Called by ``cli.main`` when it runs as the process (the console script, ``python -m toolkit.cli``)."""
    _entry[0] = on


def jsonschema() -> ModuleType:
    """The jsonschema module; in the `dict` process, imported without its optional format libraries."""
    if "jsonschema" in sys.modules or not _entry[0]:
        return importlib.import_module("jsonschema")
    hidden = [name for name in FORMAT_LIBRARIES if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None   # type: ignore[assignment]  # `import name` raises ImportError
    try:
        return importlib.import_module("jsonschema")
    finally:
        for name in hidden:   # imported normally by anyone who asks later
            if sys.modules.get(name, False) is None:
                del sys.modules[name]
