"""The organisation: streets, buildings, councils and their rosters, departments.

The ground floor of the domains (docs/dev/layers.md): guide, intake, wall, boards, the
council workspace and the APIs import it; it imports only ``core``, ``auth`` and
``extensions``."""
