from django.shortcuts import render

from . import selectors


def catalogue(request):
    return render(
        request,
        "courses/catalogue.html",
        {"sections": selectors.catalogue_sections(request.user)},
    )
