"""Check Bot API requests against the published spec (api.json, telegram-bot-api-spec format).

The spec lists, for every method, its fields with their allowed types ("Integer", "String",
"Boolean", "Float", "InputFile", "Array of X", or an object type such as InlineKeyboardMarkup)
and whether they are required. A request arrives either form-encoded (every value a string,
non-strings JSON-encoded, which is how python-telegram-bot sends them), multipart (the same,
plus file parts) or as a JSON body (typed values).

`SpecChecker.check()` decodes each value into its Python form and reports:
- errors: unknown method, missing required field, a value that matches none of the allowed types;
- notes: fields the spec does not know (Telegram ignores them; PTB's Defaults add some).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).with_name("api.json")

_INT_RE = re.compile(r"^-?\d+$")
_MAX_DEPTH = 6
_DISCRIMINATOR_RE = re.compile(r"(?:must be|always) [\"“]?([a-z_]+)")


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"

    def __repr__(self) -> str:  # keep request logs short
        return f"UploadedFile({self.filename!r}, {len(self.content)} bytes, {self.content_type!r})"


@dataclass
class CheckResult:
    params: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Mismatch(Exception):
    pass


class SpecChecker:
    def __init__(self, path: Path = SPEC_PATH):
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        self.version: str = data.get("version", "")
        self.methods: dict[str, dict] = data["methods"]
        self.types: dict[str, dict] = data["types"]
        # Telegram method names are case-insensitive.
        self._lower = {name.lower(): name for name in self.methods}

    # ------------------------------------------------------------------ requests
    def method_name(self, name: str) -> str | None:
        """The canonical spelling of a method, or None if the spec does not have it."""
        return self._lower.get(name.lower())

    def check(self, method: str, raw: dict[str, Any], files: dict[str, UploadedFile] | None = None,
              *, form: bool = True) -> CheckResult:
        """Check and decode one request. `raw` holds form strings (form=True) or JSON values."""
        files = files or {}
        result = CheckResult()
        name = self.method_name(method)
        if name is None:
            result.errors.append(f"{method}: unknown method")
            return result
        spec_fields = {f["name"]: f for f in self.methods[name].get("fields", [])}
        for fname, fspec in spec_fields.items():
            if fspec["required"] and fname not in raw and fname not in files:
                result.errors.append(f"{name}: required field '{fname}' is missing")
        for fname, value in raw.items():
            fspec = spec_fields.get(fname)
            if fspec is None:
                result.notes.append(f"{name}: unknown field '{fname}' (ignored by Telegram)")
                result.params[fname] = _loose_decode(value) if form else value
                continue
            try:
                result.params[fname] = self._field(value, fspec["types"], files, form, f"{name}.{fname}")
            except _Mismatch as exc:
                result.errors.append(str(exc))
                result.params[fname] = value
        for fname, upload in files.items():
            if fname in raw:
                continue
            fspec = spec_fields.get(fname)
            if fspec is not None:
                if "InputFile" not in fspec["types"]:
                    result.errors.append(f"{name}.{fname}: a file was uploaded but the field takes {fspec['types']}")
                result.params[fname] = upload
            elif not any(isinstance(v, str) and v == f"attach://{fname}" for v in _walk_strings(result.params)):
                result.notes.append(f"{name}: file part '{fname}' is not referenced by any field")
        return result

    # ------------------------------------------------------------------ objects
    def check_object(self, value: Any, type_name: str, where: str = "") -> list[str]:
        """Errors found checking a decoded JSON value against a spec type (for responses and tests)."""
        try:
            self._value(value, type_name, {}, form=False, where=where or type_name, depth=0)
        except _Mismatch as exc:
            return [str(exc)]
        return []

    def skeleton(self, type_name: str, **values: Any) -> dict[str, Any]:
        """An object of `type_name` with every required field filled with a neutral value."""
        obj: dict[str, Any] = {}
        for f in self.types[type_name].get("fields", []):
            if not f["required"] or f["name"] in values:
                continue
            t = f["types"][0]
            if t == "Boolean":
                obj[f["name"]] = False
            elif t in ("Integer", "Float"):
                obj[f["name"]] = 0
            elif t == "String":
                obj[f["name"]] = ""
            elif t.startswith("Array of"):
                obj[f["name"]] = []
            elif t in self.types and self.types[t].get("fields"):
                obj[f["name"]] = self.skeleton(t)
        obj.update(values)
        return obj

    # ------------------------------------------------------------------ internals
    def _field(self, value: Any, types: list[str], files: dict, form: bool, where: str) -> Any:
        problems = []
        for t in types:
            try:
                return self._value(value, t, files, form, where, 0)
            except _Mismatch as exc:
                problems.append(str(exc))
        if len(types) == 1:
            raise _Mismatch(problems[0])
        raise _Mismatch(f"{where}: {_short(value)} is none of {' | '.join(types)} ({'; '.join(problems)})")

    def _value(self, value: Any, t: str, files: dict, form: bool, where: str, depth: int) -> Any:
        if t == "Integer":
            if isinstance(value, bool):
                raise _Mismatch(f"{where}: expected Integer, got {_short(value)}")
            if isinstance(value, int):
                return value
            if isinstance(value, str) and _INT_RE.match(value.strip()):
                return int(value)
            raise _Mismatch(f"{where}: expected Integer, got {_short(value)}")
        if t == "Float":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
            if isinstance(value, str):
                try:
                    return float(value)
                except ValueError:
                    pass
            raise _Mismatch(f"{where}: expected Float, got {_short(value)}")
        if t == "Boolean":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
                return value.lower() in ("true", "1")
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
            raise _Mismatch(f"{where}: expected Boolean, got {_short(value)}")
        if t == "String":
            if isinstance(value, str):
                return value
            raise _Mismatch(f"{where}: expected String, got {_short(value)}")
        if t == "InputFile":
            if isinstance(value, UploadedFile):
                return value
            if isinstance(value, str) and value.startswith("attach://"):
                part = value[len("attach://"):]
                if part in files:
                    return files[part]
                raise _Mismatch(f"{where}: '{value}' names no uploaded file part")
            raise _Mismatch(f"{where}: expected InputFile (a multipart file), got {_short(value)}")
        if t.startswith("Array of "):
            inner = t[len("Array of "):]
            if isinstance(value, str):
                value = _json(value, where, t)
            if not isinstance(value, list):
                raise _Mismatch(f"{where}: expected {t}, got {_short(value)}")
            return [self._value(v, inner, files, False, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
        spec = self.types.get(t)
        if spec is None:
            raise _Mismatch(f"{where}: the spec has no type {t}")
        if isinstance(value, str):
            value = _json(value, where, t)
        if not isinstance(value, dict):
            raise _Mismatch(f"{where}: expected {t} (a JSON object), got {_short(value)}")
        if depth >= _MAX_DEPTH:
            return value
        if spec.get("subtypes"):
            problems = []
            for sub in spec["subtypes"]:
                try:
                    return self._value(value, sub, files, False, where, depth)
                except _Mismatch as exc:
                    problems.append(f"{sub}: {exc}")
            raise _Mismatch(f"{where}: {_short(value)} matches no subtype of {t}")
        fields = {f["name"]: f for f in spec.get("fields", [])}
        for fname, fspec in fields.items():
            if fspec["required"] and fname not in value:
                raise _Mismatch(f"{where}: {t} requires '{fname}'")
        # A subtype is chosen by its constant discriminator ("type", "status", "source"): "must be X".
        for fname in ("type", "status", "source"):
            if fname in fields and fname in value:
                m = _DISCRIMINATOR_RE.search(fields[fname].get("description", ""))
                if m and value[fname] != m.group(1) and spec.get("subtype_of"):
                    raise _Mismatch(f"{where}: {t}.{fname} must be '{m.group(1)}'")
        out = dict(value)
        for fname, v in value.items():
            if fname in fields:
                out[fname] = self._field(v, fields[fname]["types"], files, False, f"{where}.{fname}")
        return out


def _json(text: str, where: str, t: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise _Mismatch(f"{where}: expected JSON-serialized {t}, got {_short(text)}") from None


def _loose_decode(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _walk_strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _walk_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk_strings(v)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
