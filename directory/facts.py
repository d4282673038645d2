"""The facts a patient decides on, as fixed lists: payment options, prescribers,
languages, the ten fact groups, and the opening-hours format.

The slugs and codes here are contracts (query parameters, CSV cells, API
values); a migration copies the lists into their tables, as states.py does.
The names and titles are lazy translations: pages show them in their own
language (the API and the admin run in English, as the tables hold them).
"""

import itertools
import re
from datetime import date, time, timedelta
from typing import NamedTuple, TypedDict

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Program names (Medicare, TRICARE …) are the same in every language.
# Append only: an option's place is its bit on the location rows (models.PAYMENT_NUMBERS),
# and the migration that adds one copies the providers' options onto them again.
PAYMENT_OPTIONS: dict[str, str | Promise] = {
    "commercial-insurance": _("Commercial insurance"),
    "medicare": "Medicare",
    "medicaid": "Medicaid",
    "tricare": "TRICARE",
    "va-community-care": "VA Community Care",
    "self-pay": _("Self-pay"),
    "hsa-fsa": _("HSA or FSA"),
    "superbill": _("Superbill for out-of-network claims"),
    "financing": _("Financing"),
    "spravato-savings": _("Spravato savings program"),
}

PRESCRIBER_TYPES: dict[str, str | Promise] = {
    "psychiatrist": _("Psychiatrist"),
    "anesthesiologist": _("Anesthesiologist"),
    "emergency-physician": _("Emergency physician"),
    "other-physician": _("Other physician"),
    "psychiatric-np": _("Psychiatric nurse practitioner"),
    "np": _("Nurse practitioner"),
    "crna": _("Nurse anesthetist (CRNA)"),
    "pa": _("Physician assistant"),
}

# ISO 639-1, with the everyday English name (from the ISO 639 tables, shortened).
LANGUAGES: dict[str, str | Promise] = {
    "aa": _("Afar"),
    "ab": _("Abkhazian"),
    "ae": _("Avestan"),
    "af": _("Afrikaans"),
    "ak": _("Akan"),
    "am": _("Amharic"),
    "an": _("Aragonese"),
    "ar": _("Arabic"),
    "as": _("Assamese"),
    "av": _("Avaric"),
    "ay": _("Aymara"),
    "az": _("Azerbaijani"),
    "ba": _("Bashkir"),
    "be": _("Belarusian"),
    "bg": _("Bulgarian"),
    "bi": _("Bislama"),
    "bm": _("Bambara"),
    "bn": _("Bengali"),
    "bo": _("Tibetan"),
    "br": _("Breton"),
    "bs": _("Bosnian"),
    "ca": _("Catalan"),
    "ce": _("Chechen"),
    "ch": _("Chamorro"),
    "co": _("Corsican"),
    "cr": _("Cree"),
    "cs": _("Czech"),
    "cu": _("Church Slavic"),
    "cv": _("Chuvash"),
    "cy": _("Welsh"),
    "da": _("Danish"),
    "de": _("German"),
    "dv": _("Divehi"),
    "dz": _("Dzongkha"),
    "ee": _("Ewe"),
    "el": _("Greek"),
    "en": _("English"),
    "eo": _("Esperanto"),
    "es": _("Spanish"),
    "et": _("Estonian"),
    "eu": _("Basque"),
    "fa": _("Persian"),
    "ff": _("Fulah"),
    "fi": _("Finnish"),
    "fj": _("Fijian"),
    "fo": _("Faroese"),
    "fr": _("French"),
    "fy": _("Western Frisian"),
    "ga": _("Irish"),
    "gd": _("Scottish Gaelic"),
    "gl": _("Galician"),
    "gn": _("Guarani"),
    "gu": _("Gujarati"),
    "gv": _("Manx"),
    "ha": _("Hausa"),
    "he": _("Hebrew"),
    "hi": _("Hindi"),
    "ho": _("Hiri Motu"),
    "hr": _("Croatian"),
    "ht": _("Haitian Creole"),
    "hu": _("Hungarian"),
    "hy": _("Armenian"),
    "hz": _("Herero"),
    "ia": _("Interlingua"),
    "id": _("Indonesian"),
    "ie": _("Interlingue"),
    "ig": _("Igbo"),
    "ii": _("Sichuan Yi"),
    "ik": _("Inupiaq"),
    "io": _("Ido"),
    "is": _("Icelandic"),
    "it": _("Italian"),
    "iu": _("Inuktitut"),
    "ja": _("Japanese"),
    "jv": _("Javanese"),
    "ka": _("Georgian"),
    "kg": _("Kongo"),
    "ki": _("Kikuyu"),
    "kj": _("Kuanyama"),
    "kk": _("Kazakh"),
    "kl": _("Kalaallisut"),
    "km": _("Khmer"),
    "kn": _("Kannada"),
    "ko": _("Korean"),
    "kr": _("Kanuri"),
    "ks": _("Kashmiri"),
    "ku": _("Kurdish"),
    "kv": _("Komi"),
    "kw": _("Cornish"),
    "ky": _("Kyrgyz"),
    "la": _("Latin"),
    "lb": _("Luxembourgish"),
    "lg": _("Ganda"),
    "li": _("Limburgish"),
    "ln": _("Lingala"),
    "lo": _("Lao"),
    "lt": _("Lithuanian"),
    "lu": _("Luba-Katanga"),
    "lv": _("Latvian"),
    "mg": _("Malagasy"),
    "mh": _("Marshallese"),
    "mi": _("Maori"),
    "mk": _("Macedonian"),
    "ml": _("Malayalam"),
    "mn": _("Mongolian"),
    "mr": _("Marathi"),
    "ms": _("Malay"),
    "mt": _("Maltese"),
    "my": _("Burmese"),
    "na": _("Nauru"),
    "nb": _("Norwegian Bokmål"),
    "nd": _("North Ndebele"),
    "ne": _("Nepali"),
    "ng": _("Ndonga"),
    "nl": _("Dutch"),
    "nn": _("Norwegian Nynorsk"),
    "no": _("Norwegian"),
    "nr": _("South Ndebele"),
    "nv": _("Navajo"),
    "ny": _("Chichewa"),
    "oc": _("Occitan"),
    "oj": _("Ojibwa"),
    "om": _("Oromo"),
    "or": _("Oriya"),
    "os": _("Ossetian"),
    "pa": _("Punjabi"),
    "pi": _("Pali"),
    "pl": _("Polish"),
    "ps": _("Pashto"),
    "pt": _("Portuguese"),
    "qu": _("Quechua"),
    "rm": _("Romansh"),
    "rn": _("Rundi"),
    "ro": _("Romanian"),
    "ru": _("Russian"),
    "rw": _("Kinyarwanda"),
    "sa": _("Sanskrit"),
    "sc": _("Sardinian"),
    "sd": _("Sindhi"),
    "se": _("Northern Sami"),
    "sg": _("Sango"),
    "sh": _("Serbo-Croatian"),
    "si": _("Sinhala"),
    "sk": _("Slovak"),
    "sl": _("Slovenian"),
    "sm": _("Samoan"),
    "sn": _("Shona"),
    "so": _("Somali"),
    "sq": _("Albanian"),
    "sr": _("Serbian"),
    "ss": _("Swati"),
    "st": _("Southern Sotho"),
    "su": _("Sundanese"),
    "sv": _("Swedish"),
    "sw": _("Swahili"),
    "ta": _("Tamil"),
    "te": _("Telugu"),
    "tg": _("Tajik"),
    "th": _("Thai"),
    "ti": _("Tigrinya"),
    "tk": _("Turkmen"),
    "tl": _("Tagalog"),
    "tn": _("Tswana"),
    "to": _("Tonga"),
    "tr": _("Turkish"),
    "ts": _("Tsonga"),
    "tt": _("Tatar"),
    "tw": _("Twi"),
    "ty": _("Tahitian"),
    "ug": _("Uyghur"),
    "uk": _("Ukrainian"),
    "ur": _("Urdu"),
    "uz": _("Uzbek"),
    "ve": _("Venda"),
    "vi": _("Vietnamese"),
    "vo": _("Volapük"),
    "wa": _("Walloon"),
    "wo": _("Wolof"),
    "xh": _("Xhosa"),
    "yi": _("Yiddish"),
    "yo": _("Yoruba"),
    "za": _("Zhuang"),
    "zh": _("Chinese"),
    "zu": _("Zulu"),
}


class FactGroup(NamedTuple):
    key: str  # the prefix of the provider's <key>_confirmed date
    title: str | Promise


# In the order patients weigh them; the profile and the admin follow it.
FACT_GROUPS = (
    FactGroup("cost", _("Cost")),
    FactGroup("payment", _("Payment")),
    FactGroup("treatments", _("Treatments offered")),
    FactGroup("prescribers", _("Who prescribes and supervises")),
    FactGroup("safety", _("Safety and monitoring")),
    FactGroup("intake", _("Intake")),
    FactGroup("psychotherapy", _("Psychotherapy")),
    FactGroup("course", _("Typical course")),
    FactGroup("telehealth", _("Treatment at home")),
    FactGroup("access", _("Access")),
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
