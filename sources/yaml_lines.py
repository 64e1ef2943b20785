"""Read YAML keeping the line of every key, so errors can name the file and the line."""

from __future__ import annotations

from pathlib import Path

import yaml

Path_ = tuple[str | int, ...]


class YamlError(ValueError):
    """YAML that cannot be read; the message names the file and the line."""


def _index(node: yaml.Node, path: Path_, lines: dict[Path_, int], duplicates: list[str], file: Path) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                duplicates.append(f"{file}:{key_node.start_mark.line + 1}: duplicate key {key!r}")
            seen.add(key)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _index(value_node, (*path, key), lines, duplicates, file)
    elif isinstance(node, yaml.SequenceNode):
        for number, item in enumerate(node.value):
            _index(item, (*path, number), lines, duplicates, file)


def load_with_lines(file: Path) -> tuple[object, dict[Path_, int]]:
    """The document and, for every key path (('sources', 0, 'columns')), the line it starts on."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise YamlError(f"mapping file not found: {file}") from exc
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark else str(file)
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlError(f"{where}: not valid YAML: {problem}") from exc
    lines: dict[Path_, int] = {}
    duplicates: list[str] = []
    if root is not None:
        _index(root, (), lines, duplicates, file)
    if duplicates:
        raise YamlError("\n".join(duplicates))
    return data, lines


def line_of(lines: dict[Path_, int], path: Path_) -> int | None:
    """The line of `path`, or of its nearest ancestor present in the file."""
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None
