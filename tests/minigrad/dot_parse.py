"""A tiny parser for the DOT text minigrad.viz writes: node statements and edges.

Enough for tests: `id [key="value", ...];` node lines, `a -> b [...]` edge lines and
`subgraph "cluster_..." {` blocks (each node remembers the cluster it is declared in).
"""
import re

_NODE = re.compile(r'^\s*(\w+) \[(.*)\];$')
_EDGE = re.compile(r'^\s*(\w+) -> (\w+)(?: \[(.*)\])?;$')
_ATTR = re.compile(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))')
_CLUSTER = re.compile(r'^\s*subgraph "cluster_(.*)" \{$')


def _attributes(text: str) -> dict:
    attrs = {}
    for key, quoted, bare in _ATTR.findall(text):
        value = quoted if quoted or not bare else bare
        attrs[key] = value.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
    return attrs


class Dot:
    """nodes: id -> attrs (with 'label' split into 'lines'); edges: list of (src, dst, attrs);
    cluster_of: node id -> innermost cluster path; cluster_labels: path -> label."""

    def __init__(self, text: str):
        self.nodes, self.edges, self.cluster_of, self.cluster_labels = {}, [], {}, {}
        stack = []
        lines = text.strip().splitlines()
        assert lines[0] == "digraph minigrad {" and lines[-1] == "}", "not a minigrad digraph"
        for line in lines[1:-1]:
            cluster = _CLUSTER.match(line)
            if cluster:
                stack.append(cluster.group(1))
                continue
            if line.strip() == "}":
                stack.pop()
                continue
            if line.strip().startswith("label=") and stack:
                self.cluster_labels[stack[-1]] = _attributes(line)["label"]
                continue
            edge = _EDGE.match(line)
            if edge:
                self.edges.append((edge.group(1), edge.group(2), _attributes(edge.group(3) or "")))
                continue
            node = _NODE.match(line)
            if node and node.group(1) not in ("graph", "node", "edge"):
                attrs = _attributes(node.group(2))
                attrs["lines"] = attrs.get("label", "").split("\n")
                self.nodes[node.group(1)] = attrs
                if stack:
                    self.cluster_of[node.group(1)] = stack[-1]
        assert not stack, "unbalanced subgraph braces"

    def find(self, first_line: str) -> str:
        """The id of the one node whose label starts with `first_line`."""
        found = [i for i, a in self.nodes.items() if a["lines"][0] == first_line]
        assert len(found) == 1, f"{len(found)} nodes labelled {first_line!r}: {self.nodes}"
        return found[0]

    def out_edges(self, node_id: str) -> list:
        return [e for e in self.edges if e[0] == node_id]

    def in_edges(self, node_id: str) -> list:
        return [e for e in self.edges if e[1] == node_id]
