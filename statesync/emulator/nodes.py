"""Page, user and media nodes of the Graph API (seed 004), and `/{user-id}/accounts`."""

from __future__ import annotations

from typing import Any

from statesync.emulator.call import Call
from statesync.emulator.fields import (
    DEFAULT_PAGE_FIELDS,
    PAGE_FIELDS,
    FieldSpec,
    category_list,
    media_src,
    nonexisting,
    parse_fields,
)
from statesync.emulator.page_values import detail_problem, parse_option, read_back
from statesync.emulator.paging import page_of
from statesync.emulator.params import (
    CONTROL_PARAMS,
    check_params,
    param_bool,
    param_json,
    param_str,
)
from statesync.emulator.posts import check_message
from statesync.emulator.records import Media
from statesync.emulator.seed import PAGE_DETAIL_FIELDS
from statesync.emulator.uploads import DEFAULT_SIZE, as_served
from statesync.emulator.wire import ApiResponse, GraphError, graph_time, unsupported

# -- pages ---------------------------------------------------------------------------


def render_page(
    call: Call, page_id: str, specs: tuple[FieldSpec, ...] | None
) -> dict[str, Any]:
    page = call.ctx.store.page(page_id)
    if page is None:
        raise unsupported("GET", page_id)
    out: dict[str, Any] = {}
    for spec in specs if specs is not None else DEFAULT_PAGE_FIELDS or ():
        name = spec.name
        value: Any = None
        if name == "id":
            value = page.id
        elif name == "name":
            value = page.name
        elif name == "category":
            value = page.category
        elif name == "category_list":
            value = category_list(page)
        elif name == "link":
            value = f"https://www.facebook.com/{page.id}"
        elif name == "is_published":
            value = True
        elif name == "access_token":
            role = call.role(page_id)
            value = role.page_token if role else None
        elif name == "tasks":
            value = list(call.tasks(page_id)) or None
        elif name == "roles":
            value = {
                "data": [
                    {"name": user.name, "id": user.id, "tasks": list(role.tasks)}
                    for user, role in call.ctx.store.roles_of_page(page_id)
                ]
            }
        elif name in PAGE_DETAIL_FIELDS:
            value = read_back(name, page.details.get(name))
        elif name not in PAGE_FIELDS:
            raise nonexisting(name, "Page")
        if value is not None:  # seed 004: a field that is not set is not returned
            out[name] = value
    out.setdefault("id", page.id)  # seed 004: the reply carries the id unasked
    return out


def page_node(call: Call, method: str, page_id: str) -> ApiResponse:
    if method == "GET":
        return ApiResponse(200, render_page(call, page_id, call.fields))
    if method == "POST":
        return update_page(call, page_id)
    raise unsupported(method, page_id)


_JSON_DETAILS = frozenset({"emails", "hours", "location", "parking"})


def _require_manager(call: Call, page_id: str) -> None:
    """seed 004: changing a page's details or settings takes MANAGE and its token."""
    if "MANAGE" not in call.tasks(page_id) or call.principal.page_id != page_id:
        raise GraphError(
            200,
            "(#200) The user does not have sufficient administrative permission for this"
            " action on this page.",
            status=403,
        )


def update_page(call: Call, page_id: str) -> ApiResponse:
    """seed 004: `POST /{page-id}` with the details to change; `{"success": true}`.

    Emails, website, hours and phone are checked (`page_values.detail_problem`) and
    read back as the API would normalize them (`page_values.read_back`)."""
    _require_manager(call, page_id)
    changes: dict[str, Any] = {}
    for key in call.request.params:
        if key in CONTROL_PARAMS:
            continue
        if key not in PAGE_DETAIL_FIELDS:
            raise GraphError(
                100, f"(#100) Param {key} is not a valid parameter for this endpoint"
            )
        if key in _JSON_DETAILS:
            changes[key] = param_json(call.request.params, key)
        else:
            changes[key] = param_str(call.request.params, key)
        problem = detail_problem(key, changes[key])
        if problem:
            raise GraphError(100, f"(#100) {problem}")
    if not changes:
        raise GraphError(100, "(#100) No parameters to update")
    call.ctx.store.update_page_details(page_id, changes)
    return ApiResponse(200, {"success": True})


def page_settings(call: Call, method: str, page_id: str) -> ApiResponse:
    """seed 004 "Update Page Settings": `/{page-id}/settings`, with the page's token.

    GET lists every known setting; unconfirmed: the real reply's exact shape. The
    emulator answers `{"data": [{"setting": "USERS_CAN_POST", "value": true}, ...]}`,
    in `page_values.SETTING_DEFAULTS` order, with no paging.
    POST sets one: `option={"USERS_CAN_MESSAGE": false}` -> `{"success": true}`."""
    if method == "GET":
        call.require_reader(page_id, page_token=True)
        settings = call.ctx.store.page_settings(page_id)
        data = [{"setting": name, "value": value} for name, value in settings.items()]
        return ApiResponse(200, {"data": data})
    if method != "POST":
        raise unsupported(method, f"{page_id}/settings")
    _require_manager(call, page_id)
    for key in call.request.params:
        if key not in CONTROL_PARAMS and key != "option":
            raise GraphError(
                100, f"(#100) Param {key} is not a valid parameter for this endpoint"
            )
    raw = call.request.params.get("option")
    if raw is None or raw == "":
        raise GraphError(100, "(#100) The parameter option is required")
    try:
        name, value = parse_option(raw)
    except ValueError as error:
        raise GraphError(100, f"(#100) Param {error}") from None
    call.ctx.store.set_page_setting(page_id, name, value)
    return ApiResponse(200, {"success": True})


# -- users and accounts --------------------------------------------------------------


def render_user(
    call: Call, user_id: str, specs: tuple[FieldSpec, ...] | None
) -> dict[str, Any]:
    user = call.ctx.store.user(user_id)
    if user is None:
        raise unsupported("GET", user_id)
    out: dict[str, Any] = {}
    for spec in specs if specs is not None else DEFAULT_PAGE_FIELDS or ():
        if spec.name == "id":
            out["id"] = user.id
        elif spec.name == "name":
            out["name"] = user.name
        else:
            raise nonexisting(spec.name, "User")
    out.setdefault("id", user.id)
    return out


def user_node(call: Call, method: str, user_id: str, edge: str | None) -> ApiResponse:
    if method != "GET":
        raise unsupported(method, user_id)
    if edge is None:
        return ApiResponse(200, render_user(call, user_id, call.fields))
    if edge != "accounts":
        raise nonexisting(edge, "User")
    if call.principal.user_id != user_id or call.principal.is_page:
        raise unsupported("GET", f"{user_id}/accounts")
    return ApiResponse(200, accounts(call, user_id))


_ACCOUNT_DEFAULT = parse_fields("access_token,category,category_list,name,id,tasks")


def accounts(call: Call, user_id: str) -> dict[str, Any]:
    """seed 004: `GET /{user-id}/accounts`, pages with their tokens and tasks, paged."""
    roles = call.ctx.store.roles_of_user(user_id)
    positions = {role.page_id: index for index, role in enumerate(roles)}
    chosen, paging = page_of(roles, lambda r: (positions[r.page_id],), call.request)
    specs = call.fields if call.fields is not None else _ACCOUNT_DEFAULT
    data = [render_page(call, role.page_id, specs) for role in chosen]
    body: dict[str, Any] = {"data": data}
    if paging:
        body["paging"] = paging
    return body


# -- media ---------------------------------------------------------------------------


def render_media(
    call: Call, media_id: str, specs: tuple[FieldSpec, ...] | None
) -> dict[str, Any]:
    """A photo or video node; uploaded bytes show at their served URL (`uploads`)."""
    media = as_served(call.ctx.store.media(media_id), call.request.base_url)
    if media is None:
        raise unsupported("GET", media_id)
    node = "Video" if media.kind == "video" else "Photo"
    width, height = (
        (media.width, media.height) if media.width and media.height else DEFAULT_SIZE
    )
    values: dict[str, Any] = {
        "id": media.id,
        "created_time": graph_time(media.created_time),
        "link": f"https://www.facebook.com/photo.php?fbid={media.id}",
        "picture": media_src(media),
        "images": [{"height": height, "width": width, "source": media_src(media)}],
        "from": {"id": media.page_id},
    }
    if media.kind == "video":
        values["source"] = media.url or f"https://video.xx.fbcdn.net/{media.id}.mp4"
        values["description"] = media.name
        values.update(_video_post_fields(call, media))
    else:
        # Photo reference: `alt_text_custom` as set at upload, `name` the caption.
        values["alt_text_custom"] = media.alt_text
        values["name"] = media.name
        values["width"], values["height"] = width, height
    out = {}
    for spec in specs if specs is not None else parse_fields("id,created_time") or ():
        if spec.name not in values:
            raise nonexisting(spec.name, node)
        if values[spec.name] is not None:  # seed 004: unset fields are left out
            out[spec.name] = values[spec.name]
    out.setdefault("id", media.id)
    return out


def _video_post_fields(call: Call, video: Media) -> dict[str, Any]:
    """`published`, `post_id` and `status` of a video (docs/media.md §3.1).

    unconfirmed: `post_id` reads only once the video's processing is over, which the
    emulator makes `Context.video_post_delay_s` after it was published (on the
    emulator's clock); until then the field is left out and `status.video_status`
    is "processing", then "ready" (the one value seen in a real reply)."""
    processing = (
        video.published_at is not None
        and call.ctx.store.clock() - video.published_at < call.ctx.video_post_delay_s
    )
    return {
        "published": video.post_id is not None,
        "post_id": None if processing else video.post_id,
        "status": {"video_status": "processing" if processing else "ready"},
    }


# unconfirmed: the Video node takes more on update (title, name, ...); the emulator
# takes what a video post needs and refuses the rest, as a post's update does.
_VIDEO_UPDATE_PARAMS = frozenset({"description", "published"})


def update_video(call: Call, video: Media) -> ApiResponse:
    """docs/media.md §3.1: `POST /{video-id}`; `description` sets the video's and its
    post's text ("" clears them), `published=true` makes its one post if it has none
    (idempotent after); `{"success": true}`."""
    call.require_page_writer(video.page_id)
    params = check_params(call.request.params, _VIDEO_UPDATE_PARAMS)
    published = param_bool(params, "published")
    if published is None and "description" not in params:
        # unconfirmed: as a page's update answers nothing to change (seed 004).
        raise GraphError(100, "(#100) No parameters to update")
    if published is False and video.post_id is not None:
        # unconfirmed: the code and wording, as for a post (PROTOCOL §10).
        raise GraphError(100, "(#100) A published video cannot be unpublished")
    if "description" in params:
        description = param_str(params, "description") or None
        check_message(description)
        call.ctx.store.describe_video(video.id, description)
    if published:
        call.ctx.store.publish_video(video.page_id, video.id)
    return ApiResponse(200, {"success": True})


def media_node(call: Call, method: str, media_id: str) -> ApiResponse:
    if method == "GET":
        return ApiResponse(200, render_media(call, media_id, call.fields))
    media = call.ctx.store.media(media_id)
    assert media is not None  # noqa: S101 - route() checked
    if method == "POST" and media.kind == "video":
        return update_video(call, media)
    if method == "DELETE":
        call.require_page_writer(media.page_id)
        if call.ctx.store.media_in_use(media_id):
            # PROTOCOL §10: a photo used by a post can't be deleted alone (observed).
            raise GraphError(
                100,
                f"(#100) This {media.kind} is attached to a post and cannot be deleted",
            )
        call.ctx.store.delete_media(media_id)
        return ApiResponse(200, {"success": True})
    raise unsupported(method, media_id)
