"""tbexplain: explanations of Keras models, logged while they train."""

from tbexplain import metrics, pipeline, summary
from tbexplain.callback import ExplainCallback
from tbexplain.logger import ExplanationLogger
from tbexplain.methods import *  # noqa: F403
from tbexplain.methods import __all__ as _methods_all

__version__ = "0.1.0"

__all__ = ["metrics", "summary"]
__all__ += list(_methods_all)
__all__ += ["ExplainCallback", "ExplanationLogger", "pipeline"]
