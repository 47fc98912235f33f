"""The smallest function service: `function: hello.hello`."""


def hello(name="world"):
    """Says hello to `name`."""
    return {"message": f"Hello, {name}!"}
