"""`make bench`: Careweave's speed, measured against floors taken in the same run (issue 11).

`bench.run` prepares a database of its own (seeded by `manage.py seed_scale`), times the pages
in-process and under gunicorn, and checks each figure against its budget in `bench.report`.
"""
