from __future__ import annotations

from django.apps import AppConfig


class CareplansConfig(AppConfig):
    verbose_name = "Care plans"
    name = "careplans"
