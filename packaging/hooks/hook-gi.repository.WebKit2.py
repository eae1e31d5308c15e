"""PyInstaller hook for WebKitGTK (pywebview's GTK backend on Linux).

Only the type library is collected. The library itself and the helper programs it starts
(WebKitWebProcess, WebKitNetworkProcess) come from the system, where they always match
each other: the executable needs the system package (libwebkit2gtk-4.1-0 on Debian and
Ubuntu), as every Linux webview app does.
"""

from PyInstaller.utils.hooks.gi import GiModuleInfo

datas = []
hiddenimports = []
for _namespace in ("WebKit2", "JavaScriptCore"):
    _info = GiModuleInfo(_namespace, "4.1")
    if not _info.available:
        _info = GiModuleInfo(_namespace, "4.0")
    if _info.available:
        _binaries, _datas, _hidden = _info.collect_typelib_data()
        datas += _datas
        hiddenimports += _hidden
