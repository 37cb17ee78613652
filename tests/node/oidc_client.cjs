// openid-client (panva) as a portal of the identity provider, in two steps around the login.
//
//   node oidc_client.cjs authorize  < {issuer, client_id, client_secret, redirect_uri, scope, params}
//     discovery, then the authorization URL (code, PKCE S256, nonce, state, and `params`):
//     prints {url, verifier, nonce, state}
//   node oidc_client.cjs redeem     < {...the above, callback | form, max_age}
//     authorizationCodeGrant on the callback URL (or the form_post fields, as the POST the
//     browser makes), then userinfo: prints {claims, userinfo, token_type, scope}
//
// ID token signatures are checked against the provider's JWKS (enableNonRepudiationChecks);
// http is allowed because the provider runs on loopback. A refusal prints {error} and exits 1.
"use strict";

const client = require("openid-client");

async function configuration(input) {
  const config = await client.discovery(
    new URL(input.issuer),
    input.client_id,
    input.client_secret,
    client.ClientSecretBasic(input.client_secret),
    { execute: [client.allowInsecureRequests] },
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
  return { claims, userinfo, token_type: tokens.token_type, scope: tokens.scope };
}

async function main() {
  const steps = { authorize, redeem };
  const step = steps[process.argv[2]];
  if (!step) throw new Error(`unknown step ${process.argv[2]}`);
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const result = await step(JSON.parse(Buffer.concat(chunks).toString("utf8")));
  process.stdout.write(JSON.stringify(result));
}

main().catch((error) => {
  const { name, code, message } = error;
  const cause = error.cause && typeof error.cause === "object" ? error.cause : {};
  // openid-client wraps oauth4webapi's error (the check that failed) or the server's answer
  const detail = { reason: cause.message, error: cause.error, error_description: cause.error_description };
  process.stdout.write(JSON.stringify({ error: { name, code, message, ...detail } }));
  process.exit(1);
});
