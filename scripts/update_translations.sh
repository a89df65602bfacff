#!/usr/bin/env bash
# Re-extract the user-facing strings, merge them into every catalog, compile.
#
#   scripts/update_translations.sh          # extract, update, compile
#   scripts/update_translations.sh compile  # compile only
#
# New or changed strings arrive empty or marked fuzzy in
# delphi/translations/<lang>/LC_MESSAGES/messages.po: translate them there
# (and drop the "fuzzy" flag), then run this again. tests/test_i18n.py fails
# while a string is untranslated or the .mo is older than the .po.
#
# A new language: add it to the loop below; "init" then creates its catalog
# with Babel's plural rule, which for Spanish has a third form (for millions):
# set its header to "Plural-Forms: nplurals=2; plural=(n != 1);" by hand
# ("update" keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-$(dirname "$(command -v python)")/pybabel}"
[ -x "$PYBABEL" ] || PYBABEL=pybabel
DIR=delphi/translations
POT="$DIR/messages.pot"
mkdir -p "$DIR"

if [ "${1:-}" != "compile" ]; then
  "$PYBABEL" extract -F babel.cfg -k _l -k lazy_gettext --sort-by-file \
    --project="delphi-engine" -o "$POT" . >/dev/null
  for lang in fr es; do
    if [ -f "$DIR/$lang/LC_MESSAGES/messages.po" ]; then
      "$PYBABEL" update -i "$POT" -d "$DIR" -l "$lang" --ignore-obsolete --no-wrap >/dev/null
    else
      "$PYBABEL" init -i "$POT" -d "$DIR" -l "$lang" --no-wrap >/dev/null
    fi
  done
fi
"$PYBABEL" compile -d "$DIR" --statistics
