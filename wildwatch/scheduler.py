"""The crawl schedule: each source at its own interval, and takedown re-checks.

APScheduler keeps the jobs in the store's database (SQLAlchemy job store), so a
restart resumes the plan. Each job runs the ``wildwatch`` command in a child
process, because a crawl's Twisted reactor runs once per process.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from crawler.sources import SourceBase

__all__ = ["PlannedJob", "plan_jobs", "run_job", "start_scheduler"]

logger = logging.getLogger(__name__)


#: How often repost and seller clusters are brought up to date with new listings.
CLUSTERS_EVERY = timedelta(hours=1)
#: How often changes waiting for Elasticsearch are sent again (each crawl sends its own).
OUTBOX_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class PlannedJob:
    """One recurring job: ``crawl`` or ``takedowns`` of one source, or a store-wide
    job (``clusters``, ``outbox``) whose `source` is None."""

    id: str
    action: str
    source: str | None
    every: timedelta


def plan_jobs(
    sources: Mapping[str, SourceBase], *, external_index: bool = False
) -> list[PlannedJob]:
    """A crawl job per scheduled, enabled source and its takedown re-check job; the
    cluster update; the outbox replay when an external index is configured."""
    jobs = []
    for name, source in sources.items():
        if not source.enabled or source.schedule is None:
            continue
        jobs.append(PlannedJob(f"crawl:{name}", "crawl", name, source.schedule))
        jobs.append(PlannedJob(f"takedowns:{name}", "takedowns", name, source.revisit.takedown))
    if jobs:
        jobs.append(PlannedJob("clusters", "clusters", None, CLUSTERS_EVERY))
        if external_index:
            jobs.append(PlannedJob("outbox", "outbox", None, OUTBOX_EVERY))
    return jobs


def run_job(
    action: str,
    source: str | None,
    data_dir: str,
    sources_file: str | None = None,
    base_url: str | None = None,
) -> int:
    """Run ``wildwatch ACTION [SOURCE]`` in a child process; its exit status."""
    command = [sys.executable, "-m", "wildwatch", action, "--data-dir", data_dir]
    if source is None:
        if action == "outbox":
            command.append("--replay")
    else:
        command.insert(4, source)
        if sources_file:
            command += ["--sources", sources_file]
        if base_url:
            command += ["--base-url", base_url]
    logger.info("running %s", " ".join(command[2:]))
    done = subprocess.run(command, check=False)
    if done.returncode:
        logger.warning("%s %s exited with %d", action, source or "", done.returncode)
    return done.returncode


def start_scheduler(
    jobs: list[PlannedJob],
    database_url: str,
    data_dir: Path,
    sources_file: Path | None,
    base_url: str | None = None,
) -> None:
    """Run the jobs until interrupted (Ctrl-C), keeping them in the database."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=database_url, tablename="schedule_jobs")},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    wanted = {job.id for job in jobs}
    for job in jobs:
        scheduler.add_job(
            run_job,
            "interval",
            seconds=job.every.total_seconds(),
            id=job.id,
            name=f"{job.action} {job.source}",
            args=[job.action, job.source, str(data_dir), str(sources_file or "") or None, base_url],
            replace_existing=True,
        )
    scheduler.start(paused=True)
    for stale in scheduler.get_jobs():
        if stale.id not in wanted:  # a source removed from the file since last time
            stale.remove()
    scheduler.resume()
