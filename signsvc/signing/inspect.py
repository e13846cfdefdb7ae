"""Inspect a parsed PDF for active or hidden content: the document facts of the security policy.

:func:`inspect_pdf` guarantees:

* **Read-only.** It only reads the parsed document through the given pyHanko reader; it
  writes nothing, fetches nothing and keeps no state between calls.
* **Bounded.** It dereferences at most :data:`MAX_OBJECTS` containers, descends at most
  :data:`MAX_DEPTH` levels into a tree (pages, name trees, form fields, outlines) and visits
  each indirect object at most once per kind of walk, so reference cycles (``/Next``
  pointing back, ``/Kids`` containing an ancestor, ``1 0 R`` holding ``1 0 R``) terminate.
  Walks use explicit stacks, never Python recursion. When a limit cuts a walk short,
  ``truncated`` is True: the facts may then be incomplete and a strict policy should refuse.
* **Pages are counted, never materialised.** The page tree is walked with a counter; a
  page's kids are dereferenced one at a time as the walk reaches them, and the walk stops as
  soon as the count passes ``max_pages`` (then ``pages`` is ``max_pages + 1`` or the declared
  /Count, and ``truncated`` is True), so a 100 000-page file costs no more than the limit.
* **Never raises** on odd structures: an entry of the wrong type, a dangling reference or an
  object pyHanko cannot parse is skipped.
* **Where it looks.** JavaScript and Launch actions in the catalog ``/OpenAction`` and
  ``/AA``, the ``/Names /JavaScript`` name tree, page ``/AA``, annotation ``/A`` and ``/AA``,
  form field ``/A`` and ``/AA``, outline items' ``/A``, and every action chained from those
  through ``/Next`` (one action or an array). An action counts as JavaScript when its ``/S``
  is ``/JavaScript`` or it has a ``/JS`` key, as a launch when ``/S`` is ``/Launch``.
  Embedded files: the ``/Names /EmbeddedFiles`` name tree and ``/FileAttachment``
  annotations. XFA: ``/AcroForm /XFA`` present. Signature fields: AcroForm fields (through
  ``/Kids``) whose own or inherited ``/FT`` is ``/Sig``, filled or not.

An object reached from several places is reported at the first place only; locations are
de-duplicated and kept in the order found. Names taken from the file (field and attachment
names) are cut to :data:`MAX_NAME` characters with non-printable characters replaced by ``?``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

from pyhanko.pdf_utils import generic

MAX_OBJECTS = 100_000
MAX_DEPTH = 50
MAX_NAME = 200
_MAX_HOPS = 32  # indirect references to indirect references, followed for plain values


@dataclass(frozen=True)
class DocumentFacts:
    """What the security policy needs to know about a document (see the module docstring)."""

    size: int                          # bytes
    pages: int                         # page leaves found, or the root /Count if larger
    encrypted: bool
    strict: bool                       # pyHanko could read it in strict mode
    javascript: tuple[str, ...]        # where found, e.g. "/OpenAction", "page 1 /AA"
    launch_actions: tuple[str, ...]
    embedded_files: tuple[str, ...]    # file names (EmbeddedFiles tree, FileAttachment annotations)
    xfa: bool
    signature_fields: int              # existing signature fields, filled or not
    truncated: bool = False            # a work limit stopped the inspection: facts may be incomplete

    def as_dict(self) -> dict[str, Any]:
        """The facts as JSON-able values (tuples become lists)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else v
        return out


def encrypted_facts(size: int) -> DocumentFacts:
    """Facts of an encrypted document, which is not inspected: everything empty or 0."""
    return DocumentFacts(size=size, pages=0, encrypted=True, strict=False, javascript=(),
                         launch_actions=(), embedded_files=(), xfa=False, signature_fields=0)


def inspect_pdf(reader, *, size: int, strict: bool, max_pages: int = 100_000) -> DocumentFacts:
    """Facts of the opened, not encrypted document ``reader`` (a pyHanko ``PdfFileReader``,
    e.g. ``IncrementalPdfFileWriter.prev``). ``size`` and ``strict`` are passed through; pages
    past ``max_pages`` are not read. Never raises for anything found in the document; bounded
    work (module docstring)."""
    w = _Walk(max_pages)
    root = w.root(reader)
    pages, xfa = 0, False
    if root is not None:
        for step in (w.catalog_actions, w.names, w.pages, w.acroform, w.outlines):
            try:
                step(root)
            except Exception:
                pass
        pages = max(w.page_count, w.declared_pages(root))
        xfa = w.xfa
    return DocumentFacts(size=size, pages=pages, encrypted=False, strict=strict,
                         javascript=_unique(w.javascript), launch_actions=_unique(w.launch),
                         embedded_files=_unique(w.files), xfa=xfa,
                         signature_fields=w.sig_fields, truncated=w.truncated)


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        return None
    value = "".join(c if c.isprintable() else "?" for c in value[:MAX_NAME])
    return value or None


class _Walk:
    """One inspection: the budget, the visited sets and the findings."""

    def __init__(self, max_pages: int = 100_000) -> None:
        self.max_pages = max_pages
        self.visited: set[tuple[str, int, int]] = set()
        self.budget = MAX_OBJECTS
        self.truncated = False
        self.javascript: list[str] = []
        self.launch: list[str] = []
        self.files: list[str] = []
        self.xfa = False
        self.sig_fields = 0
        self.page_count = 0

    # -- access -----------------------------------------------------------------------
    @property
    def exhausted(self) -> bool:
        if self.budget <= 0:
            self.truncated = True
        return self.budget <= 0

    def node(self, raw: Any, kind: str) -> Any:
        """Dereference a container to walk; None when seen before for ``kind``, broken or
        over budget. Follows chains of references one hop at a time."""
        if self.exhausted:
            return None
        self.budget -= 1
        try:
            hops = 0
            while isinstance(raw, generic.IndirectObject):
                key = (kind, raw.idnum, raw.generation)
                if key in self.visited or hops > _MAX_HOPS:
                    return None
                self.visited.add(key)
                raw = raw.get_pdf_handler().get_object(raw.reference)
                hops += 1
            return raw
        except Exception:
            return None

    @staticmethod
    def value(raw: Any) -> Any:
        """Dereference a plain value (name, string, number), without visited tracking."""
        try:
            for _ in range(_MAX_HOPS):
                if not isinstance(raw, generic.IndirectObject):
                    return raw
                raw = raw.get_pdf_handler().get_object(raw.reference)
        except Exception:
            pass
        return None

    @staticmethod
    def raw(container: Any, key: Any) -> Any:
        """The raw (undereferenced) entry ``key`` of a dict or array, or None."""
        try:
            value = container.raw_get(key)
        except Exception:
            return None
        return None if isinstance(value, generic.NullObject) else value

    def get(self, d: Any, key: str) -> Any:
        """The dereferenced entry ``key`` of a dict; None when absent, null or unreadable."""
        if not isinstance(d, generic.DictionaryObject):
            return None
        value = self.value(self.raw(d, key))
        return None if isinstance(value, generic.NullObject) else value

    def items(self, arr: Any) -> Iterator[Any]:
        """Raw items of an array, stopping when the budget runs out."""
        if isinstance(arr, generic.ArrayObject):
            for i in range(len(arr)):
                if self.exhausted:
                    return
                yield self.raw(arr, i)

    def dicts(self, arr_raw: Any, kind: str) -> list[generic.DictionaryObject]:
        """The not yet visited dictionaries of an array (e.g. ``/Kids``)."""
        arr = self.node(arr_raw, kind + "[]")
        return [d for d in (self.node(r, kind) for r in self.items(arr))
                if isinstance(d, generic.DictionaryObject)]

    def root(self, reader: Any) -> generic.DictionaryObject | None:
        try:
            root = self.node(reader.trailer_view.raw_get("/Root"), "catalog")
        except Exception:
            return None
        return root if isinstance(root, generic.DictionaryObject) else None

    def deeper(self, depth: int) -> bool:
        if depth > MAX_DEPTH:
            self.truncated = True
            return False
        return True

    # -- actions ----------------------------------------------------------------------
    def actions(self, raw: Any, where: str) -> None:
        """Record JavaScript and Launch actions in the action ``raw`` and its ``/Next`` chain
        (iterative; long chains are bounded by the object budget, not the depth)."""
        stack: list[tuple[Any, str, bool]] = [(raw, where, False)]
        while stack:
            raw, where, array_ok = stack.pop()
            act = self.node(raw, "action")
            if array_ok and isinstance(act, generic.ArrayObject):
                stack.extend((item, where, False) for item in reversed(list(self.items(act))))
                continue
            if not isinstance(act, generic.DictionaryObject):
                continue  # e.g. an /OpenAction destination array
            kind = self.get(act, "/S")
            if kind == "/JavaScript" or "/JS" in act:
                self.javascript.append(where)
            if kind == "/Launch":
                self.launch.append(where)
            nxt = self.raw(act, "/Next")
            if nxt is not None:
                stack.append((nxt, where if where.endswith(" /Next") else where + " /Next", True))

    def additional_actions(self, raw: Any, where: str) -> None:
        """Every trigger of an additional-actions (``/AA``) dictionary."""
        aa = self.node(raw, "aa")
        if isinstance(aa, generic.DictionaryObject):
            for trigger in list(aa.keys()):
                self.actions(self.raw(aa, trigger), where)

    def action_entries(self, d: generic.DictionaryObject, where: str, aa_where: str) -> None:
        if "/A" in d:
            self.actions(self.raw(d, "/A"), where)
        if "/AA" in d:
            self.additional_actions(self.raw(d, "/AA"), aa_where)

    # -- document parts ---------------------------------------------------------------
    def catalog_actions(self, root: generic.DictionaryObject) -> None:
        if "/OpenAction" in root:
            self.actions(self.raw(root, "/OpenAction"), "/OpenAction")
        if "/AA" in root:
            self.additional_actions(self.raw(root, "/AA"), "/AA")

    def name_tree(self, raw: Any, kind: str) -> Iterator[tuple[Any, Any]]:
        """(key, raw value) pairs of a name tree, through ``/Kids``."""
        first = self.node(raw, kind)
        stack = [(first, 0)] if isinstance(first, generic.DictionaryObject) else []
        while stack:
            node, depth = stack.pop()
            names = self.node(self.raw(node, "/Names"), kind + "/Names")
            pairs = list(self.items(names))
            for i in range(0, len(pairs) - 1, 2):
                yield self.value(pairs[i]), pairs[i + 1]
            if "/Kids" in node and self.deeper(depth + 1):
                kids = self.dicts(self.raw(node, "/Kids"), kind)
                stack.extend((kid, depth + 1) for kid in reversed(kids))

    def names(self, root: generic.DictionaryObject) -> None:
        names = self.node(self.raw(root, "/Names"), "names")
        if not isinstance(names, generic.DictionaryObject):
            return
        for _key, value in self.name_tree(self.raw(names, "/JavaScript"), "js-tree"):
            self.actions(value, "/Names/JavaScript")
        for key, value in self.name_tree(self.raw(names, "/EmbeddedFiles"), "file-tree"):
            self.files.append(self.file_name(value) or _text(key) or "(unnamed embedded file)")

    def file_name(self, raw: Any) -> str | None:
        """The file name of a file specification (a dictionary or a plain string)."""
        spec = self.value(raw)
        if isinstance(spec, generic.DictionaryObject):
            for key in ("/UF", "/F", "/Unix", "/DOS", "/Mac"):
                name = _text(self.get(spec, key))
                if name:
                    return name
            return None
        return _text(spec)

    def declared_pages(self, root: generic.DictionaryObject) -> int:
        count = self.get(self.value(self.raw(root, "/Pages")), "/Count")
        return int(count) if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 0

    def pages(self, root: generic.DictionaryObject) -> None:
        """Walk the page tree with a counter: kids are kept as raw references and each is
        dereferenced only when popped; stop once the count passes ``max_pages``."""
        stack: list[tuple[Any, int]] = [(self.raw(root, "/Pages"), 0)]
        while stack:
            raw, depth = stack.pop()
            node = self.node(raw, "page")
            if not isinstance(node, generic.DictionaryObject):
                continue
            kind = self.get(node, "/Type")
            if kind == "/Pages" or (kind != "/Page" and "/Kids" in node):
                if self.deeper(depth + 1):
                    kids = list(self.items(self.node(self.raw(node, "/Kids"), "page[]")))
                    stack.extend((kid, depth + 1) for kid in reversed(kids))
                continue
            self.page_count += 1
            if self.page_count > self.max_pages:
                self.truncated = True  # the rest of the document is not inspected
                return
            self.page(node, self.page_count)

    def page(self, page: generic.DictionaryObject, number: int) -> None:
        if "/AA" in page:
            self.additional_actions(self.raw(page, "/AA"), f"page {number} /AA")
        where = f"annotation on page {number}"
        for annot in self.dicts(self.raw(page, "/Annots"), "annot"):
            self.action_entries(annot, where, where)
            if self.get(annot, "/Subtype") == "/FileAttachment":
                self.files.append(self.file_name(self.raw(annot, "/FS"))
                                  or _text(self.get(annot, "/Contents"))
                                  or f"attachment on page {number}")

    def acroform(self, root: generic.DictionaryObject) -> None:
        form = self.node(self.raw(root, "/AcroForm"), "acroform")
        if not isinstance(form, generic.DictionaryObject):
            return
        self.xfa = self.get(form, "/XFA") is not None
        # (field, depth, inherited /FT, parent's full name, is a /Fields entry)
        stack = [(f, 0, None, "", True) for f in reversed(self.dicts(self.raw(form, "/Fields"), "field"))]
        while stack:
            field, depth, ft, parent, top = stack.pop()
            ft = self.get(field, "/FT") or ft
            partial = _text(self.get(field, "/T"))
            name = ".".join(n for n in (parent, partial) if n)[:MAX_NAME] or "(unnamed)"
            self.action_entries(field, f"form field {name}", f"form field {name} /AA")
            kids = self.dicts(self.raw(field, "/Kids"), "field") if "/Kids" in field else []
            if ft == "/Sig" and (partial or top) and not any("/T" in k for k in kids):
                self.sig_fields += 1
            if kids and self.deeper(depth + 1):
                stack.extend((k, depth + 1, ft, name if partial else parent, False) for k in reversed(kids))

    def outlines(self, root: generic.DictionaryObject) -> None:
        """Outline items (bookmarks): ``/A`` of each, through ``/First`` and ``/Next``."""
        outlines = self.node(self.raw(root, "/Outlines"), "outline")
        if not isinstance(outlines, generic.DictionaryObject):
            return
        stack = [(self.raw(outlines, "/First"), 1)]
        while stack:
            raw, depth = stack.pop()
            item = self.node(raw, "outline")
            if not isinstance(item, generic.DictionaryObject):
                continue
            if "/A" in item:
                self.actions(self.raw(item, "/A"), "outline")
            if "/Next" in item:
                stack.append((self.raw(item, "/Next"), depth))
            if "/First" in item and self.deeper(depth + 1):
                stack.append((self.raw(item, "/First"), depth + 1))
