"""Every message a user can get, found in the code, and the catalogs kept in step with it (Babel's Catalog,
read_po/write_po, write_mo). `python -m pasar.i18n_messages extract` writes messages.pot and merges it into
each locale's .po (new msgids come in untranslated); `compile` writes the .mo files (`make translations`);
`check` lists msgids with no Indonesian translation (tests/unit/test_i18n.py fails on any).

What counts as a message a user can get (read from the source, not run):
- the message of `ApiError(status, message)`, `forbidden(message)`, `conflict(message)`, the thing in
  `not_found(what)` (said as "{what} not found"), `ValidationError(message)`, and `error=` of a validator;
- field messages: strings in a list that is a dict value or is assigned to `problems[...]`;
- the text of `raise SomethingError("...")` in the modules whose exceptions become field messages (`str(exc)`);
- marshmallow's own field and validator messages (the library's defaults, read from its classes).
An f-string becomes a template: f"stock for {listing.id} is {n}" -> "stock for {id} is {n}"."""
from __future__ import annotations

import ast
import inspect
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from . import i18n

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pasar", "services", "gateway")
MESSAGE_CALLS = {"ApiError": 1, "error_body": 1, "forbidden": 0, "conflict": 0, "ValidationError": 0,
                 "_invalid": None}
MESSAGE_NAMES = {"message", "problem"}  # `message = f"..."` before it is raised
# exceptions whose text is internal (a 500 says only "something went wrong"), never shown as a field message
INTERNAL_ERRORS = {"RuntimeError", "KeyError", "TypeError", "AssertionError", "NotImplementedError",
                   "SystemExit", "LookupError", "ImportError"}
SKIP_PARTS = {"migrations", "tests", "web"}  # gateway/web pages translate by error code (gateway/web/i18n.py)


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _placeholder(node: ast.AST) -> str:
    name = _name(node) or (_name(node.func) if isinstance(node, ast.Call) else "")
    if isinstance(node, ast.Subscript):
        name = _name(node.value)
    return re.sub(r"\W", "_", name or "value").strip("_") or "value"


def message_text(node: ast.AST) -> str | None:
    """The msgid of a string constant or an f-string (its values as {placeholders})."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value).replace("{", "{{").replace("}", "}}"))
            elif isinstance(value, ast.FormattedValue):
                parts.append("{" + _placeholder(value.value) + "}")
        return "".join(parts).replace("{{", "{").replace("}}", "}")
    return None


def _field_lists(node: ast.AST):
    """Strings in lists that are values of a dict literal (the `fields` of an error)."""
    if isinstance(node, ast.Dict):
        for value in node.values:
            if isinstance(value, (ast.List, ast.Tuple)):
                yield from value.elts
            else:
                yield from _field_lists(value)


class _Finder(ast.NodeVisitor):
    def __init__(self, tree: ast.Module):
        self.found: list[tuple[str, int]] = []
        # module constants (LOGIN_FAILED = "..."), for a message given by name
        self.constants = {t.id: n.value for n in tree.body if isinstance(n, ast.Assign)
                          for t in n.targets if isinstance(t, ast.Name) and t.id.isupper()}

    def _add(self, node, lineno):
        if isinstance(node, ast.Name) and node.id in self.constants:
            node = self.constants[node.id]
        text = message_text(node) if node is not None else None
        if text and text.strip():
            self.found.append((text, lineno))

    def visit_Call(self, node: ast.Call):
        name = _name(node.func)
        if name in MESSAGE_CALLS:
            index = MESSAGE_CALLS[name]
            if index is not None and len(node.args) > index:
                self._add(node.args[index], node.lineno)
            for kw in node.keywords:
                if kw.arg == "message":
                    self._add(kw.value, node.lineno)
        if name == "not_found":
            self.found.append(("{what} not found", node.lineno))
            if node.args:
                self._add(node.args[0], node.lineno)
        for kw in node.keywords:
            if kw.arg == "error":
                self._add(kw.value, node.lineno)
        for arg in list(node.args) + [kw.value for kw in node.keywords if kw.arg != "options"]:
            for element in _field_lists(arg):
                self._add(element, node.lineno)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign):
        if any(isinstance(t, ast.Subscript) for t in node.targets) and isinstance(node.value, ast.List):
            for element in node.value.elts:
                self._add(element, node.lineno)
        if any(isinstance(t, ast.Name) and t.id in MESSAGE_NAMES for t in node.targets):
            self._add(node.value, node.lineno)
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef):
        if node.name.endswith("_problem"):  # returns the field message, or None
            for child in ast.walk(node):
                if isinstance(child, ast.Return) and child.value is not None:
                    self._add(child.value, child.lineno)
        self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise):
        exc = node.exc
        if isinstance(exc, ast.Call) and _name(exc.func)[:1].isupper() \
                and _name(exc.func) not in INTERNAL_ERRORS and _name(exc.func) not in MESSAGE_CALLS and exc.args:
            self._add(exc.args[0], node.lineno)
        self.generic_visit(node)


def code_messages(root: Path = ROOT) -> dict[str, list[tuple[str, int]]]:
    """msgid -> where it is said (file, line)."""
    found: dict[str, list[tuple[str, int]]] = {}
    for top in SOURCES:
        for path in sorted((root / top).rglob("*.py")):
            relative = path.relative_to(root)
            if SKIP_PARTS & set(relative.parts[1:-1]) or relative.name == "i18n_messages.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), str(relative))
            finder = _Finder(tree)
            finder.visit(tree)
            for text, line in finder.found:
                found.setdefault(text, []).append((str(relative), line))
    return found


_OPS = ("greater than", "greater than or equal to", "less than", "less than or equal to")


def library_messages() -> dict[str, list[tuple[str, int]]]:
    """marshmallow's own messages (fields, validators, schemas), as the templates they are formatted from."""
    from marshmallow import Schema, fields, validate

    texts: set[str] = set(Schema._default_error_messages.values())
    for _, cls in inspect.getmembers(fields, inspect.isclass):
        if issubclass(cls, fields.Field):
            for klass in cls.__mro__:
                texts.update(vars(klass).get("default_error_messages", {}).values())
    for _, cls in inspect.getmembers(validate, inspect.isclass):
        for klass in cls.__mro__:
            texts.update(v for k, v in vars(klass).items() if isinstance(v, str) and ("message" in k or "error" in k))
    expanded = set()
    for text in texts:
        if "{min_op}" in text or "{max_op}" in text:  # Range formats the operator words in first
            for low in _OPS[:2]:
                for high in _OPS[2:]:
                    expanded.add(text.replace("{min_op}", low).replace("{max_op}", high)
                                 .replace("{{", "{").replace("}}", "}"))
        elif text not in _OPS:
            expanded.add(text.replace("{input!r}", "{input}"))
    # what webargs says itself, and werkzeug's descriptions (an unknown path, a wrong method, a huge body)
    expanded.update({"Invalid JSON body.", "{what} not found"})
    expanded.update({"datetime", "date", "time", "naive", "aware", "resource"})  # said inside "Not a valid {awareness} {obj_type}."
    from werkzeug import exceptions

    for _, cls in inspect.getmembers(exceptions, inspect.isclass):
        if issubclass(cls, exceptions.HTTPException) and isinstance(cls.code, int) and 400 <= cls.code < 600 \
                and isinstance(cls.description, str):
            expanded.add(cls.description)
    return {text: [("marshmallow", 0)] for text in sorted(expanded)}


def all_messages() -> dict[str, list[tuple[str, int]]]:
    messages = code_messages()
    for text, where in library_messages().items():
        messages.setdefault(text, []).extend(where)
    return messages


def template(messages=None) -> Catalog:
    pot = Catalog(project="pasar-desa", domain=i18n.DOMAIN)
    for text, where in sorted((messages or all_messages()).items()):
        pot.add(text, locations=where, flags=("python-brace-format",) if "{" in text else ())
    return pot


def extract() -> None:
    pot = template()
    i18n.TRANSLATIONS.mkdir(parents=True, exist_ok=True)
    with (i18n.TRANSLATIONS / f"{i18n.DOMAIN}.pot").open("wb") as out:
        write_po(out, pot, width=100, omit_header=False, include_lineno=False)
    for locale in i18n.LOCALES:
        if locale == i18n.SOURCE_LOCALE:
            continue
        po = i18n.po_path(locale)
        if po.exists():
            with po.open("rb") as handle:
                current = read_po(handle, locale=locale)
        else:
            current = Catalog(locale=locale, domain=i18n.DOMAIN)
        current.update(pot, no_fuzzy_matching=True)
        po.parent.mkdir(parents=True, exist_ok=True)
        with po.open("wb") as out:
            write_po(out, current, width=100, ignore_obsolete=True, include_lineno=False)


def compile_all() -> None:
    for locale in i18n.LOCALES:
        po = i18n.po_path(locale)
        if po.exists():
            with po.open("rb") as handle:
                messages = read_po(handle, locale=locale)
            with i18n.mo_path(locale).open("wb") as out:
                write_mo(out, messages)
    i18n.clear_cache()


def untranslated(locale: str = "id") -> dict[str, list[tuple[str, int]]]:
    known = i18n.catalog(locale)
    return {text: where for text, where in all_messages().items() if text not in known}


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "extract":
        extract()
    elif command == "compile":
        compile_all()
    missing = untranslated()
    for text, where in missing.items():
        print(f"no Indonesian for {text!r} ({where[0][0]}:{where[0][1]})")
    return 1 if command == "check" and missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
