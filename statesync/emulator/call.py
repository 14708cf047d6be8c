"""A Graph request whose token has been resolved: who is calling, on which pages, with
which tasks. Every Graph handler (nodes, posts, the router) takes one; it lives apart
from the router so that the handlers need not import the module that dispatches to
them."""

from __future__ import annotations

from dataclasses import dataclass, field

from statesync.emulator.context import Context
from statesync.emulator.fields import FieldSpec, parse_fields
from statesync.emulator.params import param_str
from statesync.emulator.records import Principal, Role
from statesync.emulator.wire import ApiRequest, GraphError

_READ_TASKS = frozenset(
    {"CREATE_CONTENT", "MANAGE", "MODERATE"}
)  # PROTOCOL §2: read feed


@dataclass(slots=True)
class Call:
    """A request whose token has been resolved; collects the pages it touched."""

    ctx: Context
    request: ApiRequest
    token: str
    principal: Principal
    pages: list[str] = field(default_factory=list)

    def charge(self, page_id: str) -> None:
        """PROTOCOL §4: one call on the page; past the budget, error 80001."""
        if page_id not in self.pages:
            self.pages.append(page_id)
        if not self.ctx.limiter.admit(page_id):
            raise GraphError(
                80001,
                "(#80001) There have been too many calls to this Page account. Wait a bit"
                " and try again. For more info, please refer to"
                " https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
            )

    def tasks(self, page_id: str) -> tuple[str, ...]:
        role = self.role(page_id)
        return role.tasks if role else ()

    def role(self, page_id: str) -> Role | None:
        if self.principal.is_page and self.principal.page_id != page_id:
            return None
        return self.ctx.store.role(self.principal.user_id, page_id)

    def require_page_writer(self, page_id: str) -> None:
        """PROTOCOL §2: publishing takes the page token of a CREATE_CONTENT holder."""
        if self.principal.page_id != page_id or "CREATE_CONTENT" not in self.tasks(
            page_id
        ):
            raise GraphError(
                200,
                "(#200) If posting to a page, requires both pages_read_engagement and"
                " pages_manage_posts as an admin with sufficient administrative permission",
                status=403,
            )

    def require_reader(self, page_id: str, *, page_token: bool = False) -> None:
        """PROTOCOL §2: reading a feed takes CREATE_CONTENT, MANAGE or MODERATE;
        `page_token`: and the page's own token (its settings, seed 004)."""
        if (page_token and self.principal.page_id != page_id) or not (
            _READ_TASKS & set(self.tasks(page_id))
        ):
            raise GraphError(
                10,
                "(#10) This endpoint requires the 'pages_read_engagement' permission or the"
                " 'Page Public Content Access' feature.",
                status=403,
            )

    @property
    def fields(self) -> tuple[FieldSpec, ...] | None:
        return parse_fields(param_str(self.request.params, "fields"))
