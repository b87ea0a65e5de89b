"""A synthetic shapes dataset with ground-truth masks and an optional spurious cue.

Every image shows one shape (circle, square, triangle or cross) of random
position, size, rotation and colour on a random texture (a tinted background,
stripes of random frequency and orientation, and pixel noise). The mask of an
image is the set of the shape's pixels, so localisation metrics such as the
pointing game have a ground truth.

With ``cue="label"`` a small square mark whose colour is decided by the class
(red, green, blue, yellow) is painted into the top-left corner: a spurious cue.
A model trained on such images can reach full accuracy by reading the colour
of the mark alone, a shortcut that explanations reveal. With ``cue="random"``
the same mark is painted in a random one of these colours, so it is present
but carries no information (the control). Shapes keep clear of that corner
(by at least ``size // 8`` pixels), so a heatmap that points at the mark does
not point at the shape.

Generation is deterministic for a given seed and vectorised with numpy:
a few thousand 64x64 images take about a second. Nothing is downloaded.
"""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["CLASS_NAMES", "CUE_COLORS", "ShapesData", "cue_box", "make_shapes"]

CLASS_NAMES: tuple[str, ...] = ("circle", "square", "triangle", "cross")

#: RGB colour of the spurious cue of each class, indexed by class id.
CUE_COLORS = np.array(
    [[1.0, 0.1, 0.1], [0.1, 0.9, 0.1], [0.15, 0.3, 1.0], [1.0, 0.95, 0.1]],
    dtype=np.float32,
)

_CHUNK = 256  # images generated per vectorised chunk (bounds peak memory)


@dataclasses.dataclass(frozen=True)
class ShapesData:
    """Images, labels and masks of a generated split.

    Attributes:
      images: float32 [N, H, W, 3] in [0, 1].
      labels: int64 [N], indices into `class_names`.
      masks: bool [N, H, W], True on the pixels of the shape.
      cue_masks: bool [N, H, W], True on the pixels of the spurious cue (all
        False when the split has no cue).
      class_names: The class names, indexed by label.
    """

    images: np.ndarray
    labels: np.ndarray
    masks: np.ndarray
    cue_masks: np.ndarray
    class_names: tuple[str, ...] = CLASS_NAMES

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def take(self, count: int) -> ShapesData:
        """The first `count` examples (classes are interleaved, so balanced)."""
        return dataclasses.replace(
            self,
            images=self.images[:count],
            labels=self.labels[:count],
            masks=self.masks[:count],
            cue_masks=self.cue_masks[:count],
        )


def cue_box(size: int) -> tuple[int, int]:
    """(offset, side) in pixels of the cue square in the top-left corner."""
    side = max(3, round(size * 0.11))
    return max(1, size // 32), side


def _balanced_labels(n: int, rng: np.random.Generator) -> np.ndarray:
    """Labels with every class equally often; every block of 4 holds each class."""
    k = len(CLASS_NAMES)
    blocks = -(-n // k)
    labels = np.concatenate([rng.permutation(k) for _ in range(blocks)])
    return labels[:n].astype(np.int64)


def _shape_masks(
    labels: np.ndarray,
    cx: np.ndarray,
    cy: np.ndarray,
    r: np.ndarray,
    angle: np.ndarray,
    size: int,
) -> np.ndarray:
    """bool [N, size, size]: the pixels covered by each image's shape."""
    grid = np.arange(size, dtype=np.float32) + 0.5
    dx = grid[None, None, :] - cx[:, None, None]
    dy = grid[None, :, None] - cy[:, None, None]
    cos = np.cos(angle)[:, None, None]
    sin = np.sin(angle)[:, None, None]
    u = cos * dx + sin * dy  # shape-aligned coordinates
    v = cos * dy - sin * dx
    r = r[:, None, None]
    au, av = np.abs(u), np.abs(v)
    circle = u * u + v * v <= r * r
    square = np.maximum(au, av) <= 0.8 * r
    # Upright triangle: apex at v = -r, base at v = 0.7 r, half-width 0.95 r.
    triangle = (v >= -r) & (v <= 0.7 * r) & (au <= (v + r) * (0.95 / 1.7))
    arm = 0.3 * r
    cross = ((au <= arm) & (av <= r)) | ((av <= arm) & (au <= r))
    label = labels[:, None, None]
    return np.where(
        label == 0,
        circle,
        np.where(label == 1, square, np.where(label == 2, triangle, cross)),
    )


def _hsv_to_rgb(h: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Vectorised HSV -> RGB for arrays of shape [N]; returns [N, 3]."""
    i = np.floor(h * 6.0).astype(np.int64) % 6
    f = h * 6.0 - np.floor(h * 6.0)
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    table = np.stack(
        [
            np.stack([v, t, p], -1),
            np.stack([q, v, p], -1),
            np.stack([p, v, t], -1),
            np.stack([p, q, v], -1),
            np.stack([t, p, v], -1),
            np.stack([v, p, q], -1),
        ],
        axis=1,
    )  # [N, 6, 3]
    return table[np.arange(h.shape[0]), i]


def _generate_chunk(
    labels: np.ndarray,
    size: int,
    rng: np.random.Generator,
    cue: str | None,
    cue_rng: np.random.Generator,
    max_rotation: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = int(labels.shape[0])
    f32 = np.float32
    r = rng.uniform(0.14 * size, 0.22 * size, n).astype(f32)
    cx = rng.uniform(r + 1.0, size - r - 1.0, size=n).astype(f32)
    cy = rng.uniform(r + 1.0, size - r - 1.0, size=n).astype(f32)
    offset, side = cue_box(size)
    # Keep the shape's bounding box away from the cue corner: mirror it.
    reserved = offset + side + max(3, size // 8)
    near = (cx - r < reserved) & (cy - r < reserved)
    cx = np.where(near, size - cx, cx)
    angle = np.deg2rad(rng.uniform(-max_rotation, max_rotation, n)).astype(f32)
    masks = _shape_masks(labels, cx, cy, r, angle, size)

    # Texture: tinted base + oriented stripes + pixel noise.
    base = rng.uniform(0.15, 0.55, (n, 1, 1, 3)).astype(f32)
    freq = rng.uniform(2.0, 7.0, n).astype(f32)[:, None, None]
    theta = rng.uniform(0.0, np.pi, n).astype(f32)
    phase = rng.uniform(0.0, 2 * np.pi, n).astype(f32)[:, None, None]
    amp = rng.uniform(0.04, 0.14, (n, 1, 1, 1)).astype(f32)
    grid = np.arange(size, dtype=f32) / size
    proj = (
        np.cos(theta)[:, None, None] * grid[None, None, :]
        + np.sin(theta)[:, None, None] * grid[None, :, None]
    )
    stripes = np.sin(2 * np.pi * freq * proj + phase)[..., None]
    background = base + amp * stripes

    colour = _hsv_to_rgb(
        rng.uniform(0.0, 1.0, n), rng.uniform(0.3, 1.0, n), rng.uniform(0.7, 1.0, n)
    ).astype(f32)[:, None, None, :]
    images = np.where(masks[..., None], colour, background)
    images += 0.04 * rng.standard_normal(images.shape, dtype=f32)

    cue_masks = np.zeros_like(masks)
    if cue is not None:
        cue_ids = labels if cue == "label" else cue_rng.integers(0, len(CUE_COLORS), n)
        cue_masks[:, offset : offset + side, offset : offset + side] = True
        images = np.where(
            cue_masks[..., None], CUE_COLORS[cue_ids][:, None, None, :], images
        )
    np.clip(images, 0.0, 1.0, out=images)
    return images.astype(f32, copy=False), masks, cue_masks


def make_shapes(
    n: int,
    *,
    size: int = 64,
    seed: int = 0,
    cue: str | None = None,
    max_rotation: float = 20.0,
) -> ShapesData:
    """Generates `n` shape images with masks, deterministically from `seed`.

    Args:
      n: Number of images (classes are balanced and interleaved).
      size: Height and width in pixels (at least 16).
      seed: Seed of the generator; the same arguments give the same data.
      cue: The corner mark: None (no mark), ``"label"`` (coloured by the
        class: a spurious cue that predicts the label) or ``"random"``
        (coloured at random: present but uninformative).
      max_rotation: Shapes are rotated uniformly within +-this many degrees.

    Returns:
      A `ShapesData`.

    Raises:
      ValueError: `n` is negative or `size` is smaller than 16.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0. Received: n={n}")
    if cue not in (None, "label", "random"):
        raise ValueError(
            f"cue must be None, 'label' or 'random'. Received: cue={cue!r}"
        )
    if size < 16:
        raise ValueError(f"size must be >= 16. Received: size={size}")
    rng = np.random.default_rng(seed)
    # A separate stream for the random cue colours keeps the images of the
    # same seed identical (but for the corner mark) whatever `cue` is.
    cue_rng = np.random.default_rng([seed, 1])
    labels = _balanced_labels(n, rng)
    images = np.empty((n, size, size, 3), np.float32)
    masks = np.empty((n, size, size), bool)
    cue_masks = np.empty((n, size, size), bool)
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        images[start:stop], masks[start:stop], cue_masks[start:stop] = _generate_chunk(
            labels[start:stop], size, rng, cue, cue_rng, max_rotation
        )
    return ShapesData(images=images, labels=labels, masks=masks, cue_masks=cue_masks)
