"""Metrics of attribution maps: faithfulness, localisation, complexity, robustness,
randomisation and stability. The logger writes them as scalars under
``{name}/metrics/{method}/{metric}`` (`tbexplain.logger.REGISTRY`).

One module per family:

* `curves`: :func:`deletion` and :func:`insertion` AUC (Petsiuk et al., 2018);
* `faithfulness`: :func:`faithfulness_correlation` (Bhatt et al., 2020);
* `localisation`: :func:`pointing_game` (Zhang et al., 2016) and
  :func:`energy_in_mask` (Wang et al., 2020), against ground-truth masks;
* `concentration`: :func:`sparseness` (the Gini index, Chalasani et al., 2020) and
  :func:`complexity` (the entropy, Bhatt et al., 2020), from the map alone;
* `sensitivity`: :func:`max_sensitivity` (Yeh et al., 2019), under small
  perturbations of the input;
* `parameter_randomisation`: :func:`randomisation`, the model-parameter randomisation
  test (Adebayo et al., 2018);
* `stability`: :func:`drift`, between two logged steps.

Every function returns one value per sample (a float64 numpy array [B]); NaN
marks samples where the metric is undefined (a map with a non-finite value,
an all-zero or constant map, an empty mask). The metrics that call the model
work on every kind of input the methods explain (`tbexplain.kinds`), also
one input of a model of several (``input=``; the
others are held at their values), and build their perturbed copies on the
device, scored in one compiled call. ``class_ids=None`` explains the
predicted class.
"""

from tbexplain.metrics._common import ScoreFn
from tbexplain.metrics.concentration import complexity, sparseness
from tbexplain.metrics.curves import deletion, insertion
from tbexplain.metrics.faithfulness import faithfulness_correlation
from tbexplain.metrics.localisation import energy_in_mask, pointing_game
from tbexplain.metrics.parameter_randomisation import randomisation
from tbexplain.metrics.sensitivity import max_sensitivity
from tbexplain.metrics.stability import drift
from tbexplain.perturbation import default_blur_sigma

__all__ = [
    "ScoreFn",
    "complexity",
    "default_blur_sigma",
    "deletion",
    "drift",
    "energy_in_mask",
    "faithfulness_correlation",
    "insertion",
    "max_sensitivity",
    "pointing_game",
    "randomisation",
    "sparseness",
]
