"""The care-plan pages, one module per page or per part of the plan page.

`plan` serves the plan page and editing its section items in place; the other modules add
their own URLs to `careplans/urls.py` and render named partials of their page's one template.
"""
