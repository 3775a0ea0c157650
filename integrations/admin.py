from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from core.admin import ReadOnlyAdmin

from . import delivery
from .models import Event, WebhookDelivery, WebhookEndpoint


class EndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=Event.choices, widget=forms.CheckboxSelectMultiple, help_text="What it receives."
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["organisation", "url", "description", "events", "active"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """An organisation's webhook endpoints. The signing secret is on the change page, for the
    receiver's developers (docs/webhooks.md)."""

    form = EndpointForm
    list_display = ["url", "organisation", "active", "created_at"]
    list_filter = ["organisation", "active"]
    search_fields = ["url", "description", "organisation__name"]
    readonly_fields = ["secret", "created_by", "created_at"]
    autocomplete_fields = ["organisation"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """The delivery log: each event sent to each endpoint, its attempts and the last answer.
    Read only; a pending or failed delivery can be sent again now."""

    list_display = [
        "occurred_at", "event", "endpoint", "state", "attempts", "last_status", "next_attempt_at",
    ]  # fmt: skip
    list_filter = ["state", "event", "endpoint__organisation"]
    search_fields = ["message_id", "endpoint__url"]
    list_select_related = ["endpoint__organisation"]
    actions = ["send_again_now"]

    @admin.action(description="Send the selected deliveries again now")
    def send_again_now(self, request, queryset):
        now = timezone.now()
        chosen = queryset.exclude(state=WebhookDelivery.State.DELIVERED)
        chosen.update(state=WebhookDelivery.State.PENDING, next_attempt_at=now)
        sent = sum(
            1
            for pk in chosen.values_list("pk", flat=True)
            if (done := delivery.attempt(pk, now=now)) and done.state == done.State.DELIVERED
        )
        messages.info(request, f"Sent again: {sent} delivered.")
