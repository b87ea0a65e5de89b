"""Token CAMs and both rollouts against float64 numpy references of their definitions.

On ViTs whose attention sits inside a custom block layer (`tests.methods.vits`),
one whose head reads a class token and one that pools its tokens. The
references take the net's values and their derivatives from a numpy copy of
the net (central differences), put the patch tokens on their 4x4 grid in
row-major order without the class token, and apply the published
definitions: Grad-CAM, Grad-CAM++ and Layer-CAM over the grid's axes; the
recurrences of Abnar & Zuidema (2020) and Chefer et al. (2021). Each test
first checks that its case tells the definition from its plausible mistakes.
"""

from __future__ import annotations

import numpy as np
import pytest

import tbexplain as tbx
from tests.methods import vits
from tests.methods.test_references import (
    assert_differs,
    gradcam_reference,
    layercam_reference,
    plusplus_reference,
)

TARGETS = [0, 1, 2, 1]
SPECIAL = {True: 1, False: 0}


@pytest.fixture(scope="module", params=[True, False], ids=["class_token", "pooled"])
def case(request):
    model = vits.vit(class_token=request.param)
    return model, vits.NumpyViT(model), vits.images(len(TARGETS)), request.param


def close(actual: np.ndarray, expected: np.ndarray) -> None:
    """float32 maps of a net of layer norms and softmaxes against float64: 1e-4
    of the map's scale (the mistakes checked for differ by 1e-2 of it)."""
    scale = float(np.abs(expected).max())
    assert scale > 0, "an all-zero reference checks nothing"
    np.testing.assert_allclose(actual, expected, rtol=1e-3, atol=1e-4 * scale)


def on_grid(tokens: np.ndarray, special: int) -> np.ndarray:
    """[T, ...] tokens -> [GRID, GRID, ...], the special tokens left out."""
    return tokens[special:].reshape(vits.GRID, vits.GRID, *tokens.shape[1:])


def test_the_numpy_vit_matches_keras(case):
    model, net, x, _ = case
    explanation = tbx.Saliency().explain_with_targets(model, x, TARGETS)
    for i in range(len(x)):
        close(
            explanation.scores[i : i + 1], net.logits(x[i])[TARGETS[i] : TARGETS[i] + 1]
        )


def test_the_default_layer_is_the_last_tokens_the_score_depends_on(case):
    model, net, x, class_token = case
    method = tbx.GradCAM()
    # A class token read by the head: the last block's patch outputs reach
    # nothing (their gradient is zero), so the tokens entering it are used.
    layer = "block_2/ln_1" if class_token else "block_2"
    assert method.layer_name(model, x) == layer
    grads = net.gradient(x[0], "block_2", TARGETS[0])
    patches = np.abs(grads[SPECIAL[class_token] :]).sum(-1)
    assert (patches == 0).all() == class_token
    description = method.layer_description(model)
    assert "4x4 grid" in description
    assert ("1 leading token left out" in description) == class_token


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("gradcam", gradcam_reference),
        ("gradcam_plus_plus", plusplus_reference),
        ("layercam", layercam_reference),
    ],
)
def test_token_cams_are_their_definition_on_the_patch_grid(case, name, reference):
    model, net, x, class_token = case
    special = SPECIAL[class_token]
    layer = "block_2/ln_1" if class_token else "block_2"
    acts = np.stack([net.value(xi, layer) for xi in x])
    grads = np.stack(
        [net.gradient(xi, layer, c) for xi, c in zip(x, TARGETS, strict=True)]
    )
    expected = reference(
        np.stack([on_grid(a, special) for a in acts]),
        np.stack([on_grid(g, special) for g in grads]),
    )
    if class_token:
        shifted = reference(  # the class token kept, the last patch dropped
            np.stack([on_grid(a[:-1], 0) for a in acts]),
            np.stack([on_grid(g[:-1], 0) for g in grads]),
        )
        assert_differs(expected, shifted, "a special token left on the grid")
    assert_differs(expected, expected.transpose(0, 2, 1), "column-major patches")
    maps = tbx.methods.REGISTRY[name]().explain(model, x, TARGETS, upsample=False)
    close(maps, expected)


def rollout_reference(attentions, read, special, discard=0.0):
    """Abnar & Zuidema: mean heads, (discard), 0.5 A + 0.5 I, rows to 1, A_L..A_1."""
    tokens = attentions[0].shape[-1]
    relevance = np.eye(tokens)
    for a in attentions:
        fused = a.mean(0)
        if discard:
            count = int(discard * tokens * tokens)
            order = np.argsort(fused.reshape(-1), kind="stable")
            flat = fused.reshape(-1).copy()
            dropped = [
                i for i in order[:count] if read is None or i != read * tokens + read
            ]
            flat[dropped] = 0.0
            fused = flat.reshape(tokens, tokens)
        step = 0.5 * fused + 0.5 * np.eye(tokens)
        step = step / step.sum(-1, keepdims=True)
        relevance = step @ relevance
    row = relevance.mean(0) if read is None else relevance[read]
    return on_grid(row, special)


def gradient_rollout_reference(attentions, gradients, read, special):
    """Chefer et al.: R = I; R <- R + mean_h((dy/dA * A)+) R, first to last."""
    relevance = np.eye(attentions[0].shape[-1])
    for a, g in zip(attentions, gradients, strict=True):
        relevance = relevance + np.maximum(g * a, 0.0).mean(0) @ relevance
    row = relevance.mean(0) if read is None else relevance[read]
    return on_grid(row, special)


def attentions(net, xi):
    return [net.value(xi, f"attention_{i + 1}") for i in range(vits.BLOCKS)]


@pytest.mark.parametrize("discard", [0.0, 0.9])
def test_attention_rollout_is_the_papers_recurrence(case, discard):
    model, net, x, class_token = case
    special = SPECIAL[class_token]
    read = 0 if class_token else None
    expected = np.stack(
        [rollout_reference(attentions(net, xi), read, special, discard) for xi in x]
    )
    reversed_order = np.stack(
        [
            rollout_reference(attentions(net, xi)[::-1], read, special, discard)
            for xi in x
        ]
    )
    assert_differs(expected, reversed_order, "the layers multiplied last to first")
    if discard:
        plain = np.stack(
            [rollout_reference(attentions(net, xi), read, special) for xi in x]
        )
        assert_differs(expected, plain, "discard_ratio ignored")
    maps = tbx.AttentionRollout(discard_ratio=discard).explain(model, x, upsample=False)
    close(maps, expected)


def test_gradient_rollout_is_the_papers_recurrence(case):
    model, net, x, class_token = case
    special = SPECIAL[class_token]
    read = 0 if class_token else None
    expected, unweighted = [], []
    for xi, c in zip(x, TARGETS, strict=True):
        a = attentions(net, xi)
        g = [net.gradient(xi, f"attention_{i + 1}", c) for i in range(vits.BLOCKS)]
        expected.append(gradient_rollout_reference(a, g, read, special))
        unweighted.append(
            gradient_rollout_reference(a, [np.ones_like(w) for w in a], read, special)
        )
    expected, unweighted = np.stack(expected), np.stack(unweighted)
    assert_differs(expected, unweighted, "attention not weighted by its gradient")
    maps = tbx.GradientRollout().explain(model, x, TARGETS, upsample=False)
    close(maps, expected)
    # Class-specific: another target, another map.
    other = tbx.GradientRollout().explain(model, x, [2, 2, 0, 0], upsample=False)
    assert_differs(maps, other, "a map that ignores the target")
