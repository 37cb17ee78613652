// jose (panva) as a portal's back-channel logout endpoint: verifies our logout token.
//
//   node jose_logout_token.cjs verify < {token, jwks_uri, issuer, audience}
//
// jwtVerify with our JWKS (fetched), the explicit type of Back-Channel Logout 2.4
// (logout+jwt), iss, aud, and the claims 2.6 requires: prints {header, claims}.
// A refusal prints {error} and exits 1.
"use strict";

const jose = require("jose");
const { runStep } = require("./step.cjs");

async function verify(input) {
  const keys = jose.createRemoteJWKSet(new URL(input.jwks_uri));
  const { protectedHeader, payload } = await jose.jwtVerify(input.token, keys, {
    issuer: input.issuer,
    audience: input.audience,
    typ: "logout+jwt",
    requiredClaims: ["iat", "jti", "events"],
    maxTokenAge: "2 minutes",
  });
  return { header: protectedHeader, claims: payload };
}

runStep({ verify });

