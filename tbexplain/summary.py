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

The ops run eagerly or inside `tf.function` (through `tf.numpy_function`),
where a series' default layout comes from the tensors' static rank and its
signedness, when not given, from the values when the function runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from tbexplain import kinds
from tbexplain import tiles as tiles_lib
from tbexplain.strips import encode_strips
from tbexplain.tiles import quantize
from tbexplain_plugin import metadata

__all__ = ["activations", "explanation", "filters", "inputs"]

ArrayLike = Any  # numpy array, tf.Tensor or nested sequence


_PLAIN = (np.ndarray, np.generic, list, tuple, int, float, str, bytes, type(None))


def _is_tensor(value: Any) -> bool:
    # tf.is_tensor is a slow Protocol check; most values here are numpy.
    return not isinstance(value, _PLAIN) and tf.is_tensor(value)


def _is_symbolic(*values: Any) -> bool:
    return not tf.executing_eagerly() and any(_is_tensor(v) for v in values)


def _sample_rank(value: ArrayLike, what: str) -> int:
    """The rank of one sample of a batch (numpy, or a tensor of known rank).

    Raises:
      ValueError: a symbolic tensor of unknown rank.
    """
    rank = value.shape.rank if _is_tensor(value) else np.ndim(value)
    if rank is None:
        raise ValueError(
            f"layout must be given when the rank of {what} is unknown. "
            f"Received: {what} of shape {value.shape}"
        )
    return int(rank) - 1


def _any_negative(values: ArrayLike) -> bool | tf.Tensor:
    """Whether any value is negative (NaN is not): a bool, or inside
    `tf.function` a boolean tensor."""
    if _is_symbolic(values):
        return tf.reduce_any(tf.cast(values, tf.float32) < 0)
    array = np.asarray(values)
    return bool(np.nanmin(array, initial=0.0) < 0) if array.size else False


def _series_metadata(kind: str, signed: bool | tf.Tensor, **fields: Any) -> Any:
    """The metadata of a series; inside `tf.function`, a signedness known only
    when the function runs picks one of its two serialised forms."""
    if not _is_tensor(signed):
        return metadata.create_summary_metadata(kind, signed=bool(signed), **fields)
    forms = [
        metadata.create_summary_metadata(kind, signed=s, **fields).SerializeToString()
        for s in (True, False)
    ]
    return tf.where(signed, forms[0], forms[1])


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


def _finite_range(values: np.ndarray) -> tuple[float, float, int]:
    """(min, max, number of non-finite values) of one map."""
    lo, hi, nonfinite = tiles_lib.finite_ranges(values[None])
    return float(lo[0]), float(hi[0]), int(nonfinite[0])


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


def _write(
    name: str,
    default_name: str,
    step: int | tf.Tensor | None,
    summary_metadata: Any,
    build: Callable[..., list[bytes]],
    tensors: dict[str, Any],
) -> bool | tf.Tensor:
    """Writes `[manifest, blob...]` built lazily by `build(**tensors)`, and
    the manifest again as a tensor (format version 5)."""
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
            tag=tag,
            tensor=_with_manifest_tensor(tag, value, step),
            step=step,
            metadata=summary_metadata,
        )


def _with_manifest_tensor(
    tag: str, value: Callable[[], tf.Tensor], step: int | tf.Tensor | None
) -> Callable[[], tf.Tensor]:
    """`value` that first writes its manifest (element 0) as the step's
    manifest tensor (`metadata.manifest_tag`), so it precedes the step's blob
    sequence in the event file (inside `tf.function` too: automatic control
    dependencies keep the writes in program order). Runs inside the blob
    sequence's own write, only when that records."""

    def written() -> tf.Tensor:
        out = value()
        tf.summary.write(
            tag=metadata.manifest_tag(tag),
            tensor=out[0],
            step=step,
            metadata=metadata.create_manifest_metadata(),
        )
        return out

    return written


def inputs(
    name: str,
    images: ArrayLike,
    step: int | tf.Tensor | None = None,
    *,
    labels: ArrayLike | None = None,
    class_names: Sequence[str] | None = None,
    stage: str | None = None,
    description: str | None = None,
    layout: str | None = None,
    input_name: str = "",
    tokens: Sequence[Sequence[str]] | None = None,
    pad_id: int | None = None,
    feature_names: Sequence[str] | None = None,
) -> bool | tf.Tensor:
    """Writes the inputs that explanations overlay (or a pipeline stage).

    Args:
      name: Tag name (scoped like other `tf.summary` ops).
      images: The inputs, by `layout`: images [B, H, W] or [B, H, W, C] (C in
        1, 3, 4), any numeric dtype, shown as `tf.summary.image` shows them
        (integers as 0-255, floats in [0, 1] as they are, other floats
        rescaled from the batch's minimum and maximum: one range for all, so
        the images stay comparable; each image's raw range is kept in the
        manifest); sequences [B, T, C]; token ids [B, T]; features [B, F];
        or a batch of any other kind of `tbexplain.kinds`.
      layout: One of `tbexplain_plugin.metadata.LAYOUTS` (the kind of the
        inputs); by default, by rank (`tbexplain.kinds.input_layout`):
        ``image`` for [B, H, W] and [B, H, W, C].
      input_name: The model input these are (models with several inputs).
      tokens: For ``tokens``: the text of each token of each row [B][T].
      pad_id: For ``tokens``: the padding id, drawn as absent.
      feature_names: For ``features``: the name of each feature.
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
    rows = None
    if not _is_symbolic(images, labels):
        # Validate before anything is written.
        array = _to_numpy(images, "images")
        layout = layout or kinds.input_layout(array.ndim - 1)
        kind = kinds.get(layout)
        kind.check_inputs(array)
        kind.input_tiles(array[:1], pad_id)
        rows = array.shape[0]
        _per_item(labels, rows, "labels", np.int64)
    layout = layout or kinds.input_layout(_sample_rank(images, "images"))
    text = _token_texts(tokens, rows)
    summary_metadata = metadata.create_summary_metadata(
        metadata.KIND_INPUTS,
        stage=stage or name,
        description=description or "",
        layout=layout,
        input_name=input_name,
        feature_names=[str(f) for f in feature_names or ()],
    )
    names = list(class_names) if class_names is not None else None

    def build(images: ArrayLike, labels: ArrayLike | None) -> list[bytes]:
        return _build_inputs(
            _to_numpy(images, "images"), labels, names, layout, pad_id, text
        )

    return _write(
        name,
        "tbexplain_inputs",
        step,
        summary_metadata,
        build,
        {"images": images, "labels": labels},
    )


def _token_texts(
    tokens: Sequence[Sequence[str]] | None, rows: int | None
) -> list[list[str]] | None:
    if tokens is None:
        return None
    text = [[str(t) for t in row] for row in tokens]
    if rows is not None and len(text) != rows:
        raise ValueError(
            f"tokens must hold one list of token texts per row ({rows}). "
            f"Received: {len(text)} lists"
        )
    return text


def _build_inputs(
    images: np.ndarray,
    labels: ArrayLike | None,
    class_names: list[str] | None,
    layout: str = metadata.LAYOUT_IMAGE,
    pad_id: int | None = None,
    tokens: list[list[str]] | None = None,
) -> list[bytes]:
    pixels, ranges, shape = kinds.get(layout).input_tiles(images, pad_id)
    labels_ = _per_item(labels, len(pixels), "labels", np.int64)
    columns: dict[str, list[Any]] = {
        "sample": list(range(len(pixels))),
        "min": [lo for lo, _ in ranges],
        "max": [hi for _, hi in ranges],
    }
    if tokens is not None:
        columns["tokens"] = tokens
    tiles, pngs = encode_strips(pixels)
    manifest = _classified_manifest(
        metadata.KIND_INPUTS,
        shape,
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
    layout: str | None = None,
    input_name: str = "",
    mask_tag: str = "",
) -> bool | tf.Tensor:
    """Writes attribution heatmaps, one per (sample, explained target).

    Args:
      name: Tag name (scoped like other `tf.summary` ops).
      heatmaps: Float maps: [N, H, W] (images), [N, T] (sequences, tokens,
        features), or the maps of any other kind of `tbexplain.kinds`.
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
      layout: The maps' layout (`tbexplain_plugin.metadata.LAYOUTS`); by
        default, by rank (`tbexplain.kinds.map_layout`): ``sequence`` for
        [N, T], ``image`` for [N, H, W].
      input_name: The model input the maps explain (several inputs).
      mask_tag: The tag of an inputs series holding each sample's region of
        the explained target (segmentation), shown under the maps.

    Returns:
      True on success, False when no default writer is set or recording is off.

    Raises:
      TypeError: a `target_name` that is not a string, or maps of dtype object.
      ValueError: wrong rank, or per-map arguments of another length.
    """
    per_map = {
        "class_ids": class_ids,
        "scores": scores,
        "samples": samples,
        "labels": labels,
        "predicted": predicted,
    }
    heatmaps, signed, layout = _checked_explanation(
        heatmaps, per_map, target_name, signed, layout
    )
    summary_metadata = _explanation_metadata(
        heatmaps,
        signed,
        layout,
        method=method,
        layer=layer,
        inputs=inputs,
        description=description,
        input_name=input_name,
        mask_tag=mask_tag,
    )
    build = _maps_builder(class_names, target_name, layout)
    return _write(
        name,
        "tbexplain_explanation",
        step,
        summary_metadata,
        build,
        {"heatmaps": heatmaps, **per_map},
    )


def _checked_explanation(
    heatmaps: ArrayLike,
    per_map: dict[str, Any],
    target_name: str | None,
    signed: bool | None,
    layout: str | None,
) -> tuple[ArrayLike, bool | None, str]:
    """Checks the arguments of `explanation` before anything is written.

    Eager maps and their per-map facts are converted once (`per_map` in
    place); symbolic ones are checked when the function runs.

    Returns:
      The maps, their signedness (None: known only when a `tf.function`
      runs) and their layout.

    Raises:
      TypeError: a `target_name` that is not a string, or maps of dtype object.
      ValueError: maps of a wrong rank or empty, per-map arguments of another
        length, or symbolic maps of unknown rank with no `layout`.
    """
    if target_name is not None and not isinstance(target_name, str):
        raise TypeError(
            f"target_name must be a string. Received: target_name={target_name!r}"
        )
    if not _is_symbolic(heatmaps, *per_map.values()):
        heatmaps, signed, layout = _checked_maps(heatmaps, per_map, signed, layout)
    layout = layout or kinds.map_layout(_sample_rank(heatmaps, "heatmaps"))
    return heatmaps, signed, layout


def _explanation_metadata(
    heatmaps: ArrayLike,
    signed: bool | None,
    layout: str,
    *,
    method: str,
    layer: str | None,
    inputs: str | None,
    description: str | None,
    input_name: str,
    mask_tag: str,
) -> Any:
    """The metadata of an explanation series; signed by default when any of
    `heatmaps` is negative."""
    return _series_metadata(
        metadata.KIND_EXPLANATION,
        _any_negative(heatmaps) if signed is None else signed,
        layout=layout,
        input_name=input_name,
        mask_tag=mask_tag,
        method=method,
        layer=layer or "",
        inputs_tag=inputs or "",
        description=description or "",
    )


def _maps_builder(
    class_names: Sequence[str] | None, target_name: str | None, layout: str
) -> Callable[..., list[bytes]]:
    """The `build` of `_write` for explanations: encodes the maps and their
    per-map facts (passed by keyword) into `[manifest, blob...]`."""
    names = list(class_names) if class_names is not None else None

    def build(heatmaps: ArrayLike, **kwargs: ArrayLike | None) -> list[bytes]:
        return _build_maps(
            _to_numpy(heatmaps, "heatmaps", np.float32),
            names,
            kwargs,
            target_name,
            layout,
        )

    return build


def _checked_maps(
    heatmaps: ArrayLike,
    per_map: dict[str, Any],
    signed: bool | None,
    layout: str | None,
) -> tuple[np.ndarray, bool, str]:
    """Validates (and converts once) eager maps and their per-map facts before
    anything is written; returns the maps, their signedness and layout.
    `per_map` is converted in place."""
    maps = _to_numpy(heatmaps, "heatmaps", np.float32)
    _check_heatmaps(maps)
    for key, value in per_map.items():
        dtype = np.float64 if key == "scores" else np.int64
        per_map[key] = _per_item(value, maps.shape[0], key, dtype)
    if signed is None:
        signed = _any_negative(maps)
    layout = layout or kinds.map_layout(maps.ndim - 1)
    kind = kinds.get(layout)
    if kind.map_rank != maps.ndim - 1:
        raise ValueError(
            f"heatmaps of layout {layout!r} must be {kind.maps_text()}. "
            f"Received: shape={maps.shape}"
        )
    return maps, bool(signed), layout


def _check_heatmaps(maps: np.ndarray) -> None:
    if maps.ndim - 1 not in {kind.map_rank for kind in kinds.KINDS}:
        raise ValueError(
            f"heatmaps must be {kinds.describe_maps()}. Received: shape={maps.shape}"
        )
    if maps.shape[0] == 0 or 0 in maps.shape[1:]:
        raise ValueError(f"heatmaps must not be empty. Received: shape={maps.shape}")


def _build_maps(
    maps: np.ndarray,
    class_names: list[str] | None,
    per_map: dict[str, ArrayLike | None],
    target_name: str | None = None,
    layout: str = metadata.LAYOUT_IMAGE,
) -> list[bytes]:
    _check_heatmaps(maps)
    n = maps.shape[0]
    class_ids = _per_item(per_map["class_ids"], n, "class_ids", np.int64)
    scores = _per_item(per_map["scores"], n, "scores", np.float64)
    samples = _per_item(per_map["samples"], n, "samples", np.int64)
    labels = _per_item(per_map["labels"], n, "labels", np.int64)
    predicted = _per_item(per_map["predicted"], n, "predicted", np.int64)
    pixels, lows, highs, nonfinite = tiles_lib.map_tiles(maps, layout)
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

    Returns:
      True on success, False when no default writer is set or recording is off.

    Raises:
      ValueError: feature maps that are not [B, H, W, K], or channels of
        another length.
    """
    if not _is_symbolic(feature_maps, channels):
        feature_maps = _checked_feature_maps(feature_maps)
        channels = _channel_ids(channels, feature_maps.shape[-1])
    summary_metadata = _series_metadata(
        metadata.KIND_ACTIVATIONS,
        _any_negative(feature_maps),
        layer=layer,
        inputs_tag=inputs or "",
        description=description or "",
    )

    def build(feature_maps: ArrayLike, channels: ArrayLike | None) -> list[bytes]:
        fm = _checked_feature_maps(feature_maps)
        b, h, w, k = fm.shape
        ids = _channel_ids(channels, k)
        columns: dict[str, list[Any]] = {
            k: [] for k in ("sample", "channel", "min", "max", "mean", "nonfinite")
        }
        pixels = np.empty((b * k, h, w), np.uint8)
        for s in range(b):
            for c in range(k):
                m = fm[s, :, :, c]
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
        {"feature_maps": feature_maps, "channels": channels},
    )


def _checked_feature_maps(feature_maps: ArrayLike) -> np.ndarray:
    fm = _to_numpy(feature_maps, "feature_maps", np.float32)
    if fm.ndim != 4:
        raise ValueError(
            f"feature_maps must be [B, H, W, K]. Received: shape={fm.shape}"
        )
    return fm


def _channel_ids(channels: ArrayLike | None, k: int) -> np.ndarray:
    ids = _per_item(channels, k, "channels", np.int64)
    return np.arange(k) if ids is None else ids


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

    Returns:
      True on success, False when no default writer is set or recording is off.

    Raises:
      ValueError: images that are not [F, H, W(, C)], or per-image arguments
        of another length.
    """
    per_image = {"filter_ids": filter_ids, "objectives": objectives}
    if not _is_symbolic(images, *per_image.values()):
        images = _to_numpy(images, "images")
        tiles_lib.check_images(images)
        _per_filter(images, per_image)
    summary_metadata = metadata.create_summary_metadata(
        metadata.KIND_FILTERS, layer=layer, description=description or ""
    )

    def build(images: ArrayLike, **kwargs: ArrayLike | None) -> list[bytes]:
        pixels, ranges = tiles_lib.display_images(_to_numpy(images, "images"))
        ids, objs = _per_filter(pixels, kwargs)
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
        name,
        "tbexplain_filters",
        step,
        summary_metadata,
        build,
        {"images": images, **per_image},
    )


def _per_filter(
    images: np.ndarray, per_image: dict[str, ArrayLike | None]
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(filter ids, objectives) of `images`, checked (and converted in place)."""
    per_image["filter_ids"] = _per_item(
        per_image["filter_ids"], len(images), "filter_ids", np.int64
    )
    per_image["objectives"] = _per_item(
        per_image["objectives"], len(images), "objectives", np.float64
    )
    return per_image["filter_ids"], per_image["objectives"]
