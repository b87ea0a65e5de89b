"""tbexplain: explanations of Keras models, logged while they train."""

from tbexplain import summary

__version__ = "0.1.0"

__all__ = ["summary"]
