//! Active calls and their indexes, built so that registering a call allocates little: each
//! call gets a numeric handle, and the indexes by `EXTERNAL_CALL_ID` and by caller are keyed
//! by a fingerprint of their (application, text) pair (the calls under a fingerprint are
//! compared in full), so that looking a call up builds no key.

use callreg_core::auth::AppId;
use callreg_core::model::ActiveCall;
use callreg_core::types::CallId;
use foldhash::HashMap;
use std::hash::BuildHasher;

/// Every active call.
#[derive(Debug, Default)]
pub(crate) struct ActiveCalls {
    calls: HashMap<u64, Box<ActiveCall>>,
    by_call_id: HashMap<CallId, u64>,
    /// Fingerprint of (application, `EXTERNAL_CALL_ID`) to the calls having it.
    by_external_id: HashMap<u64, Vec<u64>>,
    /// Fingerprint of (application, caller key) to the calls having it, oldest first.
    by_caller: HashMap<u64, Vec<u64>>,
    next_handle: u64,
    fingerprints: foldhash::quality::RandomState,
}

/// Where a deleted call was, to put it back.
#[derive(Debug)]
pub(crate) struct Deleted {
    handle: u64,
    call: Box<ActiveCall>,
    caller_position: usize,
}

impl ActiveCalls {
    fn fingerprint(&self, app: Option<&AppId>, text: &str) -> u64 {
        self.fingerprints.hash_one((app.map(AppId::as_str), text))
    }

    /// Whether a call has this id.
    pub(crate) fn contains(&self, call_id: &CallId) -> bool {
        self.by_call_id.contains_key(call_id)
    }

    /// The call with this id.
    pub(crate) fn get(&self, call_id: &CallId) -> Option<&ActiveCall> {
        let handle = self.by_call_id.get(call_id)?;
        self.calls.get(handle).map(|call| &**call)
    }

    /// The application's call with this `EXTERNAL_CALL_ID`.
    pub(crate) fn by_external_id(
        &self,
        app: Option<&AppId>,
        external: &str,
    ) -> Option<&ActiveCall> {
        let handles = self.by_external_id.get(&self.fingerprint(app, external))?;
        handles.iter().filter_map(|h| self.calls.get(h)).map(|call| &**call).find(|call| {
            call.app_id.as_ref() == app && call.external_call_id.as_deref() == Some(external)
        })
    }

    /// The application's calls from this caller key, oldest first.
    pub(crate) fn by_caller<'a>(
        &'a self,
        app: Option<&'a AppId>,
        caller_key: &'a str,
    ) -> impl Iterator<Item = &'a ActiveCall> + 'a {
        let handles = self.by_caller.get(&self.fingerprint(app, caller_key));
        handles
            .into_iter()
            .flatten()
            .filter_map(|h| self.calls.get(h))
            .map(|call| &**call)
            .filter(move |call| call.app_id.as_ref() == app && call.caller_key == caller_key)
    }

    /// Every call, in no order.
    pub(crate) fn all(&self) -> impl Iterator<Item = &ActiveCall> {
        self.calls.values().map(|call| &**call)
    }

    /// Adds a call (its id must be new); returns its handle, for [`undo_insert`](Self::undo_insert).
    pub(crate) fn insert(&mut self, call: &ActiveCall) -> u64 {
        let handle = self.next_handle;
        self.next_handle += 1;
        if let Some(external) = &call.external_call_id {
            let key = self.fingerprint(call.app_id.as_ref(), external);
            self.by_external_id.entry(key).or_default().push(handle);
        }
        let key = self.fingerprint(call.app_id.as_ref(), &call.caller_key);
        self.by_caller.entry(key).or_default().push(handle);
        self.by_call_id.insert(call.call_id.clone(), handle);
        self.calls.insert(handle, Box::new(call.clone()));
        handle
    }

    /// Takes back the call [`insert`](Self::insert) added.
    pub(crate) fn undo_insert(&mut self, handle: u64) {
        if let Some(call) = self.calls.remove(&handle) {
            self.unindex(handle, &call);
        }
    }

    /// Deletes a call; `None` when there is none with this id.
    pub(crate) fn delete(&mut self, call_id: &CallId) -> Option<Deleted> {
        let handle = *self.by_call_id.get(call_id)?;
        let call = self.calls.remove(&handle)?;
        let caller_position = self.unindex(handle, &call);
        Some(Deleted { handle, call, caller_position })
    }

    /// Puts a deleted call back where it was.
    pub(crate) fn undo_delete(&mut self, deleted: Deleted) {
        let Deleted { handle, call, caller_position } = deleted;
        if let Some(external) = &call.external_call_id {
            let key = self.fingerprint(call.app_id.as_ref(), external);
            self.by_external_id.entry(key).or_default().push(handle);
        }
        let key = self.fingerprint(call.app_id.as_ref(), &call.caller_key);
        let handles = self.by_caller.entry(key).or_default();
        handles.insert(caller_position.min(handles.len()), handle);
        self.by_call_id.insert(call.call_id.clone(), handle);
        self.calls.insert(handle, call);
    }

    /// Removes a call's index entries; returns its position among its caller's calls.
    fn unindex(&mut self, handle: u64, call: &ActiveCall) -> usize {
        self.by_call_id.remove(&call.call_id);
        if let Some(external) = &call.external_call_id {
            let key = self.fingerprint(call.app_id.as_ref(), external);
            remove_handle(&mut self.by_external_id, key, handle);
        }
        let key = self.fingerprint(call.app_id.as_ref(), &call.caller_key);
        remove_handle(&mut self.by_caller, key, handle).unwrap_or(0)
    }
}

/// Removes a handle from a fingerprint's list (dropping an emptied list); returns where it was.
fn remove_handle(index: &mut HashMap<u64, Vec<u64>>, key: u64, handle: u64) -> Option<usize> {
    let handles = index.get_mut(&key)?;
    let at = handles.iter().position(|h| *h == handle)?;
    handles.remove(at);
    if handles.is_empty() {
        index.remove(&key);
    }
    Some(at)
}
