from django import template

from provisioning.models import CompanySignIn

register = template.Library()


@register.simple_tag
def company_sign_in_offered() -> bool:
    """Whether any organisation signs its people in (the sign-in page then offers it)."""
    return CompanySignIn.objects.exists()
