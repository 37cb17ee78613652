// Sends a POST form to a portal on load (SAML POST binding, OIDC form_post);
// without JavaScript its button does the same.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("autopost");
  if (form) { form.submit(); }
});
