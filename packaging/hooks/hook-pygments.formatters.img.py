"""PyInstaller hook for pygments' image formatter (appkit.ui's markdown collects every
pygments formatter): it imports Pillow only to draw code as an image, which no appkit
page does. An app that uses Pillow imports it itself, which collects it."""

excludedimports = ["PIL"]
