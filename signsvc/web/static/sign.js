// signsvc signing page: the server prepares, the official's token signs a hash through
// the local agent (signsvc-agent), the server embeds. The PDF never leaves the server and
// the PIN never reaches this page.
"use strict";

(function () {
  const box = document.getElementById("signer");
  const button = document.getElementById("sign");
  if (!box || !button) return;
  const d = box.dataset;
  const status = document.getElementById("status");
  const result = document.getElementById("result");
  const agent = d.agent.replace(/\/$/, "");

  function text(key) { return d["t" + key.split("-").map(function (p) { return p[0].toUpperCase() + p.slice(1); }).join("")] || key; }
  function show(message, isError) {
    status.textContent = message;
    status.className = isError ? "error" : "";
  }

  const AGENT_ERRORS = {
    "token-not-present": "err-token", "pin-incorrect": "err-pin", "pin-cancelled": "err-pin-cancelled",
    "pin-locked": "err-pin-locked", "origin-not-allowed": "err-agent", "host-not-allowed": "err-agent",
    "certificate-not-found": "err-token"
  };
  const SERVER_ERRORS = {
    "certificate-not-registered": "err-cert", "session-expired": "err-expired",
    "stale-revision": "err-changed", "prepared-document-changed": "err-changed"
  };

  async function agentCall(method, path, body) {
    let response;
    try {
      response = await fetch(agent + path, {
        method: method, mode: "cors", credentials: "omit",
        headers: body ? {"Content-Type": "application/json"} : {},
        body: body ? JSON.stringify(body) : undefined
      });
    } catch (e) {
      throw new Error(text("err-agent"));
    }
    const json = await response.json().catch(function () { return {}; });
    if (!response.ok) {
      const key = AGENT_ERRORS[json.error];
      const own = d.lang === "en" ? json.message_en : json.message_vi;
      throw new Error(key ? text(key) : (own || text("err-agent")));
    }
    return json;
  }

  async function serverCall(path, body) {
    const response = await fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": d.csrf},
      body: JSON.stringify(body)
    });
    const json = await response.json().catch(function () { return {}; });
    if (!response.ok) {
      const key = SERVER_ERRORS[json.code];
      const own = d.lang === "en" ? json.detail_en : json.detail_vi;
      throw new Error(key ? text(key) : text("err-other") + ": " + (own || response.status));
    }
    return json;
  }

  async function sha256Hex(base64) {
    const bytes = Uint8Array.from(atob(base64), function (c) { return c.charCodeAt(0); });
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    return Array.from(new Uint8Array(digest)).map(function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  async function sign() {
    button.disabled = true;
    result.hidden = true;
    show(text("working"), false);
    try {
      // 1. the certificates on the official's token, and the one registered to this account
      const listing = await agentCall("GET", "/certificates");
      const registered = d.registered ? d.registered.split(",") : [];
      let chosen = null;
      for (const c of listing.certificates || []) {
        if (registered.indexOf(await sha256Hex(c.certificate)) >= 0) { chosen = c; break; }
      }
      if (!chosen) throw new Error(text("err-cert"));
      // 2. step 1 on the server: what to sign
      const session = await serverCall("/pages/api/sessions", {
        document_id: d.documentId, certificate: chosen.certificate,
        level: document.getElementById("level").value
      });
      // 3. the token signs the hash (the agent asks for the PIN itself)
      const request = {
        hash: session.hash, hash_algorithm: session.hash_algorithm,
        signature_algorithm: session.signature_algorithm, certificate: chosen.certificate,
        document: {title: d.title, number: d.number, sha256: d.sha256}
      };
      if (session.signature_algorithm === "rsassa_pss") request.pss_salt_length = session.pss_salt_length;
      const signed = await agentCall("POST", "/sign", request);
      // 4. step 3 on the server: verify, embed, store, verify again
      const done = await serverCall("/pages/api/sessions/" + encodeURIComponent(session.id) + "/signature",
                                    {signature: signed.signature});
      show(text("result-ok"), false);
      result.hidden = false;
      result.innerHTML = "";
      const rows = [[text("signer"), done.signer], [text("signing-time"), done.signing_time],
                    [text("verdict"), done.verdict_text || done.verdict]];
      const dl = document.createElement("dl");
      for (const [k, v] of rows) {
        const dt = document.createElement("dt"); dt.textContent = k;
        const dd = document.createElement("dd"); dd.textContent = v || ""; dd.className = "r-" + k.length;
        dl.append(dt, dd);
      }
      dl.id = "summary";
      const link = document.createElement("a");
      link.href = done.download; link.id = "download"; link.textContent = text("download");
      result.append(dl, link);
      button.hidden = true;
    } catch (e) {
      show(e.message, true);
      button.disabled = false;
    }
  }

  button.addEventListener("click", sign);
})();
