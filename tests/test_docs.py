"""The documentation, checked where it is cheap: links lead somewhere, the `appkit`
commands and options it shows exist, and its Python compiles."""

from __future__ import annotations

import argparse
import doctest
import re
from pathlib import Path

import pytest

from appkit.cli import _parser

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\]\(([^)\s]+)\)")
INLINE_CODE = re.compile(r"`([^`\n]+)`")
# `appkit WORD`, not `from appkit import` and not `appkit.html`.
COMMAND = re.compile(r"(?<![\w./-])(?<!from )(?<!import )appkit ([a-z][\w-]*)(.*)")


def _ids(pages: list[Path]) -> list[str]:
    return [page.relative_to(ROOT).as_posix() for page in pages]


def _prose(text: str) -> str:
    """The page without its fenced code blocks."""
    return FENCE.sub("", text)


def _anchors(page: Path) -> set[str]:
    """The heading anchors GitHub makes for a Markdown page."""
    anchors: set[str] = set()
    for line in _prose(page.read_text(encoding="utf-8")).splitlines():
        heading = re.match(r"#{1,6}\s+(.*)", line)
        if heading:
            slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
            anchor, n = slug, 0
            while anchor in anchors:
                n += 1
                anchor = f"{slug}-{n}"
            anchors.add(anchor)
    return anchors


def _broken_links(page: Path) -> list[str]:
    """The relative links of ``page`` to a file that is not there, or to a heading that
    its page does not have."""
    broken = []
    for target in LINK.findall(_prose(page.read_text(encoding="utf-8"))):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:...
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append(f"{target}: no heading #{anchor} in {linked.name}")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_every_relative_link_leads_to_a_file(page: Path) -> None:
    broken = _broken_links(page)
    assert not broken, f"{page.name}: " + "; ".join(broken)


def test_the_links_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## The `appkit jobs` command\n")
    page = tmp_path / "page.md"
    page.write_text("[a](other.md#the-appkit-jobs-command) [b](other.md#missing) "
                    "[c](gone.md) [d](#page) [e](https://example.org/x)\n\n# Page\n"
                    "```md\n[f](also-gone.md)\n```\n")
    assert _broken_links(page) == [
        "other.md#missing: no heading #missing in other.md", "gone.md: no such file"]


def _commands(text: str) -> list[str]:
    """The command lines in shell blocks and in inline code."""
    lines = []
    for language, body in FENCE.findall(text):
        if language in ("", "sh", "shell", "bash", "console", "text"):
            lines += body.splitlines()
    lines += INLINE_CODE.findall(_prose(text))
    return [line.split(" #")[0].rstrip() for line in lines]


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}


def _wrong_commands(text: str) -> list[str]:
    """The `appkit` commands, actions and options in ``text`` that the CLI does not have."""
    commands = _subparsers(_parser()[0])
    wrong = []
    for line in _commands(text):
        for name, rest in COMMAND.findall(line):
            parser = commands.get(name)
            if parser is None:
                wrong.append(f"appkit {name}: no such command")
                continue
            words = rest.split()
            actions = _subparsers(parser)
            if actions and words and re.fullmatch(r"[a-z]+", words[0]):
                if words[0] not in actions:
                    wrong.append(f"appkit {name} {words[0]}: no such action")
                    continue
                parser = actions[words[0]]
            for word in words:
                option = word.split("=")[0].rstrip(".,;:)`")
                if option.startswith("--") and option not in _options(parser):
                    wrong.append(f"appkit {name}: no option {option}")
    return wrong


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_every_appkit_command_shown_exists(page: Path) -> None:
    wrong = _wrong_commands(page.read_text(encoding="utf-8"))
    assert not wrong, f"{page.name}: " + "; ".join(wrong)


def test_the_commands_check_finds_what_it_looks_for() -> None:
    found = _commands("Run `appkit run app.py --headless`, or:\n\n```sh\n"
                      "appkit jobs list app.py   # the runs\n```\n")
    assert [COMMAND.findall(line) for line in found] == [
        [("jobs", " list app.py")], [("run", " app.py --headless")]]
    assert COMMAND.findall("from appkit import App") == []
    assert _wrong_commands(
        "`appkit deploy app.py`, `appkit jobs purge app.py`, `appkit data path x`\n\n"
        "```sh\nappkit run app.py --fast   # --fast is in a comment\n```\n") == [
        "appkit run: no option --fast", "appkit deploy: no such command",
        "appkit jobs purge: no such action"]


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_python_in_the_docs_compiles(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for number, (language, body) in enumerate(FENCE.findall(text)):
        where = f"{page.name}, code block {number + 1}"
        if language == "python":
            compile(body, where, "exec")
        elif language == "pycon":
            for example in doctest.DocTestParser().get_examples(body):
                compile(example.source, where, "single")
