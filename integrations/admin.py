from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from core.admin import ReadOnlyAdmin

from . import delivery, xapi
from .models import (
    Event,
    LearningRecordStore,
    Outbox,
    StatementDelivery,
    WebhookDelivery,
    WebhookEndpoint,
)


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


class OutboxAdmin(ReadOnlyAdmin):
    """An outbox's log: read only; a pending or failed row can be sent again now. A subclass
    names its `attempt` (the module function that sends one row)."""

    actions = ["send_again_now"]
    attempt = None

    @admin.action(description="Send the selected ones again now")
    def send_again_now(self, request, queryset):
        now = timezone.now()
        chosen = queryset.exclude(state=Outbox.State.DELIVERED)
        chosen.update(state=Outbox.State.PENDING, next_attempt_at=now)
        sent = sum(
            1
            for pk in chosen.values_list("pk", flat=True)
            if (done := type(self).attempt(pk, now=now)) and done.state == done.State.DELIVERED
        )
        messages.info(request, f"Sent again: {sent} delivered.")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(OutboxAdmin):
    """The delivery log: each event sent to each endpoint, its attempts and the last answer."""

    attempt = delivery.attempt
    list_display = [
        "occurred_at", "event", "endpoint", "state", "attempts", "last_status", "next_attempt_at",
    ]  # fmt: skip
    list_filter = ["state", "event", "endpoint__organisation"]
    search_fields = ["message_id", "endpoint__url"]
    list_select_related = ["endpoint__organisation"]


class StoreForm(forms.ModelForm):
    """The secret is written, never shown back: left empty on a change, it stays as it was."""

    secret = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="The HTTP Basic password the LRS gave you. Leave empty to keep the current one.",
    )

    class Meta:
        model = LearningRecordStore
        fields = ["organisation", "name", "endpoint", "key", "secret", "active"]

    def clean_secret(self):
        secret = self.cleaned_data["secret"]
        if not secret and not self.instance.pk:
            raise forms.ValidationError("The LRS's secret is needed.")
        return secret or self.instance.secret


@admin.register(LearningRecordStore)
class LearningRecordStoreAdmin(admin.ModelAdmin):
    """An organisation's learning record stores: its people's xAPI statements go to each
    active one (docs/xapi.md)."""

    form = StoreForm
    list_display = ["name", "organisation", "endpoint", "key", "active", "created_at"]
    list_filter = ["organisation", "active"]
    search_fields = ["name", "endpoint", "organisation__name"]
    readonly_fields = ["created_by", "created_at"]
    autocomplete_fields = ["organisation"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(StatementDelivery)
class StatementDeliveryAdmin(OutboxAdmin):
    """The xAPI log: each statement sent to each store, its attempts and the store's last
    answer (the statement itself on its page)."""

    attempt = xapi.attempt
    list_display = [
        "occurred_at", "verb", "statement_id", "store", "state", "attempts", "last_status",
        "next_attempt_at",
    ]  # fmt: skip
    list_filter = ["state", "verb", "store__organisation"]
    search_fields = ["statement_id", "store__name", "store__endpoint"]
    list_select_related = ["store__organisation"]
