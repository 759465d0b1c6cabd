//! Lineage (SPEC B3): each snapshot knows the sandbox it was taken from (its record), the snapshot that sandbox was
//! restored from (recorded at capture) and how its image was made (layers, flattened); each sandbox knows the
//! snapshot it was restored or started from (`sandbox_origins`, recorded when it is made). These records outlive
//! the objects they name, so [`Core::snapshot_lineage`] draws the whole tree — from the oldest ancestor known down
//! to every descendant — with deleted nodes kept by name.

use chrono::{DateTime, Utc};
use sbx_api::{LineageKind, LineageNode, SnapshotLineage, SnapshotStatus};
use std::collections::{HashMap, HashSet};

use crate::sandbox::SandboxRecord;
use crate::sandbox::spec::SandboxSpec;
use crate::snapshot::image::Made;
use crate::store::lineage::{self, OriginRow, SnapshotNodeRow};
use crate::store::snapshots;
use crate::{Core, Result};

impl Core {
    /// Record how the snapshot `snapshot_id`'s image was made, and the snapshot its source sandbox came from.
    pub(crate) async fn record_capture(&self, snapshot_id: &str, made: Made) -> Result<()> {
        let pool = self.store().pool();
        lineage::set_capture(pool, snapshot_id, made.layers as i64, made.flattened).await?;
        let Some(row) = snapshots::by_id(pool, snapshot_id).await? else {
            return Ok(());
        };
        let parent = match lineage::origin_of(pool, &row.source_sandbox_id).await? {
            Some(origin) => Some((origin.snapshot_id, origin.snapshot_name)),
            // A sandbox made before origins were recorded: its configuration names the snapshot.
            None => match self.sandbox_record(&row.source_sandbox_name).await {
                Ok(record) if record.spec.id == row.source_sandbox_id => {
                    match &record.spec.from_snapshot {
                        Some(name) => Some((
                            snapshots::by_name(pool, name).await?.map(|s| s.id),
                            name.clone(),
                        )),
                        None => None,
                    }
                }
                _ => None,
            },
        };
        if let Some((id, name)) = parent {
            lineage::set_parent(pool, snapshot_id, id.as_deref(), &name).await?;
        }
        Ok(())
    }

    /// Record that the sandbox of `spec` was made from the snapshot it names (`snapshot_id` when known).
    pub(crate) async fn record_origin(
        &self,
        spec: &SandboxSpec,
        snapshot_id: Option<&str>,
    ) -> Result<()> {
        let Some(name) = &spec.from_snapshot else {
            return Ok(());
        };
        let pool = self.store().pool();
        let id = match snapshot_id {
            Some(id) => Some(id.to_string()),
            None => snapshots::by_name(pool, name).await?.map(|s| s.id),
        };
        let origin = OriginRow {
            sandbox_id: spec.id.clone(),
            sandbox_name: spec.name.clone(),
            snapshot_id: id,
            snapshot_name: name.clone(),
            created_at: spec.created_at,
        };
        lineage::insert_origin(pool, &origin).await
    }

    /// The lineage tree of the snapshot called (or whose id is) `key`.
    pub async fn snapshot_lineage(&self, key: &str) -> Result<SnapshotLineage> {
        let focus = self.find_snapshot(key).await?;
        let pool = self.store().pool();
        let snapshots = lineage::snapshot_nodes(pool).await?;
        let origins = lineage::origins(pool).await?;
        let sandboxes = self.sandbox_records().await?;
        Ok(build(
            &focus.id,
            &snapshots,
            &origins,
            &sandboxes,
            Utc::now(),
        ))
    }
}

/// A node of the graph: a sandbox or a snapshot, by id (or by name, for a deleted snapshot known only by it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Sandbox(String),
    Snapshot(String),
}

/// The records the tree is drawn from, indexed.
struct Graph<'a> {
    snapshots: HashMap<&'a str, &'a SnapshotNodeRow>,
    /// Snapshot id (or, unknown id, `name:NAME`) the sandbox came from, with that snapshot's name.
    origin: HashMap<String, (String, String)>,
    /// Sandboxes' names and when they were made.
    sandboxes: HashMap<String, (String, Option<DateTime<Utc>>)>,
    live: HashSet<&'a str>,
    children_of_sandbox: HashMap<&'a str, Vec<&'a str>>,
    children_of_snapshot: HashMap<String, Vec<String>>,
}

/// The key of a snapshot from what an origin recorded: its id, else the id of the live snapshot of that name, else
/// `name:NAME`.
fn snapshot_key(id: Option<&str>, name: &str, by_name: &HashMap<&str, &str>) -> String {
    match id {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => by_name
            .get(name)
            .map(|id| id.to_string())
            .unwrap_or_else(|| format!("name:{name}")),
    }
}

impl<'a> Graph<'a> {
    fn new(
        snapshots: &'a [SnapshotNodeRow],
        origins: &'a [OriginRow],
        sandboxes: &'a [SandboxRecord],
    ) -> Graph<'a> {
        let by_id: HashMap<&str, &SnapshotNodeRow> =
            snapshots.iter().map(|s| (s.id.as_str(), s)).collect();
        let by_name: HashMap<&str, &str> = snapshots
            .iter()
            .map(|s| (s.name.as_str(), s.id.as_str()))
            .collect();
        let mut origin = HashMap::new();
        let mut names = HashMap::new();
        for o in origins {
            let key = snapshot_key(o.snapshot_id.as_deref(), &o.snapshot_name, &by_name);
            origin.insert(o.sandbox_id.clone(), (key, o.snapshot_name.clone()));
            names.insert(
                o.sandbox_id.clone(),
                (o.sandbox_name.clone(), Some(o.created_at)),
            );
        }
        for s in snapshots {
            names
                .entry(s.source_sandbox_id.clone())
                .or_insert_with(|| (s.source_sandbox_name.clone(), None));
            // What the capture recorded, for a sandbox whose origin was not.
            if let Some(parent) = &s.parent_snapshot_name {
                let key = snapshot_key(s.parent_snapshot_id.as_deref(), parent, &by_name);
                origin
                    .entry(s.source_sandbox_id.clone())
                    .or_insert_with(|| (key, parent.clone()));
            }
        }
        for record in sandboxes {
            names.insert(
                record.spec.id.clone(),
                (record.spec.name.clone(), Some(record.spec.created_at)),
            );
            if let Some(from) = &record.spec.from_snapshot {
                let key = snapshot_key(None, from, &by_name);
                origin
                    .entry(record.spec.id.clone())
                    .or_insert_with(|| (key, from.clone()));
            }
        }
        let mut children_of_sandbox: HashMap<&str, Vec<&str>> = HashMap::new();
        for s in snapshots {
            children_of_sandbox
                .entry(s.source_sandbox_id.as_str())
                .or_default()
                .push(s.id.as_str());
        }
        let mut children_of_snapshot: HashMap<String, Vec<String>> = HashMap::new();
        let mut made: Vec<(&String, &(String, String))> = origin.iter().collect();
        made.sort_by_key(|(sandbox, _)| {
            (names.get(*sandbox).and_then(|n| n.1), (*sandbox).clone())
        });
        for (sandbox, (snapshot, _)) in made {
            children_of_snapshot
                .entry(snapshot.clone())
                .or_default()
                .push(sandbox.clone());
        }
        Graph {
            snapshots: by_id,
            origin,
            sandboxes: names,
            live: sandboxes.iter().map(|r| r.spec.id.as_str()).collect(),
            children_of_sandbox,
            children_of_snapshot,
        }
    }

    /// The oldest ancestor known of `key`.
    fn root(&self, key: Key) -> Key {
        let mut current = key;
        let mut seen = HashSet::new();
        while seen.insert(current.clone()) {
            let up = match &current {
                Key::Snapshot(id) => self
                    .snapshots
                    .get(id.as_str())
                    .map(|s| Key::Sandbox(s.source_sandbox_id.clone())),
                Key::Sandbox(id) => self
                    .origin
                    .get(id)
                    .map(|(snapshot, _)| Key::Snapshot(snapshot.clone())),
            };
            match up {
                Some(parent) => current = parent,
                None => break,
            }
        }
        current
    }

    fn children(&self, key: &Key) -> Vec<Key> {
        match key {
            Key::Sandbox(id) => self
                .children_of_sandbox
                .get(id.as_str())
                .map(|ids| ids.iter().map(|id| Key::Snapshot(id.to_string())).collect())
                .unwrap_or_default(),
            Key::Snapshot(id) => self
                .children_of_snapshot
                .get(id)
                .map(|ids| ids.iter().map(|id| Key::Sandbox(id.clone())).collect())
                .unwrap_or_default(),
        }
    }

    fn node(
        &self,
        key: &Key,
        parent: Option<usize>,
        depth: u32,
        now: DateTime<Utc>,
    ) -> LineageNode {
        match key {
            Key::Sandbox(id) => {
                let (name, created_at) = self.sandboxes.get(id).cloned().unwrap_or_default();
                LineageNode {
                    kind: LineageKind::Sandbox,
                    id: id.clone(),
                    name,
                    parent,
                    depth,
                    exists: self.live.contains(id.as_str()),
                    status: None,
                    flattened: false,
                    layers: None,
                    created_at,
                }
            }
            Key::Snapshot(id) => match self.snapshots.get(id.as_str()) {
                Some(row) => LineageNode {
                    kind: LineageKind::Snapshot,
                    id: row.id.clone(),
                    name: row.name.clone(),
                    parent,
                    depth,
                    exists: row.expires_at.is_none_or(|at| at > now)
                        || matches!(row.status.as_str(), "capturing" | "finalizing"),
                    status: Some(status_of(&row.status)),
                    flattened: row.flattened,
                    layers: row.layers.and_then(|l| u32::try_from(l).ok()),
                    created_at: Some(row.created_at),
                },
                None => {
                    // Deleted: its name from the origins that name it.
                    let name = self
                        .origin
                        .values()
                        .find(|(snapshot, _)| snapshot == id)
                        .map(|(_, name)| name.clone())
                        .unwrap_or_else(|| id.trim_start_matches("name:").to_string());
                    LineageNode {
                        kind: LineageKind::Snapshot,
                        id: if id.starts_with("name:") {
                            String::new()
                        } else {
                            id.clone()
                        },
                        name,
                        parent,
                        depth,
                        exists: false,
                        status: None,
                        flattened: false,
                        layers: None,
                        created_at: None,
                    }
                }
            },
        }
    }
}

/// A status as stored.
fn status_of(word: &str) -> SnapshotStatus {
    match word {
        "capturing" => SnapshotStatus::Capturing,
        "finalizing" => SnapshotStatus::Finalizing,
        "active" => SnapshotStatus::Active,
        _ => SnapshotStatus::Failed,
    }
}

/// The lineage tree of the snapshot `focus` (an id) from the records.
pub(crate) fn build(
    focus: &str,
    snapshots: &[SnapshotNodeRow],
    origins: &[OriginRow],
    sandboxes: &[SandboxRecord],
    now: DateTime<Utc>,
) -> SnapshotLineage {
    let graph = Graph::new(snapshots, origins, sandboxes);
    let root = graph.root(Key::Snapshot(focus.to_string()));
    let mut nodes = Vec::new();
    let mut seen = HashSet::new();
    let mut stack = vec![(root, None, 0_u32)];
    while let Some((key, parent, depth)) = stack.pop() {
        if !seen.insert(key.clone()) {
            continue;
        }
        let index = nodes.len();
        nodes.push(graph.node(&key, parent, depth, now));
        for child in graph.children(&key).into_iter().rev() {
            stack.push((child, Some(index), depth + 1));
        }
    }
    SnapshotLineage {
        focus: focus.to_string(),
        nodes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(id: &str, sandbox: &str, at: i64, parent: Option<&str>) -> SnapshotNodeRow {
        SnapshotNodeRow {
            id: id.into(),
            name: format!("snap-{id}"),
            status: "active".into(),
            source_sandbox_id: sandbox.into(),
            source_sandbox_name: format!("box-{sandbox}"),
            created_at: DateTime::from_timestamp(at, 0).unwrap(),
            expires_at: None,
            layers: Some(3),
            flattened: id == "s3",
            parent_snapshot_id: parent.map(str::to_string),
            parent_snapshot_name: parent.map(|p| format!("snap-{p}")),
        }
    }

    fn origin(sandbox: &str, snapshot: Option<&str>, name: &str, at: i64) -> OriginRow {
        OriginRow {
            sandbox_id: sandbox.into(),
            sandbox_name: format!("box-{sandbox}"),
            snapshot_id: snapshot.map(str::to_string),
            snapshot_name: name.into(),
            created_at: DateTime::from_timestamp(at, 0).unwrap(),
        }
    }

    /// base → s1 → {a → s2 → c → s3, b}; the snapshot s1 and the sandbox a deleted (their records remain).
    #[test]
    fn the_tree_runs_from_the_oldest_ancestor_down_and_keeps_deleted_nodes() {
        let snapshots = vec![
            snapshot("s2", "a", 20, Some("s1")),
            snapshot("s3", "c", 40, Some("s2")),
        ];
        let origins = vec![
            origin("a", Some("s1"), "snap-s1", 15),
            origin("b", Some("s1"), "snap-s1", 16),
            origin("c", Some("s2"), "snap-s2", 30),
        ];
        let lineage = build("s3", &snapshots, &origins, &[], Utc::now());
        let text = lineage.render(|n| {
            format!(
                "{}{}{}",
                n.name,
                if n.exists { "" } else { " (deleted)" },
                if n.flattened { " [flattened]" } else { "" }
            )
        });
        assert_eq!(
            text,
            "snap-s1 (deleted)\n├─ box-a (deleted)\n│  snap-s2\n│  box-c (deleted)\n│  snap-s3 [flattened]\n└─ box-b (deleted)\n"
        );
        assert_eq!(lineage.focus, "s3");
        assert_eq!(lineage.nodes[0].parent, None);
        assert!(lineage.nodes.iter().skip(1).all(|n| n.parent.is_some()));
    }

    #[test]
    fn a_chain_of_hundreds_of_generations_is_drawn_without_recursion() {
        let mut snapshots = Vec::new();
        let mut origins = Vec::new();
        for g in 0..300 {
            let parent = (g > 0).then(|| format!("s{}", g - 1));
            snapshots.push(snapshot(
                &format!("s{g}"),
                &format!("b{g}"),
                g * 10,
                parent.as_deref(),
            ));
            if g > 0 {
                origins.push(origin(&format!("b{g}"), parent.as_deref(), "x", g * 10 - 5));
            }
        }
        let lineage = build("s150", &snapshots, &origins, &[], Utc::now());
        assert_eq!(lineage.nodes.len(), 600);
        assert_eq!(lineage.nodes[0].name, "box-b0");
        assert_eq!(lineage.nodes[599].depth, 599);
    }
}
