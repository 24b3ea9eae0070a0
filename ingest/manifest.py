"""Sidecar manifests: a ``manifest.csv`` or ``manifest.yaml`` beside documents gives metadata for
the files of its folder (never its subfolders). Its columns are mapped once, in :data:`COLUMNS`;
the README's ingestion section shows the same table.

Every problem is a warning naming the manifest, the row and the reason (a row naming no file in
the folder, a date that is not a date, a value over its bound, an unreadable manifest); the row's
other fields and every other row still count, and no document fails because of its manifest."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from app.errors import DocumentError
from ingest.dates import parse_date, parse_release
from ingest.frontmatter import MAX_EXPANDED_CHARS, expanded_size

SIDECAR_NAMES = ("manifest.csv", "manifest.yaml", "manifest.yml")
MAX_SIDECAR_BYTES = 20_000_000

# Our field ← the columns that hold it, the first present in a row wins. ``file`` names the
# document: a file name in the folder, or its stem (NGC's ``ngc_id`` "ngc-9568" → ngc-9568.md).
COLUMNS: dict[str, tuple[str, ...]] = {
    "file": ("file", "filename", "path", "ngc_id", "id"),
    "title": ("title",),
    "issuer": ("issuer", "payer", "publisher", "developers", "developer"),
    "effective_date": ("effective_date", "effective"),
    "released": ("date_released", "release_date", "released", "date"),  # "1996 (revised 2014 Dec 16)"
    "issue_date": ("issue_date", "issued"),
    "revision_date": ("revision_date", "revised", "last_revised"),
    "revision": ("revision", "version"),
    "policy_number": ("policy_number", "policy_id"),
    "doc_type": ("doc_type",),
    "status": ("status",),
    "superseded_by": ("superseded_by", "replaced_by"),
    "supersedes": ("supersedes", "replaces"),
    "source": ("source", "url"),
    "last_reviewed": ("last_reviewed",),
}
DATE_FIELDS = ("effective_date", "issue_date", "revision_date", "last_reviewed")
NGC_DEVELOPER_COLUMNS = ("developers", "developer")
# NGC writes each developer as "Name - Organisation type [Country]"; the type is not the name.
_NGC_DEVELOPER = re.compile(r"^(?P<name>.+?)\s+-\s+[A-Z][^;]*?(?:\s*\[[^\]]*\])?$")


@dataclass
class ManifestRow:
    label: str  # "manifest.csv line 7 (ngc-10008)": where a warning points
    fields: dict[str, str]  # our field names → values, dates in ISO form

    @property
    def digest(self) -> str:
        """Changes when the row's metadata does, so an edited row re-indexes its document."""
        return hashlib.sha256(json.dumps(self.fields, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class Sidecar:
    path: Path
    rows: dict[str, ManifestRow] = field(default_factory=dict)  # file name → row

    def row_for(self, file: Path) -> ManifestRow | None:
        return self.rows.get(file.name)


class Sidecars:
    """The sidecar of each folder, read once per sync; ``warnings`` collects (path, reason)."""

    def __init__(self, bounds: dict[str, int]):
        self.bounds = bounds
        self.folders: dict[Path, Sidecar | None] = {}
        self.warnings: list[tuple[str, str]] = []

    def row_for(self, file: Path) -> ManifestRow | None:
        folder = file.parent
        if folder not in self.folders:
            self.folders[folder] = self._read(folder)
        sidecar = self.folders[folder]
        return sidecar.row_for(file) if sidecar else None

    def _read(self, folder: Path) -> Sidecar | None:
        found = [folder / name for name in SIDECAR_NAMES if (folder / name).is_file()]
        if not found:
            return None
        path = found[0]
        for other in found[1:]:
            self.warnings.append((str(other), f"ignored: {path.name} is this folder's manifest"))
        try:
            if path.stat().st_size > MAX_SIDECAR_BYTES:
                raise ValueError(f"{path.stat().st_size / 1e6:.1f} MB is over the {MAX_SIDECAR_BYTES / 1e6:.0f} MB limit")
            text = path.read_bytes().decode("utf-8-sig")
            records = _csv_records(text) if path.suffix == ".csv" else _yaml_records(text, path.name)
        except (OSError, UnicodeDecodeError, ValueError, csv.Error, yaml.YAMLError, RecursionError, DocumentError) as exc:
            self.warnings.append((str(path), f"not read, no metadata taken from it: {exc}"))
            return None
        sidecar = Sidecar(path)
        names = {p.name for p in folder.iterdir() if p.is_file()}
        stems: dict[str, list[str]] = {}
        for name in names:
            stems.setdefault(Path(name).stem, []).append(name)
        for where, record in records:
            self._add(sidecar, where, record, names, stems)
        return sidecar

    def _add(self, sidecar: Sidecar, where: str, record: dict, names: set[str], stems: dict[str, list[str]]) -> None:
        warn = lambda reason: self.warnings.append((str(sidecar.path), f"{where}: {reason}"))
        columns = {str(k).strip().lower(): v for k, v in record.items() if k is not None}
        key = _first(columns, COLUMNS["file"])
        if key is None:
            warn(f"names no file (no {' / '.join(COLUMNS['file'])} column); row ignored")
            return
        column, name = key
        name = str(name).strip()
        label = f"{sidecar.path.name} {where} ({name})"
        warn = lambda reason: self.warnings.append((str(sidecar.path), f"{where} ({name}): {reason}"))
        if not name or Path(name).name != name:
            warn(f"{column} {name!r} is not a file name in this folder; row ignored")
            return
        files = [name] if name in names else stems.get(name, [])
        if not files:
            warn(f"{column} {name!r} names a file that is not in {sidecar.path.parent}; row ignored")
            return
        fields = self._fields(columns, warn)
        for file in files:
            if file in sidecar.rows:
                warn(f"{file} already has a row ({sidecar.rows[file].label}); this one is ignored")
                continue
            sidecar.rows[file] = ManifestRow(label, fields)

    def _fields(self, columns: dict, warn) -> dict[str, str]:
        out: dict[str, str] = {}
        for ours, theirs in COLUMNS.items():
            if ours == "file" or (found := _first(columns, theirs)) is None:
                continue
            column, value = found
            if ours in DATE_FIELDS:
                parsed = parse_date(value)
                if parsed is None:
                    warn(f"{column} {_show(value)} is not a date; no {ours} taken from it")
                    continue
                out[ours] = parsed
            elif ours == "released":
                release = parse_release(value)
                if release is None:
                    warn(f"{column} {_show(value)} is not a date; no date taken from it")
                    continue
                out["issue_date"] = out.get("issue_date") or release[0]
                if release[1]:
                    out["revision_date"] = out.get("revision_date") or release[1]
            else:
                text = re.sub(r"\s+", " ", str(value)).strip()
                if ours == "issuer" and column in NGC_DEVELOPER_COLUMNS:
                    text = ngc_developers(text)
                out[ours] = text
            bound = self.bounds.get(ours)
            if ours in out and bound and len(out[ours]) > bound:
                warn(f"{column} is {len(out[ours]):,} characters; the limit is {bound:,}; not taken")
                del out[ours]
        if "effective_date" not in out:  # this version took effect when it was revised, else issued
            effective = out.get("revision_date") or out.get("issue_date")
            if effective:
                out["effective_date"] = effective
        return out


def ngc_developers(text: str) -> str:
    """``"Department of Defense - Federal Government Agency [U.S.]; Department of Veterans Affairs -
    Federal Government Agency [U.S.]"`` → ``"Department of Defense; Department of Veterans Affairs"``."""
    names = []
    for part in text.split(";"):
        part = part.strip()
        m = _NGC_DEVELOPER.match(part)
        name = (m.group("name") if m else part).strip()
        if name and name not in names:
            names.append(name)
    return "; ".join(names)


def _first(columns: dict, names: tuple[str, ...]) -> tuple[str, object] | None:
    for name in names:
        value = columns.get(name)
        if value is not None and str(value).strip():
            return name, value
    return None


def _show(value) -> str:
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _csv_records(text: str) -> list[tuple[str, dict]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        raise ValueError("no header row")
    records = []
    for row in reader:
        records.append((f"line {reader.line_num}", {k: v for k, v in row.items() if k is not None}))
    return records


def _yaml_records(text: str, name: str) -> list[tuple[str, dict]]:
    """A list of mappings (each with a ``file`` key), or one mapping of file name → fields."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None and expanded_size(node, name) > MAX_EXPANDED_CHARS * 100:
            raise ValueError("YAML aliases expand it past the limit")
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    if isinstance(data, dict) and isinstance(data.get("files"), (list, dict)):
        data = data["files"]
    if isinstance(data, dict):
        return [(f"entry {k!r}", {"file": k, **(v if isinstance(v, dict) else {})}) for k, v in data.items()]
    if isinstance(data, list):
        return [(f"entry {i}", item if isinstance(item, dict) else {}) for i, item in enumerate(data, start=1)]
    raise ValueError("expected a list of entries or a mapping of file names to fields")
