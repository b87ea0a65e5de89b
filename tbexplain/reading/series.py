"""One tbexplain series and its steps, decoded from their manifests and PNG strips.

A step's value is ``[manifest, png, ...]`` (`tbexplain_plugin.metadata`): the
images of `tiles` consecutive manifest rows stacked top to bottom in each
PNG, each row's tile as `metadata.tile_geometry` gives it for the row's
layout. Heatmaps are 8-bit; each row's raw values come back as
``min + p / 255 * (max - min)`` from that row's ``min`` and ``max`` facts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from tbexplain.reading.png import decode_png
from tbexplain_plugin import metadata

__all__ = ["Series", "Step"]

_MAP_KINDS = (metadata.KIND_EXPLANATION, metadata.KIND_ACTIVATIONS)
_IMAGE_KINDS = (metadata.KIND_INPUTS, metadata.KIND_FILTERS)


def _frozen(array: np.ndarray) -> np.ndarray:
    """`array`, read-only: it is cached and shared by every access."""
    array.flags.writeable = False
    return array


class Step:
    """One logged step of a series.

    Attributes:
      series: The `Series` it belongs to.
      step: The step number.
      wall_time: When it was written (seconds since the epoch).
      manifest: One dict per row (image or map) of the step, as
        `tbexplain_plugin.metadata.manifest_items` returns them: e.g.
        ``sample``, ``class_id``, ``class_name``, ``score``, ``label``,
        ``predicted``, ``predicted_name``, ``min``, ``max``, ``nonfinite``.
        Whatever facts the writer recorded, all of them, as the tab reads
        them (a null ``score`` or ``predicted`` kept, other nulls left out).
      attrs: The manifest's other top-level facts (``version``, ``kind``,
        ``shape``, ``tiles``, the ``names`` table, ``target_name`` when the
        maps explain a named target rather than a class, ...).
      shape: The shape of one row's map ([H, W] or [T]) or image ([H, W, C]).
      layout: How the rows are laid out (`tbexplain_plugin.metadata.LAYOUTS`):
        the series' layout, or for a series written before layouts were
        recorded, the one its shape implies (`metadata.resolve_layout`).
    """

    manifest: list[dict[str, Any]]
    attrs: dict[str, Any]
    shape: tuple[int, ...]
    layout: str

    def __init__(
        self,
        series: Series,
        step: int,
        wall_time: float,
        manifest_bytes: bytes,
        pngs: Sequence[bytes],
    ) -> None:
        self.series = series
        self.step = step
        self.wall_time = wall_time
        try:
            self._parse(manifest_bytes, pngs)
        except ValueError as e:
            raise self._error(e) from e

    def _parse(self, manifest_bytes: bytes, pngs: Sequence[bytes]) -> None:
        parsed = metadata.parse_manifest(manifest_bytes)
        version = parsed.get("version")
        if isinstance(version, int) and version > metadata.PROTO_VERSION:
            raise metadata.UnsupportedVersionError(version)
        self.manifest = metadata.manifest_items(parsed)
        self.attrs = {k: v for k, v in parsed.items() if k not in ("columns", "items")}
        self.shape = tuple(metadata.manifest_shape(parsed))
        self.layout = metadata.resolve_layout(self.series.layout, self.shape)
        self._tile = metadata.tile_geometry(self.layout, self.shape)
        self._tiles = metadata.manifest_tiles(parsed)
        expected = metadata.blob_count(len(self.manifest), self._tiles)
        if len(pngs) != expected:
            raise ValueError(
                f"corrupt tbexplain step: {len(pngs)} images for "
                f"{len(self.manifest)} rows of {self._tiles} a strip "
                f"(expected {expected})"
            )
        self._pngs = list(pngs)

    def _error(self, error: ValueError) -> ValueError:
        """`error`, saying which step of which series it is about."""
        return ValueError(
            f"step {self.step} of {self.series.tag!r} of run "
            f"{self.series.run!r}: {error}"
        )

    def __repr__(self) -> str:
        return (
            f"Step({self.series.tag!r}, step={self.step}, rows={len(self.manifest)}, "
            f"shape={self.shape})"
        )

    @functools.cached_property
    def _pixels(self) -> np.ndarray:
        """Every row's decoded 8-bit image, uint8 [N, h, w, C]."""
        try:
            return self._decode()
        except ValueError as e:
            raise self._error(e) from e

    def _rows(self, pixels: np.ndarray) -> np.ndarray:
        """Per-row tiles [N, h, w, c] in the row's own shape: frames stacked
        in a tile apart, channel rows [C, T] as a last axis [T, C]."""
        spec = metadata.layout_spec(self.layout)
        if spec.frames:
            return pixels.reshape(len(pixels), *self.shape[:3], -1)
        if spec.channel_rows and len(self.shape) == 2:
            return np.swapaxes(pixels[..., 0], 1, 2)  # [N, T, C]
        return pixels

    def _decode(self) -> np.ndarray:
        width, height, _, channels = self._tile
        rows = len(self.manifest)
        strips = []
        for k, png in enumerate(self._pngs):
            strip = decode_png(png)
            count = min(self._tiles, rows - k * self._tiles)
            if strip.shape != (count * height, width, channels):
                raise ValueError(
                    f"corrupt tbexplain step: image {k} is {strip.shape} for "
                    f"{count} rows of {(height, width, channels)}"
                )
            strips.append(strip.reshape(count, height, width, channels))
        return np.concatenate(strips)

    @functools.cached_property
    def maps(self) -> np.ndarray:
        """The raw values of each row's map: float32 [N, H, W] ([N, T] for
        sequences), to 8 bits: within half a step, ``(max - min) / 510``, of
        what was logged. Non-finite values were written as the row's ``min``
        (``max`` for +inf) and are counted in its ``nonfinite`` fact.

        Raises:
          ValueError: the series holds images (inputs, filters), or the
            manifest lacks a row's ``min`` or ``max``.
        """
        if (
            self.series.kind not in _MAP_KINDS
            and not metadata.layout_spec(self.layout).values
        ):
            raise ValueError(
                f"{self.series.kind} series hold images, not maps: read "
                f"Step.images. Received: kind={self.series.kind!r}"
            )
        pixels = self._rows(self._pixels)
        if pixels.ndim == 4:
            pixels = pixels[..., 0]
        try:
            lo = np.array([row["min"] for row in self.manifest], np.float64)
            hi = np.array([row["max"] for row in self.manifest], np.float64)
        except (KeyError, TypeError, ValueError) as e:
            raise self._error(
                ValueError(f"corrupt tbexplain manifest: min/max: {e}")
            ) from e
        expand = (slice(None),) + (None,) * (pixels.ndim - 1)
        lo, hi = lo[expand], hi[expand]
        values = lo + pixels * ((hi - lo) / 255.0)
        return _frozen(values.reshape(len(values), *self.shape).astype(np.float32))

    @functools.cached_property
    def images(self) -> np.ndarray:
        """The images of an inputs or filters series: uint8 [N, H, W, C], as
        they were written (the 8-bit pixels the UI shows).

        Raises:
          ValueError: the series holds maps (explanation, activations).
        """
        if self.series.kind not in _IMAGE_KINDS:
            raise ValueError(
                f"{self.series.kind} series hold maps, not images: read "
                f"Step.maps. Received: kind={self.series.kind!r}"
            )
        return _frozen(self._rows(self._pixels))

    @functools.cached_property
    def inputs_step(self) -> Step | None:
        """The step of the overlaid inputs series (`Series.overlay`) that
        this step's maps are shown on: its latest at or before this one
        (None without one)."""
        overlay = self.series.overlay
        if overlay is None:
            return None
        earlier = [s for s in overlay.steps if s <= self.step]
        return overlay[earlier[-1]] if earlier else None

    @functools.cached_property
    def inputs(self) -> np.ndarray | None:
        """The input image under each row's map, uint8 [N, H, W, C]: image
        number ``sample`` (the row's) of `inputs_step` (so the rows of a
        sample's top-k classes repeat its input). None when the series has
        no inputs series, or that has no step at or before this one.

        Raises:
          ValueError: a row's ``sample`` is missing or not an image of the
            inputs step.
        """
        source = self.inputs_step
        if source is None:
            return None
        images = source.images
        samples = [row.get("sample") for row in self.manifest]
        for i, sample in enumerate(samples):
            if not isinstance(sample, int) or not 0 <= sample < len(images):
                raise self._error(
                    ValueError(
                        f"row {i} overlays no image of its inputs step "
                        f"{source.step} ({len(images)} images). "
                        f"Received: sample={sample!r}"
                    )
                )
        return _frozen(images[np.asarray(samples, np.intp)])


class Series(Mapping[int, Step]):
    """The steps of one tbexplain series (run, tag): a mapping step -> `Step`.

    ``series[s]`` decodes step ``s`` once (later reads return the same
    `Step`); iterating yields the step numbers, ascending.

    Attributes:
      run: The run's name.
      tag: The series' tag.
      kind: ``"explanation"``, ``"inputs"`` (images or a pipeline stage),
        ``"activations"`` or ``"filters"``.
      method: The explanation method's key (e.g. ``"gradcam"``), or "".
      layer: The layer the series is about, or "".
      signed: Whether the values may be negative.
      stage: The pipeline stage's name of an inputs series, or "".
      inputs_tag: The tag of the inputs series the maps overlay, or "".
      description: The series' Markdown description.
      version: The format version the series was written with.
      overlay: The `Series` named by `inputs_tag` in the same run, or None.
      steps: The step numbers, ascending.
    """

    def __init__(
        self,
        run: str,
        tag: str,
        plugin_data: Any,
        description: str,
        steps: Mapping[int, tuple[float, Callable[[], list[bytes]]]],
        overlay: Series | None = None,
    ) -> None:
        """Builds a series from its parsed metadata and steps.

        Args:
          run: The run's name.
          tag: The series' tag.
          plugin_data: Its parsed `ExplainPluginData`.
          description: Its description.
          steps: step -> (wall time, a function returning its blobs
            ``[manifest, png, ...]``).
          overlay: The inputs series named by ``plugin_data.inputs_tag``.
        """
        self.run = run
        self.tag = tag
        self.kind = metadata.kind_name(plugin_data)
        self.method = plugin_data.method
        self.layer = plugin_data.layer
        self.signed = bool(plugin_data.signed)
        self.stage = plugin_data.stage
        self.inputs_tag = plugin_data.inputs_tag
        self.layout = getattr(plugin_data, "layout", "")
        self.input_name = getattr(plugin_data, "input_name", "")
        self.feature_names = list(getattr(plugin_data, "feature_names", []))
        self.mask_tag = getattr(plugin_data, "mask_tag", "")
        self.description = description
        self.version = plugin_data.version
        self.overlay = overlay
        self._sources = dict(sorted(steps.items()))
        self.steps = list(self._sources)
        self._cache: dict[int, Step] = {}

    def __repr__(self) -> str:
        about = "".join(
            f", {key}={value!r}"
            for key, value in (("method", self.method), ("layer", self.layer))
            if value
        )
        return (
            f"Series(run={self.run!r}, tag={self.tag!r}, kind={self.kind!r}"
            f"{about}, steps={self.steps})"
        )

    def __getitem__(self, step: int) -> Step:
        cached = self._cache.get(step)
        if cached is not None:
            return cached
        if step not in self._sources:
            raise KeyError(
                f"{self.tag!r} of run {self.run!r} has no step {step!r}; "
                f"its steps are {self.steps}"
            )
        wall_time, load = self._sources[step]
        blobs = load() or [b""]  # no manifest: corrupt, as an empty one is
        decoded = Step(self, step, wall_time, blobs[0], blobs[1:])
        self._cache[step] = decoded
        return decoded

    def __iter__(self) -> Iterator[int]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def maps(self) -> np.ndarray:
        """Every step's `Step.maps`, stacked: float32 [S, N, H, W] ([S, N, T]),
        steps in the order of `steps`.

        Raises:
          ValueError: not a map series, or steps of different shapes (read
            them one by one then).
        """
        return self._stack("maps")

    def images(self) -> np.ndarray:
        """Every step's `Step.images`, stacked: uint8 [S, N, H, W, C].

        Raises:
          ValueError: not an image series, or steps of different shapes.
        """
        return self._stack("images")

    def _stack(self, what: str) -> np.ndarray:
        arrays = {s: getattr(self[s], what) for s in self.steps}
        shapes = {a.shape for a in arrays.values()}
        if len(shapes) > 1:
            raise ValueError(
                f"the steps of {self.tag!r} of run {self.run!r} have {what} of "
                "different shapes; read them one by one (series[step]."
                f"{what}). Received: "
                + ", ".join(f"step {s}: {a.shape}" for s, a in arrays.items())
            )
        return np.stack(list(arrays.values()))
