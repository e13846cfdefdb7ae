"""Lay out a validation report as a PDF (fpdf2): Vietnamese first, English second.

``render_pdf(report, issuer, font_path)`` takes the report as JSON (``as_dict()``), so a
field added to the report later (``revisions``, ``chain``) is shown when present and its
absence never fails. The text uses an embedded subset of ``font_path`` (a TrueType font
with full Vietnamese coverage: Liberation Serif 2 by default) with a ToUnicode map, so
that the text can be searched and copied with its diacritics.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from signsvc.reports import summary, texts
from signsvc.reports.model import ReportIssuer

_BLACK = (0x1b, 0x1b, 0x1b)
_GREY = (0x55, 0x55, 0x55)
_LINE = 5.0          # mm per line of body text
_KEY_WIDTH = 62.0    # mm, the label column


def _bold_path(font_path: Path) -> Path:
    """The bold face next to ``font_path`` (``…-Regular.ttf`` -> ``…-Bold.ttf``) or itself."""
    candidate = font_path.with_name(font_path.name.replace("-Regular", "-Bold"))
    return candidate if candidate != font_path and candidate.is_file() else font_path


class _Doc(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4", unit="mm")
        self._footer_text = footer_text
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=18)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("serif", "", 8)
        self.set_text_color(*_GREY)
        self.cell(0, 4, f"{self._footer_text} · {self.page_no()}/{{nb}}", align="C")


class _Writer:
    """One language's section of the report."""

    def __init__(self, pdf: _Doc, lang: str) -> None:
        self.pdf, self.lang = pdf, lang

    def t(self, key: str) -> str:
        return texts.label(key, self.lang)

    def v(self, kind: str, raw: Any) -> str:
        return texts.value(kind, raw, self.lang)

    def heading(self, text: str, size: float = 12.5) -> None:
        pdf = self.pdf
        if pdf.get_y() > pdf.h - 40:
            pdf.add_page()
        pdf.ln(2)
        pdf.set_font("serif", "B", size)
        pdf.set_text_color(*_BLACK)
        pdf.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_draw_color(*_GREY)
        pdf.line(pdf.l_margin, pdf.get_y() + 0.5, pdf.w - pdf.r_margin, pdf.get_y() + 0.5)
        pdf.ln(2)

    def row(self, key: str, text: Any, *, indent: float = 0.0) -> None:
        pdf = self.pdf
        text = "—" if text is None or text == "" else str(text)
        pdf.set_x(pdf.l_margin + indent)
        pdf.set_font("serif", "B", 9.5)
        pdf.set_text_color(*_GREY)
        y = pdf.get_y()
        pdf.multi_cell(_KEY_WIDTH - indent, _LINE, self.t(key) if key in texts.LABELS else key,
                       align="L", new_x=XPos.RIGHT, new_y=YPos.TOP)
        after_key = pdf.get_y() if pdf.get_y() != y else None
        pdf.set_xy(pdf.l_margin + _KEY_WIDTH, y)
        pdf.set_font("serif", "", 9.5)
        pdf.set_text_color(*_BLACK)
        pdf.multi_cell(0, _LINE, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if after_key is not None and after_key > pdf.get_y():
            pdf.set_y(after_key)

    def bullets(self, lines: list[str], *, indent: float = 0.0) -> None:
        pdf = self.pdf
        pdf.set_font("serif", "", 9.5)
        pdf.set_text_color(*_BLACK)
        for line in lines:
            pdf.set_x(pdf.l_margin + indent)
            pdf.multi_cell(0, _LINE, f"• {line}", align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    # -- sections -----------------------------------------------------------------------

    def title(self, report: dict) -> None:
        pdf = self.pdf
        pdf.set_font("serif", "", 9)
        pdf.set_text_color(*_GREY)
        pdf.cell(0, 4, self.t("version_note"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("serif", "B", 15)
        pdf.set_text_color(*_BLACK)
        pdf.multi_cell(0, 7.5, self.t("title"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)
        verdict = str(report.get("verdict"))
        _, rgb = texts.verdict_colour(verdict)
        pdf.set_fill_color(*rgb)
        pdf.set_text_color(255, 255, 255)
        pdf.set_font("serif", "B", 14)
        pdf.multi_cell(0, 9, f"{self.t('verdict')}: {self.v('verdict', verdict)}", align="C",
                       fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
        first = summary.first_screen(report, self.lang)
        self.lead(summary.word("why", self.lang))
        reasons = [f"{line['indication_words']} — {self.t('signature')} {line['n']} ({line['signer']}"
                   f"{', ' + line['time'] if line['time'] else ''}, {line['level']}): {line['sentence']}"
                   for line in first["lines"]]
        self.bullets(reasons + first["findings"]
                     or texts.messages(report.get("messages"), self.lang))
        self.lead(summary.word("next", self.lang))
        self.bullets(first["next_steps"])

    def lead(self, text: str) -> None:
        """A small bold heading of the first page's summary."""
        self.pdf.ln(1)
        self.pdf.set_font("serif", "B", 10.5)
        self.pdf.set_text_color(*_BLACK)
        self.pdf.cell(0, _LINE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def document(self, report: dict) -> None:
        doc = report.get("document") or {}
        self.heading(self.t("document"))
        self.row("document_sha256", doc.get("sha256"))
        self.row("size", f"{doc.get('size')} {self.t('bytes')}")
        self.row("revisions_count", doc.get("revisions"))
        self.row("status", self.v("status", doc.get("status")))
        self.row("signatures_count", len(report.get("signatures") or []))

    def validation(self, report: dict, issuer: ReportIssuer) -> None:
        self.heading(self.t("validation"))
        self.row("validated_at", summary.when(report.get("validated_at")))
        self.row("tool", f"{issuer.tool} {issuer.version}")
        self.row("policy", report.get("policy_sha256"))
        self.row("policy_version", report.get("policy_version"))
        self.row("anchors", issuer.trust_name)
        self.row("anchors_sha256", report.get("trust_anchors_sha256"))
        for anchor in issuer.anchors:
            self.row("anchor", f"{anchor.subject}\nSHA-256: {anchor.sha256}", indent=4)

    def signature(self, n: int, sig: dict) -> None:
        signer = sig.get("signer") or {}
        self.heading(f"{self.t('signature')} {n}: {sig.get('field')}", size=11.5)
        self.row("signer", signer.get("common_name"))
        self.row("subject", signer.get("subject"))
        if signer.get("organization"):
            self.row("organization", signer.get("organization"))
        self.row("serial", signer.get("serial"))
        self.row("certificate_sha256", signer.get("certificate_sha256"))
        validity = signer.get("certificate_validity") or {}
        if validity:
            self.row("certificate_validity", f"{summary.when(validity.get('not_before'))} → "
                                             f"{summary.when(validity.get('not_after'))}")
        self.row("chain", self._chain_words(sig, signer))
        algo = sig.get("algorithm") or {}
        if algo:
            self.row("algorithm", ", ".join(str(x) for x in (algo.get("signature"), algo.get("digest"),
                                                             algo.get("padding")) if x))
        self.row("signing_time", summary.when(sig.get("signing_time")) or "—")
        ts = sig.get("timestamp")
        self.row("timestamp", self._timestamp_words(ts) if ts else self.t("no_timestamp"))
        if isinstance(ts, dict) and ts.get("chain"):
            self.row("tsa_chain", texts.chain_text(ts["chain"], self.lang,
                                                   ends_at_anchor=ts.get("chain_ends_at_anchor")), indent=4)
        revocation = self.v("revocation", sig.get("revocation"))
        if sig.get("revocation_time"):
            revocation += f" ({self.t('revocation_time')}: {summary.when(sig['revocation_time'])})"
        self.row("revocation", revocation)
        self.row("level", sig.get("level"))
        rows = summary.signature_rows(sig, self.lang)
        self.row("indication", rows["indication"][0])
        self.row("intact", rows["intact"][0])
        self.row("crypto_valid", rows["crypto_valid"][0])
        self.row("coverage", self.v("coverage", sig.get("coverage")))
        self.row("modifications", rows["modifications"][0])
        if sig.get("revision") is not None:
            self.row("revision", sig.get("revision"))
        if sig.get("byte_range"):
            self.row("byte_range", " ".join(str(x) for x in sig["byte_range"]))
        found = texts.messages(sig.get("messages"), self.lang)
        if found:
            self.row("messages", "")
            self.bullets(found, indent=4)

    def _chain_words(self, sig: dict, signer: dict) -> str:
        chain = sig.get("chain")
        if isinstance(chain, list) and chain:
            path = texts.chain_text(chain, self.lang, ends_at_anchor=sig.get("chain_ends_at_anchor"))
        else:
            path = f"{signer.get('common_name') or signer.get('subject') or '?'} → " \
                   f"{signer.get('issuer_common_name') or signer.get('issuer') or '?'}"
        return f"{path}\n{self.t('trusted')}: {summary.signature_rows(sig, self.lang)['trusted'][0]}"

    def _timestamp_words(self, ts: dict) -> str:
        return (f"{summary.when(ts.get('time'))} — {self.t('tsa')}: {ts.get('tsa')} — "
                f"{self.v('bool', ts.get('valid'))}")

    def document_timestamps(self, report: dict) -> None:
        stamps = report.get("document_timestamps") or []
        if not stamps:
            return
        self.heading(self.t("doc_timestamps"))
        for ts in stamps:
            self.row("field", ts.get("field"))
            self.row("timestamp", self._timestamp_words(ts), indent=4)
            if ts.get("chain"):
                self.row("tsa_chain", texts.chain_text(ts["chain"], self.lang,
                                                       ends_at_anchor=ts.get("chain_ends_at_anchor")), indent=4)
            self.row("coverage", self.v("coverage", ts.get("coverage")), indent=4)
            self.row("modifications", self.v("modifications", ts.get("modifications")), indent=4)

    def revisions(self, report: dict) -> None:
        revisions = report.get("revisions")
        if not isinstance(revisions, list) or not revisions:
            return
        self.heading(self.t("revisions"))
        for rev in revisions:
            if not isinstance(rev, dict):
                continue
            summary = rev.get("summary")
            line = summary.get("en" if self.lang == "en" else "vi") if isinstance(summary, dict) else None
            self.row(f"{self.t('revision_number')} {rev.get('number')}", line or "")
            self.row("end_offset", rev.get("end_offset"), indent=4)
            self.row("SHA-256", rev.get("sha256"), indent=4)
            names = [*(rev.get("signatures") or []), *(rev.get("document_timestamps") or [])]
            if names:
                self.row("revision_signatures", ", ".join(map(str, names)), indent=4)
            self.row("added", texts.added_words(rev.get("added"), self.lang), indent=4)

    def closing(self) -> None:
        pdf = self.pdf
        pdf.ln(4)
        pdf.set_font("serif", "", 8.5)
        pdf.set_text_color(*_GREY)
        pdf.multi_cell(0, 4.2, self.t("report_signed"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_pdf(report: dict, issuer: ReportIssuer, font_path: Path | str) -> bytes:
    """The unsigned PDF report of ``report`` (Vietnamese section, then English section).

    Guarantees: the first page says the verdict, one reason per signature (its ETSI
    indication in words, signer, time, level and the validator's conclusion) and what to do
    next (``signsvc.reports.summary``, as the HTML page); every signature of the report is
    listed with its signer, chain (each
    certificate from the signer's to the anchor, the anchor marked, or the sentence that
    the path ends without one), timestamp (with the TSA's chain),
    revocation, level, indication, coverage and messages; the tool, policy SHA-256 and
    version, trust anchors (name, set SHA-256, each anchor's subject and SHA-256) and the
    validation time are stated; ``revisions`` and ``document_timestamps`` when present.
    """
    font_path = Path(font_path)
    pdf = _Doc(footer_text=f"{issuer.tool} {issuer.version} · "
                           f"{(report.get('document') or {}).get('sha256', '')[:16]}…")
    pdf.add_font("serif", "", str(font_path))
    pdf.add_font("serif", "B", str(_bold_path(font_path)))
    pdf.set_title(texts.label("title", "vi"))
    pdf.set_author(f"{issuer.tool} {issuer.version}")
    pdf.set_creator(f"{issuer.tool} {issuer.version}")
    pdf.set_lang("vi")
    pdf.alias_nb_pages()
    for lang in texts.LANGS:
        pdf.add_page()
        w = _Writer(pdf, lang)
        w.title(report)
        w.document(report)
        w.validation(report, issuer)
        for n, sig in enumerate(report.get("signatures") or [], start=1):
            w.signature(n, sig)
        w.document_timestamps(report)
        w.revisions(report)
        w.closing()
    return bytes(pdf.output())
