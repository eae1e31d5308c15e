"""PyInstaller hook for appkit: its page assets (htmx, the stylesheet...) are files it
serves at run time, so they are collected as data."""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("appkit", includes=["static/**/*", "py.typed"])

# Development-only parts an app never needs in the executable. The build driver (which
# imports PIL for icons) is not the built program's: it needs appkit.build.runtime only.
# pydantic is imported by appkit.app.forms only for a pydantic model, that is when the app
# imports pydantic itself, which then collects it.
excludedimports = ["watchfiles", "appkit.cli", "appkit.devchild", "shell.devloop", "pytest",
                   "appkit.build.driver", "appkit.build.onefile", "PIL", "pydantic"]
