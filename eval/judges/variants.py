"""Which judge scores which suite (`farol eval run --judge-variant`); each suite's first variant is its default.

The defaults reproduce the published protocols: the same prompts, images and verdict rules as Fara's
harness, and no sampling parameters (the reference client sends none, so the endpoint's defaults apply).
Farol's stricter judges stay available under their own names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agent.policy import Policy
from eval.judges.base import Judge, JudgeModel
from eval.judges.refusal import RefusalJudge
from eval.judges.universal import UniversalVerifier
from eval.judges.webjudge import WebJudge
from eval.judges.webjudge_strict import StrictWebJudge
from eval.judges.webvoyager import StrictWebVoyagerJudge, WebVoyagerJudge


@dataclass(frozen=True)
class JudgeVariant:
    name: str
    summary: str
    build: Callable[[Policy], Judge]
    temperature: float | None  # None: the endpoint's default


VARIANTS: dict[str, tuple[JudgeVariant, ...]] = {
    "webvoyager": (
        JudgeVariant("reference", "WebVoyager's auto-eval judge as Fara's harness sends it", WebVoyagerJudge, None),
        JudgeVariant("strict", "Farol's prompt: claims the screenshots do not show fail", StrictWebVoyagerJudge, 0.0),
    ),
    "om2w": (
        JudgeVariant("reference", "WebJudge as Fara's harness calls it", WebJudge, None),
        JudgeVariant("strict", "Farol's WebJudge prompts: the agent's statements are no evidence", StrictWebJudge, 0.0),
    ),
    "webtailbench": (
        JudgeVariant(
            "outcome", "Universal-Verifier-style; passes on outcome success", lambda m: UniversalVerifier(m), None
        ),
        JudgeVariant(
            "process",
            "the same; passes on a rubric score of at least 0.8",
            lambda m: UniversalVerifier(m, success="process"),
            None,
        ),
        JudgeVariant(
            "both",
            "the same; needs outcome success and the rubric score",
            lambda m: UniversalVerifier(m, success="both"),
            None,
        ),
    ),
    "refusals": (JudgeVariant("classifier", "is the final answer a safety refusal (YES/NO)", RefusalJudge, 0.0),),
}


def judge_variant(suite: str, name: str | None = None) -> JudgeVariant:
    """The suite's variant called `name` (its default when None); ValueError naming the choices otherwise."""
    if suite not in VARIANTS:
        raise ValueError(f"the {suite} suite is not scored by a judge")
    variants = VARIANTS[suite]
    if name is None:
        return variants[0]
    for variant in variants:
        if variant.name == name:
            return variant
    raise ValueError(f"{suite} has no judge variant {name!r}; choose one of {', '.join(v.name for v in variants)}")


def build_judge(suite: str, variant: str | None, base_url: str, model: str, api_key: str | None = None) -> Judge:
    chosen = judge_variant(suite, variant)
    return chosen.build(JudgeModel(base_url, model, api_key, temperature=chosen.temperature))
