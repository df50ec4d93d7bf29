# Superset settings for the bi-scim test harness: a throwaway SQLite metadata DB, the FAB security API on, CI limits off.
import os
from datetime import timedelta

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
# An absolute path: a relative SQLite URI makes Superset fail with "NoSuchTableError: ab_user".
SQLALCHEMY_DATABASE_URI = "sqlite:///" + os.path.join(os.environ["SUPERSET_HOME"], "superset.db") + "?check_same_thread=false"

# Registers /api/v1/security/{users,roles,groups}/; must be on before `superset init` so Admin gets its permissions.
# The harness turns it off (BI_SCIM_SUPERSET_SECURITY_API=0) only to show what an operator who forgot it would see.
FAB_ADD_SECURITY_API = os.environ.get("BI_SCIM_SUPERSET_SECURITY_API", "1") == "1"
# The security APIs are CSRF-exempt (FAB's BaseApi); Superset's own APIs keep Flask-WTF's protection, as in production.
WTF_CSRF_ENABLED = True

# One client IP sends every test request; production-mode limits would turn bursts into 429s.
RATELIMIT_ENABLED = False
AUTH_RATE_LIMITED = False
TALISMAN_ENABLED = False

# Short-lived access tokens make every run exercise the adapter's refresh path (default is 15 minutes).
JWT_ACCESS_TOKEN_EXPIRES = timedelta(seconds=int(os.environ.get("BI_SCIM_SUPERSET_TOKEN_SECONDS", "900")))

# SCIM owns memberships; a login must never rewrite them (no SSO here, stated as the recommended setting).
AUTH_ROLES_SYNC_AT_LOGIN = False

# Nothing in the tests needs examples, thumbnails or async queries.
SUPERSET_LOAD_EXAMPLES = False
FEATURE_FLAGS = {}
