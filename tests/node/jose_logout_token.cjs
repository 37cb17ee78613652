// jose (panva) as a portal's back-channel logout endpoint: verifies our logout token.
//
//   node jose_logout_token.cjs < {token, jwks_uri, issuer, audience}
//
// jwtVerify with our JWKS (fetched), the explicit type of Back-Channel Logout 2.4
// (logout+jwt), iss, aud, and the claims 2.6 requires: prints {header, claims}.
// A refusal prints {error} and exits 1.
"use strict";

const jose = require("jose");

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const keys = jose.createRemoteJWKSet(new URL(input.jwks_uri));
  const { protectedHeader, payload } = await jose.jwtVerify(input.token, keys, {
    issuer: input.issuer,
    audience: input.audience,
    typ: "logout+jwt",
    requiredClaims: ["iat", "jti", "events"],
    maxTokenAge: "2 minutes",
  });
  process.stdout.write(JSON.stringify({ header: protectedHeader, claims: payload }));
}

main().catch((error) => {
  const { name, code, message } = error;
  process.stdout.write(JSON.stringify({ error: { name, code, message } }));
  process.exit(1);
});
