"""Which job serves which entry of ``methods=``: one table, and `register_job`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from tbexplain.logger.attribution import AttributionJob
from tbexplain.logger.jobs import Every, Job
from tbexplain.logger.views import ActivationsJob, FiltersJob, StagesJob
from tbexplain.methods.activations import Activations
from tbexplain.methods.base import Method
from tbexplain.methods.filter_visualization import FilterVisualization
from tbexplain.pipeline import Stages

__all__ = ["make_job", "register_job"]

Factory = Callable[[Any], Job]
F = TypeVar("F", bound=Factory)

_JOBS: dict[type, Factory] = {
    Method: AttributionJob,
    Activations: ActivationsJob,
    FilterVisualization: FiltersJob,
    Stages: StagesJob,
}


def register_job(entry_type: type) -> Callable[[F], F]:
    """Declares the job factory of `entry_type` (and its subclasses)::

    @tbx.logger.register_job(MyView)
    class MyViewJob(tbx.logger.Job): ...
    """

    def decorate(factory: F) -> F:
        _JOBS[entry_type] = factory
        return factory

    return decorate


def make_job(entry: Any) -> Job:
    """The job of one ``methods=`` entry (`Every` sets the job's schedule).

    Raises:
      TypeError: no job serves the entry's class.
    """
    if isinstance(entry, Every):
        job = make_job(entry.entry)
        job.every = entry.n
        return job
    for cls in type(entry).__mro__:
        factory = _JOBS.get(cls)
        if factory is not None:
            return factory(entry)
    raise TypeError(
        "methods must hold tbexplain methods or views (e.g. tbx.GradCAM(), "
        "tbx.Activations(), tbx.FilterVisualization(), tbx.every(5, ...)). "
        f"Received: {entry!r}"
    )
