"""Ships the top-level ``packaging/`` folder inside the wheel as ``appkit/_packaging``.

``packaging/`` is not an import package (a top-level ``packaging`` module would shadow the
PyPA library that pip and PyInstaller import), but ``appkit build`` needs its hooks, spec
template and launcher after ``pip install appkit`` too. Everything else is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithPackaging(build_py):
    """The usual build_py, plus ``packaging/**`` copied to ``appkit/_packaging/``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads packaging/ from the source tree
        source = Path(__file__).resolve().parent / "packaging"
        target = Path(self.build_lib) / "appkit" / "_packaging"
        for path in sorted(source.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                destination = target / path.relative_to(source)
                self.mkpath(str(destination.parent))
                self.copy_file(str(path), str(destination))


setup(cmdclass={"build_py": BuildPyWithPackaging})
