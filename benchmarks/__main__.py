"""Run every benchmark: ``python -m benchmarks [name ...]``."""

from __future__ import annotations

import sys

from benchmarks import (
    bench_auth,
    bench_identity,
    bench_saml,
    bench_sign,
    bench_sso,
    bench_tokens,
    bench_verify,
    bench_web,
    bench_xmlsig,
)

BENCHMARKS = {
    "tokens": bench_tokens.main,
    "identity": bench_identity.main,
    "auth": bench_auth.main,
    "sign": bench_sign.main,
    "verify": bench_verify.main,
    "sso": bench_sso.main,
    "xmlsig": bench_xmlsig.main,
    "saml": bench_saml.main,
    "web": bench_web.main,
}

if __name__ == "__main__":
    for name in sys.argv[1:] or list(BENCHMARKS):
        BENCHMARKS[name]()
