"""Messages to patients (one-time codes, booking reminders) through a pluggable notifier.

Every channel is one adapter with the same one-method port, :class:`~.base.Notifier`
(``async send(notice)``), configured by URL in :class:`~.settings.NotifySettings`:

* ``email``: SMTP (``smtp://``, ``smtps://``; works with any mail server) — :mod:`.email`;
* ``sms``: an HTTP SMS gateway (JSON POST) — :mod:`.sms`;
* ``line``: the LINE Messaging API push endpoint — :mod:`.line`.

A channel without a URL raises :class:`~.base.NotifierNotConfigured` (never a silent success).
:mod:`.scheduler` sends the due reminders it finds in the database, so it survives restarts.
"""
