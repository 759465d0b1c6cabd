//! Follows Docker's event stream and turns it into [`UiEvent`]s; notices the engine going away and coming back.
//! For each start of one of this data dir's sandboxes (and each already running when the stream connects) it also
//! follows that boot's log until the sandbox is ready or its setup failed ([`crate::sandbox::live`]), so a window
//! hears of it whichever process started it.

use bollard::query_parameters::EventsOptionsBuilder;
use futures_util::StreamExt;
use sbx_api::{EngineStatus, UiEvent};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::{Core, labels};

/// How long to wait before trying an unreachable engine again.
const RECONNECT_DELAY: Duration = Duration::from_secs(2);

pub(crate) async fn run(core: Arc<Core>) {
    let mut last_status: Option<EngineStatus> = None;
    loop {
        let status = core.engine_status().await;
        let connected = matches!(status, EngineStatus::Connected(_));
        if last_status.as_ref() != Some(&status) {
            core.emit(UiEvent::Engine {
                status: status.clone(),
            });
            last_status = Some(status);
        }
        if connected {
            follow(&core).await;
            // The stream ended: the engine went away (or restarted). Say so at once.
            core.engine().forget();
            continue;
        }
        tokio::time::sleep(RECONNECT_DELAY).await;
    }
}

/// The sandbox containers whose boot is being followed, by id.
type Following = Arc<Mutex<HashSet<String>>>;

/// Follow the boot of sandbox container `id` (sandbox `name`), unless it is followed already.
fn follow_boot(core: &Arc<Core>, following: &Following, id: String, name: String) {
    if let Ok(mut set) = following.lock()
        && !set.insert(id.clone())
    {
        return;
    }
    let core = Arc::clone(core);
    let following = Arc::clone(following);
    tokio::spawn(async move {
        core.follow_boot(id.clone(), name).await;
        if let Ok(mut set) = following.lock() {
            set.remove(&id);
        }
    });
}

/// Follow the boots of this data dir's sandbox containers running now (they may have started while nothing
/// watched).
async fn follow_running(core: &Arc<Core>, following: &Following) {
    let with = labels::of_instance(
        core.paths().instance(),
        &[(labels::KIND, labels::KIND_SANDBOX)],
    );
    let Ok(containers) = core.engine().list_containers(&with).await else {
        return;
    };
    for container in containers {
        if let Some(name) = container.labels.get(labels::NAME) {
            follow_boot(core, following, container.id.clone(), name.clone());
        }
    }
}

/// Follow the event stream until it ends.
async fn follow(core: &Arc<Core>) {
    let Ok(docker) = core.engine().client().await else {
        return;
    };
    let following: Following = Arc::default();
    let filters = HashMap::from([(
        "type".to_string(),
        vec![
            "container".to_string(),
            "image".to_string(),
            "volume".to_string(),
        ],
    )]);
    let options = EventsOptionsBuilder::default().filters(&filters).build();
    let mut stream = docker.events(Some(options));
    follow_running(core, &following).await;
    while let Some(item) = stream.next().await {
        let Ok(event) = item else { break };
        let action = event.action.unwrap_or_default();
        // Exec sessions and health probes are noise for the UI.
        if action.starts_with("exec_") || action.starts_with("health_status") {
            continue;
        }
        let actor = event.actor.unwrap_or_default();
        let attributes = actor.attributes.unwrap_or_default();
        let ours =
            attributes.get(labels::INSTANCE).map(String::as_str) == Some(core.paths().instance());
        let kind = attributes.get(labels::KIND).cloned().unwrap_or_default();
        match event.typ {
            Some(bollard::models::EventMessageTypeEnum::CONTAINER) => {
                core.emit(UiEvent::ContainersChanged {
                    id: actor.id.clone(),
                    action: action.clone(),
                });
                if ours && kind == labels::KIND_SANDBOX {
                    let name = attributes.get(labels::NAME).cloned();
                    core.emit(UiEvent::SandboxesChanged { name: name.clone() });
                    if action == "start"
                        && let (Some(id), Some(name)) = (actor.id.clone(), name)
                    {
                        follow_boot(core, &following, id, name);
                    }
                }
            }
            // Image and volume events do not always carry the object's labels: any of them may concern
            // snapshots (another process took or deleted one) or git volumes, so the lists are fetched again.
            Some(bollard::models::EventMessageTypeEnum::IMAGE) => {
                core.emit(UiEvent::SnapshotsChanged);
            }
            Some(bollard::models::EventMessageTypeEnum::VOLUME) => {
                core.emit(UiEvent::SandboxesChanged { name: None });
            }
            _ => {}
        }
    }
}
