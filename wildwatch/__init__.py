"""wildwatch app layer: wires crawler, classifiers and indexer into commands and a web app."""

__version__ = "0.1.0"
__all__ = ["__version__"]
