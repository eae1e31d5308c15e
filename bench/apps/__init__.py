"""Apps that ``bench/requests.py`` serves: peers of ``examples/todo`` and a variant of it."""
