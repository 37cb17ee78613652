// jose (panva) as another provider: ID tokens for eid.sso's importer.
//
//   node jose_id_token.cjs sign < {alg, issuer, audience, subject, nonce, access_token}
//
// makes a new key pair for `alg` (RS256, PS256, ES256, ES384, RS512...) and prints
// {jwks, id_token, forged}: the public JWK in a JWKS, an ID token it signs (nonce, at_hash
// of access_token, a few claims), and the same claims as attacks: unsecured (alg "none")
// and HS256 keyed with the public key (algorithm confusion).
"use strict";

const crypto = require("node:crypto");
const jose = require("jose");
const { runStep } = require("./step.cjs");

// OIDC core 3.1.3.6: the left half of the access token's hash under the alg's hash (RS256:
// SHA-256, ES384: SHA-384...)
function atHash(accessToken, alg) {
  const digest = crypto.createHash(`sha${alg.slice(-3)}`).update(accessToken).digest();
  return digest.subarray(0, digest.length / 2).toString("base64url");
}

async function sign(input) {
  const { alg } = input;
  const kid = `jose-${alg}`;
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await jose.exportJWK(publicKey)), kid, alg, use: "sig" };
  const claims = {
    nonce: input.nonce,
    at_hash: atHash(input.access_token, alg),
    given_name: "Alice",
    acr: "http://eidas.europa.eu/LoA/substantial",
  };
  const token = (builder) =>
    builder
      .setIssuer(input.issuer)
      .setAudience(input.audience)
      .setSubject(input.subject)
      .setIssuedAt()
      .setExpirationTime("5m");
  const idToken = await token(new jose.SignJWT(claims))
    .setProtectedHeader({ alg, kid, typ: "JWT" })
    .sign(privateKey);
  const unsecured = token(new jose.UnsecuredJWT(claims)).encode();
  const confused = await token(new jose.SignJWT(claims))
    .setProtectedHeader({ alg: "HS256", kid, typ: "JWT" })
    .sign(new TextEncoder().encode(await jose.exportSPKI(publicKey)));
  return { jwks: { keys: [jwk] }, id_token: idToken, forged: { unsecured, confused } };
}

runStep({ sign });

