"""The Graph provider encodes its form bodies itself, fast: byte for byte what
urllib's urlencode and httpx's ``data=`` would send."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from statesync.providers.graph_wire import form_body


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.text(max_size=8), st.text(max_size=60), min_size=1, max_size=4)
)
def test_graph_form_bodies_are_what_httpx_sends(form: dict[str, str]) -> None:
    assert form_body(form) == urlencode(form).encode()
    assert form_body(form) == httpx.Request("POST", "http://x/", data=form).content
