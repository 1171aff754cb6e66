"""The live state of one dev LMS app (settings, store, caches), reachable from any request."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask import current_app

from .config import PlatformUrls, Settings
from .keys import ToolKeyCache
from .store import Store


@dataclass
class Hangs:
    """Requests hung by fault injection wait here; a reset or a new fault setting wakes them."""

    _event: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, seconds: float) -> None:
        """Block up to `seconds`, or until `release_all`."""
        with self._lock:
            event = self._event
        event.wait(seconds)

    def release_all(self) -> None:
        """Wake every hung request now."""
        with self._lock:
            self._event.set()
            self._event = threading.Event()


@dataclass
class DevLms:
    """What the views need: `current_devlms()` returns the one of the running app."""

    settings: Settings
    store: Store
    tool_keys: ToolKeyCache
    hangs: Hangs = field(default_factory=Hangs)

    @property
    def urls(self) -> PlatformUrls:
        return self.settings.urls


def current_devlms() -> DevLms:
    """The DevLms of the app handling the current request."""
    devlms: DevLms = current_app.extensions["devlms"]
    return devlms
