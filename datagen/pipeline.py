"""The stages over one output folder (`OUT/farol.db`: the store, and FaraGen's tables beside it).

Every stage picks up where the last run stopped: `propose` tops the accepted proposals up to N, `solve` runs
the proposals without a trajectory (after removing what a killed run left half-written), `verify` judges the
solved ones, `aux` derives the auxiliary samples the solved ones allow. `run` chains them.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from agent.auxiliary_sample import AuxiliaryKind, CaptionSample, RefusalSample
from agent.fanout import fan_out
from agent.store import Store
from agent.terminal import ProgressBar
from agent.trajectory import KEPT_SCORE
from datagen import auxiliary_data
from datagen.config import Config, ConfigError
from datagen.db import DatagenDB
from datagen.explore import explore_source
from datagen.llm_propose import mutation_source, targeted_source
from datagen.meter import Meter
from datagen.models import RoleModels
from datagen.propose import Deduplicator, generator_source, take, variant_source
from datagen.records import SANDBOX, CheckerVerdict, Proposal, Rejection, Solved
from datagen.sites import SANDBOX_CATEGORIES, SeedUrl, sandbox_seeds, seeds_for
from datagen.solve import SolveJob, sandbox_for, stop_sandboxes
from datagen.verify import Verifiers, checker_verdict, keeps, outcome_kind
from sandbox.web import SITES

MUTATIONS_PER_PARENT = 2


@dataclass
class Workspace:
    out: Path
    config: Config
    store: Store
    db: DatagenDB
    show_progress: bool = True

    @classmethod
    def open(cls, out: Path, config: Config, *, show_progress: bool = True) -> Workspace:
        out.mkdir(parents=True, exist_ok=True)
        store = Store(out / "farol.db")
        return cls(out, config, store, DatagenDB(store), show_progress)

    def close(self) -> None:
        self.store.close()

    def progress(self, label: str, total: int) -> ProgressBar:
        return ProgressBar(label, total, show=self.show_progress)


# -- propose -----------------------------------------------------------------------------------------


async def propose(ws: Workspace, sites: str, n: int, names: Sequence[str] = ()) -> tuple[int, int]:
    """Top the accepted proposals up to `n`; returns (accepted, rejected) in this call. Each batch's verdicts and
    the model usage behind them are stored as they are made, so a killed run keeps what it paid for."""
    need = n - len(ws.db.proposals())
    if need <= 0:
        return 0, 0
    seeds = seeds_for(sites)
    known = ws.db.known_tasks()
    known_ids = frozenset(proposal.id for proposal in known)
    meter = Meter()
    counts = {"accepted": 0, "rejected": 0}

    def stored(accepted: list[Proposal], rejected: list[Rejection]) -> None:
        ws.db.add_proposals(accepted, rejected)
        ws.db.add_usage("propose", "propose", meter.drain())
        counts["accepted"] += len(accepted)
        counts["rejected"] += len(rejected)

    async with RoleModels(ws.config, meter) as models:
        proposer = models.get("proposer")
        settings = ws.config.propose
        generated = [generator_source(names, known_ids)] if sites == SANDBOX else []
        explored = [explore_source(proposer, seeds, settings.explore_steps, sandbox_for)] if proposer else []
        written = [targeted_source(proposer, seeds, settings.tasks_per_url)] if proposer else []
        if not (generated or written):
            raise ConfigError(f"proposing tasks for {sites} needs a model for the proposer role")
        dedupe = Deduplicator(known)
        fresh = need - round(need * settings.mutation_share)
        try:
            # explore_share of the fresh ones from exploring, the rest from the generator and the written tasks
            share = round(fresh * settings.explore_share) if explored else 0
            await take(explored, share, dedupe, stored)
            await take([*generated, *written], fresh - counts["accepted"], dedupe, stored)
            parents = ws.db.proposals()
            variations = [variant_source(parents, known_ids)] if sites == SANDBOX else []
            if proposer is not None:
                variations.append(mutation_source(proposer, parents, MUTATIONS_PER_PARENT))
            await take(variations, need - counts["accepted"], dedupe, stored)
        finally:
            stop_sandboxes()
            ws.db.add_usage("propose", "propose", meter.drain())
    return counts["accepted"], counts["rejected"]


def proposals_short(ws: Workspace, n: int) -> str | None:
    """Why the folder holds fewer than `n` accepted proposals, or None when it does not."""
    proposals = ws.db.proposals()
    if len(proposals) >= n:
        return None
    rejected = Counter(reason.split(":")[0] for _, reason in ws.db.rejections())
    why = ", ".join(f"{count} {reason}" for reason, count in rejected.most_common()) or "none rejected"
    return (
        f"only {len(proposals)} of {n} tasks could be proposed: every source ran dry ({why}); "
        "widen --tasks or --sites, or give the proposer role a model"
    )


def shortfall(ws: Workspace, n: int) -> str | None:
    """Why the folder holds fewer than `n` solved trajectories, or None when it does not."""
    if (short := proposals_short(ws, n)) is not None:
        return short
    failed = ws.db.jobs("failed")
    if failed:
        first = failed[0]["data"].get("error") or "unknown error"
        return f"{len(failed)} of {n} tasks could not be solved (the first: {first}); see `farol datagen report`"
    return None


# -- solve -------------------------------------------------------------------------------------------


async def solve(ws: Workspace, *, limit: int | None = None, ray_address: str | None = None) -> list[Solved]:
    """Solve the accepted proposals that have no trajectory yet, `solve.parallel` at a time (or over Ray)."""
    ws.db.clear_unfinished()
    pending = [proposal for proposal in ws.db.proposals() if ws.db.job(proposal.id) is None][:limit]
    unsolvable = [p.id for p in pending if p.check is None] if ws.config.role("surfer") is None else []
    if unsolvable:
        raise ConfigError(
            f"{len(unsolvable)} proposals were not written by the sandbox generator (e.g. {unsolvable[0]}); "
            "solving them needs a model for the surfer role"
        )
    tally = {"solved": 0, "failed": 0}
    with ws.progress("solve", len(pending)) as bar:

        def store(proposal: Proposal, solved: Solved) -> None:
            ws.db.store_solved(solved)
            if solved.trajectory is not None:
                questions, captions = auxiliary_data.page_questions(solved.trajectory, solved.pages)
                ws.store.auxiliary.add(
                    [*auxiliary_data.grounding(solved.trajectory, solved.pages), *questions, *captions]
                )
                for step in solved.trajectory.steps:  # stored: the screenshots need not stay in memory
                    step.image = None
            solved.screenshots.clear()
            solved.pages.clear()
            tally["solved" if solved.trajectory is not None else "failed"] += 1
            bar.advance(f"{tally['solved']} solved, {tally['failed']} failed")

        try:
            return await fan_out(
                SolveJob(ws.config), pending, concurrency=ws.config.solve.parallel, ray_address=ray_address,
                on_result=store,
            )  # fmt: skip
        except ConnectionError as error:  # Ray found no cluster at that address
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ConfigError(f"--ray {ray_address}: no Ray cluster answers there ({first})") from None
        finally:
            stop_sandboxes()


# -- verify ------------------------------------------------------------------------------------------


async def verify(ws: Workspace) -> tuple[int, int]:
    """Judge every solved, unverified trajectory; returns (verified, kept) in this call."""
    jobs = ws.db.jobs("solved")
    proposals = {proposal.id: proposal for proposal in ws.db.proposals()}
    names, rule = ws.config.keep_rule(), ws.config.verify.rule
    counts = {"verified": 0, "kept": 0}
    gate = asyncio.Semaphore(ws.config.solve.parallel)
    with ws.progress("verify", len(jobs)) as bar:

        async def one(job: dict[str, Any]) -> None:
            trajectory = ws.store.load(job["trajectory_id"])
            meter = Meter()
            async with gate, RoleModels(ws.config, meter) as models:
                verifiers = Verifiers(models, ws.config.verify, ws.store.read_screenshot)
                verdicts = await verifiers.verify(proposals[job["proposal_id"]], trajectory, job["data"]["targets"])
            if job["data"].get("checker") is not None:  # on the sandbox: stored whatever the keep rule says
                verdicts.append(checker_verdict(CheckerVerdict.model_validate(job["data"]["checker"])))
            outcome = outcome_kind(trajectory)
            kept = keeps(verdicts, names, rule) and outcome is not None
            trajectory.outcome = outcome if kept else None
            trajectory.verifier_scores = {verdict.name: verdict.score for verdict in verdicts} | {
                KEPT_SCORE: float(kept)
            }
            trajectory.verifier_reasons = {verdict.name: verdict.reason for verdict in verdicts}
            ws.store.save_header(trajectory)
            ws.db.set_verified(job["proposal_id"], verdicts, kept, trajectory.outcome)
            ws.db.add_usage(job["proposal_id"], "verify", meter.rows())
            counts["verified"] += 1
            counts["kept"] += kept
            bar.advance(f"{counts['kept']} kept")

        await asyncio.gather(*(one(job) for job in jobs))
    return counts["verified"], counts["kept"]


# -- auxiliary data ----------------------------------------------------------------------------------


def _seeds(proposals: Sequence[Proposal]) -> list[SeedUrl]:
    """The sites the proposals are on: the sandbox's, and each live-web origin with its category."""
    seeds = sandbox_seeds() if any(p.site == SANDBOX for p in proposals) else []
    web: dict[str, str] = {}
    for proposal in proposals:
        if proposal.site != SANDBOX:
            parts = urlsplit(proposal.start_url)
            web.setdefault(f"{parts.scheme}://{parts.netloc}/", proposal.category or "web")
    return seeds + [SeedUrl(url=url, category=category) for url, category in web.items()]


def _site_name(seed: SeedUrl) -> str:
    slug = seed.url.strip("/")
    return SITES[slug].name if seed.site == SANDBOX and slug in SANDBOX_CATEGORIES else urlsplit(seed.url).netloc


def _on_site(seed: SeedUrl, url: str) -> bool:
    path = urlsplit(url).path
    return path.startswith(seed.url) if seed.site == SANDBOX else url.startswith(seed.url)


async def augment(ws: Workspace, refusals_per_site: int = 3) -> dict[AuxiliaryKind, int]:
    """Refusals on a page of every site the data covers, and (with an annotator model) captions and questions
    it writes; returns the number of samples of each kind in the store."""
    auxiliary = ws.store.auxiliary
    captions = [caption for caption in auxiliary.samples("caption") if isinstance(caption, CaptionSample)]
    covered = {sample.site for sample in auxiliary.samples("refusal") if isinstance(sample, RefusalSample)}
    meter = Meter()
    async with RoleModels(ws.config, meter) as models:
        proposer, annotator = models.get("proposer"), models.get("annotator")
        for seed in _seeds(ws.db.proposals()):
            name = _site_name(seed)
            caption = next((c for c in captions if c.source == "dom" and _on_site(seed, c.url)), None)
            if caption is None or name in covered:
                continue  # no screenshot of this site yet, or its refusals are made
            samples = auxiliary_data.template_refusals(caption.shot(), name)
            if proposer is not None:
                samples += await auxiliary_data.written_refusals(
                    proposer, caption.shot(), name, seed, refusals_per_site
                )
            auxiliary.add(samples)
        if annotator is not None:
            annotated = {c.screenshot for c in captions if c.source == "model"}
            pages = {urlsplit(c.url)._replace(query="").geturl(): c for c in captions if c.source == "dom"}
            for caption in pages.values():
                if caption.screenshot in annotated:
                    continue
                questions, written = await auxiliary_data.annotate(
                    annotator, caption.shot(), ws.store.read_screenshot(caption.screenshot)
                )
                auxiliary.add([*questions, *written])
    ws.db.add_usage("aux", "aux", meter.rows())
    return auxiliary.counts()
