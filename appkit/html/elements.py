"""The element factories: one PascalCase class per HTML5 element and common SVG element.

Each is an :class:`~appkit.html.nodes.Element` subclass: ``Div("text", cls="box")``.
``Html`` renders ``<!doctype html>`` first. ``Script`` and ``Style`` bodies are not escaped,
but cannot close their element early. SVG's ``<title>`` is ``SvgTitle`` (``Title`` is HTML's),
and SVG's ``<a>`` is the same ``A``.
"""

from __future__ import annotations

import re
from typing import Any

from appkit.html.nodes import Element, tag_class

A = tag_class("a")
Abbr = tag_class("abbr")
Address = tag_class("address")
Area = tag_class("area")
Article = tag_class("article")
Aside = tag_class("aside")
Audio = tag_class("audio")
B = tag_class("b")
Base = tag_class("base")
Bdi = tag_class("bdi")
Bdo = tag_class("bdo")
Blockquote = tag_class("blockquote")
Body = tag_class("body")
Br = tag_class("br")
Button = tag_class("button")
Canvas = tag_class("canvas")
Caption = tag_class("caption")
Cite = tag_class("cite")
Code = tag_class("code")
Col = tag_class("col")
Colgroup = tag_class("colgroup")
Data = tag_class("data")
Datalist = tag_class("datalist")
Dd = tag_class("dd")
Del = tag_class("del")
Details = tag_class("details")
Dfn = tag_class("dfn")
Dialog = tag_class("dialog")
Div = tag_class("div")
Dl = tag_class("dl")
Dt = tag_class("dt")
Em = tag_class("em")
Embed = tag_class("embed")
Fieldset = tag_class("fieldset")
Figcaption = tag_class("figcaption")
Figure = tag_class("figure")
Footer = tag_class("footer")
H1 = tag_class("h1")
H2 = tag_class("h2")
H3 = tag_class("h3")
H4 = tag_class("h4")
H5 = tag_class("h5")
H6 = tag_class("h6")
Head = tag_class("head")
Header = tag_class("header")
Hgroup = tag_class("hgroup")
Hr = tag_class("hr")
I = tag_class("i")
Iframe = tag_class("iframe")
Img = tag_class("img")
Input = tag_class("input")
Ins = tag_class("ins")
Kbd = tag_class("kbd")
Label = tag_class("label")
Legend = tag_class("legend")
Li = tag_class("li")
Link = tag_class("link")
Main = tag_class("main")
Map = tag_class("map")
Mark = tag_class("mark")
Menu = tag_class("menu")
Meta = tag_class("meta")
Meter = tag_class("meter")
Nav = tag_class("nav")
Noscript = tag_class("noscript")
Object = tag_class("object")
Ol = tag_class("ol")
Optgroup = tag_class("optgroup")
Option = tag_class("option")
Output = tag_class("output")
P = tag_class("p")
Picture = tag_class("picture")
Pre = tag_class("pre")
Progress = tag_class("progress")
Q = tag_class("q")
Rp = tag_class("rp")
Rt = tag_class("rt")
Ruby = tag_class("ruby")
S = tag_class("s")
Samp = tag_class("samp")
Search = tag_class("search")
Section = tag_class("section")
Select = tag_class("select")
Slot = tag_class("slot")
Small = tag_class("small")
Source = tag_class("source")
Span = tag_class("span")
Strong = tag_class("strong")
Sub = tag_class("sub")
Summary = tag_class("summary")
Sup = tag_class("sup")
Table = tag_class("table")
Tbody = tag_class("tbody")
Td = tag_class("td")
Template = tag_class("template")
Textarea = tag_class("textarea")
Tfoot = tag_class("tfoot")
Th = tag_class("th")
Thead = tag_class("thead")
Time = tag_class("time")
Title = tag_class("title")
Tr = tag_class("tr")
Track = tag_class("track")
U = tag_class("u")
Ul = tag_class("ul")
Var = tag_class("var")
Video = tag_class("video")
Wbr = tag_class("wbr")
Script = tag_class("script", raw_text=True)
Style = tag_class("style", raw_text=True)
Svg = tag_class("svg")
G = tag_class("g")
Path = tag_class("path")
Circle = tag_class("circle")
Ellipse = tag_class("ellipse")
Line = tag_class("line")
Polyline = tag_class("polyline")
Polygon = tag_class("polygon")
Rect = tag_class("rect")
Text = tag_class("text")
Tspan = tag_class("tspan")
TextPath = tag_class("textPath")
Defs = tag_class("defs")
Use = tag_class("use")
Symbol = tag_class("symbol")
LinearGradient = tag_class("linearGradient")
RadialGradient = tag_class("radialGradient")
Stop = tag_class("stop")
ClipPath = tag_class("clipPath")
Mask = tag_class("mask")
Pattern = tag_class("pattern")
Marker = tag_class("marker")
Filter = tag_class("filter")
Image = tag_class("image")
ForeignObject = tag_class("foreignObject")
Desc = tag_class("desc")
Animate = tag_class("animate")
AnimateTransform = tag_class("animateTransform")
FeGaussianBlur = tag_class("feGaussianBlur")
FeOffset = tag_class("feOffset")
FeBlend = tag_class("feBlend")
FeColorMatrix = tag_class("feColorMatrix")


class Html(Element):
    """The whole document; renders ``<!doctype html>`` before ``<html>``."""

    __slots__ = ()
    tag = "html"

    def _write(self, out: Any) -> None:
        out("<!doctype html>")
        super()._write(out)


# An <input> of type file in rendered HTML (attribute values and text are escaped, so a
# "<input" can only be a tag; raw HTML may spell the type without quotes or in capitals).
_FILE_INPUT = re.compile(r"<input\b[^>]*?\stype\s*=\s*[\"']?file\b", re.IGNORECASE)
# An attribute that makes htmx send a body (on the form, or on a button inside it).
_HTMX_SENDS = re.compile(r"\s(?:data-)?hx-(?:post|put|patch|delete)\s*=", re.IGNORECASE)
_MULTIPART = "multipart/form-data"


class Form(Element):
    """``<form>``. A form that holds a file input (at any depth) and sets no ``enctype``
    is sent as ``multipart/form-data``: it renders with that ``enctype``, and with
    ``hx-encoding`` too when htmx sends it (an ``hx-post``, ``hx-put``, ``hx-patch`` or
    ``hx-delete`` on the form or inside it). Without it a browser would send only the
    file's name. An ``enctype`` (or ``hx-encoding``) you set is kept as it is.
    """

    __slots__ = ()
    tag = "form"

    def _write(self, out: Any) -> None:
        if self.get("enctype") is not None:
            super()._write(out)
            return
        parts: list[str] = []
        super()._write(parts.append)
        # parts[0] is the start tag; the rest is the content and the end tag.
        content = "".join(parts[1:])
        if not _FILE_INPUT.search(content):
            out(parts[0])
        else:
            start = self.copy()
            start.attrs["enctype"] = _MULTIPART
            if self.get("hx-encoding") is None and (
                    _HTMX_SENDS.search(parts[0]) or _HTMX_SENDS.search(content)):
                start.attrs["hx-encoding"] = _MULTIPART
            out(f"<form{start._attrs_html()}>")
        out(content)


class SvgTitle(Element):
    """SVG's ``<title>`` (a tooltip inside ``Svg``); HTML's document title is ``Title``."""

    __slots__ = ()
    tag = "title"


__all__ = [
    "A",
    "Abbr",
    "Address",
    "Animate",
    "AnimateTransform",
    "Area",
    "Article",
    "Aside",
    "Audio",
    "B",
    "Base",
    "Bdi",
    "Bdo",
    "Blockquote",
    "Body",
    "Br",
    "Button",
    "Canvas",
    "Caption",
    "Circle",
    "Cite",
    "ClipPath",
    "Code",
    "Col",
    "Colgroup",
    "Data",
    "Datalist",
    "Dd",
    "Defs",
    "Del",
    "Desc",
    "Details",
    "Dfn",
    "Dialog",
    "Div",
    "Dl",
    "Dt",
    "Ellipse",
    "Em",
    "Embed",
    "FeBlend",
    "FeColorMatrix",
    "FeGaussianBlur",
    "FeOffset",
    "Fieldset",
    "Figcaption",
    "Figure",
    "Filter",
    "Footer",
    "ForeignObject",
    "Form",
    "G",
    "H1",
    "H2",
    "H3",
    "H4",
    "H5",
    "H6",
    "Head",
    "Header",
    "Hgroup",
    "Hr",
    "Html",
    "I",
    "Iframe",
    "Image",
    "Img",
    "Input",
    "Ins",
    "Kbd",
    "Label",
    "Legend",
    "Li",
    "Line",
    "LinearGradient",
    "Link",
    "Main",
    "Map",
    "Mark",
    "Marker",
    "Mask",
    "Menu",
    "Meta",
    "Meter",
    "Nav",
    "Noscript",
    "Object",
    "Ol",
    "Optgroup",
    "Option",
    "Output",
    "P",
    "Path",
    "Pattern",
    "Picture",
    "Polygon",
    "Polyline",
    "Pre",
    "Progress",
    "Q",
    "RadialGradient",
    "Rect",
    "Rp",
    "Rt",
    "Ruby",
    "S",
    "Samp",
    "Script",
    "Search",
    "Section",
    "Select",
    "Slot",
    "Small",
    "Source",
    "Span",
    "Stop",
    "Strong",
    "Style",
    "Sub",
    "Summary",
    "Sup",
    "Svg",
    "SvgTitle",
    "Symbol",
    "Table",
    "Tbody",
    "Td",
    "Template",
    "Text",
    "TextPath",
    "Textarea",
    "Tfoot",
    "Th",
    "Thead",
    "Time",
    "Title",
    "Tr",
    "Track",
    "Tspan",
    "U",
    "Ul",
    "Use",
    "Var",
    "Video",
    "Wbr",
]
