"""Read what a browser would submit from an admin change form, from the page itself."""

from html.parser import HTMLParser


class FormFields(HTMLParser):
    """Collect the fields of the form with id `form_id` as a browser would post them."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id = form_id
        self.data, self.inside, self.select, self.textarea = {}, False, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        name = attrs.get("name") or ""
        if not self.inside or "__prefix__" in name:  # the "Add another" template
            return
        kind = attrs.get("type")
        if tag == "input" and name and kind not in {"submit", "checkbox"}:
            self.data[name] = attrs.get("value") or ""
        elif tag == "input" and name and "checked" in attrs and "value" in attrs:
            self.data.setdefault(name, []).append(attrs["value"])  # one of many boxes
        elif tag == "input" and name and "checked" in attrs:
            self.data[name] = "on"
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.data.setdefault(self.select, []).append(attrs.get("value") or "")
        elif tag == "textarea":
            self.textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "textarea" and self.textarea:
            # Browsers drop the newline Django writes after <textarea>.
            self.data[self.textarea] = self.data[self.textarea].removeprefix("\n")
        self.select = None if tag == "select" else self.select
        self.textarea = None if tag == "textarea" else self.textarea

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea] += data


def form_data(response, form_id):
    """The data a browser would post from `form_id` on this (200) admin page."""
    assert response.status_code == 200
    parser = FormFields(form_id)
    parser.feed(response.content.decode())
    return parser.data
