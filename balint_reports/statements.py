"""The `evidence` command's work: one trainee's statement from a month folder, on demand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .config import load_config
from .errors import OutputError
from .evidence import changed_files, evidence_files, read_run_record
from .lock import locked
from .pipeline import build_report
from .ruleset import load_rulesets
from .values import fold_name


def statement_for(report_dir: Path, trainee_id: str, inbox: Path | None = None) -> Path:
    """Write REPORT_DIR/evidence/<id>.html and .json for one trainee, reading the inbox again.

    The month folder's run.json says what the run read; the inbox is read again with the same
    config and rulesets, and refused if any file differs, so the statement matches the report.
    """
    record = read_run_record(report_dir)
    source = inbox or (Path(record["inbox"]) if record.get("inbox") else None)
    if source is None or not source.is_dir():
        raise OutputError(
            f"the inbox this report read ({source}) is not there: give its new place with --inbox"
        )
    config = load_config(Path(record["config"]) if record.get("config") else None)
    rulesets = load_rulesets(tuple(record.get("rules", ())))
    as_of = dt.date.fromisoformat(record["as_of"])
    wanted = trainee_id.strip()
    with locked(report_dir.parent):
        result = build_report(
            source,
            as_of,
            config,
            rulesets,
            skip=(report_dir.parent,),
            evidence_for=frozenset({wanted}),
        )
        changed = changed_files(record, result)
        if changed:
            shown = ", ".join(changed[:3]) + (", …" if len(changed) > 3 else "")
            raise OutputError(
                f"{len(changed)} file(s) in {source} changed since the {report_dir.name} report "
                f"was written ({shown}): run the month again, then ask for the evidence"
            )
        found = {t.trainee_id.casefold(): t.trainee_id for t in result.trainees}.get(
            wanted.casefold()
        )
        if found is None or found not in result.evidence:
            named = [t for t in result.trainees if fold_name(t.name) == fold_name(wanted)]
            hint = (
                f": {named[0].name}'s id is {named[0].trainee_id}, give that"
                if named
                else ": give the trainee's id as the register has it (e.g. T07)"
            )
            raise OutputError(
                f"{wanted}: no such trainee in the {report_dir.name} report's register{hint}"
            )
        files = evidence_files({found: result.evidence[found]})
        for path, data in files.items():
            (report_dir / path).parent.mkdir(parents=True, exist_ok=True)
            (report_dir / path).write_bytes(data)
    return report_dir / next(path for path in files if path.endswith(".html"))
