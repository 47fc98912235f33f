"""roro: the Python side of the roro platform, available in every runtime image.

Kept light on purpose: importing roro must not pull in the server or any heavy library; the
model repository client loads on first use.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "get_current_project", "Project", "RoroError", "NotFoundError"]

_LAZY = {
    "get_current_project": "project",
    "Project": "project",
    "RoroError": "client",
    "NotFoundError": "client",
    "ModelRepository": "models",
    "ModelImage": "models",
}


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'roro' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"roro.{module}"), name)
