// signsvc signing page: the server prepares, the official's token signs a hash through
// the local agent (signsvc-agent), the server embeds. The PDF never leaves the server and
// the PIN never reaches this page.
//
// Placement: the official clicks (or drags) on the page preview to place the signature
// box, types its corners in PDF points, or picks an existing empty signature field; the
// choice goes to step 1 as `appearance` (+ `field`).
//
// Errors: every failure shows a plain-Vietnamese (or English) message in #status and its
// machine-readable code in #status[data-code]: the agent's or the server's own code, or
// "agent-unreachable" when nothing answers on the agent's port.
"use strict";

(function () {
  const box = document.getElementById("signer");
  if (!box) return;
  const d = box.dataset;
  const button = document.getElementById("sign");
  const status = document.getElementById("status");
  const result = document.getElementById("result");
  const agent = d.agent.replace(/\/$/, "");

  function text(key) {
    return d["t" + key.split("-").map(function (p) { return p[0].toUpperCase() + p.slice(1); }).join("")] || key;
  }
  function show(message, code) {
    status.textContent = message;
    status.className = code ? "error" : "";
    if (code) status.dataset.code = code; else delete status.dataset.code;
  }
  function failure(code, message) { const e = new Error(message); e.code = code; return e; }

  // -- the page preview and the placement chooser ---------------------------------------
  const img = document.getElementById("preview");
  const pageInput = document.getElementById("page");
  const overlay = document.getElementById("box");
  const DEFAULT_SIZE = [170, 85];      // points: the official profile's natural size
  let layout = null;                   // {page, box: [x1, y1, x2, y2], rotate}
  let rect = null;                     // chosen box on layout.page, PDF points
  const corners = ["x1", "y1", "x2", "y2"].map(function (c) { return document.getElementById("rect-" + c); });

  function urlFor(template, n) { return template.replace(/\/0\.(png|json)$/, "/" + n + ".$1"); }
  function mode() {
    const checked = document.querySelector("input[name=place]:checked");
    return checked ? checked.value : "none";
  }

  function draw() {
    if (!overlay || !layout || !rect || mode() === "none" || !img.naturalWidth) {
      if (overlay) overlay.hidden = true;
      return;
    }
    const [bx1, by1, bx2, by2] = layout.box;
    const sx = img.clientWidth / (bx2 - bx1), sy = img.clientHeight / (by2 - by1);
    overlay.style.left = (img.offsetLeft + (rect[0] - bx1) * sx) + "px";
    overlay.style.top = (img.offsetTop + (by2 - rect[3]) * sy) + "px";
    overlay.style.width = ((rect[2] - rect[0]) * sx) + "px";
    overlay.style.height = ((rect[3] - rect[1]) * sy) + "px";
    overlay.hidden = false;
  }

  // a position is chosen (a box, a field, or none at all): "choose a position" no longer applies
  function placementChosen() {
    if (status.dataset.code === "placement-missing") show("", null);
  }

  function setRect(r, fromInputs) {
    rect = r;
    if (r) placementChosen();
    if (!fromInputs && r) corners.forEach(function (input, i) { if (input) input.value = r[i].toFixed(1); });
    const label = document.getElementById("rect-text");
    if (label && r && layout) label.textContent = text("place-chosen") + " " + layout.page;
    draw();
  }

  async function showPage(n) {
    n = Math.max(1, Math.min(parseInt(pageInput.max, 10) || 1, parseInt(n, 10) || 1));
    pageInput.value = n;
    const response = await fetch(urlFor(img.dataset.layout, n), {credentials: "same-origin"});
    if (!response.ok) return;
    layout = await response.json();
    if (String(img.dataset.page) !== String(n)) {
      rect = null;
      img.dataset.page = n;
      img.alt = text("page") + " " + n;
      img.src = urlFor(img.dataset.src, n);
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

  function clampBox(cx, cy) {
    const [bx1, by1, bx2, by2] = layout.box;
    const w = Math.min(DEFAULT_SIZE[0], bx2 - bx1), h = Math.min(DEFAULT_SIZE[1], by2 - by1);
    const x1 = Math.max(bx1, Math.min(bx2 - w, cx - w / 2));
    const y1 = Math.max(by1, Math.min(by2 - h, cy - h / 2));
    return [x1, y1, x1 + w, y1 + h];
  }

  if (img && pageInput) {
    let start = null;
    img.addEventListener("dragstart", function (e) { e.preventDefault(); });
    img.addEventListener("pointerdown", function (e) {
      if (!layout || mode() === "none") return;
      if (mode() === "field") document.getElementById("place-box").checked = true;
      start = toPoints(e);
      e.preventDefault();
    });
    img.addEventListener("pointerup", function (e) {
      if (!start || !layout) return;
      const end = toPoints(e);
      const wide = Math.abs(end[0] - start[0]) > 10 && Math.abs(end[1] - start[1]) > 10;
      setRect(wide ? [Math.min(start[0], end[0]), Math.min(start[1], end[1]),
                      Math.max(start[0], end[0]), Math.max(start[1], end[1])]
                   : clampBox(end[0], end[1]), false);
      start = null;
    });
    img.addEventListener("load", draw);
    window.addEventListener("resize", draw);
    pageInput.addEventListener("change", function () { showPage(pageInput.value); });
    corners.forEach(function (input) {
      if (!input) return;
      input.addEventListener("input", function () {
        const v = corners.map(function (c) { return parseFloat(c.value); });
        if (v.every(isFinite)) {
          setRect([Math.min(v[0], v[2]), Math.min(v[1], v[3]), Math.max(v[0], v[2]), Math.max(v[1], v[3])], true);
        }
      });
    });
    const fieldSelect = document.getElementById("field");
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
        if (mode() === "field") showField(); else draw();
        if (mode() === "none" || (mode() === "box" && rect)) placementChosen();
      });
    });
    showPage(1);
  }

  // -- talking to the agent and the server --------------------------------------------
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
      const key = AGENT_ERRORS[code];
      const own = d.lang === "en" ? json.message_en : json.message_vi;
      throw failure(code, key ? text(key) : (own || text("err-agent")));
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
      const key = SERVER_ERRORS[code];
      const own = d.lang === "en" ? json.detail_en : json.detail_vi;
      throw failure(code, key ? text(key) : text("err-other") + ": " + (own || response.status));
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
    if (place === "field") return {appearance: appearance, field: document.getElementById("field").value};
    if (!rect || !layout) throw failure("placement-missing", text("err-place"));
    appearance.page = String(layout.page);
    appearance.rect = rect.map(function (v) { return v.toFixed(2); }).join(",");
    return {appearance: appearance};
  }

  function summary(done) {
    show(text("result-ok"), null);
    result.hidden = false;
    result.innerHTML = "";
    const rows = [[text("signer"), done.signer], [text("signing-time"), done.signing_time],
                  [text("verdict"), done.verdict_text || done.verdict]];
    const dl = document.createElement("dl");
    for (const [k, v] of rows) {
      const dt = document.createElement("dt"); dt.textContent = k;
      const dd = document.createElement("dd"); dd.textContent = v || "";
      dl.append(dt, dd);
    }
    dl.id = "summary";
    const link = document.createElement("a");
    link.href = done.download; link.id = "download"; link.textContent = text("download");
    result.append(dl, link);
    if (img) {  // the preview now shows the signed revision
      rect = null;
      img.src = urlFor(img.dataset.src, layout ? layout.page : 1) + "?revision=" + encodeURIComponent(done.revision);
    }
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
      const chooser = document.getElementById("placement");
      if (chooser) chooser.disabled = true;
    } catch (e) {
      show(e.message, e.code || "error");
      button.disabled = false;
    }
  }

  if (button) button.addEventListener("click", sign);
})();
