"""PyInstaller hook for shell (appkit's desktop host): pywebview reads its own scripts
from files next to its modules, which PyInstaller's pywebview hook collects on Windows
only."""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("webview", includes=["js/**/*.js"])

excludedimports = ["watchfiles", "shell.devloop"]
