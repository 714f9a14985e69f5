// Gatehouse passkeys: the only script on Gatehouse pages. It asks the server
// for WebAuthn options (POST data-begin, same origin), runs
// navigator.credentials.create/get, and submits the result as an ordinary
// form field "credential" (JSON), so the server answers with normal pages
// and redirects. Without JavaScript the rest of every page still works.
(function () {
  "use strict";
  var form = document.getElementById("webauthn-form");
  if (!form) return;
  var nojs = document.getElementById("webauthn-nojs");
  if (!window.PublicKeyCredential || !navigator.credentials) {
    if (nojs) nojs.textContent = "This browser does not support passkeys. Choose another method.";
    return;
  }
  if (nojs) nojs.hidden = true;
  form.hidden = false;

  function b64urlToBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function bufToB64url(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function decodeList(list) {
    return (list || []).map(function (c) {
      var d = Object.assign({}, c);
      d.id = b64urlToBuf(c.id);
      return d;
    });
  }
  function creationOptions(pk) {
    pk.challenge = b64urlToBuf(pk.challenge);
    pk.user.id = b64urlToBuf(pk.user.id);
    pk.excludeCredentials = decodeList(pk.excludeCredentials);
    return pk;
  }
  function requestOptions(pk) {
    pk.challenge = b64urlToBuf(pk.challenge);
    pk.allowCredentials = decodeList(pk.allowCredentials);
    return pk;
  }
  function encode(cred) {
    var r = cred.response, out = {
      id: cred.id, rawId: bufToB64url(cred.rawId), type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: bufToB64url(r.clientDataJSON) }
    };
    if (cred.authenticatorAttachment) out.authenticatorAttachment = cred.authenticatorAttachment;
    if (r.attestationObject) {
      out.response.attestationObject = bufToB64url(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = bufToB64url(r.authenticatorData);
      out.response.signature = bufToB64url(r.signature);
      if (r.userHandle) out.response.userHandle = bufToB64url(r.userHandle);
    }
    return out;
  }
  function fail(msg) {
    var p = document.getElementById("webauthn-error");
    if (!p) {
      p = document.createElement("p");
      p.id = "webauthn-error";
      p.className = "error";
      p.setAttribute("role", "alert");
      form.parentNode.insertBefore(p, form);
    }
    p.textContent = msg;
  }

  form.addEventListener("submit", function (ev) {
    if (form.elements.credential.value) return; // the real submit
    ev.preventDefault();
    var body = new URLSearchParams();
    body.set("id", form.elements.id.value);
    fetch(form.dataset.begin, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" }
    }).then(function (resp) {
      return resp.json().then(function (j) {
        if (!resp.ok) throw new Error(j.error || "The passkey could not be started.");
        return j;
      });
    }).then(function (opts) {
      if (form.dataset.mode === "register") {
        return navigator.credentials.create({ publicKey: creationOptions(opts.publicKey) });
      }
      return navigator.credentials.get({ publicKey: requestOptions(opts.publicKey), mediation: opts.mediation || undefined });
    }).then(function (cred) {
      if (!cred) throw new Error("No passkey was chosen.");
      form.elements.credential.value = JSON.stringify(encode(cred));
      form.submit();
    }).catch(function (err) {
      fail(err && err.name === "NotAllowedError" ? "The passkey request was cancelled or timed out." : (err.message || String(err)));
    });
  });
})();
