"""Cross-area plumbing (the Styleguide's ``common/``): what two or more areas need and no
area owns. Areas import it; it imports no area (``make lint``'s import-linter contracts).

- ``audit``: the one audit writer (``audit_record``, ``audit_record_many``)
- ``fleet``: the enabled forums, fan-out over the fleet, cached fleet lists
- ``areas``: the area registry (navigation entry, audit labels, permissions of each area)
"""
