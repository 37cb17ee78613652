// @node-saml/node-saml (passport-saml's core) as a service provider of the identity provider.
//
//   node saml_sp.cjs metadata < {sp}           prints {metadata}: node-saml's SP metadata
//   node saml_sp.cjs request  < {sp, post}     prints {url | form, request_id, made}: a signed
//                                              AuthnRequest (RSA-SHA256): HTTP-Redirect, or
//                                              with post the POST binding's fields (enveloped;
//                                              deflated unless post_uncompressed)
//   node saml_sp.cjs validate < {sp, request_id, made, SAMLResponse, RelayState}
//                                              prints {profile}: validatePostResponseAsync
//   node saml_sp.cjs logout   < {sp, profile}  prints {url, request_id, made}: a signed
//                                              LogoutRequest (HTTP-Redirect) for that login
//   node saml_sp.cjs logged_out < {sp, request_id, made, url | form}
//                                              prints {loggedOut}: our LogoutResponse at its
//                                              SLO URL, validateRedirectAsync on the url, or
//                                              validatePostResponseAsync on the posted form
//   node saml_sp.cjs answer_logout < {sp, url | form}
//                                              prints {name_id, url}: our LogoutRequest,
//                                              validateRedirectAsync on the url or
//                                              validatePostRequestAsync on the posted form,
//                                              then its signed answer (HTTP-Redirect)
//
// {sp}: entity_id, acs and sls (its URLs), sso and slo (ours), key and cert (PEM), idp_certs
// (PEM, from our metadata), idp_issuer (our entity ID), encrypted (its assertions come
// encrypted for cert), response_signed (it wants the Response signed, not only its
// assertion), authn_context (instead of eIDAS "low" or higher, these exactly), in_response_to
// (its validateInResponseTo instead of "always").
// A refusal prints {error} and exits 1.
"use strict";

const { SAML } = require("@node-saml/node-saml");
const { runStep } = require("./step.cjs");

const EIDAS_LOW = "http://eidas.europa.eu/LoA/low";

// node-saml keeps the IDs of its requests to check InResponseTo; each step is its own process,
// so a step that makes a request prints its ID and time (sent), and the step that checks the
// answer starts from them (expecting).
function requestIds(expecting) {
  const ids = new Map(expecting ? [[expecting.request_id, expecting.made]] : []);
  return {
    async saveAsync(key, value) {
      ids.set(key, value);
      return { value, createdAt: Date.now() };
    },
    async getAsync(key) {
      return ids.get(key) ?? null;
    },
    async removeAsync(key) {
      return ids.delete(key) ? key : null;
    },
    sent() {
      const [[request_id, made]] = ids.entries();
      return { request_id, made };
    },
  };
}

function serviceProvider(input, cache) {
  return new SAML({
    issuer: input.entity_id,
    callbackUrl: input.acs,
    entryPoint: input.sso,
    logoutUrl: input.slo,
    logoutCallbackUrl: input.sls,
    idpIssuer: input.idp_issuer,
    idpCert: input.idp_certs,
    privateKey: input.key,
    publicCert: input.cert,
    decryptionPvk: input.encrypted ? input.key : undefined,
    signatureAlgorithm: "sha256",
    digestAlgorithm: "sha256",
    identifierFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    authnContext: input.authn_context ?? [EIDAS_LOW],
    racComparison: input.authn_context ? "exact" : "minimum",
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: Boolean(input.response_signed),
    // SAML Bindings 3.5.4: the POST binding sends the XML itself; node-saml deflates it
    // as for the Redirect binding unless told not to
    skipRequestCompression: Boolean(input.post_uncompressed),
    validateInResponseTo: input.in_response_to ?? "always",
    cacheProvider: cache,
  });
}

// A logout message from us as the SP's SLO endpoint gets it: input.url by the Redirect binding,
// input.form (SAMLRequest or SAMLResponse, RelayState) by the POST one, checked with `post`.
async function received(sp, input, post) {
  if (input.form) return sp[post](input.form);
  const url = new URL(input.url);
  return sp.validateRedirectAsync(Object.fromEntries(url.searchParams), url.search.slice(1));
}

const steps = {
  async metadata(input) {
    // node-saml wants an IdP certificate even here, where it is not used
    const sp = serviceProvider({ idp_certs: "unused", ...input }, requestIds());
    const encryption = input.encrypted ? input.cert : null;
    return { metadata: sp.generateServiceProviderMetadata(encryption, input.cert) };
  },
  async request(input) {
    const cache = requestIds();
    const sp = serviceProvider(input, cache);
    const message = input.post
      ? { form: await sp.getAuthorizeMessageAsync("relay-7", undefined, {}) }
      : { url: await sp.getAuthorizeUrlAsync("relay-7", undefined, {}) };
    return { ...message, ...cache.sent() };
  },
  async validate(input) {
    const sp = serviceProvider(input, requestIds(input));
    const { SAMLResponse, RelayState } = input;
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse, RelayState });
    return { profile };
  },
  async logout(input) {
    const cache = requestIds();
    const sp = serviceProvider(input, cache);
    const url = await sp.getLogoutUrlAsync(input.profile, "relay-out", {});
    return { url, ...cache.sent() };
  },
  async logged_out(input) {
    const sp = serviceProvider(input, requestIds(input));
    const { loggedOut } = await received(sp, input, "validatePostResponseAsync");
    return { loggedOut };
  },
  async answer_logout(input) {
    const sp = serviceProvider(input, requestIds());
    const { profile } = await received(sp, input, "validatePostRequestAsync");
    const relay = input.form
      ? input.form.RelayState
      : new URL(input.url).searchParams.get("RelayState");
    const answer = await sp.getLogoutResponseUrlAsync(profile, relay, {}, true);
    return { name_id: profile.nameID, url: answer };
  },
};

// xmlStatus: the SAML Status of an answer node-saml refused as not a success
runStep(steps, ({ name, message, xmlStatus }) => ({ name, message, status: xmlStatus }));
