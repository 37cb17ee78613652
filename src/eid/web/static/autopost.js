// Sends the SAML POST-binding form on load; without JavaScript its button does the same.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("autopost");
  if (form) { form.submit(); }
});
