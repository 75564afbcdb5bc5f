"""Importar: upload a file of members, cards, balances or sales; see its dry run; run it as a
background job with a progress bar; download the rejected rows; the list of past imports.

The list needs ``imports.read`` (admins and auditors); everything that touches a file (the
upload, the dry run, the run, the error files, which keep the rows as written, CPFs included)
needs ``imports.run`` (admins only). The use cases are ``server.services.import_uploads``
around the one import use case; each step is audited there.
"""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from ... import clock
from ...i18n.web import gettext as _
from ...i18n.web import language
from ...jobs.worker import queue_for
from ...security import CpfCipher
from ...services import import_uploads as uploads
from ...services.imports import ImportFileError
from ...services.roles import Perm
from .. import bp, uow
from ..access import current, require

KIND_LABELS = {
    "members": "Members", "cards": "Cards", "balances": "Opening balances",
    "sales": "Sales history",
}  # fmt: skip
MODE_LABELS = {
    "report": "Report duplicates (reject the row)",
    "merge": "Merge duplicates (update the member)",
}


def _max_bytes() -> int:
    return int(current_app.config["ADMIN_IMPORT_MAX_MB"]) * 2**20


@bp.before_app_request
def _upload_limit() -> None:
    # The app's MAX_CONTENT_LENGTH (8 MB) guards every other form; the upload may be larger.
    # App-wide hooks run before the blueprint's, whose CSRF check reads the form.
    if request.endpoint == "admin.imports_upload":
        request.max_content_length = _max_bytes() + 2**16


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: Exception) -> tuple[str, int]:
    from .. import _error, error_page

    if request.endpoint != "admin.imports_upload":  # any other form: the area's own page
        return error_page(413, exc), 413
    mb = int(current_app.config["ADMIN_IMPORT_MAX_MB"])
    return _error(413, "File too large", _("The file is larger than {mb} MB.", mb=mb)), 413


def _cipher() -> CpfCipher:
    cipher: CpfCipher = current_app.extensions["tillclub.cpf"]
    return cipher


def _page(error: str | None = None, kind: str = "members", mode: str = "report") -> str:
    with uow().reading() as s:
        past = uploads.past_imports(s)
        s.expunge_all()
    return render_template(
        "admin/imports.html",
        past=past,
        error=error,
        kind=kind,
        mode=mode,
        kinds=[(k, _(v)) for k, v in KIND_LABELS.items()],
        modes=[(k, _(v)) for k, v in MODE_LABELS.items()],
        max_mb=int(current_app.config["ADMIN_IMPORT_MAX_MB"]),
    )


@bp.get("/imports", endpoint="imports")
@require(Perm.IMPORTS_READ)
def imports_page() -> str:
    return _page()


@bp.post("/imports", endpoint="imports_upload")
@require(Perm.IMPORTS_RUN)
def imports_upload() -> Response | tuple[str, int]:
    kind = request.form.get("kind", "")
    mode = request.form.get("on_duplicate", "report")
    file = request.files.get("file")
    if file is None or not file.filename:
        return _page(_("Choose a file to upload."), kind, mode), 400
    try:
        upload = uploads.store_upload(
            current_app.config, file.stream, kind=kind, on_duplicate=mode,
            file_name=file.filename, actor=current().email, max_bytes=_max_bytes(),
            now=clock.now(),
        )  # fmt: skip
        uploads.dry_run(current_app, _cipher(), upload)
    except uploads.UploadError as exc:
        return _page(_(exc.message, **exc.values), kind, mode), 400
    except ImportFileError as exc:
        return _page(exc.text(language()), kind, mode), 400
    return redirect(url_for("admin.import_upload", token=upload.token))


def _load(token: str) -> uploads.Upload:
    try:
        return uploads.load(current_app.config, token)
    except uploads.UploadNotFound:
        abort(404)


@bp.get("/imports/<token>", endpoint="import_upload")
@require(Perm.IMPORTS_RUN)
def import_upload(token: str) -> str:
    upload = _load(token)
    with uow().reading() as s:
        st = uploads.status(s, upload)
    lang = language()
    stage = "run" if st.state == "done" else "plan"
    rejected = list(
        uploads.rejected_rows(uploads.errors_path(current_app.config, token, stage, lang))
    )
    return render_template(
        "admin/import_upload.html",
        upload=upload,
        st=st,
        stage=stage,
        rejected=rejected,
        kind_label=_(KIND_LABELS.get(upload.kind, upload.kind)),
        mode_label=_(MODE_LABELS.get(upload.on_duplicate, upload.on_duplicate)),
    )


@bp.post("/imports/<token>/run", endpoint="import_run")
@require(Perm.IMPORTS_RUN)
def import_run(token: str) -> Response:
    upload = _load(token)
    try:
        period = uploads.queue_run(current_app, upload, current().email, clock.now())
    except uploads.UploadError as exc:
        flash(_(exc.message, **exc.values), "error")
        return redirect(url_for("admin.import_upload", token=token))
    try:
        queue_for(current_app)(uploads.JOB, period)
    except Exception:  # the queue is down: the row stays queued and the next tick takes it
        current_app.logger.warning("could not enqueue an import", extra={"job": uploads.JOB})
    flash(_("Import queued; the worker starts it in a moment."), "ok")
    return redirect(url_for("admin.import_upload", token=token))


@bp.get("/imports/<token>/status.json", endpoint="import_status")
@require(Perm.IMPORTS_RUN)
def import_status(token: str) -> Response:
    upload = _load(token)
    with uow().reading() as s:
        st = uploads.status(s, upload)
    body: dict[str, Any] = {
        "state": st.state, "percent": st.percent, "rows_done": st.rows_done,
        "rows_total": st.rows_total, "counts": st.counts, "error": st.error,
        "label": _(st.state),
    }  # fmt: skip
    return jsonify(body)


@bp.get("/imports/<token>/errors-<stage>.csv", endpoint="import_errors")
@require(Perm.IMPORTS_RUN)
def import_errors(token: str, stage: str) -> Response:
    upload = _load(token)
    try:
        path = uploads.errors_path(current_app.config, token, stage, language())
    except uploads.UploadNotFound:
        abort(404)
    if not path.exists():
        abort(404)
    with uow() as u:  # the rows as written, CPFs included: who took them is on record
        u.audit("admin", current().email, "import.errors_download", "import_upload", token,
                stage=stage, kind=upload.kind, file=upload.file_name)  # fmt: skip
        u.commit()
    stem = upload.file_name.rsplit(".", 1)[0] or "import"
    name = f"{stem}-{_('errors')}-{stage}.csv"
    return send_file(path, mimetype="text/csv", as_attachment=True, download_name=name)
