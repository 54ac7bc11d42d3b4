"""How well each verifier (and the keep rule) agrees with the sandbox checker, on the trajectories both judged.

The checker is the truth here: a verifier's pass on a trajectory the checker failed is a false positive (bad
data let in), its fail on one the checker passed a false negative (good data thrown away).
"""

from __future__ import annotations

from pydantic import BaseModel


class Agreement(BaseModel):
    verifier: str
    judged: int  # trajectories both the verifier and the checker judged
    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int

    @property
    def agreement(self) -> float | None:
        return (self.true_positives + self.true_negatives) / self.judged if self.judged else None

    @property
    def precision(self) -> float | None:
        passed = self.true_positives + self.false_positives
        return self.true_positives / passed if passed else None

    @property
    def recall(self) -> float | None:
        good = self.true_positives + self.false_negatives
        return self.true_positives / good if good else None

    @property
    def false_positive_rate(self) -> float | None:
        bad = self.false_positives + self.true_negatives
        return self.false_positives / bad if bad else None


def agreement(verifier: str, pairs: list[tuple[bool, bool]]) -> Agreement:
    """`pairs`: (the verifier passed, the checker passed) per trajectory."""
    return Agreement(
        verifier=verifier,
        judged=len(pairs),
        true_positives=sum(mine and truth for mine, truth in pairs),
        false_positives=sum(mine and not truth for mine, truth in pairs),
        false_negatives=sum(truth and not mine for mine, truth in pairs),
        true_negatives=sum(not mine and not truth for mine, truth in pairs),
    )
