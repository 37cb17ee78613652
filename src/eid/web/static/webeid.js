// The Web eID step of the login page: the only part of the pages that needs JavaScript.
// 1. ask this server for a challenge nonce; 2. hand it to the Web eID browser extension
// through window messages ("web-eid:authenticate"); 3. post the extension's token back
// in the login form, where the server validates it.
"use strict";
(function () {
  var ACK_TIMEOUT_MS = 2000;
  var USER_TIMEOUT_MS = 120000;

  function askExtension(nonce, lang) {
    return new Promise(function (resolve, reject) {
      var acknowledged = false;
      var ackTimer = setTimeout(function () {
        if (!acknowledged) { finish(); reject(new Error("extension-missing")); }
      }, ACK_TIMEOUT_MS);
      var userTimer = setTimeout(function () { finish(); reject(new Error("user-timeout")); }, USER_TIMEOUT_MS);
      function finish() {
        clearTimeout(ackTimer);
        clearTimeout(userTimer);
        window.removeEventListener("message", onMessage);
      }
      function onMessage(event) {
        if (event.source !== window || !event.data || typeof event.data.action !== "string") { return; }
        var action = event.data.action;
        if (action === "web-eid:authenticate-ack") { acknowledged = true; }
        else if (action === "web-eid:authenticate-success") { finish(); resolve(event.data); }
        else if (action === "web-eid:authenticate-failure") { finish(); reject(new Error((event.data.error && event.data.error.code) || "failure")); }
      }
      window.addEventListener("message", onMessage);
      window.postMessage({ action: "web-eid:authenticate", challengeNonce: nonce, options: { lang: lang } }, window.location.origin);
    });
  }

  function start(form, button, status) {
    button.disabled = true;
    status.textContent = form.dataset.working;
    var body = new URLSearchParams();
    body.set("csrf", form.elements.csrf.value);
    fetch(form.dataset.challengeUrl, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("challenge-" + response.status); }
        return response.json();
      })
      .then(function (challenge) {
        form.elements.challenge.value = challenge.nonce;
        return askExtension(challenge.nonce, document.documentElement.lang);
      })
      .then(function (token) {
        var fields = ["unverifiedCertificate", "algorithm", "signature", "format", "appVersion", "unverifiedSigningCertificates", "supportedSignatureAlgorithms"];
        var clean = {};
        fields.forEach(function (name) { if (token[name] !== undefined) { clean[name] = token[name]; } });
        form.elements.token.value = JSON.stringify(clean);
        form.submit();
      })
      .catch(function () {
        status.textContent = form.dataset.missing;
        button.disabled = false;
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("webeid-form");
    if (!form) { return; }
    var button = document.getElementById("webeid-button");
    var status = document.getElementById("webeid-status");
    document.getElementById("webeid-nojs").hidden = true;
    button.hidden = false;
    button.addEventListener("click", function () { start(form, button, status); });
  });
})();
