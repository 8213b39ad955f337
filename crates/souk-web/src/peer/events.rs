//! Events for the page's listeners (`peer.on(listener)`).

use std::cell::RefCell;
use std::rc::Rc;

use futures::StreamExt;
use futures::channel::mpsc::Receiver;
use js_sys::Function;
use serde::Serialize;
use souk_core::record::Entry;
use souk_net::NodeEvent;
use wasm_bindgen::JsValue;

use crate::js_value;

/// The page's listeners, in the order they were added.
pub(crate) type Listeners = Rc<RefCell<Vec<Function>>>;

/// What a listener hears (`SoukEvent` in TypeScript).
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub(crate) enum SoukEvent<'a> {
    Connected {
        peer: String,
    },
    Disconnected {
        peer: String,
    },
    /// A record new to this tab: told once, however it came (gossip, a sync, a lookup).
    Announce {
        name: &'a str,
        version: String,
    },
    /// A statement new to this tab: an owner added or removed, a version yanked or offered
    /// again.
    Statement {
        name: &'a str,
    },
    Progress {
        name: &'a str,
        done: usize,
        total: usize,
        bytes: usize,
    },
}

/// Tells the listeners each node event, until the node stops.
pub(crate) async fn forward(mut events: Receiver<NodeEvent>, listeners: Listeners) {
    while let Some(event) = events.next().await {
        let event = match &event {
            NodeEvent::Connected(peer) => SoukEvent::Connected { peer: peer.to_string() },
            NodeEvent::Disconnected(peer) => SoukEvent::Disconnected { peer: peer.to_string() },
            NodeEvent::Learned { entry, .. } => match &**entry {
                Entry::Record(record) => {
                    SoukEvent::Announce { name: &record.pack.name, version: record.pack.version.to_string() }
                }
                Entry::Statement(statement) => SoukEvent::Statement { name: &statement.name },
            },
        };
        emit(&listeners, &event);
    }
}

/// Calls every listener with `event`.
pub(crate) fn emit(listeners: &RefCell<Vec<Function>>, event: &SoukEvent<'_>) {
    let Ok(event) = js_value(event) else { return };
    for listener in listeners.borrow().iter() {
        // A listener that throws is the page's bug; the others still hear the event.
        if let Err(e) = listener.call1(&JsValue::NULL, &event) {
            web_sys::console::error_2(&"a Souk event listener threw".into(), &e);
        }
    }
}
