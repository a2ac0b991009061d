"""The web chat's browser tests: one real server and one Chromium for the whole package."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from ui_helpers import DESKTOP, PHONE, Chat, chromium, running_app

VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
LOCALES = {"tr": "tr-TR", "en": "en-US"}


@pytest.fixture(scope="package")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="package")
def app_url(engine) -> Iterator[str]:
    with running_app(engine) as url:
        yield url


@pytest.fixture
def open_chat(browser, app_url) -> Iterator[Callable[..., Chat]]:
    """Open a chat session at a named viewport ("desktop" or "phone") in a browser of language ``lang``."""
    sessions: list[Chat] = []

    def open_(viewport: str = "desktop", lang: str = "tr", url: str | None = None) -> Chat:
        session = Chat(browser, url or app_url, locale=LOCALES[lang], viewport=VIEWPORTS[viewport])
        sessions.append(session)
        return session

    yield open_
    for session in sessions:
        session.close()
