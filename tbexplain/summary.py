"""Summary ops that write tbexplain's format, used like `tf.summary.image`.

Each op writes one step of a blob-sequence series under the default summary
writer::

    writer = tf.summary.create_file_writer("logs/run1")
    with writer.as_default(step=epoch):
        tbx.summary.inputs("explain/inputs", images, labels=labels)
        tbx.summary.explanation("explain/gradcam", maps, method="gradcam",
                                class_ids=ids, inputs="explain/inputs")

The format is defined in `tbexplain_plugin.metadata`. Ops return False (and do
no work) when there is no default writer or recording is off, like
`tf.summary.write`. Validation errors are raised before anything is written,
so an invalid call never leaves a corrupt event. Non-finite heatmap values are
written as the map's minimum and counted in the manifest (``nonfinite``).

The ops run eagerly or inside `tf.function` (through `tf.numpy_function`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from tbexplain.strips import encode_strips
from tbexplain_plugin import metadata

__all__ = ["activations", "explanation", "filters", "inputs"]

ArrayLike = Any  # numpy array, tf.Tensor or nested sequence


_PLAIN = (np.ndarray, np.generic, list, tuple, int, float, str, bytes, type(None))


def _is_tensor(value: Any) -> bool:
    # tf.is_tensor is a slow Protocol check; most values here are numpy.
    return not isinstance(value, _PLAIN) and tf.is_tensor(value)


def _is_symbolic(*values: Any) -> bool:
    return not tf.executing_eagerly() and any(_is_tensor(v) for v in values)


def _to_numpy(value: ArrayLike, what: str, dtype: Any = None) -> np.ndarray:
    if _is_tensor(value):
        value = value.numpy()  # type: ignore[union-attr]
    array = np.asarray(value)
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    if array.dtype == object:
        raise TypeError(f"{what} must be numeric. Received: dtype=object")
    return array


def _per_item(
    value: ArrayLike | None, count: int, what: str, dtype: Any
) -> np.ndarray | None:
    if value is None:
        return None
    array = _to_numpy(value, what, dtype).reshape(-1)
    if array.shape[0] != count:
        raise ValueError(
            f"{what} must have one entry per map ({count}). "
            f"Received: {array.shape[0]} entries"
        )
    return array


def _classified_manifest(
    kind: str,
    shape: Sequence[int],
    columns: dict[str, list[Any]],
    class_names: Sequence[str] | None,
    *,
    class_ids: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    predicted: np.ndarray | None = None,
    tiles: int = 1,
    target_name: str | None = None,
) -> bytes:
    """The manifest with the ``class_id``, ``label`` and ``predicted`` columns,
    if given, and the names of the classes they use (ids without a name are
    left out)."""
    used: set[int] = set()
    for key, values in (
        ("class_id", class_ids),
        ("label", labels),
        ("predicted", predicted),
    ):
        if values is not None:
            columns[key] = values.tolist()
            used.update(columns[key])
    names = None
    if class_names is not None:
        names = {
            c: str(class_names[c]) for c in sorted(used) if 0 <= c < len(class_names)
        }
    return metadata.encode_manifest(
        kind, shape, columns, names, tiles=tiles, target_name=target_name
    )


def _finite_ranges(maps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-map (min, max, number of non-finite values) of [N, ...] maps.

    Ranges ignore non-finite values; a map with no finite value gets [0, 0].
    """
    flat = maps.reshape(maps.shape[0], -1)
    finite = np.isfinite(flat)
    nonfinite = flat.shape[1] - np.count_nonzero(finite, axis=1)
    if not nonfinite.any():
        return flat.min(axis=1), flat.max(axis=1), nonfinite
    lo = np.where(finite, flat, np.inf).min(axis=1)
    hi = np.where(finite, flat, -np.inf).max(axis=1)
    empty = nonfinite == flat.shape[1]
    lo[empty] = 0.0
    hi[empty] = 0.0
    return lo, hi, nonfinite


def _finite_range(values: np.ndarray) -> tuple[float, float, int]:
    """(min, max, number of non-finite values) of one map."""
    lo, hi, nonfinite = _finite_ranges(values[None])
    return float(lo[0]), float(hi[0]), int(nonfinite[0])


def quantize(values: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
    """Maps float values in [lo, hi] to uint8.

    `lo` and `hi` may be arrays that broadcast against `values` (one range per
    map); a map with ``hi <= lo`` becomes all zeros. NaN and -inf are written
    as `lo`, +inf as `hi`.
    """
    lo = np.asarray(lo, dtype=np.float32)
    hi = np.asarray(hi, dtype=np.float32)
    if not np.isfinite(values).all():
        values = np.where(np.isnan(values) | (values == -np.inf), lo, values)
        values = np.where(values == np.inf, hi, values)
    span = hi - lo
    scale = np.divide(255.0, span, out=np.zeros_like(span), where=span > 0)
    return np.clip(np.rint((values - lo) * scale), 0, 255).astype(np.uint8)


def _write(
    name: str,
    default_name: str,
    step: int | tf.Tensor | None,
    summary_metadata: Any,
    build: Callable[..., list[bytes]],
    tensors: dict[str, Any],
) -> bool | tf.Tensor:
    """Writes `[manifest, blob...]` built lazily by `build(**tensors)`."""
    with tf.summary.experimental.summary_scope(
        name, default_name, values=[v for v in tensors.values() if _is_tensor(v)]
    ) as (tag, _):
        if _is_symbolic(*tensors.values()):
            keys = [k for k, v in tensors.items() if v is not None]

            def _graph_build(*args: Any) -> np.ndarray:
                kwargs = dict.fromkeys(tensors)
                kwargs.update(zip(keys, args, strict=True))
                return np.array(build(**kwargs), dtype=object)

            def value() -> tf.Tensor:
                out = tf.numpy_function(
                    _graph_build, [tensors[k] for k in keys], tf.string, stateful=False
                )
                out.set_shape([None])
                return out

        else:

            def value() -> tf.Tensor:
                return tf.constant(build(**tensors), dtype=tf.string)

        return tf.summary.write(
            tag=tag, tensor=value, step=step, metadata=summary_metadata
        )


def _check_images(images: np.ndarray) -> None:
    if images.ndim not in (3, 4) or (
        images.ndim == 4 and images.shape[-1] not in (1, 3, 4)
    ):
        raise ValueError(
            "images must be [B, H, W] or [B, H, W, C] with C in 1, 3, 4. "
            f"Received: shape={images.shape}"
        )
    if 0 in images.shape:
        raise ValueError(f"images must not be empty. Received: shape={images.shape}")


def _as_images(images: np.ndarray) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Converts [B,H,W] or [B,H,W,C] images to uint8 [B,H,W,C] for display.

    As `tf.summary.image` shows images, one rule for the whole batch, so its
    images stay comparable: uint8 as is; other integers (and bools) as
    0-255, clipped; floats in [0, 1] times 255; any other float batch
    rescaled from its own minimum and maximum (non-finite values ignored)
    to 0-255. Returns the images and the raw (min, max) of each.
    """
    _check_images(images)
    if images.ndim == 3:
        images = images[..., None]
    lows, highs, _ = _finite_ranges(images.astype(np.float64, copy=False))
    ranges = list(zip(lows.tolist(), highs.tolist(), strict=True))
    if images.dtype == np.uint8:
        return images, ranges
    if images.dtype == np.bool_:
        return images.astype(np.uint8) * 255, ranges
    if images.dtype.kind in "iu":
        return np.clip(images, 0, 255).astype(np.uint8), ranges
    lo, hi = float(lows.min()), float(highs.max())
    if lo < 0.0 or hi > 1.0:
        return quantize(images, lo, hi), ranges
    return quantize(images, 0.0, 1.0), ranges


def inputs(
    name: str,
    images: ArrayLike,
    step: int | tf.Tensor | None = None,
    *,
    labels: ArrayLike | None = None,
    class_names: Sequence[str] | None = None,
    stage: str | None = None,
    description: str | None = None,
) -> bool | tf.Tensor:
    """Writes the images that explanations overlay (or a pipeline stage).

    Args:
      name: Tag name (scoped like other `tf.summary` ops).
      images: [B, H, W] or [B, H, W, C] (C in 1, 3, 4), any numeric dtype,
        shown as `tf.summary.image` shows them: integers as 0-255, floats in
        [0, 1] as they are, other floats rescaled from the batch's minimum
        and maximum (one range for all, so the images stay comparable; each
        image's raw range is kept in the manifest).
      step: Explicit step; defaults to `tf.summary.experimental.get_step()`.
      labels: Optional true class id per image.
      class_names: Optional names indexed by class id.
      stage: Name of the pipeline stage shown in the UI (defaults to `name`).
      description: Optional Markdown description.

    Returns:
      True on success, False when no default writer is set or recording is off.

    Raises:
      ValueError: wrong rank or channel count, or labels of another length.
    """
    if not _is_symbolic(images, labels):
        # Validate before anything is written.
        array = _to_numpy(images, "images")
        _check_images(array)
        _per_item(labels, array.shape[0], "labels", np.int64)
    summary_metadata = metadata.create_summary_metadata(
        metadata.KIND_INPUTS, stage=stage or name, description=description or ""
    )
    names = list(class_names) if class_names is not None else None

    def build(images: ArrayLike, labels: ArrayLike | None) -> list[bytes]:
        return _build_inputs(_to_numpy(images, "images"), labels, names)

    return _write(
        name,
        "tbexplain_inputs",
        step,
        summary_metadata,
        build,
        {"images": images, "labels": labels},
    )


def _build_inputs(
    images: np.ndarray, labels: ArrayLike | None, class_names: list[str] | None
) -> list[bytes]:
    pixels, ranges = _as_images(images)
    labels_ = _per_item(labels, len(pixels), "labels", np.int64)
    columns: dict[str, list[Any]] = {
        "sample": list(range(len(pixels))),
        "min": [lo for lo, _ in ranges],
        "max": [hi for _, hi in ranges],
    }
    tiles, pngs = encode_strips(pixels)
    manifest = _classified_manifest(
        metadata.KIND_INPUTS,
        pixels.shape[1:],
        columns,
        class_names,
        labels=labels_,
        tiles=tiles,
    )
    return [manifest, *pngs]


def explanation(
    name: str,
    heatmaps: ArrayLike,
    step: int | tf.Tensor | None = None,
    *,
    method: str,
    layer: str | None = None,
    class_ids: ArrayLike | None = None,
    class_names: Sequence[str] | None = None,
    scores: ArrayLike | None = None,
    inputs: str | None = None,
    description: str | None = None,
    samples: ArrayLike | None = None,
    labels: ArrayLike | None = None,
    predicted: ArrayLike | None = None,
    target_name: str | None = None,
    signed: bool | None = None,
) -> bool | tf.Tensor:
    """Writes attribution heatmaps, one per (sample, explained target).

    Args:
      name: Tag name (scoped like other `tf.summary` ops).
      heatmaps: Float [N, H, W] maps (or [N, T] for sequences).
      step: Explicit step; defaults to `tf.summary.experimental.get_step()`.
      method: Method key, e.g. ``"gradcam"``.
      layer: Layer the method explains, if any.
      class_ids: The class explained by each map.
      class_names: Optional names indexed by class id.
      scores: The model's score for the explained class of each map.
      inputs: Tag of the `inputs` series the maps overlay (same run).
      description: Optional Markdown description.
      samples: Index into the inputs of each map; defaults to ``range(N)``.
        With several classes per input (top-k), repeat the index.
      labels: True class id of each map's input.
      predicted: The model's own predicted class of each map's input
        (whatever the map explains), for the UI's correct/incorrect verdict.
      target_name: What the maps explain when it is not a class (a callable
        target such as a regression output), shown where a class name is.
      signed: Whether the maps may be negative; by default, whether any value
        of this call is. It is fixed by the series' first write.

    Returns:
      True on success, False when no default writer is set or recording is off.

    Raises:
      ValueError: wrong rank, or per-map arguments of another length.
    """
    per_map = {
        "class_ids": class_ids,
        "scores": scores,
        "samples": samples,
        "labels": labels,
        "predicted": predicted,
    }
    if target_name is not None and not isinstance(target_name, str):
        raise TypeError(
            f"target_name must be a string. Received: target_name={target_name!r}"
        )
    if signed is None and _is_symbolic(heatmaps):
        raise ValueError("signed must be given when heatmaps is a symbolic tensor")
    if not _is_symbolic(heatmaps, *per_map.values()):
        # Validate (and convert once) before anything is written.
        maps = _to_numpy(heatmaps, "heatmaps", np.float32)
        _check_heatmaps(maps)
        heatmaps = maps
        for key, value in per_map.items():
            dtype = np.float64 if key == "scores" else np.int64
            per_map[key] = _per_item(value, maps.shape[0], key, dtype)
        if signed is None:
            signed = bool(np.nanmin(maps, initial=0.0) < 0) if maps.size else False
    summary_metadata = metadata.create_summary_metadata(
        metadata.KIND_EXPLANATION,
        method=method,
        layer=layer or "",
        signed=bool(signed),
        inputs_tag=inputs or "",
        description=description or "",
    )
    names = list(class_names) if class_names is not None else None

    def build(heatmaps: ArrayLike, **kwargs: ArrayLike | None) -> list[bytes]:
        return _build_maps(
            _to_numpy(heatmaps, "heatmaps", np.float32), names, kwargs, target_name
        )

    return _write(
        name,
        "tbexplain_explanation",
        step,
        summary_metadata,
        build,
        {"heatmaps": heatmaps, **per_map},
    )


def _check_heatmaps(maps: np.ndarray) -> None:
    if maps.ndim not in (2, 3):
        raise ValueError(
            "heatmaps must be [N, H, W] (images) or [N, T] (sequences). "
            f"Received: shape={maps.shape}"
        )
    if maps.shape[0] == 0 or 0 in maps.shape[1:]:
        raise ValueError(f"heatmaps must not be empty. Received: shape={maps.shape}")


def _build_maps(
    maps: np.ndarray,
    class_names: list[str] | None,
    per_map: dict[str, ArrayLike | None],
    target_name: str | None = None,
) -> list[bytes]:
    _check_heatmaps(maps)
    n = maps.shape[0]
    class_ids = _per_item(per_map["class_ids"], n, "class_ids", np.int64)
    scores = _per_item(per_map["scores"], n, "scores", np.float64)
    samples = _per_item(per_map["samples"], n, "samples", np.int64)
    labels = _per_item(per_map["labels"], n, "labels", np.int64)
    predicted = _per_item(per_map["predicted"], n, "predicted", np.int64)
    lows, highs, nonfinite = _finite_ranges(maps)
    expand = (slice(None),) + (None,) * (maps.ndim - 1)
    pixels = quantize(maps, lows[expand], highs[expand])
    if pixels.ndim == 2:  # sequences: one row per map
        pixels = pixels[:, None, :]
    # Python scalars in bulk (tolist), one list per fact.
    columns: dict[str, list[Any]] = {
        "sample": samples.tolist() if samples is not None else list(range(n)),
        "min": lows.tolist(),
        "max": highs.tolist(),
        "nonfinite": nonfinite.tolist(),
    }
    if scores is not None:
        columns["score"] = [v if math.isfinite(v) else None for v in scores.tolist()]
    tiles, pngs = encode_strips(pixels)
    manifest = _classified_manifest(
        metadata.KIND_EXPLANATION,
        maps.shape[1:],
        columns,
        class_names,
        class_ids=class_ids,
        labels=labels,
        predicted=predicted,
        tiles=tiles,
        target_name=target_name,
    )
    return [manifest, *pngs]


def activations(
    name: str,
    feature_maps: ArrayLike,
    step: int | tf.Tensor | None = None,
    *,
    layer: str,
    channels: ArrayLike | None = None,
    inputs: str | None = None,
    description: str | None = None,
) -> bool | tf.Tensor:
    """Writes feature maps of one layer, per sample and channel.

    Args:
      name: Tag name.
      feature_maps: Float [B, H, W, K]: K selected channels of each sample.
      step: Explicit step; defaults to `tf.summary.experimental.get_step()`.
      layer: The layer's name or nested path.
      channels: The channel index in the layer of each of the K maps.
      inputs: Tag of the inputs series these belong to.
      description: Optional Markdown description.
    """
    fm = _to_numpy(feature_maps, "feature_maps", np.float32)
    if fm.ndim != 4:
        raise ValueError(
            f"feature_maps must be [B, H, W, K]. Received: shape={fm.shape}"
        )
    b, h, w, k = fm.shape
    ids = (
        np.arange(k)
        if channels is None
        else _per_item(channels, k, "channels", np.int64)
    )
    assert ids is not None
    summary_metadata = metadata.create_summary_metadata(
        metadata.KIND_ACTIVATIONS,
        layer=layer,
        signed=bool(np.nanmin(fm, initial=0.0) < 0) if fm.size else False,
        inputs_tag=inputs or "",
        description=description or "",
    )

    def build(feature_maps: np.ndarray) -> list[bytes]:
        columns: dict[str, list[Any]] = {
            k: [] for k in ("sample", "channel", "min", "max", "mean", "nonfinite")
        }
        pixels = np.empty((b * k, h, w), np.uint8)
        for s in range(b):
            for c in range(k):
                m = feature_maps[s, :, :, c]
                lo, hi, nonfinite = _finite_range(m)
                columns["sample"].append(s)
                columns["channel"].append(int(ids[c]))
                columns["min"].append(lo)
                columns["max"].append(hi)
                columns["mean"].append(None if nonfinite else float(np.nanmean(m)))
                columns["nonfinite"].append(nonfinite)
                pixels[s * k + c] = quantize(m, lo, hi)
        tiles, pngs = encode_strips(pixels)
        manifest = metadata.encode_manifest(
            metadata.KIND_ACTIVATIONS, [h, w], columns, tiles=tiles
        )
        return [manifest, *pngs]

    return _write(
        name,
        "tbexplain_activations",
        step,
        summary_metadata,
        build,
        {"feature_maps": fm},
    )


def filters(
    name: str,
    images: ArrayLike,
    step: int | tf.Tensor | None = None,
    *,
    layer: str,
    filter_ids: ArrayLike | None = None,
    objectives: ArrayLike | None = None,
    description: str | None = None,
) -> bool | tf.Tensor:
    """Writes feature-visualisation images (inputs that maximise filters).

    Args:
      name: Tag name.
      images: [F, H, W, C] images, one per visualised filter (any float range;
        rescaled like `inputs`).
      step: Explicit step; defaults to `tf.summary.experimental.get_step()`.
      layer: The layer's name or nested path.
      filter_ids: The filter index of each image.
      objectives: The mean activation each image reached.
      description: Optional Markdown description.
    """
    array = _to_numpy(images, "images")
    pixels, ranges = _as_images(array)
    ids = _per_item(filter_ids, len(pixels), "filter_ids", np.int64)
    objs = _per_item(objectives, len(pixels), "objectives", np.float64)
    summary_metadata = metadata.create_summary_metadata(
        metadata.KIND_FILTERS, layer=layer, description=description or ""
    )

    def build(pixels: np.ndarray) -> list[bytes]:
        columns: dict[str, list[Any]] = {
            "filter": ids.tolist() if ids is not None else list(range(len(pixels))),
            "min": [lo for lo, _ in ranges],
            "max": [hi for _, hi in ranges],
        }
        if objs is not None:
            columns["objective"] = [
                v if math.isfinite(v) else None for v in objs.tolist()
            ]
        tiles, pngs = encode_strips(pixels)
        manifest = metadata.encode_manifest(
            metadata.KIND_FILTERS, pixels.shape[1:], columns, tiles=tiles
        )
        return [manifest, *pngs]

    return _write(
        name, "tbexplain_filters", step, summary_metadata, build, {"pixels": pixels}
    )
