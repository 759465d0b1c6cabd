//! What the Snapshots page shows besides its table: a snapshot's lineage as a tree under its row (SPEC B3: the
//! sandbox it was taken from, the snapshot that sandbox was restored from, …, and the sandboxes restored from it
//! and their snapshots; each node clickable, flattenings marked), and the storage line (the engine's free space
//! beside the snapshots' total, N10).

use leptos::prelude::*;
use sbx_api::{
    LineageKind, LineageNode, SnapshotLineage,
    requests::{GetLineage, GetStorage},
};

use crate::app::use_sandbox_nav;
use crate::fetched::fetched;
use crate::ipc;
use crate::live::use_live;
use crate::pages::snapshots::format_bytes;

/// The engine's free space, after the snapshots' total in the page's head.
#[component]
pub fn FreeSpace() -> impl IntoView {
    let live = use_live();
    let storage = fetched(move || {
        live.snapshots.track();
        async move { ipc::call::<GetStorage>(&()).await }
    });
    move || {
        storage.get().and_then(Result::ok).map(|storage| {
            let text = match storage.free_bytes {
                Some(free) => format!("{} free on the engine's disk", format_bytes(free)),
                None => "free space unknown".to_string(),
            };
            view! {
                <span class="total-size muted free-space" title=storage.measured>
                    {text}
                </span>
            }
        })
    }
}

/// How far each node of `lineage` is indented: a node's only child stays at its parent's level (a long chain
/// reads as a column); children of a node with several go one level in.
pub fn indentation(lineage: &SnapshotLineage) -> Vec<u32> {
    let mut children = vec![0_usize; lineage.nodes.len()];
    for node in &lineage.nodes {
        if let Some(parent) = node.parent.filter(|p| *p < children.len()) {
            children[parent] += 1;
        }
    }
    let mut levels: Vec<u32> = Vec::with_capacity(lineage.nodes.len());
    for node in &lineage.nodes {
        let level = match node.parent.filter(|p| *p < levels.len()) {
            None => 0,
            Some(parent) if children[parent] > 1 => levels[parent] + 1,
            Some(parent) => levels[parent],
        };
        levels.push(level);
    }
    levels
}

/// The words of a node: what it is, its name, and what is special about it.
pub fn describe(node: &LineageNode, focus: &str) -> (String, Vec<&'static str>) {
    let what = match node.kind {
        LineageKind::Sandbox => "sandbox",
        LineageKind::Snapshot => "snapshot",
    };
    let mut marks = Vec::new();
    if node.flattened {
        marks.push("flattened");
    }
    if !node.exists {
        marks.push("deleted");
    }
    if node.kind == LineageKind::Snapshot && node.id == focus {
        marks.push("this snapshot");
    }
    (format!("{what} {}", node.name), marks)
}

/// The lineage tree of the snapshot `snapshot`, shown under its row. A sandbox node opens that sandbox; a snapshot
/// node shows the tree from that snapshot (the same tree, that node marked).
#[component]
pub fn LineageTree(snapshot: String) -> impl IntoView {
    let live = use_live();
    let nav = use_sandbox_nav();
    let focus = RwSignal::new(snapshot);
    let lineage = fetched(move || {
        live.snapshots.track();
        live.sandboxes.track();
        let key = focus.get();
        async move { ipc::call::<GetLineage>(&key).await }
    });
    move || match lineage.get() {
        None => view! { <p class="muted">"Loading the lineage…"</p> }.into_any(),
        Some(Err(error)) => view! {
            <p class="error" role="alert">"Could not read the lineage: " {error.to_string()}</p>
        }
        .into_any(),
        Some(Ok(lineage)) => {
            let levels = indentation(&lineage);
            let focus_id = lineage.focus.clone();
            let items = lineage
                .nodes
                .iter()
                .zip(levels)
                .map(|(node, level)| {
                    let (label, marks) = describe(node, &focus_id);
                    let name = node.name.clone();
                    let kind = node.kind;
                    let enabled = node.exists;
                    let current = marks.contains(&"this snapshot");
                    let title = match kind {
                        LineageKind::Sandbox if enabled => format!("Open sandbox {name}"),
                        LineageKind::Snapshot if enabled => {
                            format!("Show the lineage from snapshot {name}")
                        }
                        _ => format!("{label} was deleted; its records keep it in the tree"),
                    };
                    let status = node.status.map(|s| s.as_str());
                    let layers = node
                        .layers
                        .map(|l| format!("{l} layer{}", if l == 1 { "" } else { "s" }));
                    view! {
                        <li
                            role="treeitem"
                            attr:aria-level=(level + 1).to_string()
                            aria-current=current.then_some("true")
                            class="lineage-node"
                            class:current=current
                            style=format!("padding-left: {}px", level * 18)
                        >
                            <button
                                class="link"
                                disabled=!enabled
                                title=title
                                on:click=move |_| match kind {
                                    LineageKind::Sandbox => nav.open(name.clone()),
                                    LineageKind::Snapshot => focus.set(name.clone()),
                                }
                            >
                                {label}
                            </button>
                            {status.map(|s| view! { <span class="muted lineage-fact">{s}</span> })}
                            {layers.map(|l| view! { <span class="muted lineage-fact">{l}</span> })}
                            {marks
                                .into_iter()
                                .map(|mark| view! { <span class="tag lineage-mark">{mark}</span> })
                                .collect_view()}
                        </li>
                    }
                })
                .collect_view();
            view! {
                <ul class="lineage" role="tree" aria-label="Lineage">
                    {items}
                </ul>
            }
            .into_any()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(kind: LineageKind, name: &str, parent: Option<usize>) -> LineageNode {
        LineageNode {
            kind,
            id: name.to_string(),
            name: name.to_string(),
            parent,
            depth: 0,
            exists: true,
            status: None,
            flattened: name == "s2",
            layers: None,
            created_at: None,
        }
    }

    #[test]
    fn only_children_stay_in_line_and_siblings_go_in() {
        use LineageKind::*;
        let lineage = SnapshotLineage {
            focus: "s2".into(),
            nodes: vec![
                node(Sandbox, "base", None),
                node(Snapshot, "s1", Some(0)),
                node(Sandbox, "a", Some(1)),
                node(Snapshot, "s2", Some(2)),
                node(Sandbox, "b", Some(1)),
            ],
        };
        assert_eq!(indentation(&lineage), [0, 0, 1, 1, 1]);
        let (label, marks) = describe(&lineage.nodes[3], &lineage.focus);
        assert_eq!(label, "snapshot s2");
        assert_eq!(marks, ["flattened", "this snapshot"]);
    }
}
