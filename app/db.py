"""Tortoise configuration for the app's wiring; it lives in :mod:`models.database`.

``tortoise -c app.db.TORTOISE_ORM makemigrations`` keeps working from here.
"""

from __future__ import annotations

from models.database import MODEL_MODULES, TORTOISE_ORM, open_database, tortoise_config

__all__ = ["MODEL_MODULES", "TORTOISE_ORM", "open_database", "tortoise_config"]
