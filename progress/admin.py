"""Learners' records in the admin: read-only history, extra-attempt grants, and item analysis."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET

from core.admin import ReadOnlyAdmin

from . import item_analysis, services
from .models import (
    AttemptGrant,
    Certificate,
    Enrolment,
    QuizAttempt,
    QuizStatistics,
    Review,
    Submission,
)


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdmin):
    list_display = ["learner", "track", "enrolled_at", "last_activity_at", "completed_at"]
    list_filter = ["track"]
    search_fields = ["learner__email", "learner__display_name", "track__title"]
    list_select_related = ["learner", "track"]


@admin.register(QuizAttempt)
class QuizAttemptAdmin(ReadOnlyAdmin):
    list_display = ["learner", "quiz", "score", "passed", "submitted_at"]
    list_filter = ["passed"]
    search_fields = ["learner__email", "quiz__lesson__title"]
    list_select_related = ["learner", "quiz__lesson"]
    exclude = ["token"]


class ReviewInline(admin.StackedInline):
    model = Review
    extra = 0
    can_delete = False
    readonly_fields = ["reviewer", "outcome", "feedback_markdown", "scores", "reviewed_at"]
    exclude = ["feedback_html"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "learner", "version", "status", "submitted_at"]
    list_filter = ["status"]
    search_fields = ["learner__email", "assignment__title"]
    list_select_related = ["learner", "assignment"]
    exclude = ["text_html"]
    inlines = [ReviewInline]


class CertificateStandingFilter(admin.SimpleListFilter):
    """Valid, expired or revoked, as the certificate's page and the API say it."""

    title = "standing"
    parameter_name = "standing"

    def lookups(self, request, model_admin):
        return Certificate.STANDINGS

    def queryset(self, request, queryset):
        if self.value() in dict(Certificate.STANDINGS):
            return queryset.in_standing(self.value())
        return queryset


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    """Certificates are history, so read-only, except that staff may revoke one (issued in
    error, or earned dishonestly) with a reason, and reinstate it if that was a mistake."""

    list_display = ["track_title", "learner_name", "issued_at", "expires_at", "standing"]
    list_filter = [CertificateStandingFilter, "track"]
    search_fields = ["learner_name", "learner__email", "code", "track_title"]
    list_select_related = ["track"]
    actions = ["revoke", "reinstate"]

    @admin.display(description="standing")
    def standing(self, certificate: Certificate) -> str:
        standing = dict(Certificate.STANDINGS)[certificate.standing()]
        if certificate.is_revoked:
            return f"{standing} on {certificate.revoked_at:%Y-%m-%d}: {certificate.revoked_reason}"
        return standing

    @admin.action(description="Revoke the selected certificates…")
    def revoke(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if "apply" in request.POST and reason:
            revoked = sum(
                services.revoke_certificate(certificate=c, by=request.user, reason=reason)
                for c in queryset.select_related("learner")
            )
            self.message_user(request, f"Revoked {revoked} certificate(s).")
            return None
        return TemplateResponse(
            request,
            "admin/progress/revoke_certificates.html",
            {
                **self.admin_site.each_context(request),
                "title": "Revoke certificates",
                "certificates": queryset,
                "reason": reason,
                "missing_reason": "apply" in request.POST,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description="Reinstate the selected revoked certificates")
    def reinstate(self, request, queryset):
        reinstated = sum(
            services.reinstate_certificate(certificate=c, by=request.user)
            for c in queryset.select_related("learner")
        )
        self.message_user(request, f"Reinstated {reinstated} certificate(s).")


@admin.register(AttemptGrant)
class AttemptGrantAdmin(admin.ModelAdmin):
    """Extra quiz attempts: staff grant one here (managers from the team pages); a grant is a
    record of who allowed what and when, so it can't be edited afterwards."""

    list_display = ["learner", "quiz", "granted_by", "granted_at"]
    list_select_related = ["learner", "quiz__lesson", "granted_by"]
    search_fields = ["learner__email", "learner__display_name", "quiz__lesson__title"]
    autocomplete_fields = ["learner"]
    fields = ["learner", "quiz"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.granted_by = request.user
        super().save_model(request, obj, form, change)
        services.record_grant(grant=obj)


@admin.register(QuizStatistics)
class QuizStatisticsAdmin(admin.ModelAdmin):
    """Item analysis per quiz (progress.item_analysis): read-only, with a CSV download."""

    list_display = ["__str__", "track", "attempt_count", "question_count", "draw"]
    list_select_related = ["lesson__track"]
    list_filter = ["lesson__track"]
    search_fields = ["lesson__title", "lesson__track__title"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                attempt_count=Coalesce("tally__attempts", 0),
                question_count=Count("questions"),
            )
        )

    @admin.display(description="track", ordering="lesson__track__title")
    def track(self, obj):
        return obj.lesson.track

    @admin.display(description="attempts", ordering="attempt_count")
    def attempt_count(self, obj):
        return obj.attempt_count

    @admin.display(description="questions in the bank", ordering="question_count")
    def question_count(self, obj):
        return obj.question_count

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<path:object_id>/statistics.csv",
                self.admin_site.admin_view(self.csv_view),
                name="progress_quizstatistics_csv",
            ),
            *super().get_urls(),
        ]

    def _quiz_or_404(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        quiz = self.get_object(request, unquote(object_id))
        if quiz is None:
            raise Http404("No such quiz")
        return quiz

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method != "GET":
            raise PermissionDenied  # a report: nothing to save
        quiz = self._quiz_or_404(request, object_id)
        stats = item_analysis.quiz_stats(quiz)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Statistics: {quiz.lesson}",
            "stats": stats,
            "original": quiz,
            "thresholds": item_analysis,
            "csv_url": reverse("admin:progress_quizstatistics_csv", args=[quiz.pk]),
            "quiz_url": reverse("admin:courses_quiz_change", args=[quiz.pk]),
        }
        return TemplateResponse(request, "admin/progress/quiz_statistics.html", context)

    @method_decorator(require_GET)
    def csv_view(self, request, object_id):
        quiz = self._quiz_or_404(request, object_id)
        response = HttpResponse(
            item_analysis.stats_csv(item_analysis.quiz_stats(quiz)),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="quiz-{quiz.pk}-statistics.csv"'
        return response
