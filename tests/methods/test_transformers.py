"""Transformers as users bring them: keras_hub's ViT, DeiT, DINOv2, Swin and BERT
built from their configs (no weights), and hand-built ones.

Where the CAM family looks by default, layers reached by name or nested path
inside custom layers, tokens on their patch grid without class, distillation
and register tokens, the rollouts on every model with global attention, and
the errors that are true: windowed attention, no attention, tokens on no grid.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tbexplain as tbx
from tbexplain import layers as layers_lib
from tbexplain.methods.base import LayerMethod
from tbexplain.methods.compiled import resize_map
from tests.helpers import transformers as T

pytest.importorskip("keras_hub")
LAST, FIRST = T.vit_block(2), T.vit_block(1)

CAMS = sorted(
    name
    for name, cls in tbx.methods.REGISTRY.items()
    if issubclass(cls, LayerMethod) and name != "gradcam"
)
ROLLOUTS = [tbx.AttentionRollout, tbx.GradientRollout]
TINY = {"scorecam": {"max_channels": 4}, "ablationcam": {"max_channels": 4}}

# Maps at the input's size whatever `upsample` says.
INPUT_SIZED = ("guided_gradcam", "scorecam")

# model -> (default layer, leading tokens left out of the 4x4 grid)
IMAGE_MODELS = {
    "vit": (T.vit, f"vit_backbone/vit_encoder/{LAST}/ln_1", 1),
    "vit_gap": (
        lambda: T.vit(pooling="gap"),
        f"vit_backbone/vit_encoder/{LAST}",
        1,
    ),
    "deit": (T.deit, "deit_backbone/deit_encoder/transformer_block_2/ln_1", 2),
    "dinov2": (T.dinov2, "dino/dino_encoder/layers_1/norm1", 5),
    "swin": (T.swin, "swin_backbone/stage_1/blocks_1", 0),
    "functional": (T.functional_vit, "out_1", 0),
}


@pytest.fixture(scope="module")
def models():
    built = {}

    def get(name):
        if name not in built:
            build = IMAGE_MODELS[name][0] if name in IMAGE_MODELS else getattr(T, name)
            built[name] = build()
        return built[name]

    return get


def make(name, **kwargs):
    return tbx.methods.REGISTRY[name](**{**TINY.get(name, {}), **kwargs})


@pytest.mark.parametrize("name", sorted(IMAGE_MODELS))
def test_cams_explain_the_last_tokens_the_score_depends_on(models, name):
    model = models(name)
    _, layer, special = IMAGE_MODELS[name]
    x = T.images(2)
    method = tbx.GradCAM()
    assert method.layer_name(model, x) == layer
    description = method.layer_description(model)
    assert f"{16 + special} tokens on a 4x4 grid" in description
    assert ("left out" in description) == bool(special)
    native = method.explain(model, x, upsample=False)
    assert native.shape == (2, 4, 4)
    np.testing.assert_allclose(
        resize_map(tf.constant(native), (32, 32)).numpy(),
        method.explain(model, x),
        rtol=1e-4,
        atol=1e-6,
    )
    # Every CAM inherits the grid (a few models, to keep the suite quick).
    for cam in CAMS if name in ("vit", "functional") else []:
        maps = make(cam).explain(model, x, upsample=cam == "guided_gradcam")
        want = (2, 32, 32) if cam in INPUT_SIZED else (2, 4, 4)
        assert maps.shape == want, cam
        assert np.isfinite(maps).all() and maps.min() >= 0, cam


def test_a_class_token_model_has_no_gradient_at_the_last_blocks_patches(models):
    """Why the default moves to the tokens entering the last block."""
    model = models("vit")
    x = tf.constant(T.images(2))
    gradients = {}
    for path in (
        f"vit_backbone/vit_encoder/{LAST}",
        f"vit_backbone/vit_encoder/{LAST}/ln_1",
    ):
        ref = layers_lib.find_layer(model, path, rank=None)
        tape = tf.GradientTape()
        with tape, layers_lib.capture_layer(ref, tape) as captured:
            score = tf.reduce_sum(model(x)[:, 1])
        gradients[path] = np.abs(tape.gradient(score, captured[0]).numpy()).sum(-1)
    block, entering = gradients.values()
    assert (block[:, 1:] == 0).all() and (block[:, 0] > 0).all()
    assert (entering[:, 1:] > 0).all()
    maps = tbx.GradCAM(layer=next(iter(gradients))).explain(model, T.images(2))
    assert (maps == 0).all()


def test_any_block_by_name_nested_path_or_layer_object(models):
    model = models("vit")
    x = T.images(2)
    path = f"vit_backbone/vit_encoder/{FIRST}"
    encoder = model.get_layer("vit_backbone").get_layer("vit_encoder")
    by_path = tbx.GradCAM(layer=path).explain(model, x, upsample=False)
    by_name = tbx.GradCAM(layer=FIRST).explain(model, x, upsample=False)
    block = encoder.encoder_layers[0]
    by_object = tbx.GradCAM(layer=block).explain(model, x, upsample=False)
    assert tbx.GradCAM(layer=block).layer_name(model, x) == path
    np.testing.assert_array_equal(by_path, by_name)
    np.testing.assert_array_equal(by_path, by_object)
    assert by_path.shape == (2, 4, 4)
    other = tbx.GradCAM(layer=f"{path}/mlp").explain(model, x, upsample=False)
    assert np.abs(other - by_path).max() > 0


def test_an_unknown_layer_lists_the_blocks_inside_custom_layers(models):
    model = models("vit")
    with pytest.raises(ValueError, match="No layer 'block_9'") as err:
        tbx.GradCAM(layer="block_9").explain(model, T.images(1))
    assert f"vit_backbone/vit_encoder/{LAST}" in str(err.value)
    # Names shared by every block need their path.
    with pytest.raises(ValueError, match=rf"ambiguous.*{FIRST}/ln_1"):
        tbx.GradCAM(layer="ln_1").explain(model, T.images(1))


def test_feature_map_layers_work_as_cnn_layers(models):
    model = models("functional")
    x = T.images(2)
    maps = tbx.GradCAM(layer="patchify").explain(model, x, upsample=False)
    assert maps.shape == (2, 4, 4)  # the [B, 4, 4, 16] patch embedding itself
    assert tbx.GradCAM(layer="patchify").layer_description(model) == "layer `patchify`"


def test_tokens_on_no_grid_are_a_true_error():
    inputs = keras.Input(T.IMAGE)
    h = keras.layers.Reshape((32, 96))(inputs)  # rows, not patches
    h = keras.layers.Dense(8, name="rows")(h)
    h = keras.layers.GlobalAveragePooling1D()(h)
    model = keras.Model(inputs, keras.layers.Dense(3)(h))
    with pytest.raises(ValueError, match="32 tokens, which lie on no patch grid"):
        tbx.GradCAM(layer="rows").explain(model, T.images(1))


@pytest.mark.parametrize("name", ["vit", "vit_gap", "deit", "dinov2", "functional"])
@pytest.mark.parametrize("cls", ROLLOUTS, ids=lambda c: c.name)
def test_rollouts_give_a_patch_grid_map(models, name, cls):
    model = models(name)
    x = T.images(2)
    native = cls().explain(model, x, [0, 1], upsample=False)
    assert native.shape == (2, 4, 4)
    assert np.isfinite(native).all() and native.min() >= 0
    assert native.max() > 0
    assert cls().explain(model, x, [0, 1]).shape == (2, 32, 32)


@pytest.mark.parametrize(
    "method",
    [tbx.GradCAM(), tbx.ScoreCAM(max_channels=4), *[cls() for cls in ROLLOUTS]],
    ids=lambda m: type(m).__name__,
)
def test_tokens_the_trace_cannot_count_are_put_on_the_prepared_grid(models, method):
    """Tokens traced as [B, None, D] (keras_hub 0.25's DINOv2, the only one
    on Python 3.10) get the same maps as the same weights with counted tokens."""
    counted = T.functional_vit(counted=True)
    x = T.images(2)
    assert counted.get_layer("out_1").output.shape[1] is None
    maps = method.explain(counted, x, [0, 1], upsample=False)
    np.testing.assert_allclose(
        maps,
        type(method)(**TINY.get(method.name, {})).explain(
            models("functional"), x, [0, 1], upsample=False
        ),
        rtol=1e-5,
        atol=1e-7,
    )
    assert np.abs(maps).max() > 0


def test_rollouts_refuse_windowed_attention(models):
    for cls in ROLLOUTS:
        with pytest.raises(ValueError, match="attends within windows"):
            cls().explain(models("swin"), T.images(1))


def test_rollouts_refuse_models_without_attention():
    cnn = keras.Sequential(
        [
            keras.Input(T.IMAGE),
            keras.layers.Conv2D(4, 3),
            keras.layers.Flatten(),
            keras.layers.Dense(2),
        ]
    )
    for cls in ROLLOUTS:
        with pytest.raises(ValueError, match=r"needs attention layers.*has none"):
            cls().explain(cnn, T.images(1))


def test_attention_capture_leaves_the_model_unchanged(models):
    model = models("vit")
    x = T.images(2)
    before = model(x).numpy()
    tbx.GradientRollout().explain(model, x)
    mha = model.get_layer("vit_backbone").get_layer("vit_encoder").encoder_layers[0].mha
    assert "_compute_attention" not in mha.__dict__
    np.testing.assert_array_equal(model(x).numpy(), before)


# ------------------------------------------------------------------- text


def test_bert_explains_its_token_ids_with_masks_and_segments_held(models):
    model = models("bert")
    inputs = T.bert_inputs(3)
    assert tbx.IntegratedGradients().input_names(model) == ["token_ids"]
    assert tbx.GradCAM().input_names(model) == ["token_ids"]
    maps = tbx.IntegratedGradients(steps=8).explain(model, inputs)
    assert maps.shape == (3, T.LENGTH)
    # Integrated gradients from the pad token's... completeness over the ids.
    assert np.isfinite(maps).all()


def test_a_cam_at_a_bert_layer_gives_one_value_per_token(models):
    """The old diagnosis ("does not depend on layer") was false: the mask
    input was explained, and no tape watched the layer."""
    model = models("bert")
    inputs = T.bert_inputs(3)
    method = tbx.GradCAM(layer="bert_backbone/transformer_layer_1")
    maps = method.explain(model, inputs)
    assert maps.shape == (3, T.LENGTH)
    # The head reads [CLS] of the last layer: tokens entering it by default.
    assert (
        tbx.GradCAM().layer_name(model, inputs) == "bert_backbone/transformer_layer_0"
    )
    default = tbx.GradCAM().explain(model, inputs)
    assert default.shape == (3, T.LENGTH) and np.abs(default).max() > 0


@pytest.mark.parametrize("cls", ROLLOUTS, ids=lambda c: c.name)
def test_rollouts_give_one_value_per_token(models, cls):
    model = models("bert")
    inputs = T.bert_inputs(3)
    maps = cls().explain(model, inputs)
    assert maps.shape == (3, T.LENGTH)
    padding = inputs["padding_mask"] == 0
    # Padding is masked out of attention: it receives nothing.
    np.testing.assert_allclose(maps[padding], 0.0, atol=1e-6)


def test_a_class_token_the_model_prepends_is_left_out_of_the_tokens(models):
    model = models("text_encoder")
    ids = np.random.default_rng(0).integers(1, T.VOCABULARY, (2, T.LENGTH))
    method = tbx.GradCAM()
    assert method.layer_name(model, ids) == "ln_0"
    assert "1 leading token left out" in method.layer_description(model)
    for m in (method, tbx.AttentionRollout(), tbx.GradientRollout()):
        assert m.explain(model, ids).shape == (2, T.LENGTH)
