//! The outbox: events in a deque indexed by id (ids only grow), their data as JSON bytes,
//! their names shared. Pushing an event allocates once (its data); acknowledged events
//! leave holes that are dropped from the front when a transaction commits.

use callreg_core::model::{EventData, OutboxEvent};
use callreg_core::store::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use std::collections::VecDeque;
use std::sync::Arc;

/// An outbox event as kept: its data as JSON text (one allocation instead of a map's dozen,
/// and the same round trip through JSON as in the SQLite store).
#[derive(Debug, Clone)]
pub(crate) struct StoredEvent {
    pub(crate) name: Arc<str>,
    pub(crate) data: Box<[u8]>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) process_id: Option<Box<str>>,
}

impl StoredEvent {
    pub(crate) fn to_model(&self, id: u64) -> StoreResult<OutboxEvent> {
        let data: EventData =
            serde_json::from_slice(&self.data).map_err(|e| StoreError::Corrupt(Box::new(e)))?;
        Ok(OutboxEvent {
            id,
            name: self.name.to_string(),
            data,
            created_at: self.created_at,
            process_id: self.process_id.as_deref().map(str::to_string),
        })
    }
}

/// Event names, shared by the events that carry them.
#[derive(Debug, Default)]
pub(crate) struct EventNames(Vec<Arc<str>>);

impl EventNames {
    pub(crate) fn intern(&mut self, name: &str) -> Arc<str> {
        if let Some(known) = self.0.iter().find(|known| ***known == *name) {
            return Arc::clone(known);
        }
        let name: Arc<str> = name.into();
        self.0.push(Arc::clone(&name));
        name
    }
}

/// Events by id: slot `i` holds event `first_id + i`, `None` once deleted.
#[derive(Debug, Default)]
pub(crate) struct EventLog {
    first_id: u64,
    slots: VecDeque<Option<StoredEvent>>,
}

impl EventLog {
    fn index(&self, id: u64) -> Option<usize> {
        usize::try_from(id.checked_sub(self.first_id)?).ok().filter(|&i| i < self.slots.len())
    }

    /// Appends the event of id `id`, the next after every id so far (ids start at 1).
    pub(crate) fn push(&mut self, id: u64, event: StoredEvent) {
        if self.slots.is_empty() {
            self.first_id = id;
        }
        self.slots.push_back(Some(event));
    }

    /// Takes back the last [`push`](Self::push).
    pub(crate) fn undo_push(&mut self) {
        self.slots.pop_back();
    }

    pub(crate) fn get_mut(&mut self, id: u64) -> Option<&mut StoredEvent> {
        let at = self.index(id)?;
        self.slots[at].as_mut()
    }

    /// Deletes an event, returning it.
    pub(crate) fn remove(&mut self, id: u64) -> Option<StoredEvent> {
        let at = self.index(id)?;
        self.slots[at].take()
    }

    /// Puts a deleted event back (its slot is still there: holes go only at commit).
    pub(crate) fn restore(&mut self, id: u64, event: StoredEvent) {
        if let Some(at) = self.index(id) {
            self.slots[at] = Some(event);
        }
    }

    /// Every event, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &StoredEvent)> {
        let first = self.first_id;
        self.slots
            .iter()
            .enumerate()
            .filter_map(move |(i, e)| Some((first + i as u64, e.as_ref()?)))
    }

    /// Drops the holes at the front (after a commit: no undo refers to them any more).
    pub(crate) fn compact(&mut self) {
        while let Some(None) = self.slots.front() {
            self.slots.pop_front();
            self.first_id += 1;
        }
    }
}
