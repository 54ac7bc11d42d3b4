"""Judges: a trajectory (and the task) in, a `Verdict` out, through an OpenAI-compatible model."""

from eval.judges.base import Judge, JudgeModel, ScreenshotReader, Verdict
from eval.judges.refusal import RefusalJudge
from eval.judges.rubric import RubricVerifier
from eval.judges.webjudge import WebJudge
from eval.judges.webvoyager import WebVoyagerJudge

__all__ = [
    "Judge",
    "JudgeModel",
    "RefusalJudge",
    "RubricVerifier",
    "ScreenshotReader",
    "Verdict",
    "WebJudge",
    "WebVoyagerJudge",
]
