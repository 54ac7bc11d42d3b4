"""Secrets for the secret-flow tests: the values a scripted model types on tests/fixtures/pages/secrets.html, its
replies, and a search of raw bytes for every form a secret could be written in."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import quote, quote_plus

from PIL import Image

from tests.support.fara import model_point, reply

PASSWORD = "Tr0ub4dor&3 horse"
CARD = "4242 4242 4242 4242"
CVC = "946"  # shorter than 4: masked as a whole token only
CODE = "551204"
SECRETS = (PASSWORD, CARD, CVC, CODE)
RED = (255, 0, 0)  # tests/fixtures/pages/swap.html's password field, and nothing else on that page


def forms_of_secrets() -> list[re.Pattern[str]]:
    """Each secret as it could be written: raw, without its spaces, URL-encoded; a short one as a whole token."""
    found = []
    for secret in SECRETS:
        if len(secret) < 4:
            found.append(re.compile(rf"(?<![0-9A-Za-z]){secret}(?![0-9A-Za-z])"))
            continue
        for form in {secret, secret.replace(" ", ""), quote(secret), quote_plus(secret)}:
            found.append(re.compile(re.escape(form), re.IGNORECASE))
    return found


def found_in(text: str, *, png: bool = False) -> list[str]:
    """The forms of the secrets in `text`; in a PNG's bytes, where three digits occur by chance, the long ones only."""
    return [pattern.pattern for pattern in forms_of_secrets() if not (png and _short(pattern)) and pattern.search(text)]


def _short(pattern: re.Pattern[str]) -> bool:
    return pattern.pattern.startswith("(?<!")


def leaks(files: list[Path]) -> list[tuple[str, str]]:
    """(file, form) for every secret found in the raw bytes or the name of a file."""
    found = []
    for file in files:
        data = file.read_bytes().decode("latin-1")  # byte for byte: every UTF-8 and ASCII form is found as is
        found += [(str(file), form) for form in found_in(file.name) + found_in(data, png=data.startswith("\x89PNG"))]
    return found


def files_in(folder: Path) -> list[Path]:
    return [file for file in folder.rglob("*") if file.is_file()]


SECRETS_PAGE = {"password": (250, 118), "card": (250, 198), "cvc": (160, 278), "code": (180, 358)}


def secret_session_replies() -> list[str]:
    """The model types each secret, then repeats them in thoughts, a memorised fact and its answer."""
    return [
        reply(
            f"I type the password {PASSWORD}.",
            "type",
            text=PASSWORD,
            coordinate=model_point(*SECRETS_PAGE["password"]),
            press_enter=False,
        ),
        reply(
            f"Now card {CARD.replace(' ', '')}, after password {PASSWORD.upper()}.",
            "type",
            text=CARD,
            coordinate=model_point(*SECRETS_PAGE["card"]),
            press_enter=False,
        ),
        reply(f"The CVC is {CVC}.", "type", text=CVC, coordinate=model_point(*SECRETS_PAGE["cvc"]), press_enter=False),
        reply(
            "Remember the details.",
            "pause_and_memorize_fact",
            fact=f"card {CARD.replace(' ', '-')}, CVC {CVC}, password {PASSWORD}",
        ),
        # Enter sends the form with GET: the next page's URL carries every value, URL-encoded, its title the card.
        reply(f"The one-time code is {CODE}.", "type", text=CODE, coordinate=model_point(*SECRETS_PAGE["code"])),
        reply(f"Paid with {CARD} (CVC {CVC}), signed in as {quote_plus(PASSWORD)}, code {CODE}.", "terminate"),
        reply("Noted.", "terminate", status="success"),
    ]


def red_pixels(png: bytes) -> int:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return {colour: count for count, colour in image.getcolors(image.width * image.height)}.get(RED, 0)
