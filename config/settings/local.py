"""Local development: `make run`. Safe defaults, SQLite, console email, tasks in-process."""

from .base import *  # noqa: F403
from .base import env, env_bool

DEBUG = env_bool("DEBUG", True)
# A fixed key is fine on a developer's machine; production refuses to start without its own.
SECRET_KEY = env("SECRET_KEY", "local-development-only-not-secret")
# base.py decided this with DEBUG off; with the debug pages on, staff may sign in without
# a second factor (set it to true to try the setup page).
MFA_REQUIRED_FOR_STAFF = env_bool("MFA_REQUIRED_FOR_STAFF", not DEBUG)

# runserver serves static files from static/ directly; no collectstatic needed locally.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
