"""Judges: a trajectory (and the task) in, a `Verdict` out, through an OpenAI-compatible model."""

from eval.judges.base import Judge, JudgeModel, ScreenshotReader, Verdict
from eval.judges.refusal import RefusalJudge
from eval.judges.universal import UniversalVerifier
from eval.judges.variants import VARIANTS, build_judge, judge_variant
from eval.judges.webjudge import WebJudge
from eval.judges.webjudge_strict import StrictWebJudge
from eval.judges.webvoyager import StrictWebVoyagerJudge, WebVoyagerJudge

__all__ = [
    "VARIANTS",
    "Judge",
    "JudgeModel",
    "RefusalJudge",
    "ScreenshotReader",
    "StrictWebJudge",
    "StrictWebVoyagerJudge",
    "UniversalVerifier",
    "Verdict",
    "WebJudge",
    "WebVoyagerJudge",
    "build_judge",
    "judge_variant",
]
