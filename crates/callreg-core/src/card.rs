//! `telephony.externalcall.show` / `hide`: the call card for chosen users.

use crate::engine::Engine;
use crate::error::CallregError;
use crate::model::{EventData, event_names};
use crate::register::queue_card_show;
use crate::store::CrmStore;
use crate::types::{CallId, UserId};
use serde_json::Value;

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
        let now = self.now();
        self.in_transaction(|tx| {
            let Some(call) = tx.active_call(&CallId::new(call_id))? else {
                return Ok(false);
            };
            // Bitrix does not check the users; ids that cannot be users are skipped.
            let targets: Vec<UserId> = match users {
                Some(ids) => {
                    ids.iter().filter_map(|id| u64::try_from(*id).ok()).map(UserId).collect()
                }
                None => vec![call.user_id],
            };
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
