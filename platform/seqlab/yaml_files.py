"""Reading the YAML files users write (run configs, suite files): strictly, in one line on error.

PyYAML's safe loader already refuses tags that would run code; this adds what a config file
needs on top: UTF-8 only, no duplicate keys (YAML says they are an error; PyYAML keeps the last),
and a bound on aliases, so a recursive alias or an alias bomb is refused instead of hanging
whatever walks the data next.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seqlab.messages import clipped, shown

MAX_NODES = 100_000
"""The most values (mappings, lists and scalars, aliases expanded) a file may hold."""


class YamlFileError(ValueError):
    """A YAML file that cannot be used; the message is one line without the path."""


def _strict_loader() -> type:
    """A ``yaml.SafeLoader`` subclass that refuses duplicate keys."""
    import yaml

    class StrictLoader(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if isinstance(key, (dict, list)):
                    raise yaml.constructor.ConstructorError(
                        None, None, f"a key must be a plain value, not {shown(key)}",
                        key_node.start_mark,
                    )
                if key in seen:
                    line = key_node.start_mark.line + 1
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key!r} appears twice (line {line})", None
                    )
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return StrictLoader


def _check_size(data: Any) -> None:
    """Refuse recursive data and data past :data:`MAX_NODES` values once aliases are expanded."""
    count = 0
    stack: list[tuple[Any, tuple[int, ...]]] = [(data, ())]
    while stack:
        value, ancestors = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise YamlFileError(
                f"more than {MAX_NODES} values once aliases are expanded (an alias bomb?)"
            )
        if isinstance(value, (dict, list)):
            if id(value) in ancestors:
                raise YamlFileError("an alias refers to a value that contains it (recursive)")
            children = value.values() if isinstance(value, dict) else value
            inner = (*ancestors, id(value))
            stack.extend((child, inner) for child in children)


def _yaml_problem(exc: Exception) -> str:
    """PyYAML's complaint and its line, without the quoted source it prints around them."""
    problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
    mark = getattr(exc, "problem_mark", None)
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return f"{clipped(problem, 120)}{where}"


def read_yaml_mapping(path: Path, what: str) -> dict[str, Any]:
    """Read a YAML file that must hold a non-empty mapping.

    :param path: the file.
    :param what: what the mapping holds, for the message (e.g. ``"keys"``).
    :returns: the mapping.
    :raises YamlFileError: in one line: unreadable, not UTF-8, malformed YAML, a code tag,
        duplicate keys, recursive or exploding aliases, empty, or not a mapping.
    """
    import yaml

    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise YamlFileError(f"cannot read it: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlFileError(f"not UTF-8 text (byte {exc.start})") from None
    try:
        data = yaml.load(text, Loader=_strict_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise YamlFileError(f"not valid YAML: {_yaml_problem(exc)}") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise YamlFileError(f"not valid YAML: {clipped(str(exc), 120)}") from None
    except RecursionError:
        raise YamlFileError("an alias refers to a value that contains it (recursive)") from None
    if data is None:
        raise YamlFileError(f"the file is empty; expected a mapping of {what}")
    if not isinstance(data, dict):
        raise YamlFileError(f"expected a mapping of {what}, got {shown(data)}")
    _check_size(data)
    return data
