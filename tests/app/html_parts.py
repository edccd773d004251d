"""What a page loads and what it has inline, for tests of pages served under our CSP."""

from __future__ import annotations

from html.parser import HTMLParser

__all__ = ["PageParts", "page_parts"]


class PageParts(HTMLParser):
    """Scripts, stylesheets and anything inline in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.script_srcs: list[str] = []
        self.stylesheets: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self._in_script = True
            if attributes.get("src"):
                self.script_srcs.append(str(attributes["src"]))
        if tag == "style":
            self.inline.append("<style>")
        if tag == "link" and attributes.get("rel") == "stylesheet":
            self.stylesheets.append(str(attributes["href"]))
        for name in attributes:
            if name == "style" or name.startswith("on"):
                self.inline.append(f"{tag}[{name}]")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(f"script text {data.strip()[:40]!r}")


def page_parts(html: str) -> PageParts:
    parts = PageParts()
    parts.feed(html)
    return parts
