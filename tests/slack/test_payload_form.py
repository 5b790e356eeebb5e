"""The fast decoder of a click's form body agrees with urllib's on everything it accepts."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from hypothesis import given
from hypothesis import strategies as st

from handlers.slack.payloads import _interaction_form


@given(st.text())
def test_any_encoded_payload_decodes_as_urllib_decodes_it(value: str) -> None:
    for encoded in (urlencode({"payload": value}), "payload=" + value.replace("&", "")):
        raw = encoded.encode("utf-8", "surrogatepass")
        fast = _interaction_form(raw)
        if fast is not None:
            assert fast == dict(parse_qsl(encoded, keep_blank_values=True))


@given(st.binary())
def test_any_bytes_either_decode_as_urllib_does_or_are_left_to_it(raw: bytes) -> None:
    body = b"payload=" + raw
    fast = _interaction_form(body)
    if fast is not None:
        assert fast == dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


def test_other_form_bodies_are_left_to_urllib() -> None:
    assert _interaction_form(b"command=%2Fpulse&text=now") is None
    assert _interaction_form(b"payload=a&b=c") is None
    assert _interaction_form(b"payload=%zz") is None
    assert _interaction_form(b"payload=%7B%22a%22%3A+1%7D") == {"payload": '{"a": 1}'}
