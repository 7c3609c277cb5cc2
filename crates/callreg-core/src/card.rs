//! `telephony.externalcall.show` / `hide`: the call card for chosen users.

use crate::engine::Engine;
use crate::error::CallregError;
use crate::model::{EventData, event_names};
use crate::register::queue_card_show;
use crate::store::CrmStore;
use crate::types::{CallId, UserId};
use serde_json::Value;

/// Most users one show/hide may name.
pub const MAX_CARD_USERS: usize = 1000;

impl<S: CrmStore> Engine<S> {
    /// Shows the card of an active call to `users` (default: the call's user). Returns
    /// `false`, and queues nothing, when the call is not active (unknown or finished).
    pub fn show_call(&self, call_id: &str, users: Option<&[i64]>) -> Result<bool, CallregError> {
        self.card_event(call_id, users, true)
    }

    /// Hides the card of an active call from `users` (default: the call's user). Returns
    /// `false` when the call is not active.
    pub fn hide_call(&self, call_id: &str, users: Option<&[i64]>) -> Result<bool, CallregError> {
        self.card_event(call_id, users, false)
    }

    fn card_event(
        &self,
        call_id: &str,
        users: Option<&[i64]>,
        show: bool,
    ) -> Result<bool, CallregError> {
        if users.is_some_and(|u| u.len() > MAX_CARD_USERS) {
            return Err(CallregError::TooMany { param: "USER_ID", limit: MAX_CARD_USERS });
        }
        let now = self.now();
        self.in_transaction(|tx| {
            let Some(call) = tx.active_call(&CallId::new(call_id))? else {
                return Ok(false);
            };
            // Bitrix does not check the users; ids that cannot be users are skipped, and a
            // list with none of them means the call's user.
            let mut targets: Vec<UserId> = users
                .unwrap_or_default()
                .iter()
                .filter_map(|id| u64::try_from(*id).ok().filter(|id| *id > 0))
                .map(UserId)
                .collect();
            if targets.is_empty() {
                targets.push(call.user_id);
            }
            for user in targets {
                if show {
                    queue_card_show(tx, &call, user, now)?;
                } else {
                    let mut data = EventData::new();
                    data.insert("CALL_ID".into(), Value::String(call.call_id.to_string()));
                    data.insert("USER_ID".into(), Value::String(user.to_string()));
                    tx.push_event(event_names::CARD_HIDE, &data, now)?;
                }
            }
            Ok(true)
        })
    }
}
