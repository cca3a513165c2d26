"""The default settings: the embedded SQLite install, or production when the environment says so."""

from .base import *  # noqa: F403
