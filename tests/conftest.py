"""Session-wide set-up shared by every test directory: a private pcscd for this test run, the
Chromium fixture, and the fault-test count summary.

pcscd and its vpcd reader are machine-wide singletons; a second test run or ``make demo`` on the
same machine would put cards into this run's reader. Each run therefore starts its own pcscd
(:mod:`clinicbox.runtime.pcscd_private`) before any test touches PC/SC, and every process the
tests start inherits it through the environment. Under pytest-xdist every worker is such a run
(the controller, which runs no test, starts none). Without root (no mount namespace) the system
pcscd is used, as before. An already-exported ``PCSCLITE_CSOCK_NAME`` is respected.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from clinicbox.runtime.chromium import CHROMIUM, chromium_browser
from clinicbox.runtime.pcscd import SOCKET_ENV, PcscdUnavailable
from clinicbox.runtime.pcscd_private import PrivatePcscd, start_private_pcscd

_private: PrivatePcscd | None = None

# Browser assertions wait up to 20 s (Playwright's default is 5 s): a page that reloads after a
# print or a live event takes longer than that on a loaded 2-core CI machine. A missing element
# still fails; it just fails later.
expect.set_options(timeout=20_000)


def pytest_configure(config: pytest.Config) -> None:
    global _private
    if os.environ.get(SOCKET_ENV):
        return
    if _is_xdist_controller(config):
        return  # each worker starts its own; the controller runs no test

    workdir = Path(tempfile.mkdtemp(prefix="clinicbox-pcscd-"))
    try:
        _private = start_private_pcscd(workdir)
    except (PcscdUnavailable, OSError, subprocess.SubprocessError) as exc:
        # a machine where it cannot start (no root, a very slow start) still runs the suite
        warnings.warn(f"using the system pcscd: {exc}", stacklevel=1)


def _is_xdist_controller(config: pytest.Config) -> bool:
    workers = config.getoption("numprocesses", default=None) if hasattr(config, "option") else None
    return not hasattr(config, "workerinput") and bool(workers)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _private is not None:
        _private.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Show every fault test's count line (``[fault:<name>] created=N cloud=N ...``) in the
    run's output, passed tests included: the counts are the result, not debugging output."""
    lines: list[str] = []
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "") != "call":
                continue
            captured = f"{report.capstdout}\n{report.capstderr}"
            lines += [x.strip() for x in captured.splitlines() if x.strip().startswith("[fault:")]
    if lines:
        terminalreporter.section("fault test counts")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless (every browser test in every directory uses this one)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed")
    async with chromium_browser() as browser:
        yield browser
