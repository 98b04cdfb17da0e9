"""Quality gates shared by several test modules: the page inventory (``pages.py``)."""
