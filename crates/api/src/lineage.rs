//! Lineage (SPEC B3): where a snapshot comes from and what came of it — the sandbox it was taken from, the snapshot
//! that sandbox was restored from, and so on up; the sandboxes restored from it, their snapshots, and so on down —
//! as one tree.
//!
//! The tree is sent flat, in pre-order, each node naming its parent by index: a chain of any depth (a sandbox
//! restored from a snapshot of a sandbox restored from …, hundreds of generations) is a list, never a nesting that a
//! JSON reader's depth limit would refuse.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::SnapshotStatus;

/// What a node of a lineage tree is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineageKind {
    /// A sandbox.
    Sandbox,
    /// A snapshot.
    Snapshot,
}

/// One node of a lineage tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineageNode {
    /// A sandbox or a snapshot.
    pub kind: LineageKind,
    /// Its id (empty when only its name was recorded).
    pub id: String,
    /// Its name.
    pub name: String,
    /// The index of its parent in [`SnapshotLineage::nodes`]; `None` for the root.
    pub parent: Option<usize>,
    /// How deep it is: 0 for the root.
    pub depth: u32,
    /// Whether it still exists; a deleted one stays in the tree, by the records that name it.
    pub exists: bool,
    /// A snapshot's status.
    #[serde(default)]
    pub status: Option<SnapshotStatus>,
    /// A snapshot whose image was flattened into one layer (its chain neared the engine's layer limit, or it was
    /// scrubbed on a snapshot taken without a scrub).
    #[serde(default)]
    pub flattened: bool,
    /// How many layers a snapshot's image has, when recorded.
    #[serde(default)]
    pub layers: Option<u32>,
    /// When it was made, when known.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

/// The lineage tree of a snapshot: from the oldest ancestor known down to every descendant, the snapshot asked
/// about among them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SnapshotLineage {
    /// The id of the snapshot asked about.
    pub focus: String,
    /// The nodes in pre-order (a node, then its children's subtrees, oldest first).
    pub nodes: Vec<LineageNode>,
}

impl SnapshotLineage {
    /// The indexes of the children of node `index`, in order.
    pub fn children(&self, index: usize) -> Vec<usize> {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| node.parent == Some(index))
            .map(|(i, _)| i)
            .collect()
    }

    /// The tree as text, one node a line: a node's only child goes on at the same indentation (so a long chain
    /// stays readable), siblings are indented under their parent with `├─`/`└─`.
    pub fn render(&self, describe: impl Fn(&LineageNode) -> String) -> String {
        let mut out = String::new();
        // (index, indentation, branch marker)
        let mut stack: Vec<(usize, String, &str)> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.parent.is_none())
            .map(|(i, _)| (i, String::new(), ""))
            .collect();
        stack.reverse();
        let children: Vec<Vec<usize>> = {
            let mut all = vec![Vec::new(); self.nodes.len()];
            for (i, node) in self.nodes.iter().enumerate() {
                if let Some(parent) = node.parent.filter(|p| *p < all.len()) {
                    all[parent].push(i);
                }
            }
            all
        };
        while let Some((index, indent, marker)) = stack.pop() {
            let node = &self.nodes[index];
            out.push_str(&indent);
            out.push_str(marker);
            out.push_str(&describe(node));
            out.push('\n');
            let kids = &children[index];
            if kids.len() == 1 {
                let more = match marker {
                    "├─ " => format!("{indent}│  "),
                    "└─ " => format!("{indent}   "),
                    _ => indent.clone(),
                };
                stack.push((kids[0], more, ""));
            } else {
                let base = match marker {
                    "├─ " => format!("{indent}│  "),
                    "└─ " => format!("{indent}   "),
                    _ => indent.clone(),
                };
                for (i, kid) in kids.iter().enumerate().rev() {
                    let last = i + 1 == kids.len();
                    stack.push((*kid, base.clone(), if last { "└─ " } else { "├─ " }));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(kind: LineageKind, name: &str, parent: Option<usize>, depth: u32) -> LineageNode {
        LineageNode {
            kind,
            id: name.to_string(),
            name: name.to_string(),
            parent,
            depth,
            exists: true,
            status: None,
            flattened: false,
            layers: None,
            created_at: None,
        }
    }

    #[test]
    fn a_chain_stays_flat_and_branches_are_indented() {
        use LineageKind::*;
        let lineage = SnapshotLineage {
            focus: "s1".into(),
            nodes: vec![
                node(Sandbox, "base", None, 0),
                node(Snapshot, "s1", Some(0), 1),
                node(Sandbox, "a", Some(1), 2),
                node(Snapshot, "a1", Some(2), 3),
                node(Sandbox, "b", Some(1), 2),
            ],
        };
        assert_eq!(lineage.children(1), [2, 4]);
        let text = lineage.render(|n| n.name.clone());
        assert_eq!(text, "base\ns1\n├─ a\n│  a1\n└─ b\n");
    }

    #[test]
    fn a_deep_chain_round_trips_through_json() {
        let nodes = (0..400_usize)
            .map(|i| {
                node(
                    if i % 2 == 0 {
                        LineageKind::Sandbox
                    } else {
                        LineageKind::Snapshot
                    },
                    &format!("n{i}"),
                    i.checked_sub(1),
                    i as u32,
                )
            })
            .collect();
        let lineage = SnapshotLineage {
            focus: "n1".into(),
            nodes,
        };
        let json = serde_json::to_string(&lineage).unwrap();
        let back: SnapshotLineage = serde_json::from_str(&json).unwrap();
        assert_eq!(back, lineage);
        assert_eq!(lineage.render(|n| n.name.clone()).lines().count(), 400);
    }
}
