"""Device models, one module per family. Scenarios reach them through ``devices.catalog``."""

from .catalog import CATALOG

__all__ = ["CATALOG"]
