"""Tests of the bundled shapes dataset (tbexplain.data)."""

from __future__ import annotations

import numpy as np
import pytest

from tbexplain.data import CLASS_NAMES, CUE_COLORS, cue_box, make_shapes


def _bbox_fill(mask: np.ndarray) -> tuple[float, float]:
    """(area / bounding-box area, top-half area / bottom-half area) of a mask."""
    ys, xs = np.nonzero(mask)
    box = mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    half = box.shape[0] // 2
    top, bottom = box[:half].sum(), box[box.shape[0] - half :].sum()
    return float(box.mean()), float(top / bottom)


def test_same_seed_same_data_other_seed_other_data():
    a = make_shapes(40, size=32, seed=7, cue="random")
    b = make_shapes(40, size=32, seed=7, cue="random")
    c = make_shapes(40, size=32, seed=8, cue="random")
    for field in ("images", "labels", "masks", "cue_masks"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.images, c.images)


def test_arrays_and_balanced_interleaved_labels():
    data = make_shapes(300, size=48, seed=1)
    assert data.images.shape == (300, 48, 48, 3)
    assert data.images.dtype == np.float32
    assert data.masks.shape == (300, 48, 48) and data.masks.dtype == bool
    assert data.images.min() >= 0.0 and data.images.max() <= 1.0
    assert data.class_names == CLASS_NAMES
    np.testing.assert_array_equal(np.bincount(data.labels), [75, 75, 75, 75])
    # Every block of 4 holds each class, so any prefix is balanced.
    assert sorted(data.labels[:4]) == [0, 1, 2, 3]
    small = data.take(8)
    assert len(small) == 8 and np.bincount(small.labels).tolist() == [2, 2, 2, 2]


def test_masks_have_the_geometry_of_their_class():
    data = make_shapes(200, size=64, seed=3, max_rotation=0.0)
    fills = {k: [] for k in range(4)}
    ratios = {k: [] for k in range(4)}
    for mask, label in zip(data.masks, data.labels, strict=True):
        fill, ratio = _bbox_fill(mask)
        fills[label].append(fill)
        ratios[label].append(ratio)
    circle, square, triangle, cross = (np.mean(fills[k]) for k in range(4))
    assert abs(circle - np.pi / 4) < 0.05
    assert square > 0.95
    assert abs(triangle - 0.5) < 0.07 and abs(cross - 0.51) < 0.07
    # A triangle points up (narrow top); a cross is symmetric.
    assert np.mean(ratios[2]) < 0.6
    assert abs(np.mean(ratios[3]) - 1.0) < 0.1


def test_shape_pixels_are_one_colour_that_stands_out():
    data = make_shapes(64, size=64, seed=4)
    for image, mask in zip(data.images, data.masks, strict=True):
        inside = image[mask]
        outside = image[~mask]
        assert mask.sum() > 60
        assert inside.std(axis=0).max() < 0.07  # one colour plus pixel noise
        assert np.abs(inside.mean(axis=0) - outside.mean(axis=0)).max() > 0.1


@pytest.mark.parametrize("size", [32, 64])
def test_cue_by_label_random_or_none(size):
    offset, side = cue_box(size)
    none = make_shapes(200, size=size, seed=5)
    label = make_shapes(200, size=size, seed=5, cue="label")
    rand = make_shapes(200, size=size, seed=5, cue="random")
    assert not none.cue_masks.any()
    box = np.zeros((size, size), bool)
    box[offset : offset + side, offset : offset + side] = True
    for data in (label, rand):
        assert (data.cue_masks == box).all()
        # The same seed gives the same scene; only the corner mark differs.
        np.testing.assert_array_equal(data.images[:, ~box], none.images[:, ~box])
        np.testing.assert_array_equal(data.masks, none.masks)
    corner = label.images[:, offset + side // 2, offset + side // 2]
    np.testing.assert_allclose(corner, CUE_COLORS[label.labels])
    rand_corner = rand.images[:, offset + side // 2, offset + side // 2]
    ids = np.argmin(np.abs(rand_corner[:, None, :] - CUE_COLORS[None]).sum(-1), axis=1)
    np.testing.assert_allclose(rand_corner, CUE_COLORS[ids])
    assert 0.1 < np.mean(ids == rand.labels) < 0.45  # uninformative
    assert len(set(ids.tolist())) == len(CUE_COLORS)


def test_shapes_keep_clear_of_the_cue_corner():
    size = 64
    offset, side = cue_box(size)
    margin = size // 8
    data = make_shapes(1000, size=size, seed=6, cue="label")
    reserved = offset + side + margin
    assert not data.masks[:, :reserved, :reserved].any()
    assert not (data.masks & data.cue_masks).any()


def test_every_chunk_of_a_large_call_is_generated():
    # More than two of the generator's vectorised chunks (256 images each).
    n = 600
    data = make_shapes(n, size=32, seed=9, cue="label")
    assert len(data) == n and data.images.shape == (n, 32, 32, 3)
    np.testing.assert_array_equal(np.bincount(data.labels), [n // 4] * 4)
    assert data.masks.sum(axis=(1, 2)).min() > 0  # a shape in every image
    assert data.cue_masks.all(axis=0).any()  # every image has its mark
    # Each chunk draws its own scenes: no chunk repeats another.
    assert len({image.tobytes() for image in data.images}) == n


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": -1}, "n must be >= 0"),
        ({"n": 4, "size": 8}, "size must be >= 16"),
        ({"n": 4, "cue": "corner"}, "cue must be None, 'label' or 'random'"),
    ],
)
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_shapes(**kwargs)


def test_reviews_hold_their_cue_words_where_the_masks_say():
    from tbexplain.data import reviews

    data = reviews.make_reviews(40, length=10, seed=5)
    again = reviews.make_reviews(40, length=10, seed=5)
    np.testing.assert_array_equal(data.tokens, again.tokens)
    assert data.labels.tolist() == [0, 1] * 20
    words = np.array(reviews.VOCABULARY)[data.tokens]
    positive, negative = set(reviews.POSITIVE), set(reviews.NEGATIVE)
    for row, mask, label in zip(words, data.cue_masks, data.labels, strict=True):
        cues = set(row[mask])
        assert 1 <= mask.sum() <= 2
        assert cues <= (positive if label else negative)
        assert not (set(row[~mask]) & (positive | negative))  # no other cue word
    assert (data.tokens[:, -1] == 0).any()  # some reviews are padded
    assert data.texts()[0] == " ".join(w for w in words[0] if w)
