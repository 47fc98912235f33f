"""The function server: exposes Python functions over HTTP with the function protocol."""

from .cli import main

__all__ = ["main"]
