// signsvc document page: a large, zoomable preview of every page; placing the signature
// box by click, drag or keyboard; signing with the official's own token (the server
// prepares, the token signs a hash through the local agent signsvc-agent, the server
// embeds). The PDF never leaves the server and the PIN never reaches this page.
//
// Placement: click on the preview (a box of the official profile's natural size centred
// there), drag on it (a box of that size), drag the box to move it; with the keyboard,
// "Place the signature box" puts it on the page and focuses it, arrow keys move it (5 pt,
// Alt: 1 pt) and Shift + arrows resize it. A box released over an existing empty signature
// field (or, with the keyboard, Enter on the box over one) snaps into that field. The corners (PDF points) stay editable under "Advanced".
// The choice goes to step 1 as `appearance` (+ `field`).
//
// Errors: every failure shows a plain-Vietnamese (or English) message in #status and its
// machine-readable code in #status[data-code]: the agent's or the server's own code, or
// "agent-unreachable" when nothing answers on the agent's port.
"use strict";

(function () {
  const box = document.getElementById("signer");
  const d = box ? box.dataset : {};
  const button = document.getElementById("sign");
  const status = document.getElementById("status");
  const result = document.getElementById("result");

  function key(prefix, name) {
    return prefix + name.split("-").map(function (p) { return p[0].toUpperCase() + p.slice(1); }).join("");
  }
  function text(name) { return d[key("t", name)] || name; }
  function words(name) { return d[key("o", name)] || name; }
  function show(message, code) {
    if (!status) return;
    status.textContent = message;
    status.className = code ? "error" : "";
    if (code) status.dataset.code = code; else delete status.dataset.code;
    // H3: what to do next -- help shown for the codes it names (data-help-for)
    document.querySelectorAll("[data-help-for]").forEach(function (e) {
      e.hidden = !code || e.dataset.helpFor.split(" ").indexOf(code) < 0;
    });
  }
  function failure(code, message) { const e = new Error(message); e.code = code; return e; }

  // -- the page viewer: pages, zoom, resolution --------------------------------------------
  const img = document.getElementById("preview");
  const pageInput = document.getElementById("page");
  const scroller = document.getElementById("viewer-scroll");
  const overlay = document.getElementById("box");
  const zoomLevel = document.getElementById("zoom-level");
  const DEFAULT_SIZE = [170, 85];      // points: the official profile's natural size
  const ZOOMS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3];
  const DPIS = [60, 100, 150, 200];    // what the server renders (PREVIEW_DPI)
  const MIN_SIZE = [20, 10];
  let zoom = 1;                        // 1 = the page as wide as the viewer
  let layout = null;                   // {page, box: [x1, y1, x2, y2], rotate}
  let rect = null;                     // chosen box on layout.page, PDF points
  let revisionTag = "";                // changes the image URLs once a new version exists
  const corners = ["x1", "y1", "x2", "y2"].map(function (c) { return document.getElementById("rect-" + c); });
  const fieldSelect = document.getElementById("field");
  const rectText = document.getElementById("rect-text");

  function urlFor(template, n) { return template.replace(/\/0\.(png|json)$/, "/" + n + ".$1"); }
  function mode() {
    const checked = document.querySelector("input[name=place]:checked");
    return checked ? checked.value : "none";
  }
  function pageSize() {
    return layout ? [layout.box[2] - layout.box[0], layout.box[3] - layout.box[1]] : [595.28, 841.89];
  }
  function fitWidth() {
    return Math.max(200, (scroller ? scroller.clientWidth : 600) - 2);
  }
  // the smallest rendering that is sharp at this size on this screen
  function dpiFor(widthPx) {
    const needed = widthPx * (window.devicePixelRatio || 1) / (pageSize()[0] / 72);
    for (const dpi of DPIS) if (dpi >= needed) return dpi;
    return DPIS[DPIS.length - 1];
  }
  function imageUrl(n, widthPx) {
    return urlFor(img.dataset.src, n) + "?dpi=" + dpiFor(widthPx) + revisionTag;
  }
  // the preview's size on screen (fixed before the image arrives, so the box and the
  // fields are drawn right whatever resolution is still loading)
  function size(width) {
    const [w, h] = pageSize();
    img.style.width = width + "px";
    img.style.height = Math.round(width * h / w) + "px";
  }
  function applyZoom() {
    if (!img) return;
    const width = Math.round(fitWidth() * zoom);
    size(width);
    if (zoomLevel) zoomLevel.textContent = Math.round(zoom * 100) + "%";
    if (layout && img.dataset.page === String(layout.page)) {
      const wanted = imageUrl(layout.page, width);
      if (!img.src.endsWith(wanted)) img.src = wanted;
    }
    draw();
  }
  function setZoom(z) {
    zoom = Math.max(ZOOMS[0], Math.min(ZOOMS[ZOOMS.length - 1], z));
    applyZoom();
  }

  function toPixels(r) {
    const [bx1, , bx2, by2] = layout.box;
    const sx = img.clientWidth / (bx2 - bx1), sy = img.clientHeight / (layout.box[3] - layout.box[1]);
    return {left: img.offsetLeft + (r[0] - bx1) * sx, top: img.offsetTop + (by2 - r[3]) * sy,
            width: (r[2] - r[0]) * sx, height: (r[3] - r[1]) * sy};
  }
  function place(element, r) {
    const p = toPixels(r);
    element.style.left = p.left + "px";
    element.style.top = p.top + "px";
    element.style.width = p.width + "px";
    element.style.height = p.height + "px";
  }
  function fieldsOnPage() {
    if (!fieldSelect || !layout) return [];
    return Array.from(fieldSelect.options).filter(function (o) {
      return String(o.dataset.page) === String(layout.page);
    }).map(function (o) { return {option: o, rect: o.dataset.rect.split(",").map(parseFloat)}; });
  }
  // the placement chooser is there and still open (closed once signed)
  function choosing() {
    const chooser = document.getElementById("placement");
    return Boolean(chooser && !chooser.disabled);
  }
  function drawFields() {
    document.querySelectorAll(".field-outline").forEach(function (e) { e.remove(); });
    if (!layout || !img || !img.clientWidth || !choosing()) return;
    for (const f of fieldsOnPage()) {
      const outline = document.createElement("div");
      outline.className = "field-outline";
      outline.dataset.field = f.option.value;
      place(outline, f.rect);
      img.parentNode.insertBefore(outline, overlay);
    }
  }
  function draw() {
    drawFields();
    if (!overlay || !layout || !rect || mode() === "none" || !img.clientWidth) {
      if (overlay) overlay.hidden = true;
      return;
    }
    place(overlay, rect);
    overlay.classList.toggle("snapped", mode() === "field");
    overlay.hidden = false;
  }

  // a position is chosen (a box, a field, or none at all): "choose a position" no longer applies
  function placementChosen() {
    if (status && status.dataset.code === "placement-missing") show("", null);
  }

  function describe() {
    if (!rectText || !rect || !layout) return;
    if (mode() === "field" && fieldSelect) {
      rectText.textContent = words("snapped") + " " + fieldSelect.value + " (" + text("page") + " " + layout.page + ")";
    } else {
      rectText.textContent = text("place-chosen") + " " + layout.page + ": " +
        rect.map(function (v) { return v.toFixed(0); }).join(", ");
    }
  }

  function setRect(r, fromInputs) {
    rect = r;
    if (r) placementChosen();
    if (!fromInputs && r) corners.forEach(function (input, i) { if (input) input.value = r[i].toFixed(1); });
    describe();
    draw();
  }

  async function showPage(n) {
    if (!img || !pageInput) return;
    n = Math.max(1, Math.min(parseInt(pageInput.max, 10) || 1, parseInt(n, 10) || 1));
    pageInput.value = n;
    const response = await fetch(urlFor(img.dataset.layout, n), {credentials: "same-origin"});
    if (!response.ok) return;
    layout = await response.json();
    const width = Math.round(fitWidth() * zoom);
    size(width);
    if (String(img.dataset.page) !== String(n) || !img.getAttribute("src")) {
      if (String(img.dataset.page) !== String(n)) rect = null;
      img.dataset.page = n;
      img.alt = text("page") + " " + n;
      img.src = imageUrl(n, width);
    }
    draw();
  }

  function toPoints(event) {
    const r = img.getBoundingClientRect();
    const [bx1, by1, bx2, by2] = layout.box;
    const fx = Math.max(0, Math.min(1, (event.clientX - r.left) / r.width));
    const fy = Math.max(0, Math.min(1, (event.clientY - r.top) / r.height));
    return [bx1 + fx * (bx2 - bx1), by2 - fy * (by2 - by1)];
  }

  // the box moved/resized to stay on the page
  function inside(r) {
    const [bx1, by1, bx2, by2] = layout.box;
    const w = Math.min(Math.max(r[2] - r[0], MIN_SIZE[0]), bx2 - bx1);
    const h = Math.min(Math.max(r[3] - r[1], MIN_SIZE[1]), by2 - by1);
    const x1 = Math.max(bx1, Math.min(bx2 - w, r[0]));
    const y1 = Math.max(by1, Math.min(by2 - h, r[1]));
    return [x1, y1, x1 + w, y1 + h];
  }
  function clampBox(cx, cy) {
    const [w, h] = DEFAULT_SIZE;
    return inside([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]);
  }

  function useBox() {
    const radio = document.getElementById("place-box");
    if (radio && mode() !== "box") radio.checked = true;
  }

  // a box released over an existing empty field goes into that field
  function snap(r) {
    const cx = (r[0] + r[2]) / 2, cy = (r[1] + r[3]) / 2;
    for (const f of fieldsOnPage()) {
      const [x1, y1, x2, y2] = f.rect;
      if (cx >= x1 - 12 && cx <= x2 + 12 && cy >= y1 - 12 && cy <= y2 + 12) {
        fieldSelect.value = f.option.value;
        document.getElementById("place-field").checked = true;
        setRect(f.rect.slice(), false);
        return true;
      }
    }
    return false;
  }

  if (img && pageInput) {
    let gesture = null;     // {kind: "draw" | "move", start: [x, y], from: rect}
    const wrap = document.getElementById("page-wrap");
    img.addEventListener("dragstart", function (e) { e.preventDefault(); });
    const placing = function () { return layout && mode() !== "none" && choosing(); };
    img.addEventListener("pointerdown", function (e) {
      if (!placing() || e.button > 0) return;
      useBox();
      gesture = {kind: "draw", start: toPoints(e), from: null};
      e.preventDefault();
    });
    if (overlay) {
      overlay.addEventListener("pointerdown", function (e) {
        if (!placing() || !rect || e.button > 0) return;
        gesture = {kind: "move", start: toPoints(e), from: rect.slice()};
        overlay.setPointerCapture(e.pointerId);
        overlay.focus({preventScroll: true});
        e.preventDefault();
      });
    }
    const moveTo = function (e, done) {
      if (!gesture || !layout) return;
      const at = toPoints(e);
      if (gesture.kind === "move") {
        const dx = at[0] - gesture.start[0], dy = at[1] - gesture.start[1];
        if (done && Math.abs(dx) < 0.5 && Math.abs(dy) < 0.5) { gesture = null; return; }
        if (mode() === "field") useBox();
        const f = gesture.from;
        setRect(inside([f[0] + dx, f[1] + dy, f[2] + dx, f[3] + dy]), false);
      } else {
        const s = gesture.start;
        const wide = Math.abs(at[0] - s[0]) > 10 && Math.abs(at[1] - s[1]) > 10;
        if (!wide && !done) return;
        setRect(wide ? inside([Math.min(s[0], at[0]), Math.min(s[1], at[1]),
                               Math.max(s[0], at[0]), Math.max(s[1], at[1])])
                     : clampBox(at[0], at[1]), false);
      }
      if (done) {
        gesture = null;
        snap(rect);
      }
    };
    (wrap || img).addEventListener("pointermove", function (e) { moveTo(e, false); });
    window.addEventListener("pointerup", function (e) { moveTo(e, true); });
    window.addEventListener("pointercancel", function () { gesture = null; });
    if (overlay) {
      overlay.addEventListener("keydown", function (e) {
        if (rect && layout && e.key === "Enter") {   // the keyboard's "drop": into the field under it
          snap(rect);
          e.preventDefault();
          return;
        }
        if (!rect || !layout || e.key.indexOf("Arrow") !== 0) return;
        const step = e.altKey ? 1 : 5;
        const dx = e.key === "ArrowLeft" ? -step : e.key === "ArrowRight" ? step : 0;
        const dy = e.key === "ArrowDown" ? -step : e.key === "ArrowUp" ? step : 0;
        let r = rect.slice();
        if (e.shiftKey) {   // resize: right edge, bottom edge (the top-left corner stays)
          r = [r[0], r[1] + dy, r[2] + dx, r[3]];
          if (r[2] - r[0] < MIN_SIZE[0]) r[2] = r[0] + MIN_SIZE[0];
          if (r[3] - r[1] < MIN_SIZE[1]) r[1] = r[3] - MIN_SIZE[1];
        } else {
          r = [r[0] + dx, r[1] + dy, r[2] + dx, r[3] + dy];
        }
        useBox();
        setRect(inside(r), false);
        e.preventDefault();
      });
    }
    const placeDefault = document.getElementById("place-default");
    if (placeDefault) {
      placeDefault.addEventListener("click", function () {
        if (!layout) return;
        const [bx1, by1, bx2, by2] = layout.box;
        useBox();   // lower right, where a signature usually goes
        setRect(clampBox(bx1 + 0.7 * (bx2 - bx1), by1 + 0.25 * (by2 - by1)), false);
        overlay.focus();
      });
    }
    img.addEventListener("load", draw);
    window.addEventListener("resize", applyZoom);
    pageInput.addEventListener("change", function () { showPage(pageInput.value); });
    const prev = document.getElementById("page-prev"), next = document.getElementById("page-next");
    if (prev) prev.addEventListener("click", function () { showPage((parseInt(pageInput.value, 10) || 1) - 1); });
    if (next) next.addEventListener("click", function () { showPage((parseInt(pageInput.value, 10) || 1) + 1); });
    const zoomStep = function (dir) {
      const i = ZOOMS.findIndex(function (z) { return z >= zoom - 1e-6; });
      setZoom(ZOOMS[Math.max(0, Math.min(ZOOMS.length - 1, (i < 0 ? ZOOMS.length - 1 : i) + dir))]);
    };
    const zin = document.getElementById("zoom-in"), zout = document.getElementById("zoom-out");
    const zfit = document.getElementById("zoom-fit");
    if (zin) zin.addEventListener("click", function () { zoomStep(1); });
    if (zout) zout.addEventListener("click", function () { zoomStep(-1); });
    if (zfit) zfit.addEventListener("click", function () { setZoom(1); });
    corners.forEach(function (input) {
      if (!input) return;
      input.addEventListener("input", function () {
        const v = corners.map(function (c) { return parseFloat(c.value); });
        if (v.every(isFinite)) {
          useBox();
          setRect([Math.min(v[0], v[2]), Math.min(v[1], v[3]), Math.max(v[0], v[2]), Math.max(v[1], v[3])], true);
        }
      });
    });
    async function showField() {
      const option = fieldSelect.selectedOptions[0];
      await showPage(option.dataset.page);
      setRect(option.dataset.rect.split(",").map(parseFloat), false);
    }
    if (fieldSelect) {
      fieldSelect.addEventListener("change", function () {
        document.getElementById("place-field").checked = true;
        showField();
      });
    }
    document.querySelectorAll("input[name=place]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        if (mode() === "field") showField(); else { describe(); draw(); }
        if (mode() === "none" || (mode() === "box" && rect)) placementChosen();
      });
    });
    showPage(1);
  }

  if (!box || !button) return;

  // -- talking to the agent and the server --------------------------------------------
  const agent = d.agent.replace(/\/$/, "");
  // agent code -> message key (codes from signsvc/agent/protocol.py ERRORS)
  const AGENT_ERRORS = {
    "token-not-present": "err-token", "pin-incorrect": "err-pin", "pin-cancelled": "err-pin-cancelled",
    "pin-locked": "err-pin-locked", "origin-not-allowed": "err-origin", "host-not-allowed": "err-origin",
    "certificate-not-found": "err-cert-not-on-token", "token-failed": "err-token-failed"
  };
  // server code -> message key (problem+json `code`)
  const SERVER_ERRORS = {
    "certificate-not-registered": "err-cert", "session-expired": "err-expired",
    "stale-revision": "err-changed", "prepared-document-changed": "err-changed",
    "session-used": "err-used", "signature-invalid": "err-signature-invalid",
    "certificate-mismatch": "err-signature-invalid", "timestamp-unavailable": "err-unavailable",
    "revocation-unavailable": "err-unavailable", "unauthenticated": "err-logged-out"
  };
  // what the server may be told when step 2 failed (audited as the agent reported it)
  const REPORTED = ["pin-incorrect", "pin-cancelled", "pin-locked", "token-not-present",
                    "certificate-not-found", "token-failed"];

  async function agentCall(method, path, body) {
    let response;
    try {
      response = await fetch(agent + path, {
        method: method, mode: "cors", credentials: "omit",
        headers: body ? {"Content-Type": "application/json"} : {},
        body: body ? JSON.stringify(body) : undefined
      });
    } catch (e) {
      throw failure("agent-unreachable", text("err-agent"));
    }
    const json = await response.json().catch(function () { return {}; });
    if (!response.ok) {
      const code = json.error || "agent-error";
      const mapped = AGENT_ERRORS[code];
      const own = d.lang === "en" ? json.message_en : json.message_vi;
      let message = mapped ? text(mapped) : (own || text("err-agent"));
      // H3: tries left, when the token says so (the agent passes its PIN flags on)
      if (code === "pin-incorrect" && json.pin_final_try) message += " " + text("err-pin-final-try");
      else if (code === "pin-incorrect" && json.pin_count_low) message += " " + text("err-pin-count-low");
      throw failure(code, message);
    }
    return json;
  }

  async function serverCall(path, body) {
    const response = await fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": d.csrf},
      body: JSON.stringify(body)
    });
    if (response.status === 204) return {};
    const json = await response.json().catch(function () { return {}; });
    if (!response.ok) {
      const code = json.code || ("http-" + response.status);
      const mapped = SERVER_ERRORS[code];
      const own = d.lang === "en" ? json.detail_en : json.detail_vi;
      throw failure(code, mapped ? text(mapped) : text("err-other") + ": " + (own || response.status));
    }
    return json;
  }

  async function sha256Hex(base64) {
    const bytes = Uint8Array.from(atob(base64), function (c) { return c.charCodeAt(0); });
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    return Array.from(new Uint8Array(digest)).map(function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  function placementRequest() {
    const place = mode();
    if (place === "none") return {};
    const profile = document.getElementById("profile").selectedOptions[0];
    const appearance = {profile: profile.value};
    if (profile.dataset.image) appearance.image = profile.dataset.image;
    if (place === "field") return {appearance: appearance, field: fieldSelect.value};
    if (!rect || !layout) throw failure("placement-missing", text("err-place"));
    appearance.page = String(layout.page);
    appearance.rect = rect.map(function (v) { return v.toFixed(2); }).join(",");
    return {appearance: appearance};
  }

  function levelWords(done) {
    return done.level_label && done.level ? done.level_label + " (" + done.level + ")" : (done.level || "");
  }

  function cell(row, value, className) {
    const td = document.createElement("td");
    if (value instanceof Node) td.append(value); else td.textContent = value || "";
    if (className) td.className = className;
    row.append(td);
    return td;
  }

  // the page now shows the new version: facts, state, history, preview
  function showNewVersion(done) {
    const set = function (id, value) { const e = document.getElementById(id); if (e) e.textContent = value; };
    set("doc-revision", done.revision);
    set("doc-sha256", done.sha256);
    const state = document.getElementById("doc-state");
    if (state) { state.textContent = words("state-signed"); state.className = "doc-state state-signed"; }
    const body = document.querySelector("#versions tbody");
    if (body) {
      body.querySelectorAll(".current-mark").forEach(function (e) { e.remove(); });
      const row = document.createElement("tr");
      row.id = "version-" + done.revision;
      row.dataset.revision = done.revision;
      row.dataset.sha256 = done.sha256;
      const number = cell(row, done.revision + " ");
      const mark = document.createElement("span");
      mark.className = "hint current-mark";
      mark.textContent = "(" + words("current") + ")";
      number.append(mark);
      cell(row, done.signer, "who");
      cell(row, done.signing_time_text, "nowrap");
      cell(row, levelWords(done), "level").title = done.level_text || "";
      const badge = document.createElement("span");
      badge.className = "verdict-badge verdict-" + done.verdict;
      badge.textContent = done.verdict_text || done.verdict;
      cell(row, badge);
      const link = document.createElement("a");
      link.className = "download-version";
      link.href = done.download;
      link.textContent = words("download-version").replace("{n}", done.revision);
      cell(row, link);
      const heads = document.querySelectorAll("#versions thead th");
      Array.from(row.children).forEach(function (td, i) { if (heads[i]) td.dataset.label = heads[i].textContent; });
      body.prepend(row);
    }
    if (img) {
      rect = null;
      revisionTag = "&revision=" + encodeURIComponent(done.revision);
      img.src = imageUrl(layout ? layout.page : 1, img.clientWidth || fitWidth());
      draw();
    }
  }

  function summary(done) {
    show(text("result-ok"), null);
    result.hidden = false;
    result.innerHTML = "";
    const rows = [[words("new-version"), String(done.revision)], [words("new-sha256"), done.sha256],
                  [words("level-reached"), levelWords(done)],
                  [text("signer"), done.signer], [text("signing-time"), done.signing_time_text],
                  [text("verdict"), done.verdict_text || done.verdict]];
    const dl = document.createElement("dl");
    for (const [k, v] of rows) {
      const dt = document.createElement("dt"); dt.textContent = k;
      const dd = document.createElement("dd"); dd.textContent = v || "";
      if (k === words("new-sha256")) { dd.className = "hash"; dd.id = "new-sha256"; }
      dl.append(dt, dd);
    }
    dl.id = "summary";
    const link = document.createElement("a");
    link.href = done.download; link.id = "download"; link.textContent = text("download");
    const back = document.createElement("a");
    back.href = done.documents; back.id = "back-to-list"; back.textContent = words("back-list");
    const actions = document.createElement("p");
    actions.className = "result-actions";
    actions.append(link, back);
    result.append(dl, actions);
    showNewVersion(done);
  }

  async function sign() {
    button.disabled = true;
    result.hidden = true;
    show(text("working"), null);
    let session = null;
    try {
      const placement = placementRequest();
      // 1. the certificates on the official's token; the one registered to this account
      //    (else the first: the server refuses it with certificate-not-registered, audited)
      const listing = await agentCall("GET", "/certificates");
      const certificates = listing.certificates || [];
      if (!certificates.length) throw failure("certificate-not-found", text("err-cert-not-on-token"));
      const registered = d.registered ? d.registered.split(",") : [];
      let chosen = certificates[0];
      for (const c of certificates) {
        if (registered.indexOf(await sha256Hex(c.certificate)) >= 0) { chosen = c; break; }
      }
      // 2. step 1 on the server: what to sign
      session = await serverCall("/pages/api/sessions", Object.assign({
        document_id: d.documentId, certificate: chosen.certificate,
        level: document.getElementById("level").value
      }, placement));
      // 3. the token signs the hash (the agent asks for the PIN itself)
      const request = {
        hash: session.hash, hash_algorithm: session.hash_algorithm,
        signature_algorithm: session.signature_algorithm, certificate: chosen.certificate,
        document: {title: d.title, number: d.number, sha256: d.sha256}
      };
      if (session.signature_algorithm === "rsassa_pss") request.pss_salt_length = session.pss_salt_length;
      let signed;
      try {
        signed = await agentCall("POST", "/sign", request);
      } catch (e) {
        // nothing was signed: end the session, telling the server why (audited)
        const reason = REPORTED.indexOf(e.code) >= 0 ? e.code : undefined;
        await serverCall("/pages/api/sessions/" + encodeURIComponent(session.id) + "/cancel",
                         {reason: reason}).catch(function () {});
        throw e;
      }
      // 4. step 3 on the server: verify, embed, store, verify again
      const done = await serverCall("/pages/api/sessions/" + encodeURIComponent(session.id) + "/signature",
                                    {signature: signed.signature});
      summary(done);
      button.hidden = true;
      // nothing is left to choose: the result box takes their place
      ["placement", "level-panel"].forEach(function (id) {
        const e = document.getElementById(id);
        if (e) { e.disabled = true; e.hidden = true; }
      });
      if (overlay) overlay.hidden = true;
      result.scrollIntoView({block: "nearest"});
    } catch (e) {
      show(e.message, e.code || "error");
      button.disabled = false;
    }
  }

  button.addEventListener("click", sign);
})();
