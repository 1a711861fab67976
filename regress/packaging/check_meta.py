#!/usr/bin/env python3
"""check_meta.py — META.json is a valid PGXN distribution description (PGXN Meta Spec
1.0, the rules of its published JSON Schema written out here: Debian packages no
validator), it describes this tree (its versions are privacybee.control's
default_version, its files exist), and CHANGELOG.md has a section for that version.

    check_meta.py TOP     exit 0 when all holds, else 1 with one line per problem
"""
import json
import os
import re
import sys

SEMVER = (r"(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)"
          r"(?:-(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*)?"
          r"(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?")
RANGE_PART = r"(?:(?:[<>]=?|[!=]=)\s*)?" + SEMVER
LICENSES = {"agpl_3", "apache_1_1", "apache_2_0", "artistic_1", "artistic_2", "bsd", "freebsd",
            "gfdl_1_2", "gfdl_1_3", "gpl_1", "gpl_2", "gpl_3", "lgpl_2_1", "lgpl_3_0", "mit",
            "mozilla_1_0", "mozilla_1_1", "openssl", "perl_5", "postgresql", "qpl_1_0",
            "ssleay", "sun", "zlib", "open_source", "restricted", "unrestricted", "unknown"}
TOP_KEYS = {"name", "version", "abstract", "maintainer", "license", "provides", "meta-spec",
            "description", "generated_by", "tags", "no_index", "prereqs", "release_status",
            "resources"}
REQUIRED = ["name", "version", "abstract", "maintainer", "license", "provides", "meta-spec"]
PHASES = {"configure", "build", "test", "runtime", "develop"}
RELATIONSHIPS = {"requires", "recommends", "suggests", "conflicts"}


def custom(key):
    return re.match(r"^[xX]_.", key) is not None


def is_term(s):
    return isinstance(s, str) and re.fullmatch(r"[^/\\\s\x00-\x1f\x7f]{2,}", s) is not None


def is_semver(s):
    return isinstance(s, str) and re.fullmatch(SEMVER, s) is not None


def is_range(v):
    if v == 0 and not isinstance(v, bool):
        return True
    return isinstance(v, str) and re.fullmatch(RANGE_PART + r"(?:\s*,\s*" + RANGE_PART + r")*", v) is not None


def nonempty(s):
    return isinstance(s, str) and len(s) > 0


def check_spec(meta, problems):
    if not isinstance(meta, dict):
        problems.append("META.json is not an object")
        return
    for k in REQUIRED:
        if k not in meta:
            problems.append(f"{k} is required")
    for k in meta:
        if k not in TOP_KEYS and not custom(k):
            problems.append(f"{k} is not a key of the PGXN meta spec")
    if "name" in meta and not is_term(meta["name"]):
        problems.append("name must be a term (2+ characters, no slash, space or control)")
    if "version" in meta and not is_semver(meta["version"]):
        problems.append("version must be a semantic version")
    for k in ("abstract", "description", "generated_by"):
        if k in meta and not nonempty(meta[k]):
            problems.append(f"{k} must be a non-empty string")
    m = meta.get("maintainer")
    if m is not None and not (nonempty(m) or (isinstance(m, list) and m and all(nonempty(x) for x in m))):
        problems.append("maintainer must be a string or a non-empty list of strings")
    lic = meta.get("license")
    if lic is not None and not (
            lic in LICENSES if isinstance(lic, str) else
            (lic and all(x in LICENSES for x in lic)) if isinstance(lic, list) else
            (lic and all(re.match(r"^[a-z][a-z0-9+.-]*:", u or "") for u in lic.values()))
            if isinstance(lic, dict) else False):
        problems.append("license must name known licenses, or map names to URIs")
    prov = meta.get("provides")
    if prov is not None:
        if not isinstance(prov, dict) or not prov:
            problems.append("provides must be a non-empty object")
        else:
            for ext, d in prov.items():
                if not is_term(ext):
                    problems.append(f"provides: {ext} is not a term")
                if not isinstance(d, dict):
                    problems.append(f"provides.{ext} must be an object")
                    continue
                for k in ("file", "version"):
                    if k not in d:
                        problems.append(f"provides.{ext}.{k} is required")
                for k in d:
                    if k not in {"file", "version", "abstract", "docfile"} and not custom(k):
                        problems.append(f"provides.{ext}.{k} is not allowed")
                if "version" in d and not is_semver(d["version"]):
                    problems.append(f"provides.{ext}.version must be a semantic version")
    spec = meta.get("meta-spec")
    if spec is not None and not (isinstance(spec, dict) and isinstance(spec.get("version"), str)
                                 and re.fullmatch(r"1\.0\.\d+", spec["version"])):
        problems.append("meta-spec.version must be 1.0.x")
    if "release_status" in meta and meta["release_status"] not in ("stable", "testing", "unstable"):
        problems.append("release_status must be stable, testing or unstable")
    tags = meta.get("tags")
    if tags is not None and not (isinstance(tags, list) and tags and all(
            isinstance(t, str) and 2 <= len(t) <= 255 and re.fullmatch(r"[^/\\\x00-\x1f\x7f]+", t)
            for t in tags)):
        problems.append("tags must be a non-empty list of tags (2-255 characters, no slash or control)")
    pre = meta.get("prereqs")
    if pre is not None:
        if not isinstance(pre, dict) or not pre:
            problems.append("prereqs must be a non-empty object")
        else:
            for phase, rels in pre.items():
                if phase not in PHASES and not custom(phase):
                    problems.append(f"prereqs.{phase} is not a phase")
                    continue
                if not isinstance(rels, dict) or not rels:
                    problems.append(f"prereqs.{phase} must be a non-empty object")
                    continue
                for rel, exts in rels.items():
                    if rel not in RELATIONSHIPS and not custom(rel):
                        problems.append(f"prereqs.{phase}.{rel} is not a relationship")
                        continue
                    if not isinstance(exts, dict):
                        problems.append(f"prereqs.{phase}.{rel} must be an object")
                        continue
                    for ext, rng in exts.items():
                        if not is_term(ext) or not is_range(rng):
                            problems.append(f"prereqs.{phase}.{rel}.{ext}: bad name or version range {rng!r}")


def check_tree(top, meta, problems):
    control = open(os.path.join(top, "privacybee.control")).read()
    version = re.search(r"^default_version = '([^']*)'", control, re.M).group(1)
    if meta.get("version") != version:
        problems.append(f"version {meta.get('version')} is not privacybee.control's {version}")
    for ext, d in (meta.get("provides") or {}).items():
        if d.get("version") != version:
            problems.append(f"provides.{ext}.version {d.get('version')} is not privacybee.control's {version}")
        for k in ("file", "docfile"):
            if k in d and not os.path.isfile(os.path.join(top, d[k])):
                problems.append(f"provides.{ext}.{k} {d[k]} does not exist")
    changelog = open(os.path.join(top, "CHANGELOG.md")).read()
    if not re.search(r"^## " + re.escape(version) + r"\b", changelog, re.M):
        problems.append(f"CHANGELOG.md has no section '## {version}'")


def main():
    top = sys.argv[1]
    problems = []
    try:
        meta = json.load(open(os.path.join(top, "META.json")))
    except ValueError as e:
        print(f"META.json is not JSON: {e}")
        return 1
    check_spec(meta, problems)
    check_tree(top, meta, problems)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
