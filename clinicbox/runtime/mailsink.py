"""A real SMTP server in its own process (aiosmtpd) that keeps every message in a Maildir, for
the tests of the e-mail notifier and the booking pages (the one-time code is read from it).

``python -m aiosmtpd -n -l host:port -c aiosmtpd.handlers.Mailbox DIR`` is aiosmtpd's own
command line; nothing of ours runs inside the server.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from pathlib import Path

from clinicbox.runtime.ports import free_port
from clinicbox.runtime.processes import ProcessGroup


class MailSink:
    def __init__(self, group: ProcessGroup, root: Path, *, name: str = "smtp") -> None:
        self.group = group
        self.name = name
        self.maildir = root / "maildir"
        self.port = 0

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> str:
        """Start the server; returns its ``smtp://`` URL."""
        self.maildir.parent.mkdir(parents=True, exist_ok=True)
        mailbox.Maildir(self.maildir, create=True)
        self.port = free_port()
        self.group.python(
            self.name, "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}",
            "-c", "aiosmtpd.handlers.Mailbox", str(self.maildir),
            ready_port=("127.0.0.1", self.port),
        )  # fmt: skip
        return self.url

    def stop(self) -> None:
        self.group.stop(self.name)

    def messages(self, to: str | None = None) -> list[Message]:
        """Every message received so far (to ``to`` only, when given), oldest first."""
        box = mailbox.Maildir(self.maildir, create=False)
        found: list[mailbox.MaildirMessage] = list(box)  # iterating a Maildir yields messages
        found.sort(key=lambda m: m.get_date())
        return [m for m in found if to is None or m["To"] == to]


@contextmanager
def running_mailsink(root: Path) -> Iterator[MailSink]:
    """A started :class:`MailSink` in its own process group under ``root``, stopped on exit."""
    group = ProcessGroup(root / "logs")
    sink = MailSink(group, root)
    sink.start()
    try:
        yield sink
    finally:
        group.stop_all()
