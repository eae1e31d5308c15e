"""PyInstaller hook for appkit: its page assets (htmx, the stylesheet...) are files it
serves at run time, so they are collected as data."""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("appkit", includes=["static/**/*", "py.typed"])

# Development-only parts an app never needs in the executable.
excludedimports = ["watchfiles", "appkit.cli", "appkit.devchild", "shell.devloop", "pytest"]
