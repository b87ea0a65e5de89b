"""Methods on every kind of input: token ids through their embedding, features,
volumes and one input of a multi-input model, against independent references."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tbexplain as tbx

VOCAB, T, E = 30, 12, 6


def _text_model(seed: int = 0) -> tuple[keras.Model, keras.layers.Layer, keras.Model]:
    """tokens -> Embedding -> head (Conv1D, pooling, Dense); the head is a model
    of its own, so references can run it on embeddings directly."""
    keras.utils.set_random_seed(seed)
    embedding = keras.layers.Embedding(VOCAB, E, name="embedding")
    head = keras.Sequential(
        [
            keras.Input((T, E)),
            keras.layers.Conv1D(5, 3, padding="same", activation="tanh", name="conv"),
            keras.layers.Flatten(),
            keras.layers.Dense(2, name="logits"),
        ],
        name="head",
    )
    tokens = keras.Input((T,), dtype="int32", name="tokens")
    return keras.Model(tokens, head(embedding(tokens))), embedding, head


def _tokens(n: int = 3, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(1, VOCAB, size=(n, T)).astype("int32")


def _grad(head: keras.Model, emb: np.ndarray, cls: int) -> np.ndarray:
    e = tf.constant(emb)
    with tf.GradientTape() as tape:
        tape.watch(e)
        score = head(e)[:, cls]
    return tape.gradient(score, e).numpy()


def test_gradient_times_input_on_tokens_is_taken_at_the_embedding():
    model, embedding, head = _text_model()
    tokens = _tokens()
    emb = embedding(tokens).numpy()
    maps = tbx.GradientInput().explain(model, tokens, targets=1)
    assert maps.shape == (3, T)  # one value per token
    expected = (emb * _grad(head, emb, 1)).sum(axis=-1)
    np.testing.assert_allclose(maps, expected, rtol=1e-4, atol=1e-6)


def test_integrated_gradients_on_tokens_is_complete_from_the_zero_embedding():
    model, embedding, head = _text_model()
    tokens = _tokens()
    emb = embedding(tokens).numpy()
    maps = tbx.IntegratedGradients(steps=64).explain(model, tokens, targets=0)
    gap = head(emb).numpy()[:, 0] - head(np.zeros_like(emb)).numpy()[:, 0]
    np.testing.assert_allclose(maps.sum(axis=1), gap, rtol=0.01, atol=1e-4)


def test_integrated_gradients_on_tokens_starts_from_the_pad_embedding():
    keras.utils.set_random_seed(4)
    embedding = keras.layers.Embedding(VOCAB, E, mask_zero=True)
    tokens_in = keras.Input((T,), dtype="int32")
    pooled = keras.layers.GlobalAveragePooling1D()(embedding(tokens_in))
    model = keras.Model(tokens_in, keras.layers.Dense(2)(pooled))
    tokens = _tokens()
    maps = tbx.IntegratedGradients(steps=32).explain(model, tokens, targets=1)
    # The model is linear in the embeddings (masked mean then Dense): IG is exact.
    w = model.layers[-1].kernel.numpy()[:, 1]
    emb = embedding(tokens).numpy()
    pad = embedding.embeddings.numpy()[0]
    expected = ((emb - pad) @ w) / T
    np.testing.assert_allclose(maps, expected, rtol=1e-4, atol=1e-6)


def test_occlusion_of_a_token_replaces_its_embedding():
    model, embedding, head = _text_model()
    tokens = _tokens(2)
    emb = embedding(tokens).numpy()
    maps = tbx.Occlusion(patch=1).explain(model, tokens, targets=1)
    base = head(emb).numpy()[:, 1]
    expected = np.empty((2, T), np.float32)
    for t in range(T):
        hidden = emb.copy()
        hidden[:, t] = 0.0  # no pad token known: the zero embedding
        expected[:, t] = base - head(hidden).numpy()[:, 1]
    np.testing.assert_allclose(maps, expected, rtol=1e-4, atol=1e-5)


def test_grad_cam_of_a_text_model_explains_its_conv1d():
    model, _, _ = _text_model()
    cam = tbx.GradCAM()
    assert cam.layer_name(model) == "head/conv"
    assert cam.explain(model, _tokens(), upsample=False).shape == (3, T)


def _linear_tabular(weights: np.ndarray) -> keras.Model:
    inputs = keras.Input((len(weights),), name="features")
    dense = keras.layers.Dense(1, use_bias=True, name="out")
    model = keras.Model(inputs, dense(inputs))
    dense.set_weights([weights[:, None].astype("float32"), np.array([0.5], "float32")])
    return model


def test_features_get_one_value_each_in_closed_form():
    w = np.array([2.0, -1.0, 0.5, 3.0])
    model = _linear_tabular(w)
    x = np.random.default_rng(2).normal(size=(5, 4)).astype("float32")
    target = lambda outputs: outputs[:, 0]  # noqa: E731 - a regression output
    ig = tbx.IntegratedGradients(steps=8).explain(model, x, targets=target)
    np.testing.assert_allclose(ig, x * w, rtol=1e-5, atol=1e-6)
    gi = tbx.GradientInput().explain(model, x, targets=target)
    np.testing.assert_allclose(gi, x * w, rtol=1e-5, atol=1e-6)
    occ = tbx.Occlusion(patch=1, fill=0.0).explain(model, x, targets=target)
    np.testing.assert_allclose(occ, x * w, rtol=1e-5, atol=1e-5)


def _two_input_model() -> keras.Model:
    keras.utils.set_random_seed(5)
    image = keras.Input((8, 8, 3), name="image")
    meta = keras.Input((3,), name="meta")
    h = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(image)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Concatenate()([h, keras.layers.Dense(4, activation="tanh")(meta)])
    return keras.Model([image, meta], keras.layers.Dense(3, name="logits")(h))


def test_each_input_of_a_multi_input_model_is_explained_with_the_other_held():
    model = _two_input_model()
    rng = np.random.default_rng(3)
    inputs = {
        "image": rng.random((4, 8, 8, 3)).astype("float32"),
        "meta": rng.normal(size=(4, 3)).astype("float32"),
    }
    ig = tbx.IntegratedGradients(steps=64)
    meta_maps = ig.explain(model, inputs, targets=2, input="meta")
    assert meta_maps.shape == (4, 3)
    full = model(inputs).numpy()[:, 2]
    no_meta = model({"image": inputs["image"], "meta": np.zeros((4, 3))}).numpy()[:, 2]
    np.testing.assert_allclose(meta_maps.sum(axis=1), full - no_meta, rtol=0.01)
    # A list in input order is the same as the dict.
    listed = ig.explain(model, [inputs["image"], inputs["meta"]], targets=2, input=1)
    np.testing.assert_allclose(listed, meta_maps, rtol=1e-6)
    image_maps = tbx.Saliency().explain(model, inputs, targets=2, input="image")
    x = tf.constant(inputs["image"])
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = model({"image": x, "meta": tf.constant(inputs["meta"])})[:, 2]
    expected = np.abs(tape.gradient(score, x).numpy()).max(axis=-1)
    np.testing.assert_allclose(image_maps, expected, rtol=1e-5, atol=1e-7)
    # Layer methods explain their layer, in the image branch.
    assert tbx.GradCAM().input_names(model) == ["image"]
    assert tbx.Saliency().input_names(model) == ["image", "meta"]
    assert tbx.GradCAM().explain(model, inputs, upsample=False).shape == (4, 6, 6)
    with pytest.raises(ValueError, match=r"Received: input='age'"):
        ig.explain(model, inputs, input="age")
    with pytest.raises(ValueError, match="must name each of the model's inputs"):
        ig.explain(model, {"image": inputs["image"]})


def test_volumes_get_maps_per_slice_and_cams_upsample_in_three_dimensions():
    keras.utils.set_random_seed(6)
    clips = keras.Input((4, 8, 8, 1), name="clip")
    h = keras.layers.Conv3D(3, 3, padding="same", activation="relu", name="conv3d")(
        clips
    )
    h = keras.layers.MaxPooling3D(2)(h)
    model = keras.Model(clips, keras.layers.Dense(2)(keras.layers.Flatten()(h)))
    x = np.random.default_rng(7).random((2, 4, 8, 8, 1)).astype("float32")
    saliency = tbx.Saliency().explain(model, x, targets=0)
    assert saliency.shape == (2, 4, 8, 8)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        score = model(xt)[:, 0]
    expected = np.abs(tape.gradient(score, xt).numpy()).max(axis=-1)
    np.testing.assert_allclose(saliency, expected, rtol=1e-5, atol=1e-7)
    cam = tbx.GradCAM()
    assert cam.layer_name(model) == "max_pooling3d"  # the last spatial layer
    native = cam.explain(model, x, targets=0, upsample=False)
    assert native.shape == (2, 2, 4, 4)
    pool = model.get_layer("max_pooling3d").output
    both = keras.Model(clips, [pool, model.output])
    with tf.GradientTape() as tape:
        activations, outputs = both(xt)
        score = outputs[:, 0]
    grads = tape.gradient(score, activations).numpy()
    weights = grads.mean(axis=(1, 2, 3))
    reference = np.maximum(
        (activations.numpy() * weights[:, None, None, None]).sum(-1), 0
    )
    np.testing.assert_allclose(native, reference, rtol=1e-4, atol=1e-6)
    upsampled = cam.explain(model, x, targets=0)
    assert upsampled.shape == (2, 4, 8, 8)
    # Trilinear upsampling interpolates: nothing beyond the native range.
    assert (
        native.min() - 1e-6 <= upsampled.min() <= upsampled.max() <= native.max() + 1e-6
    )
    with pytest.raises(ValueError, match="perturbs images"):
        tbx.Occlusion().explain(model, x)


def _segmenter() -> keras.Model:
    keras.utils.set_random_seed(8)
    image = keras.Input((8, 8, 3))
    h = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="conv")(image)
    return keras.Model(
        image, keras.layers.Conv2D(3, 1, activation="softmax", name="classes")(h)
    )


def test_a_segment_target_keeps_each_samples_region_along_the_path():
    model = _segmenter()
    x = np.random.default_rng(9).random((2, 8, 8, 3)).astype("float32")
    logits_model = keras.Model(
        model.input, model.get_layer("conv").output
    )  # the classes layer's pre-softmax scores, by hand below
    kernel, bias = model.get_layer("classes").get_weights()

    def logits(images):
        return tf.einsum("bhwc,ck->bhwk", logits_model(images), kernel[0, 0]) + bias

    region = (logits(x).numpy().argmax(-1) == 1).astype("float32")
    target = tbx.targets.segment(1)
    assert target.__name__ == "class 1 over its predicted region"
    ig = tbx.IntegratedGradients(steps=64).explain(model, x, targets=target)
    score = (logits(x).numpy()[..., 1] * region).sum(axis=(1, 2))
    base = (logits(np.zeros_like(x)).numpy()[..., 1] * region).sum(axis=(1, 2))
    # Complete only if the region stays the sample's own all along the path.
    np.testing.assert_allclose(ig.sum(axis=(1, 2)), score - base, rtol=0.01, atol=1e-3)
    given = tbx.targets.segment(1, region=np.ones((2, 8, 8)))
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        total = tf.reduce_sum(logits(xt)[..., 1], axis=[1, 2])
    expected = (x * tape.gradient(total, xt).numpy()).sum(-1)
    gi = tbx.GradientInput().explain(model, x, targets=given)
    np.testing.assert_allclose(gi, expected, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="region must be"):
        tbx.targets.segment(1, region="everywhere")


def test_the_segment_region_is_the_samples_own_not_each_path_points():
    """Class 1's logit is 2x and wins where x > 0.5: along the integrated
    gradients' path from 0 the predicted region would shrink, so only a
    region fixed on the sample gives sum(IG) = sum over it of 2x."""
    image = keras.Input((4, 4, 1))
    layer = keras.layers.Conv2D(3, 1, activation="softmax")
    model = keras.Model(image, layer(image))
    layer.set_weights(
        [
            np.array([0.0, 2.0, 0.0], "float32").reshape(1, 1, 1, 3),
            np.array([1.0, 0.0, -1.0], "float32"),
        ]
    )
    x = np.random.default_rng(10).random((2, 4, 4, 1)).astype("float32")
    region = x[..., 0] > 0.5
    ig = tbx.IntegratedGradients(steps=200).explain(
        model, x, targets=tbx.targets.segment(1)
    )
    np.testing.assert_allclose(
        ig.sum(axis=(1, 2)), (2 * x[..., 0] * region).sum(axis=(1, 2)), rtol=1e-3
    )


# --------------------------------------- the CAMs of issue 25 on every kind


def _cam_reference(name, activations, grads, upper, y) -> np.ndarray:
    """The map of CAM `name` from a layer's activations [B, ..., K], gradients
    and ``upper(activations) -> [B] scores`` (the model above the layer)."""
    a = np.asarray(activations, np.float64)
    axes = tuple(range(1, a.ndim - 1))
    if name == "hirescam":
        return np.maximum((grads * a).sum(-1), 0)
    if name == "xgradcam":
        weights = (a / a.sum(axis=axes, keepdims=True) * grads).sum(axis=axes)
    elif name == "ablationcam":
        weights = np.empty((len(a), a.shape[-1]))
        for k in range(a.shape[-1]):
            ablated = np.array(activations)
            ablated[..., k] = 0
            weights[:, k] = (y - upper(ablated)) / y
    else:  # eigencam
        maps = []
        for sample in a:
            m = sample.reshape(-1, a.shape[-1])
            centred = m - m.mean(axis=0)
            projection = centred @ np.linalg.svd(centred)[2][0]
            if np.corrcoef(projection, m.mean(axis=1))[0, 1] < 0:
                projection = -projection
            maps.append(np.maximum(projection, 0).reshape(sample.shape[:-1]))
        return np.stack(maps)
    weights = weights.reshape(len(a), *[1] * len(axes), a.shape[-1])
    return np.maximum((a * weights).sum(-1), 0)


NEW_CAMS = ["hirescam", "xgradcam", "eigencam", "ablationcam"]


def _layer_values(lower, upper, x, target: int):
    """(activations, d y / d activations, y) with y = upper(activations)[:, target]."""
    activations = tf.constant(lower(x))
    with tf.GradientTape() as tape:
        tape.watch(activations)
        y = upper(activations)[:, target]
    return activations.numpy(), tape.gradient(y, activations).numpy(), y.numpy()


@pytest.mark.parametrize("name", NEW_CAMS)
def test_the_new_cams_on_tokens_through_their_embedding(name):
    model, embedding, head = _text_model()
    tokens = _tokens()
    conv = head.get_layer("conv")

    def upper(a):
        return head.get_layer("logits")(head.layers[1](a))

    acts, grads, y = _layer_values(lambda t: conv(embedding(t)), upper, tokens, 1)
    maps = tbx.REGISTRY[name]().explain(model, tokens, targets=1, upsample=False)
    assert maps.shape == (3, T)
    expected = _cam_reference(name, acts, grads, lambda a: upper(a).numpy()[:, 1], y)
    assert np.abs(expected).max() > 0
    np.testing.assert_allclose(maps, expected, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("name", NEW_CAMS)
def test_the_new_cams_on_volumes(name):
    keras.utils.set_random_seed(6)
    clips = keras.Input((4, 6, 6, 1))
    conv = keras.layers.Conv3D(3, 3, padding="same", name="conv3d")
    dense = keras.layers.Dense(2)
    model = keras.Model(clips, dense(keras.layers.Flatten()(conv(clips))))
    x = np.random.default_rng(7).normal(size=(2, 4, 6, 6, 1)).astype("float32")

    def upper(a):
        return dense(tf.reshape(a, [a.shape[0], -1]))

    acts, grads, y = _layer_values(conv, upper, x, 0)
    method = tbx.REGISTRY[name]()
    native = method.explain(model, x, targets=0, upsample=False)
    expected = _cam_reference(name, acts, grads, lambda a: upper(a).numpy()[:, 0], y)
    assert np.abs(expected).max() > 0
    np.testing.assert_allclose(native, expected, rtol=1e-3, atol=1e-5)
    assert method.explain(model, x, targets=0).shape == (2, 4, 6, 6)
