from django.core import signing
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from . import messaging, preferences


@csrf_exempt  # one-click unsubscribe (RFC 8058): mail clients POST without a session or token
def unsubscribe(request, token: str):
    try:
        data = messaging.read_unsubscribe_token(token)
    except signing.BadSignature:
        return render(request, "ledger/unsubscribe_invalid.html", status=400)
    kind = data["kind"]
    label = preferences.KIND_LABELS.get(kind, kind.replace("_", " "))
    if request.method == "POST":
        preferences.unsubscribe(email=data["email"], kind=kind)
        return render(request, "ledger/unsubscribe_done.html", {"label": label})
    return render(
        request, "ledger/unsubscribe_confirm.html", {"label": label, "email": data["email"]}
    )
