"""Asking the official for the token PIN, once per signature.

Guarantees:
- ``PinPrompter.ask`` returns the PIN typed for this one signature, or raises
  ``ProtocolError('pin-cancelled')`` (cancel, timeout, empty PIN, no way to ask);
- the prompt shows what is signed: the requesting page's origin, the document's title,
  number and SHA-256, the certificate's subject and the token label (``describe``);
- only one prompt is open at a time; nothing is cached, logged or returned but the PIN;
- ``mode = "prompt"``: a small Tk window when a display is available, else the terminal
  (``getpass`` on the controlling terminal); ``mode = "env"`` (tests only, needs
  ``unsafe_headless``): the PIN is read from the configured environment variable.
"""

from __future__ import annotations

import gc
import getpass
import os
import sys
import threading
import unicodedata
from dataclasses import dataclass

from signsvc.agent.config import PinConfig
from signsvc.agent.protocol import DocumentInfo, ProtocolError


@dataclass(frozen=True)
class SigningContext:
    """What the user is asked to approve."""

    origin: str
    document: DocumentInfo
    subject: str
    token_label: str


def _printable(text: str, limit: int = 300) -> str:
    """``text`` without control or format characters (no bidi tricks, no new lines)."""
    clean = "".join(ch if unicodedata.category(ch)[0] not in "CZ" or ch == " " else " "
                    for ch in text)
    clean = " ".join(clean.split())
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def describe(ctx: SigningContext) -> list[tuple[str, str]]:
    """The lines shown to the user, as (Vietnamese / English label, value) pairs."""
    doc = ctx.document
    return [
        ("Trang yêu cầu / Requesting page", _printable(ctx.origin)),
        ("Văn bản / Document", _printable(doc.title)),
        ("Số, ký hiệu / Number", _printable(doc.number) or "—"),
        ("SHA-256", doc.sha256),
        ("Chứng thư / Certificate", _printable(ctx.subject)),
        ("Token", _printable(ctx.token_label)),
    ]


def display_available() -> bool:
    """Whether a graphical session is there to show a window in."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class PinPrompter:
    """Asks for the PIN as configured; one prompt at a time."""

    def __init__(self, config: PinConfig) -> None:
        self._config = config
        self._lock = threading.Lock()

    def ask(self, ctx: SigningContext) -> str:
        with self._lock:
            if self._config.mode == "env":
                pin = os.environ.get(self._config.env_var or "")
            elif display_available():
                pin = _ask_tk(ctx, self._config.prompt_timeout_seconds)
            else:
                pin = _ask_terminal(ctx)
        if not pin:
            raise ProtocolError("pin-cancelled")
        return pin


def _ask_terminal(ctx: SigningContext) -> str | None:
    """The PIN typed on the controlling terminal (not echoed), None if there is none."""
    try:
        with open("/dev/tty", "w", encoding="utf-8") as tty:
            tty.write("\n== signsvc-agent: yêu cầu ký số / signature request ==\n")
            for label, value in describe(ctx):
                tty.write(f"  {label}: {value}\n")
            tty.write("Nhập PIN để ký, để trống để hủy / Enter the PIN to sign, empty to cancel.\n")
        return getpass.getpass("PIN: ")
    except (OSError, EOFError, KeyboardInterrupt):
        return None


def _ask_tk(ctx: SigningContext, timeout_seconds: int) -> str | None:
    """The PIN typed in a small always-on-top Tk window, None on cancel, close or
    timeout. The window lives and dies in the calling thread."""
    try:
        import tkinter as tk
    except ImportError:
        return _ask_terminal(ctx)
    try:
        root = tk.Tk()
    except tk.TclError:
        return _ask_terminal(ctx)
    result: dict[str, str | None] = {"pin": None}
    try:
        root.title("signsvc-agent — Ký số / Sign")
        root.attributes("-topmost", True)
        root.resizable(False, False)
        frame = tk.Frame(root, padx=16, pady=12)
        frame.pack()
        tk.Label(frame, text="Xác nhận ký số / Confirm signature",
                 font=("TkDefaultFont", 12, "bold")).grid(row=0, column=0, columnspan=2, pady=(0, 8))
        for i, (label, value) in enumerate(describe(ctx), start=1):
            tk.Label(frame, text=label + ":", anchor="w").grid(row=i, column=0, sticky="w")
            tk.Label(frame, text=value, anchor="w", wraplength=420, justify="left").grid(
                row=i, column=1, sticky="w")
        row = len(describe(ctx)) + 1
        tk.Label(frame, text="PIN:", anchor="w").grid(row=row, column=0, sticky="w", pady=(8, 0))
        entry = tk.Entry(frame, show="•", width=24)
        entry.grid(row=row, column=1, sticky="w", pady=(8, 0))

        def ok(_event: object = None) -> None:
            result["pin"] = entry.get()
            root.destroy()

        def cancel(_event: object = None) -> None:
            result["pin"] = None
            root.destroy()

        buttons = tk.Frame(frame, pady=10)
        buttons.grid(row=row + 1, column=0, columnspan=2)
        tk.Button(buttons, text="Ký / Sign", command=ok, width=12).pack(side="left", padx=4)
        tk.Button(buttons, text="Hủy / Cancel", command=cancel, width=12).pack(side="left", padx=4)
        root.bind("<Return>", ok)
        root.bind("<Escape>", cancel)
        root.protocol("WM_DELETE_WINDOW", cancel)
        root.after(timeout_seconds * 1000, cancel)
        root.after(50, entry.focus_force)
        root.mainloop()
    except tk.TclError:
        return None
    finally:
        # Tk objects must die in the thread that made them (else Tcl aborts the process):
        # break the widget/callback cycles and collect them here, not in another thread
        root = entry = frame = buttons = ok = cancel = None  # type: ignore[assignment]
        gc.collect()
    return result["pin"]
