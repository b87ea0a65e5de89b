"""Tiny transformers built from configs (keras_hub models without weights, never a
download) and by hand, seeded, for the transformer tests, e2e runs and benchmarks.

keras_hub is a test dependency: its backbones are built here from their
configs only (no preset, no tokenizer), so nothing is fetched.
"""

from __future__ import annotations

import inspect
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from typing import Any

import keras
import numpy as np

IMAGE = (32, 32, 3)
PATCH = 8  # a 4x4 patch grid
CLASSES = 3
VOCABULARY = 40
LENGTH = 12


def vit_block(i: int) -> str:
    """The name keras_hub gives the i-th encoder block of its ViT (from 1):
    ``transformer_block_<i>``, spelt ``tranformer_block_<i>`` up to keras_hub
    0.25, the last release for Python 3.10."""
    from keras_hub.src.models.vit import vit_layers

    misspelt = "tranformer_block_" in inspect.getsource(vit_layers)
    return f"{'tranformer' if misspelt else 'transformer'}_block_{i}"


def images(n: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).random((n, *IMAGE), dtype=np.float32)


def vit(
    pooling: str = "token",
    class_token: bool = True,
    seed: int = 0,
    image: tuple[int, int, int] = IMAGE,
    patch: int = PATCH,
) -> Any:
    """keras_hub's ViT classifier: a class token read by the head, or pooled."""
    import keras_hub

    keras.utils.set_random_seed(seed)
    backbone = keras_hub.models.ViTBackbone(
        image_shape=image,
        patch_size=patch,
        num_layers=2,
        num_heads=2,
        hidden_dim=16,
        mlp_dim=32,
        use_class_token=class_token,
        name="vit_backbone",
    )
    return keras_hub.models.ViTImageClassifier(
        backbone=backbone, num_classes=CLASSES, pooling=pooling, name="vit"
    )


def deit(seed: int = 0) -> Any:
    """keras_hub's DeiT: a class token and a distillation token."""
    import keras_hub

    keras.utils.set_random_seed(seed)
    backbone = keras_hub.models.DeiTBackbone(
        image_shape=IMAGE,
        patch_size=PATCH,
        num_layers=2,
        num_heads=2,
        hidden_dim=16,
        intermediate_dim=32,
        name="deit_backbone",
    )
    return keras_hub.models.DeiTImageClassifier(
        backbone=backbone, num_classes=CLASSES, name="deit"
    )


def dinov2(seed: int = 0) -> Any:
    """keras_hub's DINOv2 with 4 register tokens, its class token read by a head."""
    import keras_hub

    keras.utils.set_random_seed(seed)
    backbone = keras_hub.models.DINOV2Backbone(
        patch_size=PATCH,
        num_layers=2,
        hidden_dim=16,
        num_heads=2,
        intermediate_dim=32,
        num_register_tokens=4,
        image_shape=IMAGE,
        position_embedding_shape=IMAGE,
        name="dino",
    )
    inputs = keras.Input(IMAGE, name="images")
    tokens = backbone({"images": inputs})
    outputs = keras.layers.Dense(CLASSES, name="head")(tokens[:, 0])
    return keras.Model(inputs, outputs, name="dinov2_classifier")


def swin(seed: int = 0) -> Any:
    """keras_hub's Swin: windowed attention, pooled patch tokens, no class token."""
    import keras_hub
    import pytest

    if not hasattr(keras_hub.models, "SwinTransformerBackbone"):
        pytest.skip(f"keras_hub {keras_hub.__version__} has no Swin Transformer")
    keras.utils.set_random_seed(seed)
    backbone = keras_hub.models.SwinTransformerBackbone(
        image_shape=IMAGE,
        patch_size=4,
        embed_dim=16,
        depths=[2, 2],
        num_heads=[2, 2],
        window_size=4,
        name="swin_backbone",
    )
    return keras_hub.models.SwinTransformerImageClassifier(
        backbone=backbone, num_classes=CLASSES, name="swin"
    )


def bert(seed: int = 0) -> Any:
    """keras_hub's BERT classifier (token_ids, segment_ids, padding_mask)."""
    import keras_hub

    keras.utils.set_random_seed(seed)
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=VOCABULARY,
        num_layers=2,
        num_heads=2,
        hidden_dim=16,
        intermediate_dim=32,
        max_sequence_length=LENGTH,
        name="bert_backbone",
    )
    return keras_hub.models.BertTextClassifier(
        backbone=backbone, num_classes=2, preprocessor=None, name="bert"
    )


def bert_inputs(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """[CLS] words [SEP] [PAD]...: ids 1 = [CLS], 2 = [SEP], 0 = [PAD]."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(3, VOCABULARY, (n, LENGTH)).astype("int32")
    lengths = rng.integers(LENGTH // 2, LENGTH - 1, n)
    for row, length in zip(ids, lengths, strict=True):
        row[0], row[length] = 1, 2
        row[length + 1 :] = 0
    return {
        "token_ids": ids,
        "segment_ids": np.zeros_like(ids),
        "padding_mask": (ids != 0).astype("int32"),
    }


class CountedTokens(keras.layers.Layer):
    """[B, h, w, D] patches as [B, h*w, D] tokens whose number only the run
    knows: traced, they are [B, None, D] (as keras_hub 0.25's DINOv2 traces its
    tokens)."""

    def call(self, x):
        shape = keras.ops.shape(x)
        return keras.ops.reshape(x, (shape[0], -1, shape[-1]))

    def compute_output_shape(self, shape):
        return (shape[0], None, shape[-1])


def functional_vit(
    seed: int = 0, class_token: bool = False, counted: bool = False
) -> keras.Model:
    """A hand-built ViT as a plain functional graph: a Conv2D patchify, a Reshape
    to tokens (`CountedTokens` with `counted`), MultiHeadAttention blocks of
    top-level layers, pooled tokens."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input(IMAGE)
    h = keras.layers.Conv2D(16, PATCH, strides=PATCH, name="patchify")(inputs)
    h = CountedTokens()(h) if counted else keras.layers.Reshape((-1, 16))(h)
    for i in range(2):
        n = keras.layers.LayerNormalization(name=f"ln_{i}")(h)
        a = keras.layers.MultiHeadAttention(2, 8, name=f"mha_{i}")(n, n)
        h = keras.layers.Add(name=f"add_{i}")([h, a])
        m = keras.layers.Dense(16, activation="gelu", name=f"mlp_{i}")(h)
        h = keras.layers.Add(name=f"out_{i}")([h, m])
    h = keras.layers.GlobalAveragePooling1D()(h)
    outputs = keras.layers.Dense(CLASSES, activation="softmax")(h)
    return keras.Model(inputs, outputs, name="functional_vit")


class ClassToken(keras.layers.Layer):
    """Prepends a learned class token to [B, T, D] tokens."""

    def build(self, shape):
        self.token = self.add_weight(shape=(1, 1, shape[-1]), name="token")

    def call(self, x):
        token = keras.ops.tile(self.token, (keras.ops.shape(x)[0], 1, 1))
        return keras.ops.concatenate([token, x], axis=1)


def text_encoder(seed: int = 0) -> keras.Model:
    """A hand-built encoder over token ids that prepends its own class token and
    reads it (one token more than the ids)."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((LENGTH,), dtype="int32", name="tokens")
    h = keras.layers.Embedding(VOCABULARY, 16, mask_zero=True, name="embedding")(inputs)
    h = ClassToken(name="class_token")(h)
    for i in range(2):
        a = keras.layers.MultiHeadAttention(2, 8, name=f"mha_{i}")(h, h)
        h = keras.layers.LayerNormalization(name=f"ln_{i}")(
            keras.layers.Add(name=f"add_{i}")([h, a])
        )
    h = keras.layers.Lambda(lambda t: t[:, 0], name="read_class")(h)
    outputs = keras.layers.Dense(2, activation="softmax")(h)
    return keras.Model(inputs, outputs, name="text_encoder")
