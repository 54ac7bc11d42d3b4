"""Reading a free-text final answer as a person would: the amounts, times, durations, years and numbers it
states, and the words it uses, each tolerant of how people write them and strict about the value.

"$2,646.00" is 2646 dollars and "4 PM - midnight" two times, but the 4 in "4:05 PM" is no count, the 12 in
"June 12" is a date, and "$21-$37" states two amounts. Values are read in an order that keeps them apart:
ratings "out of" a scale first (so "4.5/5" is no date), dates (ignored), then money, times, durations, codes
such as flight numbers (never an ordinary word: "IN 2012" is a year), and what is left as plain numbers. Parts
of words are never values.

Only what the answer asserts counts (`asserted`): what it denies or sets aside ("not X", "X isn't", "rather
than X", "instead of X", "X, not Y") is blanked before anything is read. An answer that hedges a value that must
be exact ("about $12", "2 or 3 PM", "maybe 4") says so (`hedges`). Quantities compare by value across units
("1,200 ml" is 1.2 L, `quantity`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2019": "'", "\u00a0": " ", "\u202f": " "})
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DATES = [
    re.compile(rf"\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}}\b)?", re.I),
    re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\b(?:,?\s+\d{{4}}\b)?", re.I),
    re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    re.compile(r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b"),
]
_SCALE = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "mil": 1_000_000, "million": 1_000_000}
_SCALES = r"k|thousand|million|mil|m"
_MONEY = re.compile(
    rf"(?:(?:us)?\$|\busd)\s?(?P<a>{_NUMBER})\s*(?P<sa>{_SCALES})?\b"
    rf"(?:\s*(?:-|to)\s*\$?\s?(?P<b>{_NUMBER})\s*(?P<sb>{_SCALES})?\b)?"
    rf"|(?P<c>{_NUMBER})\s*(?:dollars|usd)\b",
    re.I,
)
_MERIDIEM_TIME = re.compile(r"\b(\d{1,2})(?::([0-5]\d))?\s*([ap])\.?\s?m\b\.?", re.I)
_DAY_TIME = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b")
_NAMED_TIMES = {"noon": 12 * 60, "midday": 12 * 60, "midnight": 0}
_NAMED_TIME = re.compile(rf"\b({'|'.join(_NAMED_TIMES)})\b", re.I)
_DURATION = re.compile(
    r"\b(\d+)\s*(?:h|hrs?|hours?)\b(?:\s*(?:and\s*)?(\d+)\s*(?:m|mins?|minutes?)\b)?|\b(\d+)\s*(?:mins?|minutes)\b",
    re.I,
)
# Flight numbers (SK 214), a state and its ZIP code: two capitals that are not a word ("IN 2012" is a year).
_CODE = re.compile(
    r"\b(?!(?:AM|AN|AS|AT|BE|BY|DO|GO|IF|IN|IS|IT|ME|MY|NO|OF|ON|OR|PM|SO|TO|UP|US|WE)\b)[A-Z]{2}\s?\d{2,5}\b"
)
_RATING = re.compile(rf"(?<![\d.])(?P<n>{_NUMBER})\s*(?:/|out of)\s*(?:5|10)\b(?:\.0)?", re.I)
_PLAIN = re.compile(rf"(?<![\w.$])(?P<n>{_NUMBER})(?![\w]|\.\d)")
_NUMBER_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
)  # fmt: skip
_COUNT_WORDS = {word: n for n, word in enumerate(_NUMBER_WORDS)}
_COUNT_WORD = re.compile(rf"\b({'|'.join(_COUNT_WORDS)}|no|none)\b", re.I)
_TOKEN = re.compile(r"\d+(?:\x00\d{3})*(?:\.\d+)?|[a-z]+|%")
_ALIASES = {
    **dict.fromkeys(("litre", "liter", "litres", "liters"), "l"),
    **dict.fromkeys(("millilitre", "milliliter", "millilitres", "milliliters"), "ml"),
    **dict.fromkeys(("gram", "grams"), "g"),
    **dict.fromkeys(("kilogram", "kilograms", "kilo", "kilos"), "kg"),
    **dict.fromkeys(("millimetre", "millimeter", "millimetres", "millimeters"), "mm"),
    **dict.fromkeys(("centimetre", "centimeter", "centimetres", "centimeters"), "cm"),
    **dict.fromkeys(("inch", "inches"), "in"),
    **dict.fromkeys(("watt", "watts"), "w"),
    **dict.fromkeys(("lumen", "lumens"), "lm"),
    **dict.fromkeys(("kelvin",), "k"),
    **dict.fromkeys(("hr", "hrs", "hours"), "hour"),
    **dict.fromkeys(("people", "persons"), "person"),
    **dict.fromkeys(("percent",), "%"),
    **dict.fromkeys(("street",), "st"),
    **dict.fromkeys(("avenue",), "ave"),
    **dict.fromkeys(("boulevard",), "blvd"),
    **dict.fromkeys(("lane",), "ln"),
    **dict.fromkeys(("drive",), "dr"),
    **dict.fromkeys(("court",), "ct"),
    **dict.fromkeys(("place",), "pl"),
}


def clean(text: str) -> str:
    """One spelling of dashes, quotes and spaces."""
    return text.translate(_DASHES)


def _amount(number: str, scale: str | None = None) -> float:
    return float(number.replace(",", "")) * _SCALE.get((scale or "").lower(), 1)


@dataclass
class Reading:
    """The values an answer states, by kind. `integers` and `decimals` are the plain numbers left once dates,
    amounts, times, durations and codes were taken out; `count_words` are numbers written as words ("three")."""

    money: list[float] = field(default_factory=list)
    times: list[int] = field(default_factory=list)  # minutes after midnight
    # "6:30" with no AM or PM: minutes of its morning reading; the evening one is 12 hours later.
    either_half: list[int] = field(default_factory=list)
    durations: list[int] = field(default_factory=list)  # minutes
    integers: list[int] = field(default_factory=list)
    decimals: list[float] = field(default_factory=list)
    count_words: list[int] = field(default_factory=list)

    @property
    def years(self) -> list[int]:
        return [n for n in self.integers if 1800 <= n <= 2099]

    def time_readings(self) -> list[tuple[int, ...]]:
        """Each time stated, as the minutes it may mean: one reading, or two for "6:30" (morning or evening)."""
        definite = [(minutes % (24 * 60),) for minutes in self.times]
        return definite + [(minutes, minutes + 12 * 60) for minutes in self.either_half]


def _blank(text: str, span: tuple[int, int]) -> str:
    return text[: span[0]] + " " * (span[1] - span[0]) + text[span[1] :]


def _take(pattern: re.Pattern[str], text: str) -> tuple[list[re.Match[str]], str]:
    """The matches of `pattern`, and the text with them blanked out so no later reading sees them again."""
    found = list(pattern.finditer(text))
    for match in found:
        text = _blank(text, match.span())
    return found, text


def read_values(text: str) -> Reading:
    reading = Reading()
    text = clean(text)
    found, text = _take(_RATING, text)
    numbers = [match["n"] for match in found]
    for pattern in _DATES:
        _, text = _take(pattern, text)
    found, text = _take(_MONEY, text)
    for match in found:
        if match["c"]:
            reading.money.append(_amount(match["c"]))
            continue
        reading.money.append(_amount(match["a"], match["sa"]))
        if match["b"]:  # a range: "$45-55" is two amounts, the second inheriting the first's scale
            reading.money.append(_amount(match["b"], match["sb"] or match["sa"]))
    found, text = _take(_MERIDIEM_TIME, text)
    for match in found:
        hour, minute, half = int(match[1]) % 12, int(match[2] or 0), match[3].lower()
        reading.times.append(hour * 60 + minute + (12 * 60 if half == "p" else 0))
    found, text = _take(_DAY_TIME, text)
    for match in found:
        hour, minute = int(match[1]), int(match[2])
        if 1 <= hour <= 12 and not match[1].startswith("0"):  # "6:30" may be either; "18:30" and "07:30" say which
            reading.either_half.append(hour % 12 * 60 + minute)
        else:
            reading.times.append(hour * 60 + minute)
    found, text = _take(_NAMED_TIME, text)
    reading.times += [_NAMED_TIMES[match[1].lower()] for match in found]
    found, text = _take(_DURATION, text)
    for match in found:
        reading.durations.append(int(match[3]) if match[3] else int(match[1]) * 60 + int(match[2] or 0))
    _, text = _take(_CODE, text)
    found, text = _take(_PLAIN, text)
    numbers += [match["n"] for match in found]
    for number in numbers:
        if "." in number:
            reading.decimals.append(_amount(number))
        else:
            reading.integers.append(int(number.replace(",", "")))
    for match in _COUNT_WORD.finditer(text):
        word = match[1].lower()
        reading.count_words.append(0 if word in ("no", "none") else _COUNT_WORDS[word])
    return reading


# -- words --------------------------------------------------------------------------------------


def _canonical(token: str) -> str:
    if token[0].isdigit():
        number = float(token)
        return str(int(number)) if number.is_integer() else str(number)
    token = _ALIASES.get(token, token)
    return token[:-1] if len(token) > 3 and token.endswith("s") and not token.endswith("ss") else token


def _tokens(text: str) -> list[tuple[str, tuple[int, int]]]:
    """Canonical word tokens with their character spans in `text` ("the" dropped, thousands separators kept
    inside their number)."""
    marked = re.sub(r"(?<=\d),(?=\d{3})", "\x00", clean(text).lower())  # one character for one: spans stay true
    tokens = []
    for match in _TOKEN.finditer(marked):
        word = match[0].replace("\x00", "")
        if word != "the":
            tokens.append((_canonical(word), match.span()))
    return tokens


def find_words(text: str, phrase: str) -> tuple[int, int] | None:
    """Where `phrase` occurs in `text` as whole words in order (see `Words`), as a character span."""
    needle = [token for token, _ in _tokens(phrase)]
    hay = _tokens(text)
    if not needle:
        return None
    for start in range(len(hay) - len(needle) + 1):
        if [token for token, _ in hay[start : start + len(needle)]] == needle:
            return hay[start][1][0], hay[start + len(needle) - 1][1][1]
    return None


def find_any(text: str, phrases: Iterable[str]) -> tuple[int, int] | None:
    return next((span for phrase in phrases if (span := find_words(text, phrase))), None)


def without(text: str, spans: Iterable[tuple[int, int] | None]) -> str:
    """`text` with the spans blanked out (so values inside them are not read again)."""
    for span in spans:
        if span is not None:
            text = _blank(text, span)
    return text


# -- comparisons --------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?;](?=\s|$)|\n")
_CHEAPER = re.compile(
    r"\b(cheaper|cheapest|less expensive|lower[- ]priced|lower price|lowest price|better (?:price|deal)|"
    r"best (?:price|deal)|costs? less)\b",
    re.I,
)
_DEARER = re.compile(r"\b(more expensive|pricier|costlier|dearer|higher price|costs? more|most expensive)\b", re.I)


def cheaper_claims(text: str, names: tuple[str, str]) -> list[str]:
    """Which of the two `names` each comparison in `text` calls cheaper ("A is cheaper than B", "cheaper at A",
    "B is more expensive"): the name closest before the comparing words in the same sentence, else the first
    after them."""
    claims = []
    text = clean(text)
    for sentence in _SENTENCE_END.split(text):
        mentions = sorted((span[0], name) for name in names for span in _all_spans(sentence, name))
        for pattern, cheaper in ((_CHEAPER, True), (_DEARER, False)):
            for match in pattern.finditer(sentence):
                before = [name for at, name in mentions if at < match.start()]
                after = [name for at, name in mentions if at > match.start()]
                named = before[-1] if before else after[0] if after else None
                if named is not None:
                    claims.append(named if cheaper else next(n for n in names if n != named))
    return claims


def _all_spans(text: str, phrase: str) -> list[tuple[int, int]]:
    spans = []
    while (span := find_words(text, phrase)) is not None:
        spans.append(span)
        text = _blank(text, span)
    return spans


# -- what the answer asserts ---------------------------------------------------------------------

# A clause ends at a sentence end, a semicolon or colon, a comma, a dash, "but" or "and": what a negation denies
# stays inside its clause ("not 3 PM; it starts at noon" denies 3 PM only).
_CLAUSE_END = re.compile(r"[.!?;:,](?=\s|$)|\n|\s-\s|\bbut\b|\band\b|\bwhile\b|\bwhereas\b", re.I)
# These deny what follows them ("not X", "rather than X", "X, not Y" denies Y).
_DENIES_AFTER = re.compile(
    r"\b(?:not(?!\s+(?:only|just|sure|certain))|never|rather than|instead of|other than|unlike|as opposed to|"
    r"except(?:\s+for)?)\b",
    re.I,
)
# These deny their clause's subject when nothing they are said of is a value ("ValueMart isn't the cheaper one").
_DENIES_SUBJECT = re.compile(r"\b(?:isn't|aren't|wasn't|weren't|doesn't|don't|didn't|is not|are not|was not)\b", re.I)


def asserted(text: str) -> str:
    """`text` with what it denies or sets aside blanked out (same length, so spans stay true)."""
    text = clean(text)
    spans = []
    for match in _DENIES_SUBJECT.finditer(text):
        start, end = _clause_around(text, match.start())
        said_of = text[match.end() : end]
        # "is not 3 PM": the value is denied; "ValueMart isn't the cheaper one": the whole claim is.
        spans.append((match.start(), end) if re.search(r"\d", said_of) else (start, end))
    for match in _DENIES_AFTER.finditer(text):
        # What is set aside ends with its clause, or where the sentence goes on about something else ("Cartwheel
        # rather than ValueMart is cheaper": only ValueMart).
        verb = _GOES_ON.search(text, match.end(), _clause_around(text, match.end())[1])
        spans.append((match.start(), verb.start() if verb else _clause_around(text, match.end())[1]))
    return without(text, spans)


_GOES_ON = re.compile(r"\b(?:is|are|was|were|has|have|costs?|sells?|offers?)\b", re.I)


def _clause_around(text: str, at: int) -> tuple[int, int]:
    """The clause holding position `at`: from the previous clause end to the next."""
    starts = [match.end() for match in _CLAUSE_END.finditer(text, 0, at)]
    after = _CLAUSE_END.search(text, at)
    return (starts[-1] if starts else 0), (after.start() if after else len(text))


_VAGUE = re.compile(
    r"(?:\b(?:about|around|approximately|approx\.?|roughly|nearly|almost|circa|ca\.|maybe|perhaps|probably|"
    r"possibly|likely|presumably|apparently|somewhere|something like|give or take|more than|less than|fewer than|"
    r"at least|at most|up to|over|under|not sure|unsure|i think|i believe|i guess|might be|could be|may be)\b|~)"
    r"(?=\s*(?:\w+\s+){0,2}?(?:us)?\$?\s?\d)",
    re.I,
)
_AFTER_VAGUE = re.compile(rf"(?<![\w.])(?:{_NUMBER})\s*(?:[a-z%]+\s*)?(?:or so\b|-ish\b)", re.I)
_VALUE = rf"(?:\$\s?)?(?:\d{{1,2}}:\d\d|{_NUMBER})"
_ALTERNATIVES = re.compile(rf"(?<![\w.:$]){_VALUE}(?:\s*[a-z]{{0,5}})?\s+or\s+{_VALUE}", re.I)


def hedges(text: str) -> list[str]:
    """The places where the answer hedges a value ("about $12", "2 or 3 PM", "70 or so"), in its own words."""
    text = clean(text)
    found = [*_VAGUE.finditer(text), *_AFTER_VAGUE.finditer(text), *_ALTERNATIVES.finditer(text)]
    return [_phrase(text, match) for match in sorted(found, key=lambda match: match.start())]


def _phrase(text: str, match: re.Match[str]) -> str:
    """The matched words with what follows them up to the end of the value they qualify."""
    end = match.end()
    tail = re.match(r"\s*(?:\w+\s+){0,2}?(?:us)?\$?\s?[\d.,:]+(?:\s*[ap]\.?m\.?)?", text[end:], re.I)
    return " ".join(text[match.start() : end + (tail.end() if tail else 0)].split()).rstrip(".,;:")


# -- quantities with units -----------------------------------------------------------------------

_UNITS = {  # unit -> (dimension, factor to its base unit)
    "ml": ("volume", 0.001), "l": ("volume", 1.0),
    "g": ("mass", 0.001), "kg": ("mass", 1.0), "lb": ("mass", 0.45359237), "oz": ("mass", 0.028349523125),
    "mm": ("length", 0.001), "cm": ("length", 0.01), "m": ("length", 1.0), "in": ("length", 0.0254),
}  # fmt: skip
_UNIT_WORDS = {**_ALIASES, "lbs": "lb", "pound": "lb", "pounds": "lb", "ounce": "oz", "ounces": "oz"}
_QUANTITY = re.compile(rf"(?<![\w.])(?P<n>{_NUMBER})\s*(?P<unit>[a-z]+)\b", re.I)


def quantity(phrase: str) -> tuple[float, str] | None:
    """A phrase that is one quantity ("1.2 L", "750 ml") as (value in its base unit, dimension); else None."""
    match = _QUANTITY.fullmatch(clean(phrase).strip())
    return _measured(match) if match else None


def find_quantity(text: str, wanted: tuple[float, str]) -> tuple[int, int] | None:
    """Where `text` states the quantity `wanted`, in any unit of its dimension, as a character span."""
    for match in _QUANTITY.finditer(clean(text)):
        measured = _measured(match)
        if measured and measured[1] == wanted[1] and abs(measured[0] - wanted[0]) <= 1e-9 + 1e-6 * wanted[0]:
            return match.span()
    return None


def _measured(match: re.Match[str]) -> tuple[float, str] | None:
    unit = match["unit"].lower()
    unit = _UNIT_WORDS.get(unit, unit)
    if unit not in _UNITS:
        return None
    dimension, factor = _UNITS[unit]
    return _amount(match["n"]) * factor, dimension
