"""Accounts, login/logout and the one permission module every staff route uses."""
