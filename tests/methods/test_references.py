"""Methods against float64 numpy references on nets whose gradients vary.

The references (`tests.methods.reference`) share no code with tbexplain: they
compute the nets' activations and gradients by hand and apply each method's
published definition (README's methods table, the paper's formulas). Each test
first checks that the case can tell the definition from its plausible
mistakes (a max instead of a mean, a missing ReLU, left instead of midpoint
sums), so a test that passes is a test that could have failed.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import tbexplain as tbx
from tests.methods.nets import CAM_HEADS, build, cam_specs, inputs, relu_specs

TARGETS = [0, 1, 2, 0]


def close(actual: np.ndarray, expected: np.ndarray, rtol: float = 1e-4) -> None:
    """float32 maps against a float64 reference (absolute slack: 1e-5 of its scale)."""
    scale = float(np.abs(expected).max())
    assert scale > 0, "an all-zero reference checks nothing"
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=1e-5 * scale)


def per_sample(fn, x: np.ndarray, targets) -> np.ndarray:
    """np.stack of fn(x_i, target_i) over the batch."""
    return np.stack([fn(xi, c) for xi, c in zip(x, targets, strict=True)])


def assert_differs(a: np.ndarray, b: np.ndarray, what: str) -> None:
    """A precondition: the reference tells the definition from a mistake."""
    scale = max(float(np.abs(a).max()), float(np.abs(b).max()))
    assert np.abs(a - b).max() > 1e-2 * scale, f"this case cannot detect {what}"


# ----------------------------------------------------------- the references


def test_the_numpy_reference_matches_keras_and_its_gradients():
    for specs, shape in (
        (cam_specs("dense_relu", softmax=False), (8, 8, 2)),
        (relu_specs(softmax=False), (8, 8, 3)),
    ):
        model, net = build(specs, shape)
        x = inputs(2, shape)
        logits = model(x).numpy()
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            score = model(xt)[:, 1]
        grads = tape.gradient(score, xt).numpy()
        for i in range(2):
            close(logits[i], net.logits(x[i]))
            close(grads[i], net.gradient(x[i], 1))


# ------------------------------------------------------------------- CAMs


def cam_case(layer: int, head: str = "flatten"):
    """(model, net, x, activations, gradients) of layer `layer` for TARGETS."""
    model, net = build(cam_specs(head), (8, 8, 2))
    x = inputs(4, (8, 8, 2))
    acts = np.stack([net.output(xi, layer) for xi in x])
    grads = per_sample(lambda xi, c: net.gradient(xi, c, to=layer), x, TARGETS)
    return model, net, x, acts, grads


def relu(values: np.ndarray) -> np.ndarray:
    return np.maximum(values, 0.0)


def gradcam_reference(acts: np.ndarray, grads: np.ndarray) -> np.ndarray:
    """ReLU(sum_k mean_ij(g_k) A_k) per sample ([B, h, w, K] -> [B, h, w])."""
    weights = grads.mean(axis=(1, 2), keepdims=True)
    return relu((weights * acts).sum(-1))


def plusplus_reference(acts: np.ndarray, grads: np.ndarray) -> np.ndarray:
    """Grad-CAM++ (Eq. 19): alpha = g^2 / (2 g^2 + sum_ab A_ab g^3), sums."""
    sums = acts.sum(axis=(1, 2), keepdims=True)
    denominator = 2 * grads**2 + sums * grads**3
    alpha = np.divide(
        grads**2, denominator, out=np.zeros_like(grads), where=denominator != 0
    )
    weights = (alpha * relu(grads)).sum(axis=(1, 2), keepdims=True)
    return relu((weights * acts).sum(-1))


def layercam_reference(acts: np.ndarray, grads: np.ndarray) -> np.ndarray:
    """ReLU(sum_k ReLU(g_k) * A_k), element by element."""
    return relu((relu(grads) * acts).sum(-1))


@pytest.mark.parametrize("layer", [1, 0], ids=["linear_3x3", "relu_6x6"])
def test_gradcam_against_its_definition(layer):
    model, net, x, acts, grads = cam_case(layer)
    expected = gradcam_reference(acts, grads)
    # The gradient varies over the map, so the pooling of the weights matters...
    max_pooled = relu((grads.max(axis=(1, 2), keepdims=True) * acts).sum(-1))
    assert_differs(expected, max_pooled, "a max instead of the spatial mean")
    # ... and the weighted sum has both signs, so the final ReLU matters.
    weighted = (grads.mean(axis=(1, 2), keepdims=True) * acts).sum(-1)
    assert weighted.min() < -1e-2 * weighted.max() and weighted.max() > 0
    method = tbx.GradCAM(f"l{layer}")
    result = method.explain_with_targets(model, x, TARGETS, upsample=False)
    close(result.maps, expected)
    np.testing.assert_array_equal(result.class_ids, TARGETS)
    # Scores are the pre-softmax logits (the model ends in a softmax).
    close(result.scores, per_sample(lambda xi, c: net.logits(xi)[c], x, TARGETS))
    # Upsampled: bilinear (half-pixel centres, as tf.image.resize) to the input.
    upsampled = tf.image.resize(expected[..., None], (8, 8), "bilinear")[..., 0]
    close(method.explain(model, x, TARGETS), upsampled.numpy())


@pytest.mark.parametrize("layer", [1, 0], ids=["linear_3x3", "relu_6x6"])
def test_gradcam_plus_plus_against_the_papers_alpha(layer):
    model, _, x, acts, grads = cam_case(layer)
    sums = acts.sum(axis=(1, 2), keepdims=True)
    # alpha = 1 / (2 + S g) wherever g != 0: keep away from a pole so float32
    # compares with float64.
    assert np.abs(2 + sums * grads).min() > 0.01
    expected = plusplus_reference(acts, grads)
    # Means instead of sums (a variant in the wild) give different weights.
    means = acts.mean(axis=(1, 2), keepdims=True)
    alpha_mean = grads**2 / (2 * grads**2 + means * grads**3)
    mean_variant = relu(
        ((alpha_mean * relu(grads)).sum(axis=(1, 2), keepdims=True) * acts).sum(-1)
    )
    assert_differs(expected, mean_variant, "the mean of A in alpha")
    unrectified = relu(
        (
            (np.divide(grads**2, 2 * grads**2 + sums * grads**3) * grads).sum(
                axis=(1, 2), keepdims=True
            )
            * acts
        ).sum(-1)
    )
    assert_differs(expected, unrectified, "a missing ReLU of the gradients")
    maps = tbx.GradCAMPlusPlus(f"l{layer}").explain(model, x, TARGETS, upsample=False)
    close(maps, expected, rtol=1e-3)


@pytest.mark.parametrize("layer", [1, 0], ids=["linear_3x3", "relu_6x6"])
def test_layercam_against_its_definition(layer):
    model, _, x, acts, grads = cam_case(layer)
    expected = layercam_reference(acts, grads)
    assert_differs(expected, relu((grads * acts).sum(-1)), "unrectified gradients")
    if layer == 1:  # a signed layer: the outer ReLU matters too
        assert_differs(expected, (relu(grads) * acts).sum(-1), "a missing outer ReLU")
    maps = tbx.LayerCAM(f"l{layer}").explain(model, x, TARGETS, upsample=False)
    close(maps, expected)


@pytest.mark.parametrize("head", CAM_HEADS)
def test_cams_see_relus_above_the_layer_with_their_plain_gradient(head):
    """A ReLU in the head gates the gradient at the layer (no guided rule)."""
    model, _, x, acts, grads = cam_case(1, head)
    close(
        tbx.GradCAM("l1").explain(model, x, TARGETS, upsample=False),
        gradcam_reference(acts, grads),
    )
    close(
        tbx.LayerCAM("l1").explain(model, x, TARGETS, upsample=False),
        layercam_reference(acts, grads),
    )


# ------------------------------------------------------- input gradients


@pytest.fixture(scope="module")
def relu_net():
    model, net = build(relu_specs(), (8, 8, 3))
    return model, net, inputs(4, (8, 8, 3), seed=5)


def test_saliency_gradient_input_and_guided_backprop(relu_net):
    model, net, x = relu_net
    plain = per_sample(net.gradient, x, TARGETS)
    guided = per_sample(lambda xi, c: net.gradient(xi, c, guided=True), x, TARGETS)
    assert_differs(plain, guided, "plain gradients for guided ones")
    close(tbx.Saliency().explain(model, x, TARGETS), np.abs(plain).max(-1))
    close(tbx.GradientInput().explain(model, x, TARGETS), (x * plain).sum(-1))
    close(tbx.GuidedBackprop().explain(model, x, TARGETS), np.abs(guided).max(-1))


def ig_reference(net, x, target, baseline, alphas) -> np.ndarray:
    """(x - x') * mean_k grad(x' + a_k (x - x')), summed over channels."""
    grads = [net.gradient(baseline + a * (x - baseline), target) for a in alphas]
    return ((x - baseline) * np.mean(grads, axis=0)).sum(-1)


@pytest.mark.parametrize(("steps", "per_batch"), [(6, 4), (5, 5)])
def test_integrated_gradients_midpoint_sum_on_a_relu_net(relu_net, steps, per_batch):
    model, net, x = relu_net
    baseline = np.random.default_rng(9).normal(size=(8, 8, 3)).astype(np.float32)
    midpoints = (np.arange(steps) + 0.5) / steps
    expected = per_sample(
        lambda xi, c: ig_reference(net, xi, c, baseline, midpoints), x, TARGETS
    )
    lefts = np.arange(steps) / steps
    left = per_sample(
        lambda xi, c: ig_reference(net, xi, c, baseline, lefts), x, TARGETS
    )
    assert_differs(expected, left, "left Riemann sums for midpoint ones")
    maps = tbx.IntegratedGradients(
        steps=steps, baseline=baseline, steps_per_batch=per_batch
    ).explain(model, x, TARGETS)
    close(maps, expected)


# ---------------------------------------------------------- noise methods


def sigmas(x: np.ndarray, noise: float) -> list[float]:
    """The documented sigma: `noise` times each input's own range (max - min)."""
    return [noise * (float(xi.max()) - float(xi.min())) for xi in x]


def noisy_gradients(net, x, targets, samples, seed, sigma) -> np.ndarray:
    """[B, n, H, W, C] gradients at x + sigma * draw_k, the documented draws.

    The k-th draw is a standard normal of one input's shape from the stateless
    generator seeded with (seed, k), shared by every input.
    """
    out = []
    for xi, c, s in zip(x, targets, sigma, strict=True):
        grads = []
        for k in range(samples):
            draw = tf.random.stateless_normal(
                (1, *xi.shape), seed=tf.constant([seed, k], tf.int32)
            ).numpy()[0]
            grads.append(net.gradient(xi + s * draw.astype(np.float64), c))
        out.append(grads)
    return np.asarray(out)


def test_smoothgrad_vargrad_squaregrad_on_the_same_draws(relu_net):
    model, net, x = relu_net
    samples, noise, seed = 6, 0.2, 11
    grads = noisy_gradients(net, x, TARGETS, samples, seed, sigmas(x, noise))
    clean = per_sample(net.gradient, x, TARGETS)
    mean = grads.mean(axis=1)
    assert_differs(mean, clean, "noise that is not added")
    absolute = noisy_gradients(net, x, TARGETS, samples, seed, [noise] * len(x))
    assert_differs(mean, absolute.mean(axis=1), "sigma in input units")
    kwargs = {"samples": samples, "noise": noise, "seed": seed}
    close(tbx.SmoothGrad(**kwargs).explain(model, x, TARGETS), np.abs(mean).max(-1))
    close(
        tbx.VarGrad(**kwargs).explain(model, x, TARGETS),
        grads.var(axis=1).max(-1),
        rtol=1e-3,
    )
    close(
        tbx.SquareGrad(**kwargs).explain(model, x, TARGETS),
        (grads**2).mean(axis=1).max(-1),
        rtol=1e-3,
    )


def test_smoothgrad_explains_the_class_predicted_on_the_clean_input(relu_net):
    model, net, x = relu_net
    predicted = [int(np.argmax(net.logits(xi))) for xi in x]
    grads = noisy_gradients(net, x, predicted, 4, 2, sigmas(x, 0.3))
    result = tbx.SmoothGrad(samples=4, noise=0.3, seed=2).explain_with_targets(model, x)
    np.testing.assert_array_equal(result.class_ids, predicted)
    close(result.maps, np.abs(grads.mean(axis=1)).max(-1))


# ------------------------------------------------ more CAMs (issue 25)


def same_map(actual: np.ndarray, expected: np.ndarray, rtol: float = 1e-4) -> None:
    """A map equals its float64 reference: correlation >= 0.999 per sample (of
    those the ReLU did not zero whole), the same zeros, and close values."""
    scale = float(np.abs(expected).max())
    for a, e in zip(actual, expected, strict=True):
        if e.max() > e.min():
            assert np.corrcoef(a.ravel(), e.ravel())[0, 1] >= 0.999
    tiny = 1e-5 * scale
    assert (actual[expected == 0] <= tiny).all(), "a zero of the reference is not"
    assert (expected[actual == 0] <= tiny).all(), "a zero of the map is not"
    close(actual, expected, rtol=rtol)


def hirescam_reference(acts: np.ndarray, grads: np.ndarray) -> np.ndarray:
    """ReLU(sum_k g_k * A_k), element by element, no pooling."""
    return relu((grads * acts).sum(-1))


def xgradcam_reference(acts: np.ndarray, grads: np.ndarray) -> np.ndarray:
    """ReLU(sum_k a_k A_k), a_k = sum_ij (A_k,ij / sum_ab A_k,ab) g_k,ij."""
    sums = acts.sum(axis=(1, 2), keepdims=True)
    weights = (acts / sums * grads).sum(axis=(1, 2), keepdims=True)
    return relu((weights * acts).sum(-1))


def eigencam_reference(acts: np.ndarray) -> np.ndarray:
    """ReLU(M v) per sample, M the [positions, channels] activations centred
    over positions, v its first right singular vector, its sign chosen so
    that M v correlates positively with the channel mean."""
    maps = []
    for a in acts:
        m = a.reshape(-1, a.shape[-1])
        centred = m - m.mean(axis=0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        projection = centred @ vt[0]
        if np.corrcoef(projection, m.mean(axis=1))[0, 1] < 0:
            projection = -projection
        maps.append(relu(projection).reshape(a.shape[:-1]))
    return np.stack(maps)


def ablation_scores(net, acts: np.ndarray, layer: int, targets) -> np.ndarray:
    """[B, K] scores with each channel of layer `layer`'s output set to 0."""
    out = np.empty((len(acts), acts.shape[-1]))
    for i, (a, c) in enumerate(zip(acts, targets, strict=True)):
        for k in range(a.shape[-1]):
            ablated = a.copy()
            ablated[..., k] = 0.0
            out[i, k] = net.logits_above(ablated, layer)[c]
    return out


def ablationcam_reference(acts: np.ndarray, y: np.ndarray, y_k: np.ndarray):
    """ReLU(sum_k w_k A_k), w_k = (y - y_k) / y."""
    weights = (y[:, None] - y_k) / y[:, None]
    return relu((weights[:, None, None, :] * acts).sum(-1))


@pytest.mark.parametrize("layer", [1, 0], ids=["linear_3x3", "relu_6x6"])
def test_hirescam_against_its_definition(layer):
    model, _, x, acts, grads = cam_case(layer)
    expected = hirescam_reference(acts, grads)
    assert_differs(expected, gradcam_reference(acts, grads), "a pooled gradient")
    maps = tbx.HiResCAM(f"l{layer}").explain(model, x, TARGETS, upsample=False)
    same_map(maps, expected)


@pytest.mark.parametrize("layer", [1, 0], ids=["linear_3x3", "relu_6x6"])
def test_xgradcam_against_its_definition(layer):
    model, _, x, acts, grads = cam_case(layer)
    sums = acts.sum(axis=(1, 2))
    # Each channel's activations (of order 1) sum far from 0 next to float32's
    # rounding, so the division keeps float32 close to float64...
    assert np.abs(sums).min() > 0.01
    expected = xgradcam_reference(acts, grads)
    # ... and the normalisation matters: the sums differ between channels.
    unnormalised = relu(((acts * grads).sum(axis=(1, 2), keepdims=True) * acts).sum(-1))
    assert_differs(expected, unnormalised, "unnormalised weights")
    maps = tbx.XGradCAM(f"l{layer}").explain(model, x, TARGETS, upsample=False)
    same_map(maps, expected, rtol=1e-3)


@pytest.mark.parametrize("layer", [1, 0], ids=["linear_3x3", "relu_6x6"])
def test_eigencam_against_its_definition_with_its_sign_fixed(layer):
    model, _, x, acts, _ = cam_case(layer)
    expected = eigencam_reference(acts)
    flipped = eigencam_reference(-acts)  # the other sign of the same vector
    assert_differs(expected, flipped, "a flipped singular vector")
    assert all(np.abs(e).max() > 0 for e in expected)
    maps = tbx.EigenCAM(f"l{layer}").explain(model, x, TARGETS, upsample=False)
    same_map(maps, expected, rtol=1e-3)
    # Class-agnostic: any target gives the same map.
    np.testing.assert_array_equal(
        tbx.EigenCAM(f"l{layer}").explain(model, x, [2, 2, 1, 1], upsample=False),
        maps,
    )


@pytest.mark.parametrize("layer", [1, 0], ids=["linear_3x3", "relu_6x6"])
def test_ablationcam_against_its_definition(layer):
    model, net, x, acts, _ = cam_case(layer)
    y = per_sample(lambda xi, c: net.logits(xi)[c], x, TARGETS)
    y_k = ablation_scores(net, acts, layer, TARGETS)
    expected = ablationcam_reference(acts, y, y_k)
    undivided = relu(((y[:, None] - y_k)[:, None, None, :] * acts).sum(-1))
    assert_differs(expected, undivided, "a missing division by y")
    method = tbx.AblationCAM(f"l{layer}", perturbation_batch=5)
    result = method.explain_with_targets(model, x, TARGETS, upsample=False)
    same_map(result.maps, expected, rtol=1e-3)
    close(result.scores, y)
