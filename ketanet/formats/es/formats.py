"""Spanish formats for U.S. readers: Django's Spanish dates ("1 de diciembre de
2026"), with the U.S. comma and point in numbers ("$1,200.50", "12,500 clínicas"),
as USA.gov en español, CDC en español and MedlinePlus en español write them.
Readers in the U.S. see prices and figures written that way everywhere else.
"""

from django.conf.locale.es.formats import *  # noqa: F403  (Django's Spanish formats)

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
