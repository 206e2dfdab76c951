"""Where grading jobs run: in this process (`--workers 1`) or on Dask (a local cluster, or `--scheduler`).

Every pool runs the same function, `autograder.grading.worker.grade(job, template)`, and yields results as
they arrive so the coordinator can write each one at once. On Linux a local cluster's workers are
forked from the coordinator after it has loaded the grading code, so they start with it loaded.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterable, Iterator
from typing import Any

import dask
from dask.distributed import Client, LocalCluster, as_completed

from autograder.grading import worker
from autograder.grading.jobs import FatalGradingError, Job, Result, Template
from autograder.problem_set import ProblemSet

Outcome = tuple[Job, Result | BaseException]


class InProcessPool:
    """One job at a time in the coordinator's process: no cluster start-up, same worker code."""

    description = "in this process (1 worker)"
    workers = 1

    def start(self) -> None:
        """Nothing to start."""

    def run(self, todo: Iterable[Job], template: Template) -> Iterator[Outcome]:
        """Grade each job in turn; a job's exception is yielded, a fatal one raised."""
        for job in todo:
            try:
                yield job, worker.grade(job, template)
            except FatalGradingError:
                raise
            except Exception as exc:  # one broken job must not stop the class
                yield job, exc

    def close(self) -> None:
        """Nothing to stop."""


class DaskPool:
    """Jobs on Dask: a LocalCluster of `n_workers` processes, or the cluster at `scheduler`.

    Everything here runs in the coordinator's main thread: importing nbgrader from two threads at
    once can hand one of them a half-initialised module. Jobs are submitted as `worker.grade`, which
    a remote worker imports (by its module name) when the first job arrives.
    """

    def __init__(
        self,
        n_workers: int = 1,
        scheduler: str | None = None,
        local_dir: str | None = None,
        *,
        problem_set: ProblemSet,
    ) -> None:
        self.n_workers, self.scheduler, self.local_dir = n_workers, scheduler, local_dir
        self.problem_set = problem_set  # what each worker loads before its first job
        self.workers = n_workers  # jobs at once; a remote cluster's count is known once connected
        self.cluster: Any = None
        self.client: Any = None
        self.description = (
            f"on the Dask cluster at {scheduler}"
            if scheduler
            else f"on a local Dask cluster of {n_workers} worker processes"
        )

    def start(self) -> None:
        """Start the cluster (or connect), then let every worker load the grading code in the
        background (a pinned task each) while the coordinator builds the course."""
        try:
            if self.scheduler:
                self.client = Client(self.scheduler, timeout=60)
                self.client.wait_for_workers(1, timeout=120)
            else:
                prepare_local_workers(self.problem_set)
                self.cluster = LocalCluster(
                    n_workers=self.n_workers,
                    threads_per_worker=1,  # one kernel per core: BLAS is held to one thread too
                    processes=True,
                    # No dashboard; its HTTP server (health checks) on any free port, not 8787.
                    dashboard_address="127.0.0.1:0",
                    scheduler_kwargs={"dashboard": False},
                    silence_logs=logging.ERROR,
                    host="127.0.0.1",
                    local_directory=self.local_dir,  # in the run's scratch: swept after a kill -9
                )
                self.client = Client(self.cluster)
        except Exception as exc:
            self.close()
            raise RuntimeError(f"could not start Dask ({self.description}): {exc!r}") from exc
        workers = self.client.scheduler_info()["workers"]
        self.workers = max(1, sum(w.get("nthreads", 1) for w in workers.values()))
        for address in workers:
            self.client.submit(
                worker.warm_up, self.problem_set, pure=False, workers=[address], allow_other_workers=False
            )

    def run(self, todo: Iterable[Job], template: Template) -> Iterator[Outcome]:
        """Submit every job; yield (job, result or exception) in completion order."""
        if self.client is None:
            self.start()
        client = self.client
        shared = client.scatter(template, broadcast=True, hash=False)  # sent once per worker
        futures = {
            client.submit(worker.grade, job, shared, pure=False, key=f"grade-{job.student}-{i}"): job
            for i, job in enumerate(todo)
        }
        for future in as_completed(futures):
            job = futures[future]
            try:
                yield job, future.result()
            except FatalGradingError:
                raise
            except Exception as exc:  # KilledWorker, a bug in one job: recorded as an error
                yield job, exc
            finally:
                future.release()

    def close(self) -> None:
        """Disconnect; stop the local cluster (an external one keeps running)."""
        for thing in (self.client, self.cluster):
            if thing is not None:
                with contextlib.suppress(Exception):
                    thing.close()


def prepare_local_workers(problem_set: ProblemSet) -> None:
    """Settings for a local cluster's workers, applied in this process before it starts them.

    - No statistical profiler (a thread sampling every job's stack 100 times a second, for a
      dashboard that is off).
    - On Linux, load the grading code here and fork the workers from this process. Spawned workers
      would each import nbgrader and Dask again (the import of `autograder.cli.grade`, about as long
      as a notebook). Not elsewhere: fork is unsafe on macOS. At the fork the only
      other thread is Dask's event loop, which forks; the main thread waits for the cluster and
      holds no lock (the run lock is a lockf lock, which children do not inherit).
    """
    dask.config.set({"distributed.worker.profile.enabled": False})
    if sys.platform == "linux":
        worker.warm_up(problem_set)
        dask.config.set({"distributed.worker.multiprocessing-method": "fork"})


def make_pool(
    workers: int, scheduler: str | None, local_dir: str | None = None, *, problem_set: ProblemSet
) -> InProcessPool | DaskPool:
    """`--scheduler` wins; otherwise one worker runs in-process and more use a LocalCluster
    (its workers' files in `local_dir`)."""
    if scheduler:
        return DaskPool(scheduler=scheduler, problem_set=problem_set)
    if workers <= 1:
        return InProcessPool()
    return DaskPool(n_workers=workers, local_dir=local_dir, problem_set=problem_set)
