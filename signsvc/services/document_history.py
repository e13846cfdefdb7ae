"""What an official signed: the documents they signed and every version of a document.

A document's versions are not stored one by one: each signature is an incremental update
(SIG-6), so every earlier version is a prefix of the current content. The audit log says
which hashes the versions had (``signing:document:signed`` records, input → output, with
the document's id); a version's bytes are the prefix of the current content whose SHA-256
is that hash, found at an ``%%EOF`` marker. A version is offered for download only when
such a prefix exists and hashes exactly to the recorded value.

"Verdict now" is a fresh validation of each version (kept for ``verdict_ttl`` seconds per
SHA-256, so that reopening the page does not validate again); who signed, when (the
timestamp's time, else the claimed signing time, else the time the log recorded) and the
level reached come from that validation of the signature the version added.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from signsvc import errors
from signsvc.audit_tags import AuditTag
from signsvc.errors import Message, SignsvcError
from signsvc.names import AuditOutcome, Verdict
from signsvc.services.audit_service import AuditService
from signsvc.services.auditing import audit
from signsvc.services.context import RequestContext
from signsvc.sessions.model import StoredDocument
from signsvc.times import parse_moment

SIGNED_ACTION = AuditTag.SIGNING_DOCUMENT_SIGNED
_EOF = re.compile(rb"%%EOF")
_WHITESPACE = b" \t\r\n\x00\x0c"


@dataclass(frozen=True)
class DocumentVersion:
    """One version of a document. Version 1 is the document as created (``account`` is its
    creator); a later one was made by a signature (``account``: the official whose session
    or upload made it; ``signer``: the certificate's common name)."""

    revision: int
    sha256: str
    account: str | None
    signer: str | None
    moment: datetime | None
    time_source: str            # timestamp | claimed | recorded | created
    level: str | None           # level reached by the signature this version added
    verdict: str                # valid | valid_modified_after | invalid | indeterminate | unsigned
    available: bool             # its exact bytes can be downloaded


def prefix_lengths(content: bytes, wanted: set[str]) -> dict[str, int]:
    """For each hash in ``wanted`` that is the SHA-256 of a prefix of ``content`` ending
    after an ``%%EOF`` marker (and any whitespace following it), or of the whole content:
    that prefix's length. One pass over ``content``."""
    ends: set[int] = {len(content)}
    for match in _EOF.finditer(content):
        end = match.end()
        ends.add(end)
        while end < len(content) and end - match.end() < 64 and content[end] in _WHITESPACE:
            end += 1
            ends.add(end)
    found: dict[str, int] = {}
    hasher = hashlib.sha256()
    view = memoryview(content)
    position = 0
    for end in sorted(ends):
        hasher.update(view[position:end])
        position = end
        digest = hasher.hexdigest()
        if digest in wanted and digest not in found:
            found[digest] = end
    return found


class DocumentHistory:
    """The documents an official signed and each document's versions (see module doc)."""

    def __init__(self, store: Any, visible: Callable[[RequestContext, str], StoredDocument],
                 audit_service: AuditService, validate: Callable[[bytes], Any],
                 verdict_ttl: float = 300.0) -> None:
        self._store = store
        self._visible = visible
        self._audit = audit_service
        self._validate = validate
        self._ttl = verdict_ttl
        self._checked: dict[str, tuple[float, dict[str, Any]]] = {}

    def signed(self, ctx: RequestContext) -> list[StoredDocument]:
        """Documents assigned to the caller that are signed, most recently signed first."""
        docs = self._store.documents_for(ctx.actor or "", "signed")
        return sorted(docs, key=lambda d: d.updated_at, reverse=True)

    def _chain(self, doc: StoredDocument) -> list[tuple[int, str, Any]]:
        """(revision, sha256, the audit record that made it or None), newest first, as far
        back as the audit log links the hashes (down to version 1)."""
        chain: list[tuple[int, str, Any]] = []
        sha = doc.sha256
        for revision in range(doc.revision, 1, -1):
            records = [r for r in self._audit.list(document_sha256=sha, action=SIGNED_ACTION,
                                                   limit=1000)
                       if r.output_sha256 == sha and r.outcome == AuditOutcome.SUCCESS
                       and r.details.get("document_id") == doc.id and r.input_sha256]
            if not records:
                chain.append((revision, sha, None))
                return chain            # the log does not link further back
            chain.append((revision, sha, records[-1]))
            sha = records[-1].input_sha256 or ""
        chain.append((1, sha, None))
        return chain

    def _facts(self, sha: str, data: bytes | None) -> dict[str, Any]:
        """Verdict, and the added signature's signer, time and level, of the version with
        this hash (validated afresh after ``verdict_ttl`` seconds)."""
        kept = self._checked.get(sha)
        if kept is not None and kept[0] > time.monotonic():
            return kept[1]
        facts: dict[str, Any] = {"verdict": Verdict.INDETERMINATE}
        if data is not None:
            try:
                report = self._validate(data)
            except SignsvcError:
                report = None
            if report is not None:
                facts["verdict"] = report.verdict
                if report.signatures:
                    last = max(report.signatures,
                               key=lambda s: sum(s.byte_range[2:]) if s.byte_range else 0)
                    stamp = last.timestamp.time if last.timestamp else None
                    facts.update(signer=last.signer.common_name if last.signer else None,
                                 level=last.level if last.level != "none" else None,
                                 moment=stamp or last.signing_time,
                                 time_source="timestamp" if stamp else "claimed")
        if len(self._checked) >= 256:
            self._checked.clear()
        self._checked[sha] = (time.monotonic() + self._ttl, facts)
        return facts

    def versions(self, ctx: RequestContext, doc_id: str) -> tuple[StoredDocument, list[DocumentVersion]]:
        """The document (if the caller may see it) and its versions, newest first."""
        doc = self._visible(ctx, doc_id)
        content = self._store.document_content(doc.id) or b""
        chain = self._chain(doc)
        lengths = prefix_lengths(content, {sha for _, sha, _ in chain})
        out = []
        for revision, sha, record in chain:
            data = content[:lengths[sha]] if sha in lengths else None
            facts = self._facts(sha, data) if revision > 1 or data is not None else {}
            if revision == 1:
                out.append(DocumentVersion(1, sha, doc.created_by, None, parse_moment(doc.created_at),
                                           "created", None, facts.get("verdict", Verdict.UNSIGNED),
                                           data is not None))
                continue
            moment = facts.get("moment") or (parse_moment(record.time) if record else None)
            out.append(DocumentVersion(
                revision, sha, record.actor if record else None, facts.get("signer"), moment,
                facts.get("time_source", "recorded") if facts.get("moment") else "recorded",
                facts.get("level") or (record.level if record else None),
                facts.get("verdict", Verdict.INDETERMINATE), data is not None))
        return doc, out

    def version_content(self, ctx: RequestContext, doc_id: str,
                        revision: int) -> tuple[StoredDocument, bytes]:
        """The exact bytes of version ``revision`` (audited as a download); 404 when the
        document has no such version or its bytes cannot be recovered."""
        doc = self._visible(ctx, doc_id)
        content = self._store.document_content(doc.id) or b""
        if revision == doc.revision:
            data: bytes | None = content
            sha = doc.sha256
        else:
            shas = {rev: sha for rev, sha, _ in self._chain(doc)}
            sha = shas.get(revision, "")
            length = prefix_lengths(content, {sha}).get(sha) if sha else None
            data = content[:length] if length is not None else None
        if data is None:
            raise errors.NotFound(Message(f"Không có bản lưu của phiên bản {revision}.",
                                          f"Version {revision} is not available."))
        audit(self._audit, ctx, AuditTag.DOCUMENTS_DOCUMENT_DOWNLOADED, AuditOutcome.SUCCESS,
              output_sha256=sha,
              details={"document_id": doc.id, "revision": revision})
        return doc, data
