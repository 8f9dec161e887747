"""Test doubles for delivery: an e-mail backend whose SMTP server refuses some recipients."""

import smtplib
import threading

from django.core.mail.backends.locmem import EmailBackend

# Recipients the fake SMTP server refuses, and how many more times it refuses each.
refusals: dict[str, int] = {}
_lock = threading.Lock()


class FlakySmtpBackend(EmailBackend):
    def send_messages(self, messages):
        for message in messages:
            for address in message.to:
                with _lock:
                    left = refusals.get(address, 0)
                    if left:
                        refusals[address] = left - 1
                        raise smtplib.SMTPRecipientsRefused({address: (451, b"4.3.0 Try again later")})
        return super().send_messages(messages)
