"""The editorial checks on Spanish texts: Fernández Huerta and Szigriszt-Pazos (INFLESZ)
against values worked out by hand, and the claims a Spanish page must not make."""

from datetime import date, timedelta

import pytest

from articles.checks import (
    CURE,
    GUARANTEE,
    MIN_FERNANDEZ_HUERTA,
    NOT_ADDICTIVE,
    Content,
    _spanish_syllables,
    check,
    claims,
    spanish_readability,
    uncited_figures,
)
from articles.models import Citation

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("word", "syllables"),
    [
        ("día", 2),  # hiatus: a stressed i or u stands alone
        ("leer", 2),
        ("idea", 3),
        ("agua", 2),  # diphthong
        ("tratamiento", 4),
        ("psicoterapia", 5),
        ("oír", 2),
        ("y", 1),
        ("midazolam", 4),  # silabeador's Latin exceptions fail on it; its plain rules do not
        ("chat", 1),
    ],
)
def test_spanish_syllables(word, syllables):
    assert _spanish_syllables(word) == syllables


def test_the_formulas_follow_the_published_ones():
    # La(1) ke-ta-mi-na(4) es(1) un(1) me-di-ca-men-to(5): 12 syllables, 5 words.
    # Se(1) u-sa(2) en(1) el(1) hos-pi-tal(3): 8 syllables, 5 words.
    reading = spanish_readability("La ketamina es un medicamento. Se usa en el hospital.")
    assert reading.words == 10
    # 206.84 - 60 * 20/10 - 1.02 * 10/2
    assert reading.fernandez_huerta == pytest.approx(81.74)
    # 206.835 - 62.3 * 20/10 - 10/2
    assert reading.inflesz == pytest.approx(77.235)
    assert reading.describe() == "Fernández Huerta 81.7, INFLESZ 77.2"


def test_markers_headings_and_list_items_are_read_as_the_english_are():
    body = "## Un título muy largo que no cuenta\n\n- Lleve agua [cite:1]\n- Pida ayuda\n"
    reading = spanish_readability(body)
    # The heading and the marker are left out; each list item is a sentence.
    assert reading.words == 4
    # Lle-ve(2) a-gua(2) Pi-da(2) a-yu-da(3) = 9 syllables; 4 words, 2 sentences.
    assert reading.fernandez_huerta == pytest.approx(206.84 - 60 * 9 / 4 - 1.02 * 2)


def test_an_empty_body_reads_as_nothing():
    assert spanish_readability("").words == 0


def spanish(**fields):
    return Content(
        **{
            "title": "Ketamina para el dolor",
            "summary": "Lo que puede y no puede hacer.",
            "key_points": "Puede calmar el dolor por un tiempo.\nEl efecto no dura mucho.",
            "body": "La ketamina puede calmar el dolor [cite:1]. El efecto no dura mucho [cite:1].",
            "citations": [Citation(position=1, text="Orhurhu V. 2019.", pmid="30829670")],
            "last_reviewed": TODAY - timedelta(days=1),
            "next_review": TODAY + timedelta(days=300),
            "language": "es",
        }
        | fields
    )


def test_a_plain_spanish_text_passes():
    reading, findings = check(spanish(), TODAY)
    assert findings == []
    assert reading.fernandez_huerta >= MIN_FERNANDEZ_HUERTA


def test_a_hard_spanish_text_is_an_error_on_the_body():
    hard = (
        "La administración intravenosa de ketamina en concentraciones subanestésicas "
        "proporciona analgesia complementaria perioperatoria significativamente "
        "superior en determinadas poblaciones quirúrgicas especialmente seleccionadas [cite:1]."
    )
    reading, findings = check(spanish(body=hard), TODAY)
    assert reading.fernandez_huerta < MIN_FERNANDEZ_HUERTA
    [finding] = findings
    assert (finding.level, finding.field) == ("error", "body")
    assert "Fernández Huerta" in finding.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("La ketamina cura la depresión.", CURE),
        ("Esta clínica puede curar su dolor.", CURE),
        ("Resultados garantizados desde la primera sesión.", GUARANTEE),
        ("Le damos una garantía de alivio.", GUARANTEE),
        ("La ketamina no es adictiva.", NOT_ADDICTIVE),
        ("Es un tratamiento sin riesgo de adicción.", NOT_ADDICTIVE),
    ],
)
def test_spanish_claims_that_fire(text, message):
    [found] = claims(text, "es")
    word = found[1 : found.index("”")]
    assert word.lower() in text.lower()
    assert found == message.format(word=word)


def test_ketamine_approved_by_the_fda_for_depression_fires_but_esketamine_does_not():
    [message] = claims("La ketamina está aprobada por la FDA para la depresión.", "es")
    assert message.startswith("Ketamine itself is not FDA-approved")
    assert (
        claims(
            "La esketamina (Spravato) está aprobada por la FDA para la depresión resistente.", "es"
        )
        == []
    )


@pytest.mark.parametrize(
    "text",
    [
        "La ketamina no cura la depresión.",
        "Nunca le pueden garantizar un resultado.",
        "Desconfíe de las clínicas que prometen una cura.",
        "Algunas clínicas hablan de una “cura”.",
        "La cultura del cuidado importa.",
        "Procure descansar después de la sesión.",
        "Un curandero no es un médico.",
        "La ketamina no está aprobada por la FDA para la depresión.",
    ],
)
def test_denied_reported_quoted_and_innocent_spanish_does_not_fire(text):
    assert claims(text, "es") == []


def test_spanish_helpline_menus_are_not_figures():
    assert uncited_figures("Llame al 988 y oprima 2 para español.") == []
    assert uncited_figures("Marque el 1 si es veterano.") == []
    assert uncited_figures("Un estudio con 41 personas.") != []
