"""The jaxlayers version (written into saved files' metadata)."""

__version__ = "0.1.0"

__all__ = ["__version__"]
