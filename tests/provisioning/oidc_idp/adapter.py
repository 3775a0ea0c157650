from allauth.idp.oidc.adapter import DefaultOIDCAdapter


class Adapter(DefaultOIDCAdapter):
    """The company's directory says which department a person is in (their first group)."""

    def get_claims(self, purpose, user, client, scopes, email=None, **kwargs):
        claims = super().get_claims(purpose, user, client, scopes, email=email, **kwargs)
        group = user.groups.order_by("name").first()
        if group is not None and "profile" in scopes:
            claims["department"] = group.name
        return claims
