"""The home page: entry points and the district-wide figures of every domain.

It sits on top of the domains (docs/dev/layers.md): it gathers the organisation's counts
(org), the requests' (intake) and the wishes' (wall); nothing imports it."""
