"""Admin pages beyond model editing: zip import/export, the lesson preview, the Markdown preview.

Each view is reached through a ModelAdmin's `get_urls` and wrapped in `admin_site.admin_view`,
so only active staff reach it; each also checks the model permission it needs.

The lesson preview renders the learner's page; what that page needs is built by the app that
owns learners' progress, which registers it in `courses.pages` (dependencies point down).
"""

import secrets

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import reverse

from audit import services as audit

from .. import content_files as cf
from .. import content_zip, drafts, pages, selectors, services
from ..markdown import render_markdown
from ..models import Track

IMPORT_CACHE_SECONDS = 60 * 60  # an author has an hour between the report and "Import"
IMPORT_CACHE_PREFIX = "courses:admin-import"
MAX_PREVIEW_CHARS = 200_000  # far above any lesson; stops the endpoint being a free renderer


# --------------------------------------------------------------------------------------------
# Export


def export_tracks(model_admin, request, queryset) -> HttpResponse | None:
    """The tracks as a zip of content folders; None (with a message) when none can be exported."""
    specs = services.track_specs(queryset)
    if not specs:
        model_admin.message_user(
            request,
            "Nothing to download: archived tracks are not exported. Restore a track first.",
            messages.WARNING,
        )
        return None
    data = content_zip.zip_specs(specs)
    filename = f"{specs[0].slug}.zip" if len(specs) == 1 else "socialcraft-tracks.zip"
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --------------------------------------------------------------------------------------------
# Import: upload → validation report → confirm → import


class ImportForm(forms.Form):
    archive = forms.FileField(
        label="Zip file",
        help_text=(
            "A zip of one or more track folders in the content-file format "
            "(<track-slug>/track.toml and <NN>-<module>/<NN>-<lesson>.md). "
            f"At most {content_zip.MAX_FILES} files and "
            f"{content_zip.MAX_BYTES // (1024 * 1024)} MB unpacked."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )


def _cache_key(user, token: str) -> str:
    # The user's id is part of the key: another staff member can't confirm someone's upload.
    return f"{IMPORT_CACHE_PREFIX}:{user.pk}:{token}"


def _track_rows(specs: list[cf.TrackSpec]) -> list[dict]:
    existing = {
        track.slug: track for track in Track.objects.filter(slug__in=[spec.slug for spec in specs])
    }
    rows = []
    for spec in specs:
        lessons = [lesson for module in spec.modules for lesson in module.lessons]
        track = existing.get(spec.slug)
        rows.append(
            {
                "slug": spec.slug,
                "title": spec.title,
                "role": spec.role,
                "published": spec.published,
                "modules": len(spec.modules),
                "lessons": len(lessons),
                "quizzes": sum(lesson.quiz is not None for lesson in lessons),
                "assignments": sum(lesson.assignment is not None for lesson in lessons),
                "existing": track,
                "unpublishes": track is not None and track.is_published and not spec.published,
            }
        )
    return rows


def import_tracks(model_admin, request) -> HttpResponse:
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm_import(model_admin, request)
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "Import tracks from a zip",
        "form": form,
        "max_files": content_zip.MAX_FILES,
    }
    status = 200
    if request.method == "POST" and not form.is_valid():
        status = 400
    elif request.method == "POST":
        upload = form.cleaned_data["archive"]
        context["filename"] = upload.name
        try:
            if upload.size > content_zip.MAX_BYTES:
                raise content_zip.UnsafeArchiveError(
                    f"The zip is larger than {content_zip.MAX_BYTES // (1024 * 1024)} MB."
                )
            data = upload.read()
            specs = content_zip.read_zip(data)
        except content_zip.UnsafeArchiveError as refused:
            context["refused"] = str(refused)
            status = 400
        except cf.InvalidContentError as invalid:
            context["errors"] = invalid.errors
            status = 400
        else:
            token = secrets.token_urlsafe(16)
            cache.set(_cache_key(request.user, token), data, IMPORT_CACHE_SECONDS)
            # Uploading a zip is choosing its version: it replaces admin edits, said first.
            report = services.preview_import(specs, prefer_files=True)
            context.update(
                token=token,
                tracks=_track_rows(specs),
                lines=report.lines(),
                changed=report.changed,
                replaces=services.find_conflicts(specs),
            )
    return TemplateResponse(request, "admin/courses/track/import.html", context, status=status)


def _confirm_import(model_admin, request) -> HttpResponse:
    import_url = reverse("admin:courses_track_import")
    key = _cache_key(request.user, request.POST.get("token", ""))
    data = cache.get(key)
    if data is None:
        model_admin.message_user(
            request,
            "That upload has expired (or was already imported). Upload the zip again.",
            messages.ERROR,
        )
        return HttpResponseRedirect(import_url)
    try:
        # Read again: roles or tracks may have changed since the report was shown.
        specs = content_zip.read_zip(data)
    except (content_zip.UnsafeArchiveError, cf.InvalidContentError) as problem:
        model_admin.message_user(request, f"Nothing was imported: {problem}", messages.ERROR)
        return HttpResponseRedirect(import_url)
    existing = set(
        Track.objects.filter(slug__in=[spec.slug for spec in specs]).values_list("slug", flat=True)
    )
    report = services.import_specs(specs, prefer_files=True)  # the preview listed what it replaces
    cache.delete(key)
    summary = "; ".join(report.lines()) or "nothing changed"
    for track in Track.objects.filter(slug__in=report.tracks):
        services.record_content_change(
            kind=audit.Kind.CONTENT_IMPORTED, item=track, by=request.user
        )
        if track.slug in existing:
            model_admin.log_change(request, track, f"Imported from a zip: {summary}.")
        else:
            model_admin.log_addition(request, track, f"Imported from a zip: {summary}.")
    model_admin.message_user(
        request,
        f"Imported {len(report.tracks)} track(s) ({', '.join(report.tracks)}): {summary}.",
        messages.SUCCESS,
    )
    return HttpResponseRedirect(reverse("admin:courses_track_changelist"))


# --------------------------------------------------------------------------------------------
# Previews


def lesson_preview(model_admin, request, object_id: str) -> HttpResponse:
    """The lesson exactly as a learner sees it, drafts included; records nothing."""
    learner_pages = pages.learner_pages()

    lesson = model_admin.get_object(request, unquote(object_id))
    if lesson is None:
        raise Http404("No such lesson")
    if not model_admin.has_view_or_change_permission(request, lesson):
        raise PermissionDenied
    # Read from the database, never the learners' page cache: the preview shows the latest edit
    # of a draft, and nothing it reads is kept for learners.
    page = selectors.lesson_preview_page(lesson.pk)
    if page is None:
        model_admin.message_user(
            request,
            "This lesson (or its module) is archived, so learners don't see it. "
            "Restore it to preview it.",
            messages.WARNING,
        )
        return HttpResponseRedirect(reverse("admin:courses_lesson_change", args=[lesson.pk]))
    context = learner_pages.lesson_context(request, page, preview=True)
    return render(request, learner_pages.lesson_template, context)


def markdown_preview(model_admin, request) -> JsonResponse:
    """POST text → {"html": ...}: the sanitised HTML that saving the text would store."""
    user = request.user
    if not (
        model_admin.has_change_permission(request)
        or model_admin.has_add_permission(request)
        or user.has_perm("courses.change_practiceassignment")
        or user.has_perm("courses.add_practiceassignment")
    ):
        raise PermissionDenied
    text = request.POST.get("text", "")
    if len(text) > MAX_PREVIEW_CHARS:
        return JsonResponse({"error": "The text is too long to preview."}, status=413)
    return JsonResponse({"html": render_markdown(text)})


# --------------------------------------------------------------------------------------------
# Drafts of live lessons


def lesson_draft(model_admin, request, object_id: str) -> HttpResponse:
    """Edit, check, compare and publish the draft of a live lesson; its published revisions,
    each comparable with what learners see now and revertible."""
    lesson = model_admin.get_object(request, unquote(object_id))
    if lesson is None:
        raise Http404("No such lesson")
    # The model's change permission (obj=None): the lesson itself is read-only while live.
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    change_url = reverse("admin:courses_lesson_change", args=[lesson.pk])
    if not services.is_live(lesson):
        model_admin.message_user(
            request,
            "Learners don't see this lesson, so it is edited directly: no draft is needed.",
        )
        return HttpResponseRedirect(change_url)
    draft_url = reverse("admin:courses_lesson_draft", args=[lesson.pk])
    problems: list[str] = []
    text = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action in ("save", "publish"):
            text = request.POST.get("text", "")
            if len(text) > MAX_PREVIEW_CHARS:
                problems = [f"The draft is longer than {MAX_PREVIEW_CHARS:,} characters."]
            else:
                draft, problems = drafts.save_draft(lesson, text, by=request.user)
                if action == "save" and not problems:
                    model_admin.message_user(
                        request, "Draft saved. Learners still see the published version."
                    )
                    return HttpResponseRedirect(draft_url)
                if action == "publish" and not problems:
                    material = request.POST.get("material") == "on"
                    try:
                        drafts.publish_draft(lesson, by=request.user, material=material)
                    except drafts.DraftError as refused:
                        problems = refused.problems
                    else:
                        model_admin.log_change(
                            request,
                            lesson,
                            "Published a draft"
                            + (" (a change in substance)." if material else "."),
                        )
                        model_admin.message_user(
                            request,
                            f"Published: learners now see the new version of “{lesson}”"
                            + (
                                ", and recertifying learners are asked to read it again."
                                if material
                                else "."
                            ),
                            messages.SUCCESS,
                        )
                        return HttpResponseRedirect(change_url)
        elif action == "discard":
            if drafts.discard_draft(lesson):
                model_admin.message_user(request, "Draft discarded.", messages.SUCCESS)
            return HttpResponseRedirect(draft_url)
        elif action == "revert":
            revision = lesson.revisions.filter(
                pk=request.POST.get("revision") or 0, published_at__isnull=False
            ).first()
            if revision is None:
                model_admin.message_user(
                    request, "That revision is not part of this lesson.", messages.ERROR
                )
            else:
                drafts.revert_to(revision, by=request.user)
                model_admin.message_user(
                    request,
                    f"The version published {revision.published_at:%d %b %Y %H:%M} is now the "
                    "draft: check it, then publish it.",
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(draft_url)
        else:
            return HttpResponseRedirect(draft_url)
    published = drafts.published_text(lesson)
    draft = drafts.draft_of(lesson)
    if text is None:  # not a refused POST: show the stored draft, or the published version
        text = draft.text if draft else published
        if draft is not None:
            _, problems = drafts.read(draft.text, lesson)
    history = drafts.history(lesson)
    compare = next((r for r in history if str(r.pk) == request.GET.get("compare")), None)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"Draft of “{lesson}”",
        "lesson": lesson,
        "text": text,
        "draft": draft,
        "problems": problems,
        "changes": drafts.diff(published, text) if draft or request.method == "POST" else [],
        "history": history,
        "compare": compare,
        "compare_changes": drafts.diff(compare.text, published) if compare else [],
        "change_url": change_url,
        "draft_url": draft_url,
    }
    return TemplateResponse(
        request,
        "admin/courses/lesson/draft.html",
        context,
        status=400 if request.method == "POST" and problems else 200,
    )
