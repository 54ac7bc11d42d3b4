"""Policies turn the chat messages into the model's raw reply.

`OpenAIPolicy` talks to any OpenAI-compatible server (vLLM serving microsoft/Fara-7B in production)
with the reference sampling: temperature 0, no `stop` (a stop string is dropped by servers and
corrupts the stored turn), no `max_tokens` unless asked for.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, cast

import httpx
import openai
from openai.types.chat import ChatCompletionMessageParam

from agent.trajectory import TokenUsage

log = logging.getLogger(__name__)

DEFAULT_MODEL_URL = "http://127.0.0.1:5000/v1"
DEFAULT_MODEL = "microsoft/Fara-7B"


def vllm_hint(base_url: str = DEFAULT_MODEL_URL, model: str = DEFAULT_MODEL) -> str:
    """How to start the model that is configured (not a fixed example): its name, and the port in its URL."""
    port = httpx.URL(base_url).port or 80
    return f"start one with: vllm serve {model} --port {port} --dtype auto (or farol serve --serve-model)"


# Told about each retry of a failing model call: (attempt, retries, what failed); the panel shows it.
RetryListener = Callable[[int, int, str], Awaitable[None]]


@dataclass(frozen=True)
class ModelReply:
    text: str
    usage: TokenUsage | None = None


class ModelUnavailable(Exception):
    """The model could not be reached or kept failing; the run stops with status `error`."""


class Policy(Protocol):
    name: str

    async def complete(self, messages: list[dict[str, Any]]) -> ModelReply: ...

    async def close(self) -> None: ...


class OpenAIPolicy:
    def __init__(
        self,
        base_url: str = DEFAULT_MODEL_URL,
        model: str = DEFAULT_MODEL,
        api_key: str | None = None,
        timeout: float = 120.0,
        retries: int = 4,
        backoff: float = 1.0,
        max_tokens: int | None = None,
        temperature: float | None = 0.0,
    ) -> None:
        self.name = model
        self.base_url, self.api_key = base_url, api_key
        self._retries = retries
        self._backoff = backoff
        self._max_tokens = max_tokens
        self._temperature = temperature  # None for models that refuse the parameter (o4-mini as a judge)
        self.on_retry: RetryListener | None = None
        # Retries are ours (logged, with a clear final error), not the client's silent ones.
        self._client = openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key or "not-needed", timeout=timeout, max_retries=0
        )

    async def complete(self, messages: list[dict[str, Any]]) -> ModelReply:
        extra: dict[str, Any] = {} if self._max_tokens is None else {"max_tokens": self._max_tokens}
        if self._temperature is not None:
            extra["temperature"] = self._temperature
        for attempt in range(self._retries + 1):
            try:
                sent = cast("list[ChatCompletionMessageParam]", messages)  # our dicts are the API's message shape
                response = await self._client.chat.completions.create(model=self.name, messages=sent, **extra)
                break
            except (openai.APIConnectionError, openai.InternalServerError) as error:
                if attempt == self._retries:
                    raise ModelUnavailable(self._describe(error)) from error
                delay = self._backoff * 2**attempt
                log.info("model call failed (%s); retrying in %.1f s", error.__class__.__name__, delay)
                if self.on_retry is not None:
                    await self.on_retry(attempt + 1, self._retries, self._describe(error))
                await asyncio.sleep(delay)
            except openai.APIStatusError as error:
                raise ModelUnavailable(
                    f"the model at {self.base_url} answered {error.status_code}: {error.message}"
                ) from error
        if not response.choices:
            return ModelReply("", _usage(response))
        return ModelReply(response.choices[0].message.content or "", _usage(response))

    def _describe(self, error: Exception) -> str:
        if isinstance(error, openai.APIConnectionError):
            return f"Cannot reach the model {self.name} at {self.base_url}; {vllm_hint(self.base_url, self.name)}"
        return f"The model {self.name} at {self.base_url} keeps failing ({error}); check the server's log"

    async def close(self) -> None:
        await self._client.close()


def endpoint_reachable(base_url: str, api_key: str | None = None) -> bool:
    """A quick look before a long job: does an OpenAI-compatible server answer at `base_url`?"""
    try:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        return httpx.get(base_url.rstrip("/") + "/models", headers=headers, timeout=3).status_code < 500
    except httpx.HTTPError:
        return False


def _usage(response: Any) -> TokenUsage | None:
    usage = getattr(response, "usage", None)
    if usage is None:
        return None
    return TokenUsage(prompt_tokens=usage.prompt_tokens or 0, completion_tokens=usage.completion_tokens or 0)
