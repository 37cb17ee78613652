"""Property tests of Web eID tokens: parsing any text or JSON, validating changed tokens."""

from __future__ import annotations

import base64
import json

from hypothesis import given
from hypothesis import strategies as st

from eid.auth.webeid_format import ALGORITHMS
from fuzz import checks, material
from tests.fuzz.strategies import edited, examples, field_or_json, inputs


def _token_objects() -> st.SearchStrategy[dict[str, object]]:
    token = json.loads(material.webeid_token())
    signing = st.fixed_dictionaries(
        {
            "certificate": field_or_json(st.just(token["unverifiedCertificate"])),
            "supportedSignatureAlgorithms": field_or_json(
                st.lists(
                    st.fixed_dictionaries(
                        {
                            "cryptoAlgorithm": field_or_json(st.sampled_from(["ECC", "RSA"])),
                            "hashFunction": field_or_json(st.sampled_from(["SHA-256", "SHA3-512"])),
                            "paddingScheme": field_or_json(
                                st.sampled_from(["NONE", "PKCS1.5", "PSS"])
                            ),
                        }
                    ),
                    max_size=2,
                )
            ),
        }
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "format": field_or_json(st.sampled_from(["web-eid:1", "web-eid:1.0", "web-eid:1.1"])),
            "algorithm": field_or_json(st.sampled_from(sorted(ALGORITHMS))),
            "appVersion": field_or_json(st.just(token["appVersion"])),
            "unverifiedCertificate": field_or_json(
                st.sampled_from([token["unverifiedCertificate"], base64.b64encode(b"0").decode()])
            ),
            "signature": field_or_json(st.just(token["signature"])),
            "unverifiedSigningCertificates": field_or_json(st.lists(signing, max_size=2)),
        },
    )


@given(inputs("webeid_parse"))
def test_token_text_parses_or_raises_eid_errors(data: bytes) -> None:
    checks.check_webeid_parse(data)


@given(st.deferred(_token_objects))
def test_token_objects_parse_and_validate_or_raise_eid_errors(token: dict[str, object]) -> None:
    text = json.dumps(token).encode()
    checks.check_webeid_parse(text)
    checks.check_webeid_validate(text)


@examples(0.5)
@given(st.deferred(lambda: edited(material.webeid_token().encode())))
def test_a_changed_token_never_validates_as_another(data: bytes) -> None:
    checks.check_webeid_validate(data)


@examples(0.2)
@given(st.integers(1, 4000), st.sampled_from(["[", '{"a":']))
def test_deep_nesting_is_refused_as_malformed(depth: int, opening: str) -> None:
    closing = "]" if opening == "[" else "}"
    checks.check_webeid_parse((opening * depth + "1" + closing * depth).encode())


@given(st.text(max_size=40).map(str.encode))
def test_identity_numbers_parse_or_raise_eid_errors(data: bytes) -> None:
    checks.check_identity_numbers(data)


@given(
    st.one_of(
        inputs("client_certificate"),
        st.deferred(lambda: edited(material.authentication().cert_der())),
    )
)
def test_client_certificates_log_in_only_as_issued(data: bytes) -> None:
    checks.check_client_certificate(data)
