"""What a filed report states besides the validation report itself."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Anchor:
    subject: str
    sha256: str


@dataclass(frozen=True)
class ReportIssuer:
    """The tool and the trust store behind every report this service issues.

    ``trust_sha256`` is the same digest as the report's ``trust_anchors_sha256`` (see
    ``signsvc.validation.trust.anchors_digest``); ``anchors`` lists the set it is made of.
    """

    tool: str
    version: str
    trust_name: str
    trust_sha256: str
    anchors: tuple[Anchor, ...]

    def as_dict(self) -> dict:
        return {"tool": self.tool, "version": self.version,
                "trust_anchors": {"name": self.trust_name, "sha256": self.trust_sha256,
                                  "anchors": [{"subject": a.subject, "sha256": a.sha256}
                                              for a in self.anchors]}}


@dataclass(frozen=True)
class IssuedReport:
    """A signed PDF report: its bytes and what identifies it."""

    data: bytes
    sha256: str
    level: str
    key_id: str
    document_sha256: str
    verdict: str
    audit_sequence: int
