"""A statement tree's fingerprint: what its rendered SQL in any dialect depends on."""
from __future__ import annotations

import hashlib

from sqlglot import exp


def fingerprint(stmt: exp.Expression) -> str:
    """The statement's tree (shape, every argument, comments) and the types the SQL generator recorded on its
    nodes (dialect rewrites depend on them). Iterative: a UNION of hundreds of views is a very deep tree."""
    digest = hashlib.sha1()
    stack = [(stmt, 0, "", 0)]
    while stack:
        node, depth, key, index = stack.pop()
        scalars = []
        children = []
        for name, value in node.args.items():
            values = value if isinstance(value, list) else [value]
            for i, v in enumerate(values):
                if isinstance(v, exp.Expression):
                    children.append((v, depth + 1, name, i))
                elif v is not None:
                    scalars.append((name, i, repr(v)))
        meta = node._meta   # not .meta, which gives a node without one a new empty dict: plain dicts in every
        meta = sorted((k, repr(v)) for k, v in meta.items()) if meta else ()   # node make copying the tree twice as dear
        comments = node.comments or ()
        digest.update(f"{depth}|{key}|{index}|{type(node).__name__}|{scalars}|{meta}|{comments}\n".encode("utf-8"))
        stack.extend(reversed(children))
    return digest.hexdigest()
