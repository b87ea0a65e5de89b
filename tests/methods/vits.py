"""Tiny hand-built vision transformers, and the same nets in float64 numpy.

`vit` builds a Keras ViT whose attention sits inside a custom block layer,
as in keras_hub (``block_1``, ``block_2``: pre-norm, `MultiHeadAttention`,
tanh MLP), with a class token read by the head or with its tokens pooled.
`NumpyViT` computes the same net from the Keras weights in float64 and takes
its derivatives by central differences, so the references of the token CAMs
and of both rollouts share no code with tbexplain (nor with TensorFlow's
gradients).
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np

SIZE, PATCH, CHANNELS, DIM, HEADS, BLOCKS, CLASSES = 12, 3, 2, 8, 2, 2, 3
GRID = SIZE // PATCH
EPSILON = 1e-6


class Block(keras.layers.Layer):
    """A pre-norm transformer block: attention and an MLP, each residual."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.ln_1 = keras.layers.LayerNormalization(epsilon=EPSILON, name="ln_1")
        self.mha = keras.layers.MultiHeadAttention(HEADS, DIM // HEADS, name="mha")
        self.ln_2 = keras.layers.LayerNormalization(epsilon=EPSILON, name="ln_2")
        self.fc_1 = keras.layers.Dense(2 * DIM, activation="tanh", name="fc_1")
        self.fc_2 = keras.layers.Dense(DIM, name="fc_2")

    def build(self, shape):
        self.ln_1.build(shape)
        self.mha.build(shape, shape)
        self.ln_2.build(shape)
        self.fc_1.build(shape)
        self.fc_2.build((*shape[:-1], 2 * DIM))

    def call(self, x):
        h = self.ln_1(x)
        x = x + self.mha(h, h)
        return x + self.fc_2(self.fc_1(self.ln_2(x)))


class Tokens(keras.layers.Layer):
    """Patch tokens with a learned class token first (optional) and positions."""

    def __init__(self, class_token: bool, **kwargs):
        super().__init__(**kwargs)
        self.class_token = class_token

    def build(self, shape):
        count = shape[1] + int(self.class_token)
        init = keras.initializers.RandomNormal(stddev=0.5)
        if self.class_token:
            self.cls = self.add_weight(shape=(1, 1, DIM), initializer=init, name="cls")
        self.pos = self.add_weight(shape=(1, count, DIM), initializer=init, name="pos")

    def call(self, x):
        if self.class_token:
            cls = keras.ops.tile(self.cls, (keras.ops.shape(x)[0], 1, 1))
            x = keras.ops.concatenate([cls, x], axis=1)
        return x + self.pos


def vit(class_token: bool = True, seed: int = 0) -> keras.Model:
    """The Keras ViT: SIZE x SIZE x CHANNELS images, GRID x GRID patches."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((SIZE, SIZE, CHANNELS), name="image")
    h = keras.layers.Conv2D(DIM, PATCH, strides=PATCH, name="patchify")(inputs)
    h = keras.layers.Reshape((GRID * GRID, DIM))(h)
    h = Tokens(class_token, name="tokens")(h)
    for i in range(BLOCKS):
        h = Block(name=f"block_{i + 1}")(h)
    h = keras.layers.LayerNormalization(epsilon=EPSILON, name="ln")(h)
    if class_token:
        h = keras.layers.Lambda(lambda t: t[:, 0], name="class_token")(h)
    else:
        h = keras.layers.GlobalAveragePooling1D(name="pool")(h)
    outputs = keras.layers.Dense(CLASSES, activation="softmax", name="head")(h)
    model = keras.Model(inputs, outputs, name="cls_vit" if class_token else "gap_vit")
    _spread_weights(model, seed)
    return model


def _spread_weights(model: keras.Model, seed: int) -> None:
    """Larger random weights than the initialisers', so that attention is far
    from uniform and the maps differ from their plausible mistakes."""
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        if "gamma" in weight.path or "beta" in weight.path:
            value = 1.0 + 0.3 * rng.standard_normal(weight.shape)
            if "beta" in weight.path:
                value -= 1.0
        else:
            value = rng.standard_normal(weight.shape) * (
                0.9 if weight.ndim > 1 else 0.3
            )
        weight.assign(value.astype("float32"))


def images(n: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).random((n, SIZE, SIZE, CHANNELS), np.float32)


def _layer_norm(x, weights):
    gamma, beta = weights
    mean = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPSILON) * gamma + beta


def _softmax(z):
    z = z - z.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


Hook = Callable[[str, np.ndarray], np.ndarray]


class NumpyViT:
    """The same ViT in float64 numpy.

    ``logits(x, hook)`` runs one image; ``hook(name, value)`` may replace the
    value named ``"block_i/ln_1"``, ``"block_i"`` (a block's output) or
    ``"attention_i"`` (block i's weights [heads, T, T]).
    """

    def __init__(self, model: keras.Model):
        self.class_token = model.name == "cls_vit"

        def w(name):
            return [
                np.asarray(v, np.float64) for v in model.get_layer(name).get_weights()
            ]

        self.patch_kernel, self.patch_bias = w("patchify")
        self.tokens = w("tokens")
        self.blocks = []
        for i in range(BLOCKS):
            block = model.get_layer(f"block_{i + 1}")
            weights = {
                name: [np.asarray(v, np.float64) for v in layer.get_weights()]
                for name, layer in (
                    ("ln_1", block.ln_1),
                    ("ln_2", block.ln_2),
                    ("fc_1", block.fc_1),
                    ("fc_2", block.fc_2),
                )
            }
            mha = block.mha
            weights["q"] = [
                np.asarray(v, np.float64) for v in mha._query_dense.get_weights()
            ]
            weights["k"] = [
                np.asarray(v, np.float64) for v in mha._key_dense.get_weights()
            ]
            weights["v"] = [
                np.asarray(v, np.float64) for v in mha._value_dense.get_weights()
            ]
            weights["o"] = [
                np.asarray(v, np.float64) for v in mha._output_dense.get_weights()
            ]
            self.blocks.append(weights)
        self.ln = w("ln")
        self.head = w("head")

    def _attention(self, i, h, hook):
        b = self.blocks[i]
        q = np.einsum("td,dhk->thk", h, b["q"][0]) + b["q"][1]
        k = np.einsum("td,dhk->thk", h, b["k"][0]) + b["k"][1]
        v = np.einsum("td,dhk->thk", h, b["v"][0]) + b["v"][1]
        scores = np.einsum("shk,thk->hts", k, q) / np.sqrt(DIM // HEADS)
        weights = hook(f"attention_{i + 1}", _softmax(scores))
        out = np.einsum("hts,shk->thk", weights, v)
        return np.einsum("thk,hkd->td", out, b["o"][0]) + b["o"][1]

    def logits(self, x: np.ndarray, hook: Hook | None = None) -> np.ndarray:
        hook = hook or (lambda name, value: value)
        x = np.asarray(x, np.float64)
        patches = x.reshape(GRID, PATCH, GRID, PATCH, CHANNELS).transpose(0, 2, 1, 3, 4)
        h = np.einsum("ghpqc,pqcd->ghd", patches, self.patch_kernel) + self.patch_bias
        h = h.reshape(GRID * GRID, DIM)
        if self.class_token:
            cls, pos = self.tokens
            h = np.concatenate([cls[0], h]) + pos[0]
        else:
            h = h + self.tokens[0][0]
        for i, b in enumerate(self.blocks):
            n = hook(f"block_{i + 1}/ln_1", _layer_norm(h, b["ln_1"]))
            h = h + self._attention(i, n, hook)
            m = np.tanh(_layer_norm(h, b["ln_2"]) @ b["fc_1"][0] + b["fc_1"][1])
            h = hook(f"block_{i + 1}", h + m @ b["fc_2"][0] + b["fc_2"][1])
        h = _layer_norm(h, self.ln)
        pooled = h[0] if self.class_token else h.mean(0)
        return pooled @ self.head[0] + self.head[1]

    def value(self, x: np.ndarray, name: str) -> np.ndarray:
        """The value `name` takes when the net runs on `x`."""
        seen = {}

        def hook(key, value):
            if key == name:
                seen[key] = value
            return value

        self.logits(x, hook)
        return seen[name]

    def gradient(self, x: np.ndarray, name: str, target: int, eps: float = 1e-6):
        """d logits[target] / d value `name`, by central differences."""
        base = self.value(x, name)
        grad = np.zeros_like(base)
        for index in np.ndindex(base.shape):
            scores = []
            for sign in (1.0, -1.0):
                moved = base.copy()
                moved[index] += sign * eps

                def hook(key, value, moved=moved):
                    return moved if key == name else value

                scores.append(self.logits(x, hook)[target])
            grad[index] = (scores[0] - scores[1]) / (2 * eps)
        return grad
