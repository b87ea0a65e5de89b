"""Mutation check: plants known plausible bugs in copies of the repository.

Each `Mutant` names a file, an exact snippet of it, its replacement and the
tests that must catch it. For every mutant the repository's working tree is
copied (without .git, .venv and node_modules), the snippet is replaced (it
must occur exactly once, so an entry whose code moved fails loudly instead of
rotting), and the named tests run against the copy with this interpreter
(``PYTHONPATH=<copy>``) or, for frontend mutants, ``npm test`` in the copy's
frontend (node_modules linked). A mutant is killed when its tests fail;
the check exits 1 if any survived. A baseline run of the same tests on an
unchanged copy must pass first, so a kill is the mutant's doing.

Not part of ``make test``; run ``make mutants`` or::

    .venv/bin/python tests/mutants.py [-k NAME] [--skip-slow] [--list]

To add a mutant, append an entry to `MUTANTS`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NPM = "npm"  # `tests` value: the frontend's unit tests (`npm test`)
IGNORED = (
    ".git",
    ".venv",
    "node_modules",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".test-build",
    "artifacts",
    "build",
    "dist",
    "logs",
    "demo_logs",
    "*.egg-info",
)
TIMEOUT_S = 900


@dataclass(frozen=True)
class Mutant:
    """One planted bug.

    Attributes:
        name: Short identifier (``-k`` selects by substring).
        path: File to change, relative to the repository root.
        original: Exact snippet, which must occur exactly once in the file.
        replacement: What the snippet becomes.
        tests: Pytest node ids or files, or ``(NPM,)`` for the frontend tests.
        build: Rebuild the frontend bundle in the copy first (for UI tests).
        slow: Skipped with ``--skip-slow``.
    """

    name: str
    path: str
    original: str
    replacement: str
    tests: tuple[str, ...]
    build: bool = False
    slow: bool = False


M = "tests/methods/"
REFS = M + "test_references.py"
ANALYTIC = M + "test_analytic.py"
TREFS = M + "test_transformer_references.py"
TLOG = "tests/logging/test_transformers.py"

MUTANTS: list[Mutant] = [
    # --- the CAM family
    Mutant(
        "gradcam_max_instead_of_mean",
        "tbexplain/methods/gradcam.py",
        "tf.reduce_mean(grads, axis=spatial_axes(grads))",
        "tf.reduce_max(grads, axis=spatial_axes(grads))",
        (REFS,),
    ),
    Mutant(
        "cam_final_relu_dropped",
        "tbexplain/methods/cam.py",
        "return tf.nn.relu(tf.reduce_sum(activations * weights, axis=-1))",
        "return tf.reduce_sum(activations * weights, axis=-1)",
        (REFS,),
    ),
    Mutant(
        "gradcam_pp_mean_of_activations_in_alpha",
        "tbexplain/methods/gradcam_plus_plus.py",
        "tf.reduce_sum(activations, axis=axes, keepdims=True)",
        "tf.reduce_mean(activations, axis=axes, keepdims=True)",
        (REFS,),
    ),
    Mutant(
        "gradcam_pp_mean_weights",
        "tbexplain/methods/gradcam_plus_plus.py",
        "return tf.reduce_sum(alpha * tf.nn.relu(grads), axis=axes)",
        "return tf.reduce_mean(alpha * tf.nn.relu(grads), axis=axes)",
        (REFS,),
    ),
    Mutant(
        "gradcam_pp_gradient_relu_dropped",
        "tbexplain/methods/gradcam_plus_plus.py",
        "alpha * tf.nn.relu(grads)",
        "alpha * grads",
        (REFS,),
    ),
    Mutant(
        "layercam_gradient_relu_dropped",
        "tbexplain/methods/layercam.py",
        "tf.nn.relu(grads) * activations",
        "grads * activations",
        (REFS,),
    ),
    Mutant(
        "layercam_outer_relu_dropped",
        "tbexplain/methods/layercam.py",
        "return tf.nn.relu(tf.reduce_sum(tf.nn.relu(grads) * activations, axis=-1))",
        "return tf.reduce_sum(tf.nn.relu(grads) * activations, axis=-1)",
        (REFS,),
    ),
    Mutant(
        "hirescam_pooled_gradient",
        "tbexplain/methods/hirescam.py",
        "tf.reduce_sum(grads * activations, axis=-1)",
        "tf.reduce_sum(tf.reduce_mean(grads, axis=list(range(1, grads.shape.rank - 1)),"
        " keepdims=True) * activations, axis=-1)",
        (REFS,),
    ),
    Mutant(
        "xgradcam_unnormalised_weights",
        "tbexplain/methods/xgradcam.py",
        "shares = tf.math.divide_no_nan(activations, sums)",
        "shares = activations",
        (REFS,),
    ),
    Mutant(
        "eigencam_flipped_sign",
        "tbexplain/methods/eigencam.py",
        "< 0, -1.0, 1.0)",
        "< 0, 1.0, -1.0)",
        (REFS,),
    ),
    Mutant(
        "ablationcam_no_division_by_y",
        "tbexplain/methods/ablationcam.py",
        "dropped = tf.math.divide_no_nan(base - ablated, base)",
        "dropped = base - ablated",
        (REFS,),
    ),
    Mutant(
        "above_bypass_of_the_first_sample_for_every_copy",
        "tbexplain/above.py",
        "known[id(tensor)] = tf.gather(value, rows)",
        "known[id(tensor)] = tf.gather(value, tf.zeros_like(rows))",
        (M + "test_above.py",),
    ),
    Mutant(
        "maps_resized_nearest",
        "tbexplain/methods/compiled.py",
        'tf.image.resize(maps[..., None], size, "bilinear")',
        'tf.image.resize(maps[..., None], size, "nearest")',
        (REFS,),
    ),
    Mutant(
        "sequence_maps_resized_nearest",
        "tbexplain/methods/compiled.py",
        'tf.image.resize(maps[:, :, None, None], (size[0], 1), "bilinear")',
        'tf.image.resize(maps[:, :, None, None], (size[0], 1), "nearest")',
        (M + "test_properties.py::test_sequences_are_explained_as_one_pixel_wide",),
    ),
    Mutant(
        "guided_gradcam_always_one_pass",
        "tbexplain/methods/guided_gradcam.py",
        "if _relus_above(activations, relu_inputs):",
        "if False:",
        (M + "test_guided_gradcam.py",),
    ),
    # --- gradients
    Mutant(
        "guided_backprop_rule_dropped",
        "tbexplain/methods/guided_backprop.py",
        "gen_nn_ops.relu_grad(tf.nn.relu(upstream), inputs)",
        "gen_nn_ops.relu_grad(upstream, inputs)",
        (ANALYTIC, REFS),
    ),
    Mutant(
        "saliency_signed_max",
        "tbexplain/methods/saliency.py",
        'reduce_channels(grads, "max_abs")',
        'reduce_channels(grads, "max")',
        (ANALYTIC, REFS),
    ),
    Mutant(
        "gradient_input_without_input",
        "tbexplain/methods/gradient_input.py",
        "reduce_channels(grads * x, ",
        "reduce_channels(grads, ",
        (ANALYTIC, REFS),
    ),
    Mutant(
        "integrated_gradients_without_delta",
        "tbexplain/methods/integrated_gradients.py",
        "attributions = delta * total / float(steps)",
        "attributions = total / float(steps)",
        (ANALYTIC, REFS),
    ),
    Mutant(
        "integrated_gradients_left_riemann",
        "tbexplain/methods/integrated_gradients.py",
        "(k + 0.5) / steps",
        "k / steps",
        (ANALYTIC, REFS),
    ),
    # --- noise
    Mutant(
        "smoothgrad_no_noise",
        "tbexplain/methods/gradient_statistics.py",
        "noisy = x + sigma * draw",
        "noisy = x",
        (REFS,),
    ),
    Mutant(
        "smoothgrad_sigma_in_input_units",
        "tbexplain/methods/gradient_statistics.py",
        "sigma = self.noise * value_range",
        "sigma = self.noise + 0.0 * value_range",
        (REFS,),
    ),
    Mutant(
        "smoothgrad_biased_running_mean",
        "tbexplain/methods/gradient_statistics.py",
        "mean = mean + delta / count",
        "mean = mean + delta / float(n)",
        (REFS,),
    ),
    # --- perturbation
    Mutant(
        "occlusion_wrong_sign",
        "tbexplain/methods/occlusion.py",
        "base_scores[:, None, None] - tf.reshape(scores, [batch, ny, nx])",
        "tf.reshape(scores, [batch, ny, nx]) - base_scores[:, None, None]",
        ("tests/methods_perturbation/test_occlusion.py",),
    ),
    # --- the logger
    Mutant(
        "writer_thread_errors_silenced",
        "tbexplain/logger/writing.py",
        "                    self._errors.append(err)",
        "                    pass",
        (
            "tests/logging/test_parts.py",
            "tests/logging/test_logger.py::"
            "test_a_failing_background_write_warns_and_later_steps_are_written",
        ),
    ),
    Mutant(
        "writer_queue_unbounded",
        "tbexplain/logger/writing.py",
        "queue.Queue(maxsize=max_pending)",
        "queue.Queue()",
        ("tests/logging/test_parts.py::test_submit_waits_while_the_queue_is_full",),
    ),
    Mutant(
        "one_exit_hook_per_writer",
        "tbexplain/logger/writing.py",
        "        _LIVE.add(self)",
        "        atexit.register(self.join)",
        (
            "tests/logging/test_parts.py::"
            "test_loggers_are_freed_and_share_one_exit_hook",
        ),
    ),
    Mutant(
        "log_reraises_later_failures",
        "tbexplain/logger/core.py",
        '            cause = f"{type(err).__name__}: {err}"\n',
        "            raise\n",
        (
            "tests/logging/test_logger.py::"
            "test_a_later_failure_outside_the_parts_is_one_warning_and_no_raise",
        ),
    ),
    Mutant(
        "drift_compares_rows_by_position",
        "tbexplain/logger/builtin_metrics.py",
        "pairs = [(i, before.get(key)) for i, key in enumerate(maps.keys())]",
        "pairs = [(i, i) for i, _ in enumerate(maps.keys())]",
        (
            "tests/logging/test_parts.py::"
            "test_drift_compares_the_same_sample_and_class_only",
        ),
    ),
    # --- the trust metrics
    Mutant(
        "gini_weights_off_by_one",
        "tbexplain/metrics/concentration.py",
        "weighted = (ordered @ np.arange(n, dtype=dtype)).astype(np.float64)",
        "weighted = (ordered @ np.arange(1, n + 1, dtype=dtype)).astype(np.float64)",
        ("tests/metrics/test_concentration.py",),
    ),
    Mutant(
        "signed_zeros_ranked_apart",
        "tbexplain/metrics/_common.py",
        "bits = (values + np.float32(0)).view(np.int32)",
        "bits = values.copy().view(np.int32)",
        (
            "tests/metrics/test_metrics.py::"
            "test_drift_spearman_ranks_ties_signed_zeros_and_extremes",
        ),
    ),
    Mutant(
        "ranks_scattered_without_row_offsets",
        "tbexplain/metrics/_common.py",
        "order += np.arange(0, rows * n, n)[:, None]",
        "order += 0",
        (
            "tests/metrics/test_metrics.py::"
            "test_drift_spearman_ranks_ties_signed_zeros_and_extremes",
        ),
    ),
    Mutant(
        "ties_given_their_lowest_rank",
        "tbexplain/metrics/_common.py",
        "average = np.repeat(first % n + (length + 1) / 2.0, length)",
        "average = np.repeat(first % n + 1.0, length)",
        (
            "tests/metrics/test_metrics.py::"
            "test_drift_spearman_ranks_ties_signed_zeros_and_extremes",
        ),
    ),
    Mutant(
        "faithfulness_with_the_score_rise",
        "tbexplain/metrics/faithfulness.py",
        "drops = full[:, None] - tf.reshape(scores.concat(), [plan.batch, samples])",
        "drops = tf.reshape(scores.concat(), [plan.batch, samples]) - full[:, None]",
        (
            "tests/metrics/test_faithfulness.py::"
            "test_a_linear_model_with_gradient_x_input_has_correlation_one",
        ),
    ),
    Mutant(
        "sensitivity_radius_in_input_units",
        "tbexplain/metrics/sensitivity.py",
        "half = radius * (tf.reduce_max(x, axis=axes) - tf.reduce_min(x, axis=axes))",
        "half = radius * tf.ones_like(tf.reduce_max(x, axis=axes))",
        ("tests/metrics/test_sensitivity.py::test_matches_a_reference",),
    ),
    Mutant(
        "randomised_layers_synced_back",
        "tbexplain/metrics/model_copy.py",
        "            if id(theirs) not in fresh\n",
        "\n",
        (
            "tests/metrics/test_randomisation.py::"
            "test_the_top_weighted_layers_are_reinitialised_the_rest_copied",
        ),
    ),
    Mutant(
        "randomisation_writes_the_model",
        "tbexplain/metrics/model_copy.py",
        "                theirs.assign(mine)",
        "                mine.assign(theirs)",
        (
            "tests/metrics/test_randomisation.py::"
            "test_the_copy_follows_the_model_and_never_writes_it",
        ),
    ),
    Mutant(
        "metric_schedule_ignored",
        "tbexplain/logger/metrics.py",
        "return n is None or step is None or step % n == 0",
        "return True",
        ("tests/logging/test_trust_metrics.py::test_a_metric_on_its_own_schedule",),
    ),
    Mutant(
        "prediction_by_the_lowest_score",
        "tbexplain/logger/jobs.py",
        "top = scores.argmax(axis=-1).astype(np.int32)",
        "top = scores.argmin(axis=-1).astype(np.int32)",
        (
            "tests/logging/test_views_and_targets.py::"
            "test_the_manifest_records_the_models_own_prediction_whatever_is_explained",
        ),
    ),
    Mutant(
        "segment_region_found_per_copy",
        "tbexplain/methods/compiled.py",
        "        forward.fix_regions(x, index)\n",
        "\n",
        (
            "tests/methods/test_kinds.py::"
            "test_the_segment_region_is_the_samples_own_not_each_path_points",
        ),
    ),
    Mutant(
        "tokens_attributed_without_their_embedding",
        "tbexplain/methods/feeding.py",
        "                return tf.cast(x, self.embedding.compute_dtype)",
        "                return original(inputs, *args, **kwargs)",
        (
            "tests/methods/test_kinds.py::"
            "test_gradient_times_input_on_tokens_is_taken_at_the_embedding",
        ),
    ),
    # --- the registry of input kinds
    Mutant(
        "token_baseline_is_the_methods_fill",
        "tbexplain/kinds.py",
        "        baseline=BASELINE_PAD,\n",
        "",
        (
            "tests/methods/test_kinds.py::"
            "test_integrated_gradients_on_tokens_starts_from_the_pad_embedding",
        ),
    ),
    Mutant(
        "blur_border_repeats_the_edge",
        "tbexplain/perturbation.py",
        "source = np.where(source > size - 1, 2 * (size - 1) - source, source)",
        "source = np.where(source > size - 1, 2 * size - 1 - source, source)",
        ("tests/methods_perturbation/test_blur.py",),
    ),
    Mutant(
        "tensorboard_outlives_a_killed_parent",
        "tbexplain/board.py",
        "    os.kill(os.getpid(), signal.SIGTERM)",
        "    pass",
        (
            "tests/board/test_board.py::"
            "test_tensorboard_ends_when_the_process_that_started_it_is_killed",
        ),
    ),
    Mutant(
        "features_blurred_as_neighbours",
        "tbexplain/kinds.py",
        "        neighbours=False,\n",
        "",
        ("tests/metrics/test_metrics.py::test_blur_has_no_meaning_for_features",),
    ),
    Mutant(
        "maps_laid_out_by_rank_whatever_their_input",
        "tbexplain/kinds.py",
        "if own is not None and own.map_rank == rank:",
        "if False:",
        ("tests/plugin/test_kinds.py",),
    ),
    Mutant(
        "sequence_inputs_drawn_without_channel_rows",
        "tbexplain/tiles.py",
        "np.moveaxis(values, -1, 1)",
        "values",
        ("tests/plugin/test_kinds.py",),
    ),
    # --- the writer ops
    Mutant(
        "inputs_scaled_as_0_to_255_floats",
        "tbexplain/tiles.py",
        "    if lo < 0.0 or hi > 1.0:",
        "    if lo < 0.0 or hi > 255.0:",
        (
            "tests/plugin/test_summary.py::"
            "test_inputs_are_scaled_per_batch_as_tf_summary_image",
        ),
    ),
    Mutant(
        "signedness_in_a_function_always_unsigned",
        "tbexplain/summary.py",
        "    return tf.where(signed, forms[0], forms[1])",
        "    return forms[1]",
        (
            "tests/plugin/test_summary.py::"
            "test_each_op_writes_inside_tf_function_what_it_writes_eagerly",
        ),
    ),
    Mutant(
        "activation_channels_by_position",
        "tbexplain/summary.py",
        'columns["channel"].append(int(ids[c]))',
        'columns["channel"].append(c)',
        ("tests/methods_perturbation/test_views.py",),
    ),
    # --- the format and the plugin
    Mutant(
        "series_version_below_0_accepted",
        "tbexplain_plugin/metadata.py",
        "if result.version < 1 or result.kind not in _ENUM_TO_KIND:",
        "if result.version < 0 or result.kind not in _ENUM_TO_KIND:",
        ("tests/plugin/test_metadata.py::test_a_series_version_below_1_is_invalid",),
    ),
    Mutant(
        "manifest_inflated_without_a_limit",
        "tbexplain_plugin/metadata.py",
        "    text = inflater.decompress(data, MAX_MANIFEST_BYTES + 1)",
        "    text = inflater.decompress(data)",
        (
            "tests/plugin/test_plugin.py::"
            "test_a_zlib_bomb_is_skipped_without_inflating_it",
        ),
    ),
    Mutant(
        "answers_cached_with_skipped_steps",
        "tbexplain_plugin/plugin.py",
        'lambda answer: not answer["skipped_steps"],',
        "lambda answer: True,",
        (
            "tests/plugin/test_cache.py::"
            "test_a_step_that_could_not_be_read_is_served_once_it_can",
        ),
    ),
    Mutant(
        "steps_answer_kept_across_a_rewrite",
        "tbexplain_plugin/reading.py",
        "        series.max_wall_time,\n",
        "        series.max_step,\n",
        ("tests/plugin/test_cache.py::test_a_rewritten_step_serves_its_new_data",),
    ),
    Mutant(
        "manifests_cached_without_wall_time",
        "tbexplain_plugin/reading.py",
        "    return (experiment, run, tag, datum.step, datum.wall_time)",
        "    return (experiment, run, tag, datum.step)",
        ("tests/plugin/test_cache.py::test_a_rewritten_step_serves_its_new_data",),
    ),
    Mutant(
        "manifests_read_from_blobs_only",
        "tbexplain_plugin/metadata.py",
        "    return data.version >= MANIFEST_TENSOR_VERSION",
        "    return False",
        (
            "tests/plugin/test_provider_calls.py::"
            "test_tags_and_steps_make_a_fixed_number_of_calls",
        ),
    ),
    Mutant(
        "manifest_tensor_of_another_write_taken",
        "tbexplain_plugin/reading.py",
        "    if tensor is None or abs(tensor.wall_time - wall_time) > "
        "SAME_WRITE_SECONDS:",
        "    if tensor is None:",
        (
            "tests/plugin/test_provider_calls.py::"
            "test_a_step_without_a_usable_manifest_tensor_is_read_from_its_blobs",
        ),
    ),
    Mutant(
        "tags_takes_the_latest_manifest_tensor_of_any_step",
        "tbexplain_plugin/reading.py",
        "_tensor_value(by_step.get(facts.max_step), facts.max_wall_time)",
        "_tensor_value(by_step.get(max(by_step)), facts.max_wall_time)",
        (
            "tests/plugin/test_provider_calls.py::"
            "test_a_manifest_tensor_ahead_of_its_blobs_is_not_taken_for_the_latest_step",
        ),
    ),
    Mutant(
        "no_manifest_tensor_written",
        "tbexplain/summary.py",
        "            tensor=_with_manifest_tensor(tag, value, step),",
        "            tensor=value,",
        ("tests/plugin/test_summary.py::test_inside_tf_function",),
    ),
    Mutant(
        "manifest_null_prediction_dropped",
        "tbexplain_plugin/metadata.py",
        '_KEPT_NULLS = frozenset({"score", "predicted"})',
        '_KEPT_NULLS = frozenset({"score"})',
        ("tests/plugin/test_manifest_fixtures.py",),
    ),
    Mutant(
        "manifest_prediction_left_unnamed",
        "tbexplain_plugin/metadata.py",
        '    "predicted": "predicted_name",\n',
        "",
        ("tests/plugin/test_manifest_fixtures.py",),
    ),
    # --- frontend
    Mutant(
        "scale_upper_clamp_dropped",
        "frontend/src/scale.ts",
        "t = Math.min(1, Math.max(0, t));",
        "t = Math.max(0, t);",
        (NPM,),
    ),
    Mutant(
        "scale_lower_clamp_dropped",
        "frontend/src/scale.ts",
        "t = Math.min(1, Math.max(0, t));",
        "t = Math.min(1, t);",
        (NPM,),
    ),
    Mutant(
        "tab_drops_a_null_prediction",
        "frontend/src/api.ts",
        "const KEEP_NULL = new Set(['score', 'predicted']);",
        "const KEEP_NULL = new Set(['score']);",
        (NPM,),
    ),
    Mutant(
        "tab_ignores_tensorboards_reload",
        "frontend/src/host.ts",
        "if (msg.type === 'experimental.DataReloaded') onReload();",
        "",
        ("tests/e2e/test_live.py",),
        build=True,
        slow=True,
    ),
    # Transformers: the rollouts' recurrences, tokens on their grid, the
    # layer a CAM explains, what a text model explains, other backends.
    Mutant(
        "attention_rollout_identity_dropped",
        "tbexplain/methods/attention_rollout.py",
        "step = 0.5 * fused + 0.5 * eye",
        "step = fused",
        (TREFS + "::test_attention_rollout_is_the_papers_recurrence",),
    ),
    Mutant(
        "attention_rollout_rows_not_renormalised",
        "tbexplain/methods/attention_rollout.py",
        "step = step / tf.reduce_sum(step, axis=-1, keepdims=True)",
        "step = step",
        (TREFS + "::test_attention_rollout_is_the_papers_recurrence",),
    ),
    Mutant(
        "attention_rollout_layers_in_reverse",
        "tbexplain/methods/attention_rollout.py",
        "relevance = step if relevance is None else tf.matmul(step, relevance)",
        "relevance = step if relevance is None else tf.matmul(relevance, step)",
        (TREFS + "::test_attention_rollout_is_the_papers_recurrence",),
    ),
    Mutant(
        "gradient_rollout_positive_part_dropped",
        "tbexplain/methods/gradient_rollout.py",
        "tf.nn.relu(g * w)",
        "g * w",
        (TREFS + "::test_gradient_rollout_is_the_papers_recurrence",),
    ),
    Mutant(
        "tokens_grid_keeps_the_class_token",
        "tbexplain/grids.py",
        "kept = values[:, token_grid.special :]",
        "kept = values[:, : token_grid.tokens - token_grid.special]",
        (TREFS + "::test_token_cams_are_their_definition_on_the_patch_grid",),
    ),
    Mutant(
        "rollout_reads_the_class_tokens_column",
        "tbexplain/methods/_rollout.py",
        "return tf.reshape(rows[:, grid.special :], [-1, *grid.shape])",
        "return tf.reshape(rows[:, : grid.tokens - grid.special], [-1, *grid.shape])",
        (TREFS + "::test_attention_rollout_is_the_papers_recurrence",),
    ),
    Mutant(
        "cam_explains_the_last_blocks_dead_patches",
        "tbexplain/calltrace.py",
        "            layer = entering.ref\n",
        "",
        (TREFS + "::test_the_default_layer_is_the_last_tokens_the_score_depends_on",),
    ),
    Mutant(
        "text_model_explains_its_masks_too",
        "tbexplain/inputs.py",
        "return [index for index, size in sizes.items() if size == largest]",
        "return known",
        (TLOG + "::test_a_text_classifier_logs_its_token_ids_only",),
    ),
    Mutant(
        "another_backend_passes_the_check",
        "tbexplain/checks.py",
        'if backend != "tensorflow":',
        "if False:",
        (TLOG + "::test_another_backend_raises_at_once_and_writes_nothing",),
    ),
]


def copy_tree(destination: Path) -> Path:
    """Copies the working tree (tracked or not) to `destination`."""
    shutil.copytree(ROOT, destination, ignore=shutil.ignore_patterns(*IGNORED))
    modules = ROOT / "frontend" / "node_modules"
    if modules.is_dir():
        (destination / "frontend" / "node_modules").symlink_to(modules)
    return destination


def plant(copy: Path, mutant: Mutant) -> None:
    """Replaces the mutant's snippet, which must occur exactly once."""
    target = copy / mutant.path
    text = target.read_text()
    count = text.count(mutant.original)
    if count != 1:
        raise SystemExit(
            f"mutant {mutant.name}: the snippet occurs {count} times in "
            f"{mutant.path} (expected once); update the entry.\n"
            f"Received: original={mutant.original!r}"
        )
    target.write_text(text.replace(mutant.original, mutant.replacement))


def _env(copy: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(copy), *filter(None, [env.get("PYTHONPATH")])]
    )
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def check_imports_the_copy(copy: Path) -> None:
    """Fails unless this interpreter imports tbexplain from `copy`."""
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import tbexplain, tbexplain_plugin; "
            "print(tbexplain.__file__); print(tbexplain_plugin.__file__)",
        ],
        cwd=copy,
        env=_env(copy),
        capture_output=True,
        text=True,
        check=True,
    )
    files = out.stdout.split()
    print(f"imports from the copy: {files}")
    for path in files:
        if not Path(path).resolve().is_relative_to(copy.resolve()):
            raise SystemExit(f"the copy is not imported. Received: {path}")


def run_tests(copy: Path, tests: Sequence[str], build: bool) -> tuple[int, str]:
    """Runs the tests in `copy`; returns (exit code, output tail)."""
    commands: list[tuple[list[str], Path]] = []
    if build:
        commands.append((["npm", "run", "build"], copy / "frontend"))
    if list(tests) == [NPM]:
        commands.append((["npm", "test"], copy / "frontend"))
    else:
        pytest = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
        commands.append(([*pytest, *tests], copy))
    output = ""
    for command, cwd in commands:
        try:
            done = subprocess.run(
                command,
                cwd=cwd,
                env=_env(copy),
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            return -1, f"timed out after {TIMEOUT_S} s"
        output = done.stdout + done.stderr
        if done.returncode != 0:
            return done.returncode, output[-3000:]
    return 0, output[-3000:]


def outcome(tests: Sequence[str], code: int) -> str:
    """killed / survived / error from the exit code of the tests."""
    if code == 0:
        return "survived"
    if list(tests) == [NPM] or code in (1, -1):  # pytest: 1 = tests failed
        return "killed"
    return f"error ({code})"


def first_failure(output: str) -> str:
    """The first failing test named in pytest's or node's output ("" if none)."""
    for line in output.splitlines():
        if line.startswith("FAILED "):
            return line.split()[1].split("/")[-1]
        match = re.match(r"\s*not ok \d+ - (.*)", line)
        if match:
            return match.group(1).strip()
    return ""


def table(rows: list[tuple[str, ...]]) -> str:
    """A Markdown table of `rows` (the first is the header)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "-k", default="", help="only mutants whose name has this (a,b: any of them)"
    )
    parser.add_argument("--skip-slow", action="store_true", help="skip slow mutants")
    parser.add_argument("--list", action="store_true", help="list and exit")
    parser.add_argument("--keep", action="store_true", help="keep the copies")
    args = parser.parse_args(argv)
    wanted = args.k.split(",")
    chosen = [
        m
        for m in MUTANTS
        if any(k in m.name for k in wanted) and not (args.skip_slow and m.slow)
    ]
    if args.list:
        for m in chosen:
            print(f"{m.name:42} {m.path:42} {' '.join(m.tests)}")
        return 0
    scratch = Path(tempfile.mkdtemp(prefix="tbexplain_mutants_"))
    try:
        return _run(chosen, scratch)
    finally:
        if args.keep:
            print(f"copies kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def _run(chosen: list[Mutant], scratch: Path) -> int:
    # Every mutant's copy is planted first, so an entry that no longer
    # matches the code stops the check before anything runs.
    copies = {}
    for m in chosen:
        copies[m.name] = copy_tree(scratch / m.name)
        plant(copies[m.name], m)
    baseline = copy_tree(scratch / "baseline")
    check_imports_the_copy(baseline)
    python_tests = sorted({t for m in chosen for t in m.tests if t != NPM})
    suites = [(tuple(python_tests), any(m.build for m in chosen))]
    if any(m.tests == (NPM,) for m in chosen):
        suites.append(((NPM,), False))
    for tests, build in suites:
        if not tests:
            continue
        start = time.monotonic()
        code, tail = run_tests(baseline, tests, build)
        if code != 0:
            print(tail)
            raise SystemExit(f"baseline failed: {' '.join(tests)} (exit {code})")
        print(f"baseline passed: {' '.join(tests)} ({time.monotonic() - start:.0f} s)")
    rows = [("mutant", "file", "result", "first failing test", "s")]
    for m in chosen:
        start = time.monotonic()
        code, tail = run_tests(copies[m.name], m.tests, m.build)
        result = outcome(m.tests, code)
        seconds = time.monotonic() - start
        rows.append((m.name, m.path, result, first_failure(tail), f"{seconds:.0f}"))
        print(f"{m.name}: {result} ({seconds:.0f} s)", flush=True)
        if result != "killed":
            print(tail)
    print("\n" + table(rows))
    survivors = [row[0] for row in rows[1:] if row[2] != "killed"]
    print(f"\n{len(rows) - 1 - len(survivors)} of {len(rows) - 1} mutants killed.")
    if survivors:
        print("Not killed: " + ", ".join(survivors))
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
