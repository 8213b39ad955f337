"""{{description}}"""

__all__ = ["greet"]


def greet(name: str) -> str:
    """Return a greeting for ``name``."""
    return f"Hello, {name}!"
