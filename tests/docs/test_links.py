"""The README and docs stand alone: every link resolves inside the repository."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench" / "README.md"]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_link_of_a_page_resolves_inside_the_repository(page):
    text = page.read_text()
    targets = [t for t in LINK.findall(text) if not t.startswith(("http://", "https://"))]
    for target in targets:
        resolved = (page.parent / target).resolve()
        assert resolved.is_relative_to(ROOT), f"{target} leaves the repository"
        assert resolved.exists(), f"{target} does not exist"
    assert "../shared" not in text and "DESIGN.md" not in text


def test_the_architecture_page_names_every_module_of_the_domain_and_the_workers():
    text = (ROOT / "docs" / "architecture.md").read_text()
    names = [p.name for p in (ROOT / "workers").glob("*.py") if p.name != "__init__.py"]
    for core in ("models", "services", "answering", "generation", "training", "jobs"):
        names.append(f"{core}.py")
    assert [name for name in names if name not in text] == []
