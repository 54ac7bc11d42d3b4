"""The one FaraGen config file (TOML): an OpenAI-compatible endpoint, a model and prices per LLM role, and the
settings of each stage. `datagen/datagen.example.toml` documents every field.

A role left out (or without `url` and `model`) has no model: on the sandbox the offline defaults take its place
(the task generator proposes, the oracle solves, the checkers verify); elsewhere the stage that needs it says so.
`[roles.default]` fills in whatever a role does not set, so one endpoint can serve every role.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agent.geometry import TRAINING_WINDOW, check_window
from agent.policy import OpenAIPolicy

Role = Literal["proposer", "orchestrator", "surfer", "user_simulator", "alignment", "rubric", "multimodal", "annotator"]
ROLES: tuple[Role, ...] = get_args(Role)
VERIFIERS: tuple[Role, ...] = ("alignment", "rubric", "multimodal")
CHECKER = "checker"  # the sandbox's programmatic checker, a verifier without a model
EXAMPLE = Path(__file__).parent / "datagen.example.toml"


class ConfigError(ValueError):
    """The config file is missing, malformed or asks for something impossible; the message says which."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Endpoint(_Section):
    url: str | None = None  # an OpenAI-compatible base URL, e.g. https://api.openai.com/v1
    model: str | None = None
    api_key_env: str | None = None  # the environment variable holding the key (keep keys out of the file)
    api_key: str | None = None
    prompt_price: float = Field(default=0.0, ge=0)  # USD per million prompt tokens
    completion_price: float = Field(default=0.0, ge=0)  # USD per million completion tokens
    temperature: float | Literal["default"] = 0.0  # "default": send none (for models that refuse the parameter)
    max_tokens: int | None = Field(default=None, gt=0)

    @property
    def configured(self) -> bool:
        return bool(self.url and self.model)

    def key(self) -> str | None:
        if self.api_key_env:
            if not os.environ.get(self.api_key_env):
                raise ConfigError(f"the environment variable {self.api_key_env} (api_key_env) is not set")
            return os.environ[self.api_key_env]
        return self.api_key

    def client(self) -> OpenAIPolicy:
        """A fresh client (one per job: a client belongs to the event loop that made it)."""
        assert self.url and self.model
        return OpenAIPolicy(
            self.url,
            self.model,
            self.key(),
            max_tokens=self.max_tokens,
            timeout=300,
            temperature=None if self.temperature == "default" else self.temperature,
        )

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.prompt_price + completion_tokens * self.completion_price) / 1e6


class ProposeSettings(_Section):
    mutation_share: float = Field(default=0.25, ge=0, lt=1)  # of new proposals, the share that vary earlier ones
    tasks_per_url: int = Field(default=3, ge=1)  # targeted: tasks asked for per seed URL
    explore_steps: int = Field(default=6, ge=1)  # exploratory: steps the explorer takes before it writes its task
    explore_share: float = Field(default=0.25, ge=0, le=1)  # with a model: of fresh proposals, the explored share


class SolveSettings(_Section):
    parallel: int = Field(default=2, ge=1)  # browsers at once (Ray: trajectories in flight)
    max_steps: int = Field(default=60, ge=1)  # the sandbox episodes' budget; FaraGen's longest had 84 steps
    attempts: int = Field(default=3, ge=1)  # runs the browser aborted are retried with a fresh one
    max_stalls: int = Field(default=3, ge=1)  # stalled steps before the Orchestrator re-plans
    max_replans: int = Field(default=2, ge=0)  # re-plans before it stops the surfer
    max_overrides: int = Field(default=2, ge=0)  # surfer stops it may turn down before the surfer's word stands
    quiet_seconds: float = Field(default=0.3, gt=0)  # settling: network and DOM quiet this long after an action
    # Offline: the share of the oracle's trajectories that take a recoverable detour (never trained on)
    detour_share: float = Field(default=0.3, ge=0, le=1)
    # The browser window, CSS pixels [width, height]: a smaller one makes smaller screenshots (cheaper training)
    viewport: tuple[int, int] = TRAINING_WINDOW

    @field_validator("viewport")
    @classmethod
    def _viewport(cls, value: tuple[int, int]) -> tuple[int, int]:
        return check_window(*value)


class VerifySettings(_Section):
    # Which verifiers decide whether a trajectory is kept [default: every configured LLM verifier and, on the
    # sandbox, its checker]; "checker" names the sandbox checker (its verdict is stored whatever the rule).
    keep: list[str] | None = None
    rule: Literal["all", "majority", "any"] = "all"
    rubric_threshold: float = Field(default=0.8, gt=0, le=1)
    screenshots: int = Field(default=4, ge=1)  # at most this many screenshots go to the multimodal verifier


class Config(_Section):
    roles: dict[Literal["default"] | Role, Endpoint] = Field(default_factory=dict)
    propose: ProposeSettings = Field(default_factory=ProposeSettings)
    solve: SolveSettings = Field(default_factory=SolveSettings)
    verify: VerifySettings = Field(default_factory=VerifySettings)

    def role(self, name: Role) -> Endpoint | None:
        """The role's endpoint with `[roles.default]` filling the gaps; None when it has no model."""
        default, own = self.roles.get("default"), self.roles.get(name)
        merged = {**(default.model_dump(exclude_unset=True) if default else {})}
        merged.update(own.model_dump(exclude_unset=True) if own else {})
        endpoint = Endpoint.model_validate(merged)
        return endpoint if endpoint.configured else None

    def cost(self, name: Role, prompt_tokens: int, completion_tokens: int) -> float:
        """USD at this config's prices (a role without a model costs nothing)."""
        endpoint = self.role(name)
        return endpoint.cost(prompt_tokens, completion_tokens) if endpoint else 0.0

    def check(self) -> None:
        """Raise `ConfigError` now for what would fail later: a keep rule naming no verifier, a missing key."""
        self.keep_rule()
        for name in ROLES:
            if endpoint := self.role(name):
                endpoint.key()

    def keep_rule(self) -> list[str]:
        if self.verify.keep is not None:
            unknown = [name for name in self.verify.keep if name not in (*VERIFIERS, CHECKER)]
            if unknown:
                raise ConfigError(f"verify.keep names no verifier: {', '.join(unknown)}")
            return list(self.verify.keep)
        return [name for name in VERIFIERS if self.role(name)] + [CHECKER]


def load_config(path: Path | None) -> Config:
    """The config at `path`; the offline defaults when None."""
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"no config file at {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    try:
        return Config.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise ConfigError(f"{path}: {problems}") from None
