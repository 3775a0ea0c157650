"""The outbox: every email the system sent or tried to send (the `Message` ledger), read-only.

A message's HTML body is an email, full of inline styles that the site's Content-Security-Policy
forbids. It is shown in an iframe whose document comes from `MessageAdmin.html_view`, which sends
its own policy: inline styles and same-site images only, no scripts, no forms, no plugins, and
`sandbox` (a unique origin with scripts off, even if the policy were bypassed). The iframe
element carries `sandbox` too. Nothing of the email touches the admin page's own document.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.csp import CSP
from django.utils.html import format_html
from django.utils.text import Truncator
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override

from core.admin import ReadOnlyAdmin

from .models import EmailOptOut, Message

# The email preview's policy: no script-src, so scripts fall back to default-src 'none'.
EMAIL_PREVIEW_CSP = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
    "frame-ancestors": [CSP.SELF],
    "sandbox": True,  # rendered as a bare `sandbox`: no scripts, forms, popups or same origin
}


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "to_email",
        "recipient",
        "kind",
        "subject",
        "status",
        "short_error",
        "attempts",
        "sent_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["to_email", "recipient__email", "subject"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "recipient",
                    "to_email",
                    "kind",
                    "subject",
                    "status",
                    "error",
                    "attempts",
                    "created_at",
                    "claimed_at",
                    "sent_at",
                    "key",
                ]
            },
        ),
        ("Text part", {"fields": ["text_body"]}),
        ("HTML part", {"fields": ["html_body"]}),
    ]
    readonly_fields = ["text_body", "html_body"]

    @admin.display(description="error")
    def short_error(self, obj):
        return Truncator(obj.error).chars(60) if obj.error else ""

    @admin.display(description="as sent (plain text)")
    def text_body(self, obj):
        return format_html('<pre class="outbox-text">{}</pre>', obj.body_text)

    @admin.display(description="as sent (HTML)")
    def html_body(self, obj):
        url = reverse("admin:ledger_message_html", args=[obj.pk])
        return format_html(
            '<iframe class="outbox-frame" src="{}" sandbox="" referrerpolicy="no-referrer" '
            'title="HTML part of “{}”"></iframe>'
            '<p class="help">Shown in a sandbox: scripts, forms and images from other sites '
            'are blocked. <a href="{}" target="_blank" rel="noopener">Open it on its own '
            "page</a>.</p>",
            url,
            obj.subject,
            url,
        )

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/html/",
                # admin_view: staff only, never cached. The preview policy replaces the site's.
                self.admin_site.admin_view(
                    csp_override(EMAIL_PREVIEW_CSP)(xframe_options_sameorigin(self.html_view))
                ),
                name="{}_{}_html".format(*info),
            ),
            *super().get_urls(),
        ]

    def html_view(self, request, object_id):
        message = self.get_object(request, unquote(object_id))
        if message is None:
            raise Http404("No such message")
        if not self.has_view_permission(request, message):
            raise PermissionDenied
        response = HttpResponse(message.body_html, content_type="text/html; charset=utf-8")
        response["Referrer-Policy"] = "no-referrer"
        return response


@admin.register(EmailOptOut)
class EmailOptOutAdmin(ReadOnlyAdmin):
    list_display = ["email", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["email"]
    fields = ["email", "kind", "created_at"]


# -- learners' records: visible to staff for support; changed through the site's own pages ----
