"""Local development: `make run`. Safe defaults, SQLite, console email, tasks in-process."""

from .base import *  # noqa: F403
from .base import env, env_bool

DEBUG = env_bool("DEBUG", True)
# A fixed key is fine on a developer's machine; production refuses to start without its own.
SECRET_KEY = env("SECRET_KEY", "local-development-only-not-secret")
# Staff need a second factor under `make run` too, as in production: the demo admin sets up an
# authenticator app at first sign-in (MFA_REQUIRED_FOR_STAFF=false make run skips it).
MFA_REQUIRED_FOR_STAFF = env_bool("MFA_REQUIRED_FOR_STAFF", True)

# runserver serves static files from static/ directly; no collectstatic needed locally.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
