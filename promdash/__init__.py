"""promdash: run and watch Prometheus from a terminal."""

__version__ = "0.1.0"
