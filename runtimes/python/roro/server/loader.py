"""Import the functions a service exposes and describe them for GET /."""

from __future__ import annotations

import importlib
import inspect
import json
from dataclasses import dataclass
from typing import Any, Callable

from . import encoding

RESERVED_NAMES = frozenset({"_health"})


class ImportFailed(Exception):
    """Raised when a `module.func` spec cannot be imported or does not name a callable."""

    def __init__(self, spec: str, message: str) -> None:
        super().__init__(f"could not import {spec}: {message}")
        self.spec = spec


@dataclass(frozen=True)
class ExposedFunction:
    name: str
    func: Callable[..., Any]
    signature: inspect.Signature
    doc: str

    def describe(self) -> dict[str, Any]:
        params = []
        for p in self.signature.parameters.values():
            entry: dict[str, Any] = {"name": p.name, "kind": p.kind.name}
            if p.default is not inspect.Parameter.empty:
                entry["default"] = _json_safe(p.default)
            params.append(entry)
        return {"path": f"/{self.name}", "doc": self.doc, "parameters": params}


def _json_safe(value: Any) -> Any:
    """A default that JSON cannot hold is shown by its repr, so GET / never fails."""
    try:
        return json.loads(encoding.dumps(value))
    except (TypeError, ValueError):
        return repr(value)


def _resolve(spec: str) -> Callable[..., Any]:
    module_name, dot, attr = spec.rpartition(".")
    if not dot or not module_name or not attr:
        raise ImportFailed(spec, "expected module.function, for example predict.predict")
    try:
        module = importlib.import_module(module_name)
    except Exception as e:  # any error raised by the user's module body
        raise ImportFailed(spec, f"{type(e).__name__}: {e}") from e
    try:
        func = getattr(module, attr)
    except AttributeError as e:
        raise ImportFailed(spec, f"module {module_name!r} has no attribute {attr!r}") from e
    if not callable(func):
        raise ImportFailed(spec, f"{spec} is a {type(func).__name__}, not a function")
    return func


def load_function(spec: str) -> ExposedFunction:
    func = _resolve(spec)
    name = getattr(func, "__name__", "")
    if not isinstance(name, str) or not name.isidentifier():  # lambdas, partials
        name = spec.rpartition(".")[2]
    if name in RESERVED_NAMES:
        raise ImportFailed(spec, f"the path /{name} is reserved by the server; rename the function")
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError) as e:
        raise ImportFailed(spec, f"its signature cannot be read: {e}") from e
    return ExposedFunction(name, func, signature, inspect.getdoc(func) or "")


def load_functions(specs: list[str]) -> dict[str, ExposedFunction]:
    functions: dict[str, ExposedFunction] = {}
    for spec in specs:
        fn = load_function(spec)
        if fn.name in functions:
            raise ImportFailed(spec, f"another function is already served at /{fn.name}")
        functions[fn.name] = fn
    return functions
