"""``UISettings``: how the UI kit looks by default, checked when made."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from appkit.errors import ConfigurationError

if TYPE_CHECKING:
    from appkit.ui.extension import UIExtension

__all__ = ["UISettings", "THEMES", "DENSITIES"]

#: The themes a page can have: ``system`` follows the system's light or dark setting.
THEMES = ("system", "light", "dark")
#: How much room controls take: ``compact`` is a desktop tool's, ``comfortable`` a web page's.
DENSITIES = ("compact", "comfortable")


@dataclass(frozen=True)
class UISettings:
    """The UI kit on every page of an app: ``App(..., extensions=[UISettings()])``.

    Args:
        density: ``"compact"`` (a desktop tool's: 14 px text, tight controls) or
            ``"comfortable"`` (Pico's roomier web page).
        theme: the theme of a user who has not picked one with ``ThemeToggle``:
            ``"system"`` (light or dark as the system is), ``"light"`` or ``"dark"``.

    Raises:
        ConfigurationError: a value that is not one of the above, named with the choices.
    """

    density: str = "compact"
    theme: str = "system"

    def __post_init__(self) -> None:
        if self.density not in DENSITIES:
            raise ConfigurationError(
                f"density is one of {', '.join(DENSITIES)}, not {self.density!r}")
        if self.theme not in THEMES:
            raise ConfigurationError(f"theme is one of {', '.join(THEMES)}, not {self.theme!r}")

    def extension(self) -> UIExtension:
        """The UI extension with these settings."""
        from appkit.ui.extension import UIExtension

        return UIExtension(self)
