"""One positive-integer check everywhere, and the forms a vocabulary may take."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tbexplain as tbx
from tbexplain.logger.display import token_texts


@pytest.mark.parametrize("bad", [True, 0, -1, 2.0, "3"])
def test_every_count_refuses_what_is_not_a_positive_integer(bad):
    dataset = tf.data.Dataset.from_tensor_slices(np.zeros((2, 4, 4, 3)))
    makers = [
        lambda v: tbx.GradCAM(batch_size=v),
        lambda v: tbx.IntegratedGradients(steps=v),
        lambda v: tbx.SmoothGrad(samples=v),
        lambda v: tbx.Occlusion(perturbation_batch=v),
        lambda v: tbx.RISE(num_masks=v),
        lambda v: tbx.ScoreCAM(max_channels=v),
        lambda v: tbx.AblationCAM(max_channels=v),
        lambda v: tbx.AblationCAM(perturbation_batch=v),
        lambda v: tbx.FilterVisualization(steps=v),
        lambda v: tbx.Activations(channels=v),
        lambda v: tbx.every(v, tbx.GradCAM()),
        lambda v: tbx.pipeline.Stages({"s": dataset}, n=v),
    ]
    for make in makers:
        with pytest.raises(ValueError):
            make(bad)
    for make in (
        lambda v: tbx.ExplainCallback(
            np.zeros((2, 4, 4, 3)), methods=tbx.GradCAM(), every_n_epochs=v, log_dir="x"
        ),
        lambda v: tbx.ExplanationLogger(
            np.zeros((2, 4, 4, 3)), methods=tbx.GradCAM(), top_k=v, log_dir="x"
        ),
    ):
        with pytest.raises(ValueError, match="must be a positive integer"):
            make(bad)
    assert tbx.GradCAM(batch_size=np.int64(2)).batch_size == 2


def test_a_vocabulary_is_a_list_a_lookup_layer_or_a_function():
    ids = np.array([[2, 3, 0], [1, 2, 2]])
    words = ["", "[UNK]", "good", "film"]
    expected = [["good", "film", ""], ["[UNK]", "good", "good"]]
    assert token_texts(words, ids) == expected
    lookup = keras.layers.StringLookup(vocabulary=["good", "film"], mask_token="")
    assert lookup.get_vocabulary() == words
    assert token_texts(lookup, ids) == expected
    vectorizer = keras.layers.TextVectorization(vocabulary=["good", "film"])
    assert token_texts(vectorizer, ids) == expected
    assert token_texts(lambda row: [f"t{i}" for i in row], ids) == [
        ["t2", "t3", "t0"],
        ["t1", "t2", "t2"],
    ]
    with pytest.raises(ValueError, match="index the vocabulary of 4 entries"):
        token_texts(words, np.array([[4]]))
    with pytest.raises(TypeError, match="vocabulary must be"):
        token_texts(42, ids)
