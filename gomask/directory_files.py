"""Reading the national directory extractions (FINESS, RPPS) and reporting on an import.

Both are large delimited text files whose encoding has changed over the years (FINESS was
published in ISO-8859-1, the RPPS "PS_LibreAcces" files in UTF-8, with or without a byte-order
mark). The encoding is detected, not assumed: a file that decodes as UTF-8 from end to end is
UTF-8 (a Latin-1 file with any accented letter never does), anything else is read as
Windows-1252, the superset of Latin-1 that French tools write.
"""

import codecs
import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction

_CHUNK = 1 << 20


class DirectoryFileError(Exception):
    """The file cannot be read as the expected extraction (missing, wrong layout)."""


def detect_encoding(path: Path) -> str:
    """`utf-8-sig` when the whole file is valid UTF-8 (a BOM, if any, is dropped), else `cp1252`."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    except OSError as error:
        raise DirectoryFileError(f"{path}: {error.strerror or error}") from error
    return "utf-8-sig"


def read_delimited(
    path: Path, *, delimiter: str, encoding: str, quoted: bool
) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for each non-empty line; line numbers count from 1 as an editor does.

    With `quoted`, fields may be quoted, inner quotes doubled (as FINESS writes a name holding
    quotes); the RPPS files quote nothing, so a quote there is a plain character.
    Bytes that Windows-1252 leaves undefined are replaced rather than failing the whole file.
    """
    quoting = csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter, quotechar='"', quoting=quoting, strict=False)
        previous_line = 0
        for cells in reader:
            line_number = previous_line + 1
            previous_line = reader.line_num
            if any(cell.strip() for cell in cells):
                yield line_number, cells


@dataclass
class ImportReport:
    """What an import did: counts, and each refused line with its number and reason."""

    encoding: str = ""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    suspended: int = 0
    # Lines outside the import's scope (another category of establishment, another profession).
    ignored: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.errors)

    def skip(self, line_number: int, message: str) -> None:
        self.errors.append((line_number, str(message)))


# Errors a record can meet when written; reported against its line, the others still written.
WRITE_ERRORS = (DatabaseError, ValidationError)


def create_in_batches(
    records: list[tuple[int, models.Model]],
    report: ImportReport,
    *,
    refusal: Callable[[Exception], str],
    batch_size: int = 1000,
) -> None:
    """Insert new records (line number, unsaved instance) a batch per transaction.

    A batch that fails is retried one record per transaction, so that only the faulty lines
    are refused (with `refusal(error)`) and none is half-written. One transaction per record
    throughout would make the first national import take hours.
    """
    for start in range(0, len(records), batch_size):
        batch = records[start : start + batch_size]
        model = type(batch[0][1])
        try:
            with transaction.atomic():
                model.objects.bulk_create([instance for _, instance in batch])
        except WRITE_ERRORS:
            for line_number, instance in batch:
                instance.pk = None
                try:
                    with transaction.atomic():
                        instance.save(force_insert=True)
                except WRITE_ERRORS as error:
                    report.skip(line_number, refusal(error))
                else:
                    report.created += 1
        else:
            report.created += len(batch)


def update_changed(instance: models.Model, fields: dict, *, also_save: tuple[str, ...] = ()) -> str:
    """Set `fields` on a saved instance and save those that changed: "updated" or "unchanged"."""
    changed = [name for name, value in fields.items() if getattr(instance, name) != value]
    if not changed:
        return "unchanged"
    for name in changed:
        setattr(instance, name, fields[name])
    with transaction.atomic():
        instance.save(update_fields=[*changed, *also_save])
    return "updated"
