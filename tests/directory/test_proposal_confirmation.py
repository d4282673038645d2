"""The practice's confirmation link, mailed through a real SMTP server on 127.0.0.1."""

import email
import re
import socket
import time
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from django.core import signing
from django.urls import reverse

from directory.proposals import CONFIRMATION_SALT, send_confirmation
from directory.submissions import Submission
from tests import cast
from tests.update_forms import post_update, update_data

pytestmark = pytest.mark.django_db

SITE_URL = "https://ketanet.test"
LINK = re.compile(re.escape(SITE_URL) + r"(/confirm/[^/\s]+/)")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def wait_for(self, count, timeout=5.0):
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.messages) == count
        return self.messages[count - 1]


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def mail_settings(settings, smtp_port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.SITE_URL = SITE_URL
    return settings


def start_inbox(port):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return inbox, controller


@pytest.fixture
def inbox(mail_settings, smtp_port):
    inbox, controller = start_inbox(smtp_port)
    yield inbox
    controller.stop()


@pytest.fixture
def clinic():
    return cast.austin_clinic(email="frontdesk@austin-ketamine.example")


def propose(client, clinic, work_email="dana@austin-ketamine.example", **extra):
    data = update_data(client, clinic, work_email=work_email, wait_days="3")
    return post_update(client, clinic, data, **extra)


def link_in(message: Message) -> str:
    body = message.get_payload(decode=True).decode()
    [path] = LINK.findall(body)
    return path


def past_token(submission, days_ago):
    """A confirmation token signed `days_ago` days ago (a signer dated in the past)."""

    class PastSigner(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time() - days_ago * 24 * 60 * 60))

    return PastSigner(salt=CONFIRMATION_SALT).sign_object(
        [submission.pk, submission.confirmation_nonce]
    )


def test_the_mailed_link_confirms_the_update_once(client, inbox, clinic):
    response = propose(client, clinic)

    assert response["Location"].endswith("?email=sent")
    recipients, message = inbox.wait_for(1)
    assert recipients == ["dana@austin-ketamine.example"]
    assert message["Subject"] == "Please confirm the update to Austin Ketamine Clinic on ketanet"
    body = message.get_payload(decode=True).decode()
    assert "days until a first appointment" in body
    assert "works once and for 7 days" in body
    assert "If this wasn't you, ignore this message" in body
    submission = Submission.objects.get()
    assert submission.confirmation == Submission.Confirmation.AWAITING
    assert submission.confirmation_sent_at is not None

    confirmed = client.get(link_in(message))

    assert confirmed.status_code == 200
    assert "Thank you: the update is confirmed" in confirmed.content.decode()
    assert confirmed.cookies == {}
    submission.refresh_from_db()
    assert submission.confirmation == Submission.Confirmation.CONFIRMED
    assert submission.confirmed_at is not None
    assert submission.confirmation_nonce == ""

    reused = client.get(link_in(message))

    assert reused.status_code == 200
    assert "This update is already confirmed" in reused.content.decode()
    submission.refresh_from_db()
    assert submission.confirmed_at is not None


def test_an_expired_link_is_refused(client, inbox, clinic):
    propose(client, clinic)
    inbox.wait_for(1)
    submission = Submission.objects.get()

    eight_days = client.get(reverse("proposal-confirm", args=[past_token(submission, 8)]))
    six_days = past_token(submission, 6)

    assert eight_days.status_code == 400
    assert "This link has expired" in eight_days.content.decode()
    assert Submission.objects.get().confirmation == Submission.Confirmation.AWAITING
    # Still inside the 7 days: the same nonce, signed earlier, works.
    assert client.get(reverse("proposal-confirm", args=[six_days])).status_code == 200
    assert Submission.objects.get().confirmation == Submission.Confirmation.CONFIRMED


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature
        lambda token: "W1s" + token[3:],  # the payload
        lambda token: token.split(":")[0],  # no signature at all
        lambda token: "nonsense",
    ],
)
def test_a_tampered_link_is_refused(client, inbox, clinic, tamper):
    propose(client, clinic)
    path = link_in(inbox.wait_for(1)[1])
    token = path.split("/")[2]

    response = client.get(reverse("proposal-confirm", args=[tamper(token)]))

    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    assert Submission.objects.get().confirmation == Submission.Confirmation.AWAITING


def test_a_signed_token_for_another_item_or_kind_is_refused(client, clinic):
    report = Submission.objects.create(kind=Submission.Kind.REPORT, provider=clinic)
    for payload in ([report.pk, ""], [9999, "x"], {"pk": 1}):
        token = signing.dumps(payload, salt=CONFIRMATION_SALT)
        assert client.get(reverse("proposal-confirm", args=[token])).status_code == 400


def test_a_newer_mail_replaces_the_older_link(client, inbox, clinic):
    propose(client, clinic)
    first = link_in(inbox.wait_for(1)[1])
    assert send_confirmation(Submission.objects.get())
    second = link_in(inbox.wait_for(2)[1])

    old = client.get(first)
    assert old.status_code == 400
    assert "replaced by a newer one" in old.content.decode()
    assert client.get(second).status_code == 200


def test_a_link_to_an_update_an_editor_closed_is_gone(client, inbox, clinic):
    propose(client, clinic)
    path = link_in(inbox.wait_for(1)[1])
    submission = Submission.objects.get()
    submission.status = Submission.Status.REJECTED
    submission.save()

    response = client.get(path)

    assert response.status_code == 410
    assert "already been handled" in response.content.decode()


def test_an_address_not_the_practices_gets_no_mail(client, inbox, clinic):
    response = propose(client, clinic, work_email="dana@example.org")

    assert response["Location"].endswith("?email=none")
    time.sleep(0.1)
    assert inbox.messages == []
    assert Submission.objects.get().confirmation == Submission.Confirmation.UNCONFIRMED


def test_with_the_mail_server_down_the_update_is_kept_and_an_editor_resends(
    client, mail_settings, smtp_port, clinic, editor, caplog
):
    response = propose(client, clinic)  # nothing listens on smtp_port yet

    assert response.status_code == 303
    assert response["Location"].endswith("?email=failed")
    thanks = client.get(response["Location"]).content.decode()
    assert "could not send the confirmation email just now" in thanks
    submission = Submission.objects.get()
    assert submission.confirmation == Submission.Confirmation.AWAITING
    assert submission.confirmation_sent_at is None
    assert "Could not send the confirmation mail" in caplog.text

    inbox, controller = start_inbox(smtp_port)
    try:
        other = Submission.objects.create(
            kind=Submission.Kind.UPDATE,
            provider=clinic,
            email="someone@example.org",
            confirmation=Submission.Confirmation.UNCONFIRMED,
        )
        client.force_login(editor)
        changelist = reverse("admin:directory_submission_changelist")
        result = client.post(
            changelist,
            {"action": "resend_confirmation", "_selected_action": [submission.pk, other.pk]},
            follow=True,
        )
        recipients, message = inbox.wait_for(1)
    finally:
        controller.stop()

    notes = [str(m) for m in result.context["messages"]]
    assert "Sent 1 confirmation email." in notes
    assert any(note.startswith("1 item skipped") for note in notes)
    assert recipients == ["dana@austin-ketamine.example"]
    submission.refresh_from_db()
    assert submission.confirmation_sent_at is not None
    client.logout()
    assert client.get(link_in(message)).status_code == 200
    submission.refresh_from_db()
    assert submission.confirmation == Submission.Confirmation.CONFIRMED
