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

    /// Bitrix's `event.offline.get` with a `process_id`: the events `process_id` has claimed
    /// and not cleared, up to `limit`, oldest first, so that a reader that failed after
    /// taking them without clearing gets them again; nothing more is claimed. With `clear`
    /// the events returned are removed (Bitrix removes every event of the process, also
    /// those beyond `limit` it did not return). An empty `process_id` names the unclaimed
    /// events (Bitrix's empty `PROCESS_ID`), returned without being claimed.
    pub fn retake_offline_events(
        &self,
        process_id: &str,
        limit: usize,
        clear: bool,
    ) -> Result<OfflineEvents, CallregError> {
        self.in_transaction(|tx| {
            let events = if process_id.is_empty() {
                tx.pending_events(limit)?
            } else {
                let mut claimed = tx.claimed_events(process_id)?;
                claimed.truncate(limit);
                claimed
            };
            if clear {
                let ids: Vec<u64> = events.iter().map(|e| e.id).collect();
                tx.delete_events(&ids)?;
            }
            Ok(OfflineEvents { process_id: process_id.to_string(), events })
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
