"""Under `make run` emails are printed: links and codes must come out whole, to be copied."""

import io

from django.core.mail import EmailMultiAlternatives

from core.mail import ReadableConsoleBackend

LINK = "http://127.0.0.1:8000/accounts/password/reset/key/" + "x" * 120 + "/"


def test_a_long_link_is_printed_on_one_line():
    stream = io.StringIO()
    email = EmailMultiAlternatives(
        subject="Reset your password",
        body=f"Hello,\n\nChoose a new password: {LINK}\n",
        from_email="learning@example.com",
        to=["ana@example.com"],
    )
    email.attach_alternative(f'<a href="{LINK}">Reset</a>', "text/html")

    ReadableConsoleBackend(stream=stream).send_messages([email])

    printed = stream.getvalue()
    assert f"Choose a new password: {LINK}\n" in printed
    assert "Subject: Reset your password" in printed
    assert "[also sent as text/html]" in printed
    assert "=\n" not in printed  # no quoted-printable soft breaks
