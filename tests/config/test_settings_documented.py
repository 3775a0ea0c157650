"""Every setting the code reads from the environment is in the README's one table (issue 23,
item 5): an operator never has to read the code to find one."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READ = re.compile(
    r"""(?:env|env_bool|env_list|environ\.get|require)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
)
INTERNAL = {"BENCH_WITHOUT_BROKER"}  # the benchmark's own switch, not an operator's


def test_every_environment_setting_is_in_the_readme_table():
    names = set()
    for path in [*(ROOT / "config" / "settings").glob("*.py"), ROOT / "config" / "celery.py"]:
        names |= set(READ.findall(path.read_text(encoding="utf-8")))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| variable | default (local) | meaning |") :]
    table = table[: table.index("\n\n")]
    assert len(names) > 15  # the settings were read
    missing = sorted(name for name in names - INTERNAL if f"`{name}" not in table)
    assert missing == []
