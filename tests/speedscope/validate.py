#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Validates speedscope files against speedscope's schema: validate.py SCHEMA FILE...

Exits 0 when every file is valid, 1 naming the first error, 77 when python3-jsonschema is missing.
"""
import json
import sys

try:
    from jsonschema import Draft7Validator
except ImportError:
    print("python3-jsonschema is not installed", file=sys.stderr)
    sys.exit(77)


def main():
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    Draft7Validator.check_schema(schema)
    validator = Draft7Validator(schema)
    for path in sys.argv[2:]:
        with open(path) as f:
            doc = json.load(f)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if errors:
            e = errors[0]
            where = "/".join(str(p) for p in e.absolute_path)
            print(f"{path}: {where}: {e.message}", file=sys.stderr)
            sys.exit(1)


main()
