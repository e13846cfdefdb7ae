"""The answers of ``/v1/jobs`` (batch signing jobs) as JSON schema, and the job as JSON."""

from __future__ import annotations

from typing import Any

from signsvc.services.jobs import Job

_PROBLEM = {"type": ["object", "null"],
            "description": "done: null; failed: the problem+json of the failure (code, status, "
                           "title, detail, detail_vi, detail_en)",
            "properties": {"code": {"type": "string"}, "status": {"type": "integer"},
                           "title": {"type": "string"}, "detail": {"type": "string"}}}
JOB_DOCUMENT: dict[str, Any] = {
    "type": "object",
    "required": ["n", "name", "status", "input_sha256", "sha256", "level", "audit_sequence",
                 "problem"],
    "properties": {
        "n": {"type": "integer", "minimum": 1, "description": "Number in the order sent"},
        "name": {"type": "string", "description": "The file name sent (no folder)"},
        "status": {"enum": ["pending", "running", "done", "failed", "cancelled"]},
        "input_sha256": {"type": "string"},
        "sha256": {"type": ["string", "null"], "description": "SHA-256 of the signed PDF"},
        "level": {"type": ["string", "null"], "description": "The level it carries (done)"},
        "audit_sequence": {"type": ["integer", "null"],
                           "description": "The audit record of its signature"},
        "problem": _PROBLEM,
        "attempts": {"type": "integer", "description": "Times claimed by a worker (more than "
                                                      "1: a worker stopped while signing it)"},
        "download": {"type": ["string", "null"], "description": "done: its URL"},
    },
}
FOLDER_BODY: dict[str, Any] = {
    "type": "object", "required": ["folder"], "additionalProperties": False,
    "properties": {"folder": {"type": "string", "minLength": 1, "maxLength": 1000,
                              "description": "A folder under [jobs] server_folders_root, "
                                             "relative (no '..'); its *.pdf files are signed"}},
}
JOB: dict[str, Any] = {
    "type": "object",
    "required": ["id", "status", "total", "done", "failed", "cancelled", "key", "level",
                 "documents"],
    "properties": {
        "id": {"type": "string"},
        "status": {"enum": ["pending", "running", "completed", "cancelled"]},
        "total": {"type": "integer"}, "done": {"type": "integer"},
        "failed": {"type": "integer"}, "cancelled": {"type": "integer"},
        "client": {"type": "string"}, "key": {"type": "string"}, "level": {"type": "string"},
        "created_at": {"type": "number", "description": "Seconds since the epoch (UTC)"},
        "documents": {"type": "array", "items": JOB_DOCUMENT},
    },
}


def job_json(job: Job, base: str) -> dict[str, Any]:
    """The job as ``GET /v1/jobs/{id}`` answers it (``base``: the job's URL)."""
    return {
        "id": job.id, "status": job.status, "total": job.total, "done": job.count("done"),
        "failed": job.count("failed"), "cancelled": job.count("cancelled"),
        "client": job.client, "key": job.key_id, "level": job.level,
        "created_at": job.created_at,
        "documents": [{"n": d.n, "name": d.name, "status": d.state,
                       "input_sha256": d.input_sha256, "sha256": d.sha256, "level": d.level,
                       "audit_sequence": d.audit_sequence, "problem": d.problem,
                       "attempts": d.attempts,
                       "download": f"{base}/documents/{d.n}" if d.state == "done" else None}
                      for d in job.documents],
    }
