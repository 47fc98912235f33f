"""The function both servers expose in the benchmark."""


def square(n):
    """Return n squared."""
    return {"n": n, "square": n * n}
