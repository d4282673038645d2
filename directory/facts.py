"""The facts a patient decides on, as fixed lists: payment options, prescribers,
languages, the ten fact groups, and the opening-hours format.

The slugs and codes here are contracts (query parameters, CSV cells, API
values); a migration copies the lists into their tables, as states.py does.
"""

import itertools
import re
from datetime import date, time, timedelta
from typing import NamedTuple, TypedDict

PAYMENT_OPTIONS: dict[str, str] = {
    "commercial-insurance": "Commercial insurance",
    "medicare": "Medicare",
    "medicaid": "Medicaid",
    "tricare": "TRICARE",
    "va-community-care": "VA Community Care",
    "self-pay": "Self-pay",
    "hsa-fsa": "HSA or FSA",
    "superbill": "Superbill for out-of-network claims",
    "financing": "Financing",
    "spravato-savings": "Spravato savings program",
}

PRESCRIBER_TYPES: dict[str, str] = {
    "psychiatrist": "Psychiatrist",
    "anesthesiologist": "Anesthesiologist",
    "emergency-physician": "Emergency physician",
    "other-physician": "Other physician",
    "psychiatric-np": "Psychiatric nurse practitioner",
    "np": "Nurse practitioner",
    "crna": "Nurse anesthetist (CRNA)",
    "pa": "Physician assistant",
}

# ISO 639-1, with the everyday English name (from the ISO 639 tables, shortened).
LANGUAGES: dict[str, str] = {
    "aa": "Afar",
    "ab": "Abkhazian",
    "ae": "Avestan",
    "af": "Afrikaans",
    "ak": "Akan",
    "am": "Amharic",
    "an": "Aragonese",
    "ar": "Arabic",
    "as": "Assamese",
    "av": "Avaric",
    "ay": "Aymara",
    "az": "Azerbaijani",
    "ba": "Bashkir",
    "be": "Belarusian",
    "bg": "Bulgarian",
    "bi": "Bislama",
    "bm": "Bambara",
    "bn": "Bengali",
    "bo": "Tibetan",
    "br": "Breton",
    "bs": "Bosnian",
    "ca": "Catalan",
    "ce": "Chechen",
    "ch": "Chamorro",
    "co": "Corsican",
    "cr": "Cree",
    "cs": "Czech",
    "cu": "Church Slavic",
    "cv": "Chuvash",
    "cy": "Welsh",
    "da": "Danish",
    "de": "German",
    "dv": "Divehi",
    "dz": "Dzongkha",
    "ee": "Ewe",
    "el": "Greek",
    "en": "English",
    "eo": "Esperanto",
    "es": "Spanish",
    "et": "Estonian",
    "eu": "Basque",
    "fa": "Persian",
    "ff": "Fulah",
    "fi": "Finnish",
    "fj": "Fijian",
    "fo": "Faroese",
    "fr": "French",
    "fy": "Western Frisian",
    "ga": "Irish",
    "gd": "Scottish Gaelic",
    "gl": "Galician",
    "gn": "Guarani",
    "gu": "Gujarati",
    "gv": "Manx",
    "ha": "Hausa",
    "he": "Hebrew",
    "hi": "Hindi",
    "ho": "Hiri Motu",
    "hr": "Croatian",
    "ht": "Haitian Creole",
    "hu": "Hungarian",
    "hy": "Armenian",
    "hz": "Herero",
    "ia": "Interlingua",
    "id": "Indonesian",
    "ie": "Interlingue",
    "ig": "Igbo",
    "ii": "Sichuan Yi",
    "ik": "Inupiaq",
    "io": "Ido",
    "is": "Icelandic",
    "it": "Italian",
    "iu": "Inuktitut",
    "ja": "Japanese",
    "jv": "Javanese",
    "ka": "Georgian",
    "kg": "Kongo",
    "ki": "Kikuyu",
    "kj": "Kuanyama",
    "kk": "Kazakh",
    "kl": "Kalaallisut",
    "km": "Khmer",
    "kn": "Kannada",
    "ko": "Korean",
    "kr": "Kanuri",
    "ks": "Kashmiri",
    "ku": "Kurdish",
    "kv": "Komi",
    "kw": "Cornish",
    "ky": "Kyrgyz",
    "la": "Latin",
    "lb": "Luxembourgish",
    "lg": "Ganda",
    "li": "Limburgish",
    "ln": "Lingala",
    "lo": "Lao",
    "lt": "Lithuanian",
    "lu": "Luba-Katanga",
    "lv": "Latvian",
    "mg": "Malagasy",
    "mh": "Marshallese",
    "mi": "Maori",
    "mk": "Macedonian",
    "ml": "Malayalam",
    "mn": "Mongolian",
    "mr": "Marathi",
    "ms": "Malay",
    "mt": "Maltese",
    "my": "Burmese",
    "na": "Nauru",
    "nb": "Norwegian Bokmål",
    "nd": "North Ndebele",
    "ne": "Nepali",
    "ng": "Ndonga",
    "nl": "Dutch",
    "nn": "Norwegian Nynorsk",
    "no": "Norwegian",
    "nr": "South Ndebele",
    "nv": "Navajo",
    "ny": "Chichewa",
    "oc": "Occitan",
    "oj": "Ojibwa",
    "om": "Oromo",
    "or": "Oriya",
    "os": "Ossetian",
    "pa": "Punjabi",
    "pi": "Pali",
    "pl": "Polish",
    "ps": "Pashto",
    "pt": "Portuguese",
    "qu": "Quechua",
    "rm": "Romansh",
    "rn": "Rundi",
    "ro": "Romanian",
    "ru": "Russian",
    "rw": "Kinyarwanda",
    "sa": "Sanskrit",
    "sc": "Sardinian",
    "sd": "Sindhi",
    "se": "Northern Sami",
    "sg": "Sango",
    "sh": "Serbo-Croatian",
    "si": "Sinhala",
    "sk": "Slovak",
    "sl": "Slovenian",
    "sm": "Samoan",
    "sn": "Shona",
    "so": "Somali",
    "sq": "Albanian",
    "sr": "Serbian",
    "ss": "Swati",
    "st": "Southern Sotho",
    "su": "Sundanese",
    "sv": "Swedish",
    "sw": "Swahili",
    "ta": "Tamil",
    "te": "Telugu",
    "tg": "Tajik",
    "th": "Thai",
    "ti": "Tigrinya",
    "tk": "Turkmen",
    "tl": "Tagalog",
    "tn": "Tswana",
    "to": "Tonga",
    "tr": "Turkish",
    "ts": "Tsonga",
    "tt": "Tatar",
    "tw": "Twi",
    "ty": "Tahitian",
    "ug": "Uyghur",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "uz": "Uzbek",
    "ve": "Venda",
    "vi": "Vietnamese",
    "vo": "Volapük",
    "wa": "Walloon",
    "wo": "Wolof",
    "xh": "Xhosa",
    "yi": "Yiddish",
    "yo": "Yoruba",
    "za": "Zhuang",
    "zh": "Chinese",
    "zu": "Zulu",
}


class FactGroup(NamedTuple):
    key: str  # the prefix of the provider's <key>_confirmed date
    title: str


# In the order patients weigh them; the profile and the admin follow it.
FACT_GROUPS = (
    FactGroup("cost", "Cost"),
    FactGroup("payment", "Payment"),
    FactGroup("treatments", "Treatments offered"),
    FactGroup("prescribers", "Who prescribes and supervises"),
    FactGroup("safety", "Safety and monitoring"),
    FactGroup("intake", "Intake"),
    FactGroup("psychotherapy", "Psychotherapy"),
    FactGroup("course", "Typical course"),
    FactGroup("telehealth", "Treatment at home"),
    FactGroup("access", "Access"),
)
# Only a provider that treats patients at home has telehealth facts to confirm.
AT_HOME_GROUPS = {"telehealth"}

# The DEA/HHS telemedicine flexibilities for prescribing controlled substances
# (ketamine among them) without an in-person visit run to 31 December 2026.
# At-home services' telehealth facts confirmed before the 90 days leading up to
# that date are rechecked with them (the admin's "telehealth facts to recheck").
TELEHEALTH_RULES_CHANGE = date(2026, 12, 31)
TELEHEALTH_RECHECK_BEFORE = TELEHEALTH_RULES_CHANGE - timedelta(days=90)

# --- Opening hours ---------------------------------------------------------------

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_ABBREVIATIONS = tuple(day[:3] for day in DAYS)


class OpeningRange(TypedDict):
    """One opening of a site: day 0 is Monday; times are "HH:MM", 24-hour."""

    day: int
    opens: str
    closes: str


_TIME = r"(\d{1,2}):(\d{2})"
_RANGE = re.compile(rf"^{_TIME}\s*[-–]\s*{_TIME}$")
_DAYS = re.compile(r"^([A-Za-z]{3})[A-Za-z]*(?:\s*[-–]\s*([A-Za-z]{3})[A-Za-z]*)?$")


class HoursError(ValueError):
    pass


def parse_hours(text: str) -> list[OpeningRange]:
    """Read "Mon-Fri 08:00-17:00; Sat 09:00-12:00, 13:00-15:00" into ranges.

    Days are separated by semicolons; a day or span of days is followed by one
    or more comma-separated ranges. Raises HoursError saying what is wrong.
    """
    ranges: list[OpeningRange] = []
    for part in filter(None, (part.strip() for part in text.split(";"))):
        days_text, _, times_text = part.partition(" ")
        match = _DAYS.match(days_text.strip())
        if not match or not times_text.strip():
            raise HoursError(f'"{part}" should be days then times, like "Mon-Fri 08:00-17:00".')
        first, last = (day_index(name) for name in (match[1], match[2] or match[1]))
        if last < first:
            raise HoursError(f'"{days_text}" runs backwards; write Monday first, e.g. "Mon-Fri".')
        for span in times_text.split(","):
            found = _RANGE.match(span.strip())
            if not found:
                raise HoursError(f'"{span.strip()}" should be a range like 08:00-17:00.')
            opens = clock(int(found[1]), int(found[2]))
            closes = clock(int(found[3]), int(found[4]))
            if closes <= opens:
                raise HoursError(f'"{span.strip()}" closes before it opens.')
            ranges += [
                {"day": day, "opens": opens, "closes": closes} for day in range(first, last + 1)
            ]
    return check_hours(ranges)


def day_index(name: str) -> int:
    try:
        return DAY_ABBREVIATIONS.index(name[:3].title())
    except ValueError:
        raise HoursError(
            f'"{name}" is not a day; use Mon, Tue, Wed, Thu, Fri, Sat or Sun.'
        ) from None


def clock(hours: int, minutes: int) -> str:
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        if (hours, minutes) == (24, 0):
            return "24:00"
        raise HoursError(f"{hours}:{minutes:02d} is not a time of day.")
    return f"{hours:02d}:{minutes:02d}"


def check_hours(ranges: list[OpeningRange]) -> list[OpeningRange]:
    """Sort ranges by day and time; raise HoursError for a malformed or overlapping one."""
    for item in ranges:
        if not isinstance(item, dict) or set(item) != {"day", "opens", "closes"}:
            raise HoursError("Each opening needs a day, an opening time and a closing time.")
        if not isinstance(item["day"], int) or isinstance(item["day"], bool):
            raise HoursError("Each opening needs a day, an opening time and a closing time.")
        if not 0 <= item["day"] <= 6:
            raise HoursError(f"Day {item['day']} is not a day of the week (0 is Monday).")
        for key in ("opens", "closes"):
            found = re.fullmatch(r"(\d{2}):(\d{2})", str(item[key]))
            if not found or clock(int(found[1]), int(found[2])) != item[key]:
                raise HoursError(f"{item[key]!r} is not a time like 08:00.")
        if item["closes"] <= item["opens"]:
            raise HoursError(f"On {DAYS[item['day']]} a range closes before it opens.")
    ordered = sorted(ranges, key=lambda item: (item["day"], item["opens"]))
    for before, after in itertools.pairwise(ordered):
        if before["day"] == after["day"] and after["opens"] < before["closes"]:
            raise HoursError(f"On {DAYS[before['day']]} two ranges overlap.")
    return ordered


def format_hours(ranges: list[OpeningRange]) -> str:
    """The editors' one-line form of `ranges`, which parse_hours() reads back.

    Consecutive days with the same ranges share a span: "Mon-Fri 08:00-17:00".
    """
    by_day: dict[int, tuple[str, ...]] = {}
    for item in ranges:
        by_day.setdefault(item["day"], ())
        by_day[item["day"]] += (f"{item['opens']}-{item['closes']}",)
    parts: list[str] = []
    days = sorted(by_day)
    start = 0
    while start < len(days):
        end = start
        while (
            end + 1 < len(days)
            and days[end + 1] == days[end] + 1
            and by_day[days[end + 1]] == by_day[days[start]]
        ):
            end += 1
        first, last = DAY_ABBREVIATIONS[days[start]], DAY_ABBREVIATIONS[days[end]]
        span = first if start == end else f"{first}-{last}"
        parts.append(f"{span} {', '.join(by_day[days[start]])}")
        start = end + 1
    return "; ".join(parts)


def opening_time(text: str) -> time:
    hours, minutes = map(int, text.split(":"))
    return time(23, 59, 59) if hours == 24 else time(hours, minutes)
