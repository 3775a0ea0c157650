"""Every page of the site is in the benchmark, so no page's cost goes unmeasured.

The pages are read from the authorization matrix (every URL name × role × method, kept
complete by its own test): a URL name of the site's apps whose GET answers 200 to someone.
"""

from bench.config import CORE_URL_NAMES, PAGE_CASES
from tests.security.test_authorization_matrix import MATRIX

APPS = (
    "courses:", "progress:", "practice:", "governance:", "teams:", "notifications:", "ledger:",
    "audit:", "credentials:", "lti:", "api:",
)  # fmt: skip
SITE = {"healthz", "security_txt", "security_policy", "profile", "profile_delete", "placement"}


def site_pages() -> set[str]:
    return {
        name
        for name, (get, _post) in MATRIX.items()
        if (name.startswith(APPS) or name in SITE) and 200 in get
    }


def test_every_page_of_the_site_has_a_benchmark_case():
    measured = set(CORE_URL_NAMES.values()) | set(PAGE_CASES.values())
    assert site_pages() - measured == set()


def test_the_benchmark_measures_only_pages_that_exist():
    names = set(MATRIX) | {"admin:progress_quizstatistics_change"}
    assert set(PAGE_CASES.values()) - names == set()
    assert len(site_pages()) > 30  # the matrix was read, not an empty table
