"""Flask extension objects, created unbound here and bound in `create_app`."""

from __future__ import annotations

from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from .db import db

migrate = Migrate()
csrf = CSRFProtect()

__all__ = ["csrf", "db", "migrate"]
