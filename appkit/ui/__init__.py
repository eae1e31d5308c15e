"""``appkit.ui``: the desktop UI kit (an extension, with its assets vendored)."""
