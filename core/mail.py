"""The development email backend: each email printed as a person reads it.

Django's console backend prints the encoded message, in which a long line (a link) is split
by quoted-printable soft breaks ("=" at each line's end) and can't be copied. This one prints
the headers a person reads and the plain-text body as it was written, so links and codes come
out whole; the HTML part is mentioned, not dumped.
"""

from django.core.mail.backends.console import EmailBackend as ConsoleBackend


class ReadableConsoleBackend(ConsoleBackend):
    def write_message(self, message) -> None:
        lines = [
            f"From: {message.from_email}",
            f"To: {', '.join(message.to)}",
            f"Subject: {message.subject}",
            "",
            message.body.rstrip(),
        ]
        if getattr(message, "alternatives", None):
            kinds = ", ".join(alternative.mimetype for alternative in message.alternatives)
            lines += ["", f"[also sent as {kinds}]"]
        self.stream.write("\n".join(lines) + "\n" + "-" * 79 + "\n")
