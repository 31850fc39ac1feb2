"""Where things are written in a TOML document: the line of each table, key and element.

tomllib gives no positions, so a light scan of the (already parsed, hence valid)
text finds the line of every table header, key and array element. A misreading
costs a line number in an error message, never the error itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A place in a parsed document: keys and array indexes, as pydantic reports them.
Location = tuple[str | int, ...]

_KEY_PART = re.compile(r"""\s*("(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[A-Za-z0-9_-]+)\s*""")
_STRING = re.compile(
    r'"""(?:\\.|[^\\])*?"""(?!")|'
    r"'''.*?'''(?!')|"
    r'"(?:\\.|[^"\\\n])*"|'
    r"'[^'\n]*'",
    re.DOTALL,
)


@dataclass
class _Open:
    """A bracket opened in a value: arrays count their elements, inline tables do not."""

    location: Location | None
    is_array: bool
    count: int = 0
    expecting_element: bool = True


class SourceLines:
    """The 1-based line where each location of a TOML document is written."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._line = 1
        self._table: Location = ()
        self._array_sizes: dict[Location, int] = {}
        self._lines: dict[Location, int] = {}
        self._scan()

    def line_of(self, location: Location) -> int | None:
        """The line of ``location``, or of its nearest written parent (a missing key's table)."""
        for end in range(len(location), 0, -1):
            line = self._lines.get(location[:end])
            if line is not None:
                return line
        return None

    def _remember(self, location: Location) -> None:
        for end in range(1, len(location) + 1):
            self._lines.setdefault(location[:end], self._line)

    def _scan(self) -> None:
        text, i = self._text, 0
        while i < len(text):
            char = text[i]
            if char == "\n":
                self._line += 1
                i += 1
            elif char.isspace():
                i += 1
            elif char == "#":
                i = _end_of_comment(text, i)
            elif char == "[":
                i = self._header(i)
            else:
                keys, i = self._keys(i)
                location = (*self._table, *keys)
                self._remember(location)
                i = self._value(location, i + 1)  # past "="

    def _header(self, i: int) -> int:
        is_array = self._text.startswith("[[", i)
        keys, i = self._keys(i + (2 if is_array else 1))
        location: Location = ()
        for depth, key in enumerate(keys):
            location = (*location, key)
            if is_array and depth == len(keys) - 1:
                size = self._array_sizes.get(location, 0)
                self._array_sizes[location] = size + 1
                location = (*location, size)
            elif location in self._array_sizes:
                # [[services.fields]] belongs to the latest [[services]].
                location = (*location, self._array_sizes[location] - 1)
        self._table = location
        self._remember(location)
        return i + (2 if is_array else 1)  # past "]]" or "]"

    def _keys(self, i: int) -> tuple[list[str], int]:
        """A dotted key starting at ``i``, unquoted, and the index just after it."""
        keys: list[str] = []
        while (match := _KEY_PART.match(self._text, i)) is not None:
            part = match.group(1)
            keys.append(part[1:-1] if part[0] in "\"'" else part)
            i = match.end()
            if not self._text.startswith(".", i):
                break
            i += 1
        return keys, i

    def _value(self, location: Location, i: int) -> int:
        """Skip a value (strings, brackets over several lines), noting array elements."""
        text = self._text
        opened: list[_Open] = []
        while i < len(text):
            char = text[i]
            if char == "\n" and not opened:
                return i
            if char == "\n":
                self._line += 1
            elif char == "#":
                i = _end_of_comment(text, i)
                continue
            elif not char.isspace():
                self._note_element(opened, char)
                i = self._value_char(opened, location, i)
                continue
            i += 1
        return i

    def _note_element(self, opened: list[_Open], char: str) -> None:
        top = opened[-1] if opened else None
        if top is None or not top.is_array or char in ",]" or not top.expecting_element:
            return
        if top.location is not None:
            self._remember((*top.location, top.count))
        top.count += 1
        top.expecting_element = False

    def _value_char(self, opened: list[_Open], location: Location, i: int) -> int:
        char, top = self._text[i], opened[-1] if opened else None
        if char in "\"'":
            match = _STRING.match(self._text, i)
            end = match.end() if match else i + 1
            self._line += self._text.count("\n", i, end)
            return end
        if char in "[{":
            if top is None:
                inner: Location | None = location
            elif top.is_array and top.location is not None:
                inner = (*top.location, top.count - 1)
            else:
                inner = None  # inside an inline table: its keys are not tracked
            opened.append(_Open(inner, is_array=char == "["))
        elif char in "]}" and opened:
            opened.pop()
        elif char == "," and top is not None and top.is_array:
            top.expecting_element = True
        return i + 1


def _end_of_comment(text: str, i: int) -> int:
    end = text.find("\n", i)
    return len(text) if end == -1 else end
