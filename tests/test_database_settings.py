from __future__ import annotations

from django.db import connection


def test_page_queries_are_not_jit_compiled(db):
    # PostgreSQL's JIT spent 4.2 s compiling one home-page query at 100,000 patients (docs/benchmarks.md).
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
