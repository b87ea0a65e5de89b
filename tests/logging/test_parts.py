"""The logger's small parts on their own: targets, names, faults, metrics, writer."""

from __future__ import annotations

import atexit
import gc
import threading
import time
import warnings
import weakref

import numpy as np
import pytest
import tensorflow as tf

import tbexplain as tbx
from tbexplain.logger import metrics as logged_metrics
from tbexplain.logger import writing
from tbexplain.logger.faults import Faults, PartFailed, rewrap
from tbexplain.logger.naming import SeriesKey, name_series
from tbexplain.logger.targeting import TargetPlan

# ---------------------------------------------------------------- targeting


def test_target_plans_of_each_mode():
    assert TargetPlan.parse("predicted").mode == "predicted"
    top = TargetPlan.parse("predicted", top_k=2)
    assert (top.k, top.needs_all_scores) == (2, True)
    ids, scores = top.top_k(np.array([[0.1, 3.0, 2.0], [5.0, -1.0, 4.0]]))
    assert ids.tolist() == [1, 2, 0, 2]
    assert scores.tolist() == [3.0, 2.0, 5.0, 4.0]
    fixed = TargetPlan.parse([2, 0])
    assert (fixed.mode, fixed.k) == ("fixed", 2)
    assert fixed.known_ids(2, None).tolist() == [2, 0, 2, 0]
    label = TargetPlan.parse("label")
    assert label.known_ids(3, np.array([1, 0, 2])).tolist() == [1, 0, 2]

    def age(outputs):
        return outputs[:, 0]

    plan = TargetPlan.parse(age)
    assert (plan.mode, plan.fn, plan.name) == ("callable", age, "age")
    assert TargetPlan.parse(age, target_name="years").name == "years"
    assert plan.known_ids(3, None) is None
    assert plan.describe() == "`age`"


def test_target_plans_refuse_what_does_not_go_together():
    with pytest.raises(ValueError, match="Received: targets='best'"):
        TargetPlan.parse("best")
    with pytest.raises(ValueError, match="top_k needs"):
        TargetPlan.parse("label", top_k=2)
    with pytest.raises(ValueError, match="top_k needs"):
        TargetPlan.parse(lambda o: o[:, 0], top_k=2)
    with pytest.raises(ValueError, match="target_name names a callable"):
        TargetPlan.parse("predicted", target_name="x")
    with pytest.raises(ValueError, match="top_k"):
        TargetPlan.parse("predicted", top_k=True)
    with pytest.raises(TypeError):
        TargetPlan.parse(True)
    with pytest.raises(ValueError, match="non-empty list"):
        TargetPlan.parse([])
    with pytest.raises(ValueError, match="out of range"):
        TargetPlan.parse([0, 4]).check(3, None)
    with pytest.raises(ValueError, match="top_k is larger"):
        TargetPlan.parse("predicted", top_k=4).check(3, None)
    with pytest.raises(ValueError, match=r"Received: labels=\[0, 3\]"):
        TargetPlan.parse("label").check(3, np.array([0, 3]))


# ------------------------------------------------------------------- naming


def test_series_names_are_unique_and_qualified_when_needed():
    names = name_series(
        "explain",
        [
            SeriesKey("gradcam", "conv1"),
            SeriesKey("gradcam", "conv2"),
            SeriesKey("saliency"),
            SeriesKey("activations", "conv2", qualify=True),
            SeriesKey("saliency"),
        ],
    )
    assert [n.tag for n in names] == [
        "explain/gradcam/conv1",
        "explain/gradcam/conv2",
        "explain/saliency",
        "explain/activations/conv2",
        "explain/saliency_2",
    ]
    assert names[0].metric_prefix == "explain/metrics/gradcam/conv1"
    assert name_series("p", [SeriesKey("gradcam", "conv2")])[0].tag == "p/gradcam"


# ------------------------------------------------------------------- faults


def test_rewrap_keeps_the_cause_for_errors_with_other_constructors():
    original = tf.errors.InvalidArgumentError(None, None, "bad shape")
    new = rewrap(original, "GradCAM cannot apply: bad shape")
    assert isinstance(new, RuntimeError)
    assert str(new) == "GradCAM cannot apply: bad shape"
    assert new.__cause__ is original
    same = rewrap(ValueError("x"), "y")
    assert type(same) is ValueError and same.__cause__ is not None


def test_faults_raise_while_strict_then_warn_once_per_part():
    faults = Faults()
    with pytest.raises(PartFailed, match=r"explain/gradcam.*ValueError: boom"):
        faults.failed(0, "explain/gradcam", ValueError("boom"))
    faults.strict = False
    with pytest.warns(RuntimeWarning, match="explain/gradcam failed at step 3"):
        faults.failed(3, "explain/gradcam", ValueError("boom"))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        faults.failed(4, "explain/gradcam", ValueError("boom"))
    assert record == []
    assert [f[:2] for f in faults.failures] == [
        (3, "explain/gradcam"),
        (4, "explain/gradcam"),
    ]


# ------------------------------------------------------------------ metrics


def _map_set(maps, classes, samples=None):
    maps = np.asarray(maps, np.float32)
    n = maps.shape[0]
    return logged_metrics.MapSet(
        maps=maps,
        samples=np.arange(n) if samples is None else np.asarray(samples),
        class_ids=None if classes is None else np.asarray(classes),
        inputs=np.zeros((n, *maps.shape[1:], 1), np.float32),
    )


def test_drift_compares_the_same_sample_and_class_only():
    rng = np.random.default_rng(0)
    before = rng.random((3, 4, 4))
    after = before.copy()
    after[0] = before[0][::-1]  # sample 0: the same class, another ranking
    drift = logged_metrics.REGISTRY["drift"].compute
    values = drift(None, _map_set(after, [1, 2, 0]), _map_set(before, [1, 0, 0]), {})
    assert values[0] == pytest.approx(tbx.metrics.drift(before[:1], after[:1])[0])
    assert np.isnan(values[1])  # sample 1 explains class 2 now, class 0 before
    assert values[2] == pytest.approx(1.0)
    assert drift(None, _map_set(after, [1, 2, 0]), None, {}) is None
    # Top-k rows that swapped order are still matched by class.
    swapped = drift(
        None,
        _map_set(before[[1, 0]], [5, 7], samples=[0, 0]),
        _map_set(before[[0, 1]], [7, 5], samples=[0, 0]),
        {},
    )
    np.testing.assert_allclose(swapped, [1.0, 1.0])


def test_metrics_runner_checks_names_and_reports_failures():
    with pytest.raises(ValueError, match="Unknown metric"):
        logged_metrics.MetricsRunner(["auc"], has_masks=False)
    with pytest.raises(ValueError, match="needs ground-truth masks"):
        logged_metrics.MetricsRunner(["pointing_game"], has_masks=False)
    assert logged_metrics.MetricsRunner("auto", has_masks=True).chosen == {
        "pointing_game": {}
    }
    assert not logged_metrics.MetricsRunner("auto", has_masks=False)
    runner = logged_metrics.MetricsRunner({"drift": {"measure": "nope"}}, False)
    errors = []
    maps = _map_set(np.ones((1, 2, 2)), [0])
    values = runner.run(None, maps, maps, lambda name, err: errors.append(name))
    assert values == {} and errors == ["drift"]


def test_a_registered_metric_is_logged_like_the_built_in_ones(tmp_path):
    from tests.logging.conftest import LogdirReader, make_data, make_model

    peak = logged_metrics.LoggedMetric(
        "test_peak", lambda model, maps, previous, kw: maps.maps.max(axis=(1, 2))
    )
    logged_metrics.register_metric(peak)
    try:
        x, _ = make_data(4)
        logger = tbx.ExplanationLogger(
            x, methods=tbx.GradCAM(), log_dir=tmp_path, metrics=["test_peak"]
        )
        maps = logger.log(make_model(), 0)["explain/gradcam"]
        logger.close()
    finally:
        del logged_metrics.REGISTRY["test_peak"]
    [(_, value)] = LogdirReader(tmp_path).scalars(".")[
        "explain/metrics/gradcam/test_peak"
    ]
    assert value == pytest.approx(maps.max(axis=(1, 2)).mean(), rel=1e-6)


# ------------------------------------------------------------- writer thread


def test_the_writer_runs_jobs_in_order_and_keeps_their_errors():
    writer = writing.BackgroundWriter()
    done = []

    def job(i):
        def run():
            if i == 2:
                raise OSError("disk full")
            done.append(i)

        return run

    for i in range(5):
        writer.submit(job(i))
    writer.join()
    assert done == [0, 1, 3, 4]
    (err,) = writer.pop_errors()
    assert isinstance(err, OSError)
    assert writer.pop_errors() == []


def test_the_writer_thread_ends_when_idle_and_restarts_for_the_next_job():
    writer = writing.BackgroundWriter(idle_seconds=0.05)
    threads = []
    writer.submit(lambda: threads.append(threading.current_thread()))
    writer.join()
    deadline = time.monotonic() + 30
    while writer.running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not writer.running
    threads[0].join(30)
    assert not threads[0].is_alive()
    writer.submit(lambda: threads.append(threading.current_thread()))
    writer.join()
    assert threads[1] is not threads[0]


def test_submit_waits_while_the_queue_is_full():
    writer = writing.BackgroundWriter(max_pending=1)
    release = threading.Event()
    started = threading.Event()

    def blocker():
        started.set()
        release.wait(30)

    writer.submit(blocker)
    assert started.wait(30)
    writer.submit(lambda: None)  # fills the queue of one
    third_queued = threading.Event()

    def submit_third():
        writer.submit(lambda: None)
        third_queued.set()

    submitter = threading.Thread(target=submit_third)
    submitter.start()
    # The third job cannot be queued while the first runs and the second waits.
    assert not third_queued.wait(0.2)
    release.set()
    assert third_queued.wait(30)
    submitter.join(30)
    writer.join()


def test_loggers_are_freed_and_share_one_exit_hook(tmp_path):
    from tests.logging.conftest import make_data

    x, _ = make_data(2)
    before = atexit._ncallbacks()
    refs = []
    for i in range(20):
        logger = tbx.ExplanationLogger(
            x, methods=tbx.GradCAM(), log_dir=tmp_path / str(i)
        )
        logger.close()
        refs.append(weakref.ref(logger))
        del logger
    gc.collect()
    assert atexit._ncallbacks() == before
    assert all(ref() is None for ref in refs)
