// openid-client (panva) as a portal of the identity provider, in steps around the login.
//
//   node oidc_client.cjs register   < {issuer, metadata}
//     dynamic client registration (RFC 7591): prints the registered client's metadata
//   node oidc_client.cjs authorize  < {issuer, client_id, client_secret, redirect_uri, scope,
//                                       params}
//     discovery, then the authorization URL (code, PKCE S256, nonce, state, and `params`):
//     prints {url, verifier, nonce, state}
//   node oidc_client.cjs redeem     < {...the above, callback | form, max_age}
//     authorizationCodeGrant on the callback URL (or the form_post fields, as the POST the
//     browser makes), then userinfo: prints {claims, userinfo, token_type, scope, id_token}
//   node oidc_client.cjs logout     < {issuer, client_id, client_secret, id_token, params}
//     the RP-initiated logout URL (end_session_endpoint, id_token_hint): prints {url}
//
// The client authenticates with `auth`: client_secret_basic (default), client_secret_post, or
// private_key_jwt with `private_jwk` (ES256). ID token signatures are checked against the
// provider's JWKS (enableNonRepudiationChecks); http is allowed because the provider runs on
// loopback. A refusal prints {error} and exits 1.
"use strict";

const client = require("openid-client");
const { importJWK } = require("jose");
const { runStep } = require("./step.cjs");

const LOOPBACK = { execute: [client.allowInsecureRequests] };

async function authentication(input) {
  switch (input.auth ?? "client_secret_basic") {
    case "client_secret_basic":
      return client.ClientSecretBasic(input.client_secret);
    case "client_secret_post":
      return client.ClientSecretPost(input.client_secret);
    case "private_key_jwt":
      return client.PrivateKeyJwt({
        key: await importJWK(input.private_jwk, "ES256"),
        kid: input.private_jwk.kid,
      });
    default:
      throw new Error(`unknown client authentication ${input.auth}`);
  }
}

async function register(input) {
  const server = new URL(input.issuer);
  const { metadata } = input;
  const config = await client.dynamicClientRegistration(server, metadata, undefined, LOOPBACK);
  return config.clientMetadata();
}

async function configuration(input) {
  const config = await client.discovery(
    new URL(input.issuer),
    input.client_id,
    input.client_secret,
    await authentication(input),
    LOOPBACK,
  );
  client.enableNonRepudiationChecks(config);
  return config;
}

async function authorize(input) {
  const config = await configuration(input);
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: input.redirect_uri,
    scope: input.scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    nonce,
    state,
    ...input.params,
  });
  return { url: url.href, verifier, nonce, state };
}

async function redeem(input) {
  const config = await configuration(input);
  const answer = input.form
    ? new Request(input.redirect_uri, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(input.form).toString(),
      })
    : new URL(input.callback);
  const tokens = await client.authorizationCodeGrant(config, answer, {
    pkceCodeVerifier: input.verifier,
    expectedNonce: input.nonce,
    expectedState: input.state,
    maxAge: input.max_age,
  });
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  const { token_type, scope, id_token } = tokens;
  return { claims, userinfo, token_type, scope, id_token };
}

async function logout(input) {
  const config = await configuration(input);
  const hint = { id_token_hint: input.id_token };
  return { url: client.buildEndSessionUrl(config, { ...hint, ...input.params }).href };
}

// openid-client wraps oauth4webapi's error (the check that failed), the server's answer, or
// its WWW-Authenticate challenges (a list)
function describe(error) {
  const { name, code, message } = error;
  const cause = error.cause && typeof error.cause === "object" ? error.cause : {};
  if (Array.isArray(cause)) return { name, code, message, challenges: cause };
  const answer = {
    error: error.error ?? cause.error,
    error_description: error.error_description ?? cause.error_description,
  };
  return { name, code, message, reason: cause.message, ...answer };
}

runStep({ register, authorize, redeem, logout }, describe);
