"""When is a page ready for the next screenshot after an action?

The reference waits for `load` and then a fixed 3 s after every action. The default here waits
for `load`, then until the network has been idle and the DOM unchanged for `quiet_seconds`,
capped at `cap_seconds`. Every environment applies the same `SettleRule`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SettleMode = Literal["smart", "fixed"]


@dataclass(frozen=True)
class SettleRule:
    mode: SettleMode = "smart"
    fixed_seconds: float = 3.0  # the reference's pause after `load`
    quiet_seconds: float = 0.3
    cap_seconds: float = 5.0
    poll_seconds: float = 0.05

    @classmethod
    def fixed(cls) -> SettleRule:
        return cls(mode="fixed")
