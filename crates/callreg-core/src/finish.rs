//! `telephony.externalcall.finish`: the statistics row, the CRM activity, reassignment of
//! entities the call created, missed-call bookkeeping and the end events, in one transaction
//! that either stores all of it or nothing (contract D3).

use crate::auth::Auth;
use crate::engine::Engine;
use crate::error::CallregError;
use crate::matching::caller_keys;
use crate::model::{
    ActiveCall, Activity, CallRecord, Direction, EventData, MissedCall, RecordDownload, ResultMark,
    event_names,
};
use crate::records::RECORD_RETRY_DELAY;
use crate::store::{CrmStore, StoreTx};
use crate::types::{CallId, CallType, EntityRef, EntityType, UserId};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

/// Longest `COST_CURRENCY` accepted (contract D8).
pub const MAX_COST_CURRENCY: usize = 50;
/// Longest `FAILED_REASON` accepted.
pub const MAX_FAILED_REASON: usize = 255;
/// Longest `STATUS_CODE` accepted (Bitrix's column size).
pub const MAX_STATUS_CODE: usize = 255;
/// Longest `RECORD_URL` accepted.
pub const MAX_RECORD_URL: usize = 2048;

/// `ERRORS.ACTIVITY_CREATION` when no CRM record can be bound.
pub const NO_ENTITY_FOR_ACTIVITY: &str =
    "Could not find associated crm entity for the current call";

/// A finish as received.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishRequest {
    /// `CALL_ID`; `None` when absent or not a string.
    pub call_id: Option<String>,
    /// `USER_ID` after PHP's `(int)` cast; 0 means "use `USER_PHONE_INNER`".
    pub user_id: i64,
    /// `USER_PHONE_INNER`.
    pub user_phone_inner: Option<String>,
    /// `DURATION`, seconds.
    pub duration: i64,
    /// `COST`.
    pub cost: f64,
    /// `COST_CURRENCY`.
    pub cost_currency: String,
    /// `STATUS_CODE`; absent, empty or `"0"` means 200 when `DURATION` > 0, else 304.
    pub status_code: Option<String>,
    /// `FAILED_REASON`.
    pub failed_reason: String,
    /// `VOTE`.
    pub vote: i64,
    /// `RECORD_URL`.
    pub record_url: Option<String>,
    /// `ADD_TO_CHAT` (absent means no message, as Bitrix's code does).
    pub add_to_chat: bool,
}

impl FinishRequest {
    /// A finish of `call_id` by user `user_id` after `duration` seconds.
    pub fn new(call_id: impl Into<String>, user_id: i64, duration: i64) -> Self {
        FinishRequest {
            call_id: Some(call_id.into()),
            user_id,
            user_phone_inner: None,
            duration,
            cost: 0.0,
            cost_currency: String::new(),
            status_code: None,
            failed_reason: String::new(),
            vote: 0,
            record_url: None,
            add_to_chat: false,
        }
    }

    /// Sets `STATUS_CODE`.
    pub fn status(mut self, code: impl Into<String>) -> Self {
        self.status_code = Some(code.into());
        self
    }
}

/// The result of a finish: the statistics row and, when no activity could be created, why.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishOutcome {
    /// The statistics row written.
    pub record: CallRecord,
    /// `ERRORS.ACTIVITY_CREATION`.
    pub activity_error: Option<String>,
}

impl<S: CrmStore> Engine<S> {
    /// Finishes a call (`telephony.externalcall.finish`).
    ///
    /// Checks, in order: auth type, permission (D7), the finishing user, `CALL_ID`'s type,
    /// that the call is active, that the user is active, the limits (D8). Then stores the
    /// statistics row, the activity, reassignments, missed-call marks and events, and removes
    /// the active call, all at once. A second finish of the same call gets "Call is not found".
    ///
    /// With a `RECORD_URL` and a [`RecordFetcher`](crate::RecordFetcher), the record is then
    /// downloaded and attached (after the finish has committed; named by the URL, or by the
    /// kind its content shows). As in Bitrix, a failed download is silent: the call stays
    /// finished with the URL recorded, and the outcome's row is the one the finish stored.
    /// The download is retried once, a minute after the finish (as Bitrix's retry agent), by
    /// [`retry_record_downloads`](Self::retry_record_downloads): the finish's own transaction
    /// remembers it, so neither a failed attempt nor a crash before it loses the record.
    pub fn finish(
        &self,
        auth: &Auth,
        request: &FinishRequest,
    ) -> Result<FinishOutcome, CallregError> {
        if !auth.kind.may_manage_calls() {
            return Err(CallregError::WrongAuthType);
        }
        let now = self.now();
        let mut outcome = self.in_transaction(|tx| {
            self.check_permission(tx, auth)?;
            let user_id =
                self.resolve_user_id(tx, request.user_id, request.user_phone_inner.as_deref())?;
            let call_id = request.call_id.as_deref().ok_or(CallregError::CallIdNotString)?;
            let call = tx.active_call(&CallId::new(call_id))?.ok_or(CallregError::CallNotFound)?;
            let user = self.active_user(tx, user_id)?;
            check_finish_limits(request)?;
            let outcome = self.finish_active_call(tx, call, user.id, request, now)?;
            if let Some(url) = &outcome.record.record_url
                && self.record_fetcher().is_some()
            {
                // Remembered with the finish, so that a failed first attempt, or a crash
                // before it, leaves the download to retry.
                tx.insert_record_download(&RecordDownload {
                    call_id: outcome.record.call_id.clone(),
                    url: url.clone(),
                    due: now.checked_add_signed(RECORD_RETRY_DELAY).unwrap_or(now),
                })?;
            }
            Ok(outcome)
        })?;
        if let Some(url) = &outcome.record.record_url
            && let Some(file_id) =
                self.download_record_of_finished_call(&outcome.record.call_id, url)
        {
            outcome.record.record_id = Some(file_id);
        }
        Ok(outcome)
    }

    fn finish_active_call(
        &self,
        tx: &mut dyn StoreTx,
        call: ActiveCall,
        user: UserId,
        request: &FinishRequest,
        now: DateTime<Utc>,
    ) -> Result<FinishOutcome, CallregError> {
        let failed_code = match request.status_code.as_deref() {
            Some(code) if !code.is_empty() && code != "0" => code.to_string(),
            _ if request.duration > 0 => "200".to_string(),
            _ => "304".to_string(),
        };
        for created in call.entities.iter().filter(|e| e.created) {
            tx.set_responsible(created.entity, user, now)?;
        }

        let (bindings, primary) = self.activity_bindings(tx, &call)?;
        let (activity_id, activity_error) = if bindings.is_empty() {
            (None, Some(NO_ENTITY_FOR_ACTIVITY.to_string()))
        } else {
            let activity =
                self.call_activity(&call, user, request, &failed_code, (bindings, primary), now);
            (Some(tx.insert_activity(&activity)?), None)
        };

        let record = CallRecord {
            id: 0,
            call_id: call.call_id.clone(),
            external_call_id: call.external_call_id.clone(),
            portal_user_id: user,
            phone_number: call.caller_id.clone(),
            caller_key: call.caller_key.clone(),
            portal_number: call.portal_number.clone(),
            call_type: call.call_type,
            duration: request.duration,
            start_date: call.start_date,
            call_status: u8::from(request.duration > 0),
            vote: request.vote,
            cost: request.cost,
            cost_currency: request.cost_currency.clone(),
            failed_code,
            failed_reason: request.failed_reason.clone(),
            app_id: call.app_id.clone(),
            activity_id,
            record_url: request.record_url.clone().filter(|u| !u.is_empty()),
            primary: call.primary(),
            record_id: None,
            transcript_id: None,
            finished_at: now,
        };
        let record_id = tx.insert_call_record(&record)?;
        let record = CallRecord { id: record_id, ..record };

        if record.failed_code == "304" && record.call_type.is_incoming() {
            let missed = MissedCall {
                id: 0,
                record_id,
                caller_key: record.caller_key.clone(),
                user_id: user,
                at: record.start_date,
                called_back_by: None,
            };
            tx.insert_missed_call(&missed)?;
        } else if record.failed_code == "200" && record.call_type == CallType::Outgoing {
            for missed in tx.open_missed_calls(&record.caller_key)? {
                tx.mark_called_back(missed.id, record_id)?;
            }
        }

        tx.delete_active_call(&call.call_id)?;
        queue_call_finished(tx, &record, request.add_to_chat, self.config().time_zone, now)?;
        Ok(FinishOutcome { record, activity_error })
    }

    /// The records an activity is bound to, and the one its phone communication names (the
    /// primary). The call's own entities (a deal closed since is still bound, as Bitrix keeps
    /// the stored bindings; a deal that no longer exists is not), else a fresh search by the
    /// caller's number, whose primary is then the search's. Ordered as Bitrix's binding
    /// selector orders them: active deals, leads, then the other types by type id (closed
    /// deals, contacts, companies); the order within a group is kept.
    fn activity_bindings(
        &self,
        tx: &mut dyn StoreTx,
        call: &ActiveCall,
    ) -> Result<(Vec<EntityRef>, Option<EntityRef>), CallregError> {
        let mut primary = call.primary();
        let mut bindings: Vec<EntityRef> = call.entities.iter().map(|e| e.entity).collect();
        if bindings.is_empty() {
            let keys = caller_keys(self.phones(), &call.caller_id, None);
            let found = self.find_owners_in(tx, &keys, &call.caller_id, None)?;
            bindings = found.bound.into_vec();
            primary = found.primary;
        }
        let mut ranked = Vec::with_capacity(bindings.len());
        for entity in bindings {
            let rank = match entity.kind {
                EntityType::Deal => match tx.deal(entity.id)? {
                    Some(deal) if deal.active() => 0,
                    Some(_) => 2,
                    None => continue,
                },
                EntityType::Lead => 1,
                EntityType::Contact => 3,
                EntityType::Company => 4,
            };
            ranked.push((rank, entity));
        }
        ranked.sort_by_key(|&(rank, _)| rank);
        let bindings: Vec<EntityRef> = ranked.into_iter().map(|(_, entity)| entity).collect();
        let primary =
            primary.filter(|p| bindings.contains(p)).or_else(|| bindings.first().copied());
        Ok((bindings, primary))
    }

    fn call_activity(
        &self,
        call: &ActiveCall,
        user: UserId,
        request: &FinishRequest,
        failed_code: &str,
        (bindings, primary): (Vec<EntityRef>, Option<EntityRef>),
        now: DateTime<Utc>,
    ) -> Activity {
        let number = self.display_number(&call.caller_id);
        let subject = match call.call_type {
            CallType::Incoming | CallType::IncomingRedirect => format!("Incoming from {number}"),
            CallType::Outgoing => format!("Outgoing to {number}"),
            CallType::Callback => format!("Callback to {number}"),
            CallType::Information => "Phone call".to_string(),
        };
        let direction =
            if call.call_type.is_incoming() { Direction::Incoming } else { Direction::Outgoing };
        let answerable = matches!(call.call_type, CallType::Incoming | CallType::Callback);
        let missed = answerable && failed_code == "304";
        let mut description = format!("Call length: {} sec.", request.duration);
        if call.call_type.is_incoming() {
            description.push_str(&format!(" Call routed to: {}.", call.portal_number));
        }
        Activity {
            id: 0,
            subject,
            direction,
            start_time: call.start_date,
            end_time: end_time(call.start_date, request.duration),
            responsible_id: user,
            author_id: user,
            origin_id: format!("VI_{}", call.call_id),
            phone: call.caller_id.clone(),
            communication_entity: primary,
            completed: !missed,
            missed,
            result_mark: ResultMark::from_vote(request.vote),
            description,
            bindings,
            record_id: None,
            created: now,
        }
    }

    /// A caller id in international format when it parses, else as received.
    pub(crate) fn display_number(&self, caller_id: &str) -> String {
        match self.phones().key(caller_id) {
            Some(key) => self.phones().format_international(&key),
            None => caller_id.to_string(),
        }
    }
}

/// Start plus the duration; a duration beyond the calendar's range leaves the start.
fn end_time(start: DateTime<Utc>, duration: i64) -> DateTime<Utc> {
    TimeDelta::try_seconds(duration).and_then(|d| start.checked_add_signed(d)).unwrap_or(start)
}

fn check_finish_limits(request: &FinishRequest) -> Result<(), CallregError> {
    let limits = [
        ("COST_CURRENCY", request.cost_currency.as_str(), MAX_COST_CURRENCY),
        ("FAILED_REASON", request.failed_reason.as_str(), MAX_FAILED_REASON),
        ("STATUS_CODE", request.status_code.as_deref().unwrap_or(""), MAX_STATUS_CODE),
        ("RECORD_URL", request.record_url.as_deref().unwrap_or(""), MAX_RECORD_URL),
    ];
    if i32::try_from(request.duration).is_err() {
        let (min, max) = (i64::from(i32::MIN), i64::from(i32::MAX));
        return Err(CallregError::OutOfRange { param: "DURATION", min, max });
    }
    for (param, value, limit) in limits {
        if value.chars().count() > limit {
            return Err(CallregError::TooLong { param, limit });
        }
    }
    if !request.cost.is_finite() {
        return Err(CallregError::InvalidValue("COST should be a number".into()));
    }
    Ok(())
}

fn text(value: impl Into<String>) -> Value {
    Value::String(value.into())
}

/// Card hide for the finishing user, `OnVoximplantCallEnd`, and the chat message.
fn queue_call_finished(
    tx: &mut dyn StoreTx,
    record: &CallRecord,
    add_to_chat: bool,
    zone: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<(), CallregError> {
    let user = record.portal_user_id.to_string();
    let mut hide = EventData::new();
    hide.insert("CALL_ID".into(), text(record.call_id.as_str()));
    hide.insert("USER_ID".into(), text(user.clone()));
    tx.push_event(event_names::CARD_HIDE, &hide, now)?;

    let mut end = EventData::new();
    end.insert("CALL_ID".into(), text(record.call_id.as_str()));
    end.insert("CALL_TYPE".into(), text(record.call_type.code().to_string()));
    end.insert("PHONE_NUMBER".into(), text(record.phone_number.as_str()));
    end.insert("PORTAL_NUMBER".into(), text(record.portal_number.as_str()));
    end.insert("PORTAL_USER_ID".into(), text(user.clone()));
    end.insert("CALL_DURATION".into(), text(record.duration.to_string()));
    // ISO 8601 in the portal's zone, as Bitrix's CRestUtil::ConvertDateTime writes it.
    let start = record.start_date.with_timezone(&zone).format("%Y-%m-%dT%H:%M:%S%:z");
    end.insert("CALL_START_DATE".into(), text(start.to_string()));
    end.insert("COST".into(), text(record.cost.to_string()));
    end.insert("COST_CURRENCY".into(), text(record.cost_currency.as_str()));
    end.insert("CALL_FAILED_CODE".into(), text(record.failed_code.as_str()));
    end.insert("CALL_FAILED_REASON".into(), text(record.failed_reason.as_str()));
    end.insert(
        "CRM_ACTIVITY_ID".into(),
        record.activity_id.map_or(Value::Null, |id| text(id.to_string())),
    );
    tx.push_event(event_names::CALL_END, &end, now)?;

    if add_to_chat && record.failed_code != "423" {
        let message = match record.failed_code.as_str() {
            "486" => format!("{} is presently on a different call.", record.phone_number),
            "200" => format!(
                "Call to {} finished. Duration: {} sec.",
                record.phone_number, record.duration
            ),
            code => format!("Call to {} finished. Status: {code}.", record.phone_number),
        };
        let mut chat = EventData::new();
        chat.insert("USER_ID".into(), text(user));
        chat.insert("CALL_ID".into(), text(record.call_id.as_str()));
        chat.insert("MESSAGE".into(), text(message));
        tx.push_event(event_names::CHAT_MESSAGE, &chat, now)?;
    }
    Ok(())
}
