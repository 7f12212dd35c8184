"""oxgen: generate the typed Python client for Oxen.ai's inference API from its model schemas."""

__version__ = "0.1.0"
