"""The product's URLs plus the floor view, for the benchmark only (`bench.settings` uses this urlconf)."""

from __future__ import annotations

from django.urls import path

from bench.floors import floor_table
from config.urls import urlpatterns as product_urlpatterns

urlpatterns = [
    path("bench/floor-a/", floor_table, name="bench-floor-a"),
    *product_urlpatterns,
]
