"""The Graph provider encodes its form bodies itself, fast: byte for byte what
urllib's urlencode and httpx's ``data=`` would send."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from statesync.providers.graph_wire import batch_of_reads, form_body


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.text(max_size=8), st.text(max_size=60), min_size=1, max_size=4)
)
def test_graph_form_bodies_are_what_httpx_sends(form: dict[str, str]) -> None:
    assert form_body(form) == urlencode(form).encode()
    assert form_body(form) == httpx.Request("POST", "http://x/", data=form).content


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=5), st.text(max_size=40))
def test_a_batch_of_reads_is_encoded_as_its_json_would_be(
    post_ids: list[str], query: str
) -> None:
    items = [{"method": "GET", "relative_url": f"{i}?{query}"} for i in post_ids]
    plain = {"batch": json.dumps(items, separators=(",", ":")), "x": "1"}
    encoded = {"batch": batch_of_reads(post_ids, query), "x": "1"}
    assert form_body(encoded) == urlencode(plain).encode()
