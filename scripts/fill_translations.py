"""Fill empty or fuzzy entries of the catalogs from JSON files of translations.

Each JSON file maps an English msgid to its translations::

    {"Close the round": {"fr": "Clore le tour", "es": "Cerrar la ronda"},
     "%(num)d item": {"fr": ["%(num)d élément", "%(num)d éléments"],
                      "es": ["%(num)d ítem", "%(num)d ítems"]}}

A plural entry is keyed by its singular msgid and gives a list of forms.
Entries already translated (and not fuzzy) are kept unless ``--force``.

Usage, after ``scripts/update_translations.sh`` has merged the new strings::

    python scripts/fill_translations.py [--domain messages|mail] [--force] FILE.json...
    scripts/update_translations.sh compile

Strings the files do not cover are listed, and the exit status is 1 while any
entry of a catalog stays empty or fuzzy.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
DOMAINS = {"messages": ROOT / "delphi" / "translations",
           "mail": ROOT / "delphi" / "mail" / "translations"}
LANGUAGES = ("fr", "es")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--domain", choices=sorted(DOMAINS), default="messages")
    parser.add_argument("--force", action="store_true", help="overwrite existing translations")
    args = parser.parse_args(argv)
    table: dict[str, dict] = {}
    for path in args.files:
        table.update(json.loads(path.read_text(encoding="utf-8")))
    missing = 0
    for lang in LANGUAGES:
        po_path = DOMAINS[args.domain] / lang / "LC_MESSAGES" / f"{args.domain}.po"
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        for message in catalog:
            if not message.id:
                continue
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            current = message.string
            empty = not any(current) if isinstance(current, tuple) else not current
            if not (empty or message.fuzzy or args.force):
                continue
            found = table.get(key, {}).get(lang)
            if found is None:
                if empty or message.fuzzy:
                    missing += 1
                    print(f"{lang}: no translation for {key!r}", file=sys.stderr)
                continue
            if isinstance(message.id, tuple):
                forms = [found] * 2 if isinstance(found, str) else list(found)
                message.string = tuple(forms[: catalog.num_plurals]
                                       + forms[-1:] * (catalog.num_plurals - len(forms)))
            else:
                message.string = found if isinstance(found, str) else found[0]
            message.flags.discard("fuzzy")
            message.previous_id = []
        with po_path.open("wb") as handle:
            write_po(handle, catalog, width=0, ignore_obsolete=True)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
