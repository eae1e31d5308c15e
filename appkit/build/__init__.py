"""``appkit build``: package an app as one executable with PyInstaller.

    from appkit.build import BuildOptions, build
    result = build(BuildOptions("examples/todo"))
    print(result.path, result.size)

The PyInstaller hooks, the spec template and the one-file launcher are in the top-level
``packaging/`` folder (installed inside the wheel as ``appkit/_packaging``). This package
is imported by the build only (and ``runtime`` by the built executable), never by an app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from appkit.build.driver import BuildError, BuildOptions, BuildResult, build

__all__ = ["BuildError", "BuildOptions", "BuildResult", "build", "hook_dirs", "packaging_dir"]


def hook_dirs() -> list[str]:
    """PyInstaller's ``pyinstaller40`` entry point: appkit's hook folder, so that a plain
    ``pyinstaller`` run of an appkit app collects appkit's assets too."""
    from appkit.build.driver import hook_dirs as dirs

    return dirs()


def __getattr__(name: str) -> Any:
    # Lazy: PyInstaller loads hook_dirs() in every build; the driver imports more.
    if name in {"BuildError", "BuildOptions", "BuildResult", "build", "packaging_dir"}:
        from appkit.build import driver

        return getattr(driver, name)
    raise AttributeError(f"module 'appkit.build' has no attribute {name!r}")
