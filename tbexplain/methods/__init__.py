"""Explanation methods, one module each, registered in `REGISTRY`."""

from tbexplain.methods.ablationcam import AblationCAM
from tbexplain.methods.activations import Activations
from tbexplain.methods.attention_rollout import AttentionRollout
from tbexplain.methods.base import REGISTRY, Explanation, Method, register
from tbexplain.methods.eigencam import EigenCAM
from tbexplain.methods.filter_visualization import FilterImages, FilterVisualization
from tbexplain.methods.gradcam import GradCAM
from tbexplain.methods.gradcam_plus_plus import GradCAMPlusPlus
from tbexplain.methods.gradient_input import GradientInput
from tbexplain.methods.gradient_rollout import GradientRollout
from tbexplain.methods.guided_backprop import GuidedBackprop
from tbexplain.methods.guided_gradcam import GuidedGradCAM
from tbexplain.methods.hirescam import HiResCAM
from tbexplain.methods.integrated_gradients import IntegratedGradients
from tbexplain.methods.layercam import LayerCAM
from tbexplain.methods.occlusion import Occlusion
from tbexplain.methods.rise import RISE
from tbexplain.methods.saliency import Saliency
from tbexplain.methods.score_cam import ScoreCAM
from tbexplain.methods.smoothgrad import SmoothGrad
from tbexplain.methods.squaregrad import SquareGrad
from tbexplain.methods.vargrad import VarGrad
from tbexplain.methods.xgradcam import XGradCAM

__all__ = [
    "REGISTRY",
    "RISE",
    "AblationCAM",
    "Activations",
    "AttentionRollout",
    "EigenCAM",
    "Explanation",
    "FilterImages",
    "FilterVisualization",
    "GradCAM",
    "GradCAMPlusPlus",
    "GradientInput",
    "GradientRollout",
    "GuidedBackprop",
    "GuidedGradCAM",
    "HiResCAM",
    "IntegratedGradients",
    "LayerCAM",
    "Method",
    "Occlusion",
    "Saliency",
    "ScoreCAM",
    "SmoothGrad",
    "SquareGrad",
    "VarGrad",
    "XGradCAM",
    "register",
]
