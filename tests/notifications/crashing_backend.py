"""A mail backend for the worker-killed test: writes each message to MAIL_DIR, and kills its own
process (SIGKILL, no cleanup) when asked to send message number CRASH_AFTER + 1."""

import os
import signal
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class CrashingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        directory = Path(os.environ["MAIL_DIR"])
        crash_after = int(os.environ.get("CRASH_AFTER", "-1"))
        for message in email_messages:
            if len(list(directory.glob("*.eml"))) == crash_after:
                os.kill(os.getpid(), signal.SIGKILL)
            (directory / f"{uuid.uuid4().hex}.eml").write_bytes(message.message().as_bytes())
        return len(email_messages)
