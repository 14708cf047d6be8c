"""OneAll's LinkedIn route: Publish Company Post (seed 001). Seed 000 has no LinkedIn
update or delete, so neither has the emulator. docs/oneall-networks.md §2.
"""

from __future__ import annotations

from statesync.emulator.context import Context
from statesync.emulator.network_common import digits_id, optional_text, optional_url
from statesync.emulator.oneall_common import PROCESSED, envelope, json_body
from statesync.emulator.seed_networks import SeedIdentity
from statesync.emulator.wire import ApiRequest, ApiResponse, OneAllError

NETWORK = "linkedin"
# LinkedIn's post (company update) limit, as third-party guides publish it.
MAX_MESSAGE = 3000
_WHERE = "request.push.post"


def push_company_post(
    ctx: Context, request: ApiRequest, identity: SeedIdentity
) -> ApiResponse:
    """`POST /push/identities/<identity_token>/linkedin/company/post.json`, body as
    oneall/php-sdk `pushCompanyPost()` sends it."""
    post = json_body(request, "request", "push", "post")
    company = digits_id(post.get("company"), f"{_WHERE}.company")
    if company not in identity.targets:
        raise OneAllError(
            403,
            f"The identity is not configured as an administrator of the company [{company}]",
        )
    message = optional_text(post, "message", _WHERE, limit=MAX_MESSAGE) or None
    link = optional_url(post, "link", _WHERE)
    picture = optional_url(post, "picture", _WHERE)
    if message is None and link is None:
        raise OneAllError(400, f"{_WHERE}.message is required (or a link to share)")
    fields = {
        "link": link,
        # LinkedIn's v1 Company Share API: a title of at most 200 characters.
        "title": optional_text(post, "title", _WHERE, limit=200) or None,
        "description": optional_text(post, "description", _WHERE) or None,
    }
    shared = ctx.store.create_network_object(
        NETWORK,
        "post",
        company,
        text=message,
        fields={key: value for key, value in fields.items() if value is not None},
        media=[{"kind": "picture", "url": picture}] if picture else [],
        location=lambda urn: f"https://www.linkedin.com/feed/update/{urn}/",
    )
    data = {
        "provider": NETWORK,
        "object": "post",
        "post_id": shared.id,
        "post_location": shared.location,
    }
    return envelope(request, 200, PROCESSED, {"data": data})
