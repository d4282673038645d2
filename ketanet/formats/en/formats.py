"""English dates as the site has always written them: "December 1, 2026" (Django's
English DATE_FORMAT abbreviates the month: "Dec. 1, 2026")."""

from django.conf.locale.en.formats import *  # noqa: F403  (Django's English formats)

DATE_FORMAT = "F j, Y"
