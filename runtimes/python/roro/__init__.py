"""roro: the Python side of the roro platform, available in every runtime image.

Kept light on purpose: importing roro must not pull in the server or any heavy library.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
