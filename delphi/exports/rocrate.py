"""``ro-crate-metadata.json`` (RO-Crate 1.1) and ``.zenodo.json``: the export as a
research object a repository can take as it is.

The crate describes the root dataset (title, description, licence, date,
language, keywords), every file of the ZIP (type, size, SHA-256), the software
that made it (the engine, with its version) as the instrument of the export's
``CreateAction``, the reproduction script as Python source code, and the
creator: the study's organisation (the initiative and its task force), never a
panellist or a moderator. ``.zenodo.json`` holds the same metadata as the
Zenodo deposit form reads it (Zenodo's "GitHub/legacy deposit metadata").

References: RO-Crate 1.1 specification, https://w3id.org/ro/crate/1.1;
Zenodo REST API deposit metadata, https://developers.zenodo.org/#representation.
"""
from __future__ import annotations

import mimetypes

CONTEXT = "https://w3id.org/ro/crate/1.1/context"
PROFILE = "https://w3id.org/ro/crate/1.1"
ORGANISATION_ID = "#organisation"
SOFTWARE_ID = "#software"
ZENODO_LANGUAGES = {"en": "eng", "fr": "fra", "es": "spa"}
_TYPES = {".csv": "text/csv", ".json": "application/json", ".md": "text/markdown",
          ".py": "text/x-python", ".html": "text/html", ".pdf": "application/pdf",
          ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
          ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _media_type(name: str) -> str:
    for suffix, media in _TYPES.items():
        if name.endswith(suffix):
            return media
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def build_rocrate(files: dict[str, bytes], digests: dict[str, str], descriptions: dict[str, str],
                  *, title: str, description: str, created: str, language: str,
                  license: dict, organisation: dict, software: dict,
                  keywords: list[str], citations: list[dict]) -> dict:
    """The crate's JSON-LD. ``files``: every file of the ZIP but the crate itself and
    ``manifest.json`` (listed without its size and hash: it is written last);
    ``organisation``: ``{"name", "url"?, "parent"?}``; ``software``: ``{"name",
    "version", "url"}``."""
    names = sorted([*files, "manifest.json"]) if "manifest.json" not in files else sorted(files)
    folders = sorted({name.rsplit("/", 1)[0] + "/" for name in names if "/" in name})
    top = [n for n in names if "/" not in n] + folders
    license_id = license["path"]
    graph: list[dict] = [
        {"@id": "ro-crate-metadata.json", "@type": "CreativeWork",
         "conformsTo": {"@id": PROFILE}, "about": {"@id": "./"}},
        {"@id": "./", "@type": "Dataset", "name": title, "description": description,
         "datePublished": created, "inLanguage": language, "keywords": ", ".join(keywords),
         "license": {"@id": license_id}, "creator": {"@id": ORGANISATION_ID},
         "publisher": {"@id": ORGANISATION_ID},
         "hasPart": [{"@id": n} for n in top],
         "citation": [{"@id": f"https://doi.org/{c['doi']}"} for c in citations if c.get("doi")],
         "mentions": {"@id": "#export"}},
        {"@id": license_id, "@type": "CreativeWork", "name": license.get("title", license["name"]),
         "identifier": license["name"]},
        {"@id": ORGANISATION_ID, "@type": "Organization", "name": organisation["name"],
         **({"url": organisation["url"]} if organisation.get("url") else {}),
         **({"parentOrganization": {"@id": "#initiative"}} if organisation.get("parent") else {})},
        {"@id": SOFTWARE_ID, "@type": "SoftwareApplication", "name": software["name"],
         "version": software["version"], "url": software["url"]},
        {"@id": "#export", "@type": "CreateAction", "name": "Export of the study's data",
         "endTime": created, "agent": {"@id": ORGANISATION_ID},
         "instrument": {"@id": SOFTWARE_ID}, "result": [{"@id": n} for n in names]},
        {"@id": "#python", "@type": "ComputerLanguage", "name": "Python",
         "url": {"@id": "https://www.python.org/"}},
    ]
    if organisation.get("parent"):
        parent = organisation["parent"]
        graph.append({"@id": "#initiative", "@type": "Organization", "name": parent["name"],
                      **({"url": parent["url"]} if parent.get("url") else {})})
    for c in citations:
        if c.get("doi"):
            graph.append({"@id": f"https://doi.org/{c['doi']}", "@type": "ScholarlyArticle",
                          "name": c["text"]})
    for folder in folders:
        graph.append({"@id": folder, "@type": "Dataset", "name": folder.rstrip("/"),
                      "description": descriptions.get(folder, ""),
                      "hasPart": [{"@id": n} for n in names if n.startswith(folder)]})
    for name in names:
        entity = {"@id": name, "@type": "File", "name": name.rsplit("/", 1)[-1],
                  "encodingFormat": _media_type(name)}
        if name in files:  # (the manifest is written after the crate, which it lists)
            entity.update(contentSize=str(len(files[name])), sha256=digests[name])
        if descriptions.get(name):
            entity["description"] = descriptions[name]
        if name.endswith(".py"):
            entity["@type"] = ["File", "SoftwareSourceCode"]
            entity["programmingLanguage"] = {"@id": "#python"}
        if name == "datapackage.json":
            entity["conformsTo"] = {"@id": "https://specs.frictionlessdata.io/data-package/"}
        graph.append(entity)
    return {"@context": CONTEXT, "@graph": graph}


def build_zenodo(*, title: str, description: str, created: str, language: str, license: dict,
                 organisation: dict, software: dict, keywords: list[str],
                 citations: list[dict]) -> dict:
    """``.zenodo.json``: what Zenodo's deposit reads (upload type, creators, licence...)."""
    affiliation = (organisation.get("parent") or {}).get("name")
    return {
        "upload_type": "dataset",
        "title": title,
        "description": description,
        "creators": [{"name": organisation["name"],
                      **({"affiliation": affiliation} if affiliation else {})}],
        "access_right": "open",
        "license": license["name"].lower(),
        "publication_date": created,
        "language": ZENODO_LANGUAGES.get(language, "eng"),
        "keywords": keywords,
        "version": created,
        "notes": f"Exported with {software['name']} {software['version']} ({software['url']}).",
        "related_identifiers": [{"identifier": c["doi"], "relation": "references",
                                 "scheme": "doi", "resource_type": "publication-article"}
                                for c in citations if c.get("doi")],
    }
