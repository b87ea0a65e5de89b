"""Tokens on their grid: a transformer layer's tokens [B, N, D] as the map
positions of its input, without the tokens that are no position.

A vision transformer cuts an H x W image into an h x w grid of patches and
runs ``N = k + h*w`` tokens: ``k`` leading special tokens (a class token;
DeiT's distillation token; DINOv2's register tokens, which follow the class
token), then the patches in row-major order (keras_hub's ViT, DeiT, DINOv2
and Swin, and the usual hand-built ViT, all order them so). A text
transformer runs one token per token id, or a few leading ones more. `grid`
finds ``k`` and the grid from the shapes alone; `to_grid` leaves the special
tokens out and puts the rest on the grid, so a CAM's definition applies over
the grid's axes as over a CNN's feature map.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import tensorflow as tf

__all__ = ["MAX_SPECIAL", "TokenGrid", "grid", "layer_grid", "to_grid"]

MAX_SPECIAL = 8
"""The most leading special tokens looked for (a class token, a distillation
token and up to 4 registers in keras_hub's models)."""


@dataclass(frozen=True)
class TokenGrid:
    """Where a layer's tokens lie on its input.

    Attributes:
      tokens: N, the layer's number of tokens.
      special: k, the leading tokens that are no position (left out).
      shape: The grid of the other N - k tokens: (h, w) over an image,
        (t,) over a sequence of tokens.
    """

    tokens: int
    special: int
    shape: tuple[int, ...]

    def describe(self) -> str:
        """E.g. ``"17 tokens on a 4x4 grid, 1 leading token left out"``."""
        where = "x".join(str(s) for s in self.shape)
        text = (
            f"{self.tokens} tokens on a {where} grid"
            if len(self.shape) == 2
            else f"{self.tokens} tokens, one per input token"
        )
        if self.special:
            plural = "s" if self.special > 1 else ""
            text += f", {self.special} leading token{plural} left out"
        return text


def _image_grid(count: int, height: int, width: int) -> tuple[int, int] | None:
    """(h, w) with h * w == count and square patches tiling H x W, or None."""
    if count <= 0 or (height * width) % count:
        return None
    side = math.isqrt(height * width // count)
    if side * side * count != height * width:
        return None
    if height % side or width % side:
        return None
    return height // side, width // side


def grid(tokens: int, map_shape: tuple[int, ...], what: str = "The layer") -> TokenGrid:
    """The grid that `tokens` tokens lie on over an input whose maps are
    `map_shape` ((H, W) for images, (T,) for token ids or sequences).

    Over an image, k is the fewest leading tokens (at most `MAX_SPECIAL`,
    fewer than the rest) after which the tokens are square patches tiling the
    image. Over T token ids, N == T is one token per id, N > T has N - T
    leading special tokens (at most `MAX_SPECIAL`), and N < T (a pooled or
    strided sequence) is a grid of N positions, resized over the T tokens.

    Raises:
      ValueError: the tokens lie on no such grid (the message says why).
    """
    if len(map_shape) == 2:
        height, width = map_shape
        for special in range(min(MAX_SPECIAL, tokens // 2) + 1):
            found = _image_grid(tokens - special, height, width)
            if found is not None:
                return TokenGrid(tokens, special, found)
        raise ValueError(
            f"{what} has {tokens} tokens, which lie on no patch grid of the "
            f"{height}x{width} input (square patches, after at most "
            f"{MAX_SPECIAL} leading class, distillation or register tokens)."
        )
    if len(map_shape) == 1:
        length = map_shape[0]
        if tokens > length and tokens - length <= MAX_SPECIAL:
            return TokenGrid(tokens, tokens - length, (length,))
        if tokens > length:
            raise ValueError(
                f"{what} has {tokens} tokens over {length} input tokens: more "
                f"than {MAX_SPECIAL} extra tokens, so they are not one per token."
            )
        return TokenGrid(tokens, 0, (tokens,))
    raise ValueError(
        f"{what} gives tokens [B, N, D]; they lie on a grid over images and "
        f"token ids only. Received: an input whose maps are {map_shape}"
    )


def layer_grid(
    shape: tuple[int | None, ...], map_shape: tuple[int, ...], path: str
) -> TokenGrid | None:
    """The grid of a layer's output of `shape` over maps of `map_shape`: for
    tokens [B, N, D] over an image, or more tokens than token ids; None where
    the output is explained as it is (a feature map, a sequence of at most
    one position per token) or N is not known yet.

    Raises:
      ValueError: tokens over an image that lie on no patch grid.
    """
    if len(shape) != 3 or shape[1] is None:
        return None
    tokens = int(shape[1])
    if len(map_shape) == 2 or (len(map_shape) == 1 and tokens > map_shape[0]):
        return grid(tokens, map_shape, f"Layer '{path}'")
    return None


def to_grid(values: tf.Tensor, token_grid: TokenGrid) -> tf.Tensor:
    """[B, N, D] tokens as [B, *grid, D], the special tokens left out."""
    kept = values[:, token_grid.special :]
    depth = values.shape[-1] if values.shape[-1] is not None else -1
    return tf.reshape(kept, [-1, *token_grid.shape, depth])
