"""The layering contracts in pyproject.toml only see regular packages: a folder of modules without an
__init__.py is invisible to import-linter, and an import across the layers from it goes unnoticed."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("hub", "channels", "flows", "catalog", "reports")


def test_every_folder_of_modules_is_a_regular_package():
    missing = [
        str(folder.relative_to(ROOT))
        for top in PACKAGES
        for folder in [ROOT / top, *(ROOT / top).rglob("*")]
        if folder.is_dir() and "__pycache__" not in folder.parts and any(folder.glob("*.py"))
        and not (folder / "__init__.py").exists()
    ]
    assert missing == []


def test_every_packages_module_record_is_in_the_composition_root():
    """A package's record that the root does not list would leave its routes, listeners and jobs unwired."""
    import importlib

    from hub import composition

    records = [".".join(path.relative_to(ROOT).with_suffix("").parts)
               for top in ("hub", "flows", "catalog", "reports") for path in (ROOT / top).rglob("module.py")]
    assert len(records) == len(composition.MODULES)
    assert all(importlib.import_module(name).MODULE in composition.MODULES for name in records)
