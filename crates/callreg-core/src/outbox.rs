//! The outbox (contract D9) read with Bitrix's offline-events semantics
//! (`event.offline.get` / `event.offline.clear`).

use crate::engine::Engine;
use crate::error::CallregError;
use crate::model::OutboxEvent;
use crate::store::{CrmStore, StoreError};
use std::fmt::Write;

/// Events handed to a reader.
#[derive(Debug, Clone, PartialEq)]
pub struct OfflineEvents {
    /// The id under which unclear events stay claimed until cleared.
    pub process_id: String,
    /// The events, oldest first.
    pub events: Vec<OutboxEvent>,
}

impl<S: CrmStore> Engine<S> {
    /// Takes up to `limit` unclaimed events, oldest first. With `clear` they are removed at
    /// once; without it they are claimed by the returned process id (no other reader gets
    /// them) until [`clear_offline_events`](Self::clear_offline_events) removes them.
    pub fn take_offline_events(
        &self,
        limit: usize,
        clear: bool,
    ) -> Result<OfflineEvents, CallregError> {
        let process_id = new_process_id()?;
        self.in_transaction(|tx| {
            let events = tx.pending_events(limit)?;
            let ids: Vec<u64> = events.iter().map(|e| e.id).collect();
            if clear {
                tx.delete_events(&ids)?;
            } else {
                tx.claim_events(&ids, &process_id)?;
            }
            let events = events
                .into_iter()
                .map(|e| OutboxEvent { process_id: (!clear).then(|| process_id.clone()), ..e })
                .collect();
            Ok(OfflineEvents { process_id: process_id.clone(), events })
        })
    }

    /// Removes events claimed by `process_id` (only those in `ids`, when given). Returns how
    /// many were removed.
    pub fn clear_offline_events(
        &self,
        process_id: &str,
        ids: Option<&[u64]>,
    ) -> Result<usize, CallregError> {
        self.in_transaction(|tx| {
            let claimed = tx.claimed_events(process_id)?;
            let chosen: Vec<u64> = claimed
                .iter()
                .map(|e| e.id)
                .filter(|id| ids.is_none_or(|wanted| wanted.contains(id)))
                .collect();
            Ok(tx.delete_events(&chosen)?)
        })
    }
}

fn new_process_id() -> Result<String, CallregError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::other(format!("no random process id: {e}")))?;
    let mut id = String::with_capacity(32);
    for b in bytes {
        let _ = write!(id, "{b:02x}");
    }
    Ok(id)
}
