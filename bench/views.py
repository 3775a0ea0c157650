from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def bare_auth(request):
    """The baseline: the full middleware stack and a signed-in user, and nothing else."""
    return HttpResponse(b"ok", content_type="text/plain")
