"""`peerkit build`'s report stage: out/tally/ and out/report/ from one read of the data."""

from __future__ import annotations

from peerkit.model import Folder
from peerkit.output import BuildOptions, Output
from peerkit.report.content import gather
from peerkit.report.page import report_files, tally_files


def report_step(folder: Folder, options: BuildOptions) -> Output:
    """`peerkit build`: out/tally/ when responses/ has exports, and out/report/ when there
    are responses or attendance; the exports are read and tallied once for both."""

    from peerkit.attendance import load_attendance
    from peerkit.responses import load_responses

    result = Output()
    # read once for the whole build: no second look at the files
    responses, attendance_read = load_responses(folder), load_attendance(folder)
    exports = responses.exports or responses.problems
    attendance = attendance_read.records or attendance_read.problems
    if not exports and not attendance:
        result.notes.append("no survey exports and no attendance.csv yet; skipped")
        return result
    inputs = gather(folder, now=options.now)
    result.problems.extend(inputs.problems)
    if exports:
        result.files.update(tally_files(folder, inputs.tally))
        for survey in inputs.tally.surveys:
            count = "withheld" if survey.respondents is None else survey.respondents
            result.notes.append(
                f"{survey.survey}: {count} response(s) from {len(survey.files)} file(s)"
            )
    else:
        result.notes.append("no survey exports in responses/; no tally")
    result.files.update(report_files(folder, inputs.report, problems=result.problems))
    result.notes.append(f"{len(inputs.tally.at_risk)} match(es) need attention")
    return result
