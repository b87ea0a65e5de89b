"""The one registry of input kinds: each kind's ranks, how methods feed it, its
baseline, its layout and how its tiles are drawn.

A kind is what one model input holds, told by its shape without the batch
axis (`of_input`). Each kind is also a layout of the format
(`tbexplain_plugin.metadata.LAYOUTS`, which holds the geometry of its tiles):
its inputs series are written in that layout, and so are maps of its map rank
(`map_layout`). Everything on the training side that depends on the kind
looks it up here: the reading and checking of inputs (`tbexplain.inputs`,
the logger's probe), the array methods attribute to (`Kind.fed`,
`tbexplain.methods.feeding`), where maps are stored (`Kind.per_element`),
what the metrics replace removed positions with (`Kind.baseline`,
`Kind.neighbours`) and how inputs are drawn (`Kind.input_tiles`).

A new kind is one `Kind` in `KINDS` (with a drawer in `tbexplain.tiles` if
its inputs are drawn in a new way), its layout in the format, and its module
in the frontend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tbexplain import tiles
from tbexplain_plugin import metadata

__all__ = [
    "BASELINE_FILL",
    "BASELINE_PAD",
    "FED_AS_CHANNEL",
    "FED_AS_IS",
    "FED_EMBEDDED",
    "INPUT_KINDS",
    "KINDS",
    "UNKNOWN",
    "Kind",
    "describe",
    "describe_maps",
    "find",
    "get",
    "input_layout",
    "map_layout",
    "of_input",
]

FED_AS_IS = "as_is"
"""Methods attribute to the input itself ([B, *positions, C])."""
FED_AS_CHANNEL = "as_channel"
"""Methods attribute to the input as one channel ([B, F] as [B, F, 1])."""
FED_EMBEDDED = "embedded"
"""The input holds integer ids read by an ``Embedding``: methods attribute to
their embeddings ([B, T] as [B, T, E])."""

BASELINE_FILL = "fill"
"""Perturbations and paths start from each method's own fill (zeros, a blur)."""
BASELINE_PAD = "pad"
"""Perturbations and paths start from the pad token's embedding (zeros when
the pad token is unknown)."""

UNKNOWN = "unknown"
"""The kind of a model input of no kind here (`tbexplain.inputs.InputSpec`)."""

Drawer = Callable[
    [np.ndarray, int | None], tuple[np.ndarray, list[tuple[float, float]]]
]


@dataclass(frozen=True)
class Kind:
    """One kind of input.

    Attributes:
      name: Its name, which is also its layout in the format.
      noun: What a batch of it holds, in messages ("images").
      axes: The axes of one sample as a model takes it (``("H", "W", "C")``);
        past the format's map rank of the layout, the last is channels.
      draw: How a batch of its inputs [B, *axes] becomes one array per sample
        for the tiles (a drawer of `tbexplain.tiles`).
      fed: How methods feed it (`FED_AS_IS`, `FED_AS_CHANNEL`, `FED_EMBEDDED`).
      baseline: What it is when "absent" (`BASELINE_FILL`, `BASELINE_PAD`).
      per_element: Whether its maps are stored at the input's resolution,
        one value per element (a CAM over tokens is upsampled to them).
      channel_optional: Whether a batch of its inputs may leave out the
        channel axis (one channel), as `tf.summary.image` takes [B, H, W];
        inputs of such a kind's ranks are that kind when no layout is given.
      neighbours: Whether neighbouring positions hold alike values, so that
        a blur of the input is a meaningful "absent" value (the metrics'
        default baseline); features are independent columns.
    """

    name: str
    noun: str
    axes: tuple[str, ...]
    draw: Drawer
    fed: str = FED_AS_IS
    baseline: str = BASELINE_FILL
    per_element: bool = False
    channel_optional: bool = False
    neighbours: bool = True

    @property
    def rank(self) -> int:
        """The rank of one sample as a model takes it (no batch axis)."""
        return len(self.axes)

    @property
    def map_rank(self) -> int:
        """The rank of one map over it: the positions, without channels."""
        return metadata.layout_spec(self.name).map_rank

    @property
    def channels(self) -> bool:
        """Whether a sample's last axis holds channels."""
        return self.rank > self.map_rank

    @property
    def token_ids(self) -> bool:
        """Whether it holds integer ids (read through an ``Embedding``)."""
        return self.fed == FED_EMBEDDED

    @property
    def representation_rank(self) -> int:
        """The rank, batch included, of the array methods attribute to
        ([B, *positions, channels]), which is also the rank of the layers a
        CAM explains over it."""
        return self.map_rank + 2

    def map_shape(self, shape: Sequence[Any]) -> tuple[Any, ...]:
        """The positions a map covers, from one sample's shape."""
        return tuple(shape[: self.map_rank])

    def batch_text(self, optional_channels: bool = False) -> str:
        """A batch's shape in messages: ``"[B, H, W, C]"`` (``"[B, H, W(, C)]"``)."""
        axes = ", ".join(("B", *self.axes[: self.map_rank]))
        if not self.channels:
            return f"[{axes}]"
        channel = self.axes[-1]
        return f"[{axes}(, {channel})]" if optional_channels else f"[{axes}, {channel}]"

    def maps_text(self) -> str:
        """The shape of a batch of maps over it in messages: ``"[N, H, W]"``."""
        return f"[{', '.join(('N', *self.axes[: self.map_rank]))}]"

    def check_inputs(self, array: np.ndarray) -> None:
        """Checks the rank of a batch of these inputs.

        Raises:
          ValueError: an array of another rank, or empty.
        """
        ranks = (self.map_rank, self.rank) if self.channel_optional else (self.rank,)
        if array.ndim - 1 not in ranks or 0 in array.shape:
            raise ValueError(
                f"{self.name} inputs must be a non-empty batch "
                f"{self.batch_text(self.channel_optional)}. "
                f"Received: shape={array.shape}"
            )

    def input_tiles(
        self, array: np.ndarray, pad_id: int | None = None
    ) -> tuple[np.ndarray, list[tuple[float, float]], list[int]]:
        """The tiles [B, h, w, c] of a batch of these inputs, each sample's raw
        (min, max), and the manifest's shape of one sample.

        Raises:
          ValueError: an array of another rank, or empty.
        """
        self.check_inputs(array)
        if array.ndim - 1 != self.rank:
            array = array[..., None]
        pixels, ranges = self.draw(array, pad_id)
        shape = list(array.shape[1:])
        return tiles.tiled(pixels, self.name, shape), ranges, shape


KINDS: tuple[Kind, ...] = (
    Kind(
        metadata.LAYOUT_IMAGE,
        "images",
        ("H", "W", "C"),
        tiles.draw_pictures,
        channel_optional=True,
    ),
    Kind(metadata.LAYOUT_SEQUENCE, "sequences", ("T", "C"), tiles.draw_values),
    Kind(
        metadata.LAYOUT_TOKENS,
        "token ids",
        ("T",),
        tiles.draw_presence,
        fed=FED_EMBEDDED,
        baseline=BASELINE_PAD,
        per_element=True,
    ),
    Kind(
        metadata.LAYOUT_FEATURES,
        "features",
        ("F",),
        tiles.draw_values,
        fed=FED_AS_CHANNEL,
        per_element=True,
        neighbours=False,
    ),
    Kind(
        metadata.LAYOUT_VOLUME,
        "volumes",
        ("D", "H", "W", "C"),
        tiles.draw_pictures,
        channel_optional=True,
    ),
)
"""Every kind, in the order of the format's layouts."""

INPUT_KINDS = tuple(kind.name for kind in KINDS)
"""The names of the kinds, which are the format's layouts."""

if INPUT_KINDS != metadata.LAYOUTS:
    raise ImportError(
        "tbexplain.kinds must define one kind per layout of the format, in its "
        f"order. Received: kinds={INPUT_KINDS}, layouts={metadata.LAYOUTS}"
    )

_BY_NAME = {kind.name: kind for kind in KINDS}


def find(name: str) -> Kind | None:
    """The kind named `name`, or None (`UNKNOWN`, or not a kind)."""
    return _BY_NAME.get(name)


def get(name: str) -> Kind:
    """The kind named `name`.

    Raises:
      ValueError: no kind has that name.
    """
    kind = _BY_NAME.get(name)
    if kind is None:
        raise ValueError(f"kind must be one of {INPUT_KINDS}. Received: {name!r}")
    return kind


def of_input(rank: int, token_ids: bool = False) -> Kind | None:
    """The kind of a model input whose samples have `rank` axes, or None.

    Args:
      rank: The rank of one sample (no batch axis).
      token_ids: Whether the input holds integer ids read by an
        ``Embedding`` (rank 1: tokens rather than features).
    """
    fits = [kind for kind in KINDS if kind.rank == rank]
    for kind in fits:
        if kind.token_ids == token_ids:
            return kind
    return fits[0] if fits else None


def describe(kinds: Iterable[Kind] = KINDS) -> str:
    """The batches of `kinds` in messages: ``"images [B, H, W, C], ... or
    volumes [B, D, H, W, C]"``."""
    texts = [f"{kind.noun} {kind.batch_text()}" for kind in kinds]
    return texts[0] if len(texts) == 1 else f"{', '.join(texts[:-1])} or {texts[-1]}"


def describe_maps() -> str:
    """The maps of every kind in messages: ``"[N, H, W] (images), [N, T]
    (sequences, token ids, features) or ..."``."""
    by_rank: dict[int, list[Kind]] = {}
    for kind in KINDS:
        by_rank.setdefault(kind.map_rank, []).append(kind)
    texts = [
        f"{same[0].maps_text()} ({', '.join(kind.noun for kind in same)})"
        for same in by_rank.values()
    ]
    return f"{', '.join(texts[:-1])} or {texts[-1]}"


def map_layout(rank: int, kind: str | None = None) -> str:
    """The layout of maps of `rank` axes (no batch axis) over an input of
    `kind`: the kind's own when its maps have that rank, else the format's
    default for the rank (a CAM at a layer of another rank than its input).

    Raises:
      ValueError: maps of a rank no layout has.
    """
    own = find(kind) if kind is not None else None
    if own is not None and own.map_rank == rank:
        return own.name
    return metadata.default_map_layout(rank)


def input_layout(rank: int) -> str:
    """The layout of inputs whose samples have `rank` axes, when none is
    given: the first kind that may leave out channels and has samples of that
    rank with or without them (an image for [H, W] and [H, W, C]), else the
    first kind (whose drawing then says what it takes)."""
    for kind in KINDS:
        if kind.channel_optional and rank in (kind.map_rank, kind.rank):
            return kind.name
    return KINDS[0].name
