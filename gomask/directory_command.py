"""What the import_finess and import_rpps commands print: counts, then each refused line."""

from django.utils.translation import gettext as _

from gomask.directory_files import ImportReport

# The first refused lines are printed; the count says how many there were in all.
MAX_PRINTED_ERRORS = 200


def write_report(command, report: ImportReport, *, what: str) -> None:
    for line_number, message in report.errors[:MAX_PRINTED_ERRORS]:
        command.stderr.write(_("ligne %(line)d : %(message)s") % {"line": line_number, "message": message})
    if report.skipped > MAX_PRINTED_ERRORS:
        command.stderr.write(
            _("… et %(count)d autres lignes refusées.") % {"count": report.skipped - MAX_PRINTED_ERRORS}
        )
    command.stdout.write(
        command.style.SUCCESS(
            _(
                "%(what)s (encodage %(encoding)s) : %(created)d créés, %(updated)d mis à jour, "
                "%(unchanged)d inchangés, %(suspended)d suspendus, %(skipped)d lignes refusées, "
                "%(ignored)d lignes hors champ ignorées."
            )
            % {
                "what": what,
                "encoding": report.encoding,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "suspended": report.suspended,
                "skipped": report.skipped,
                "ignored": report.ignored,
            }
        )
    )
