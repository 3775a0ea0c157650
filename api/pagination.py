from django.conf import settings
from rest_framework.pagination import CursorPagination


class IdCursor(CursorPagination):
    """Pages in id order, with opaque `next` and `previous` links: a row added or changed while
    a client walks the pages is neither skipped nor repeated (ids never change), and every page
    costs the same whatever its depth (no OFFSET)."""

    ordering = "pk"
    page_size_query_param = "page_size"

    def get_page_size(self, request) -> int:
        self.max_page_size = settings.API_MAX_PAGE_SIZE
        self.page_size = settings.API_PAGE_SIZE
        return super().get_page_size(request)
