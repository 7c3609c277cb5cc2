//! `voximplant.statistic.get`: finished calls, filtered by `CALL_ID`, `PHONE_NUMBER` and
//! `PORTAL_USER_ID`. Parameter names are case-insensitive here, as in Bitrix.

use crate::params::{Params, php_int, scalar_text};
use crate::telephony::statistic_row;
use crate::{Handled, WireError};
use callreg_core::model::TelephonyPermission;
use callreg_core::{Auth, CrmStore, Engine};
use serde_json::Value;

pub(crate) fn statistic_get<S: CrmStore>(
    engine: &Engine<S>,
    auth: &Auth,
    p: Params<'_>,
) -> Handled {
    if engine.config().permission_check {
        let acting = engine.user(auth.user_id)?;
        if !acting.is_some_and(|u| u.active && u.can(TelephonyPermission::CallDetailView)) {
            return Err(WireError::access_denied());
        }
    }
    let filter = match p.get_ignore_case("FILTER") {
        None => None,
        Some(value @ Value::Object(_)) => Some(Params::new(value)),
        Some(Value::Array(items)) if items.is_empty() => None,
        Some(_) => return Err(WireError::argument("FILTER should be an object")),
    };
    let text = |name: &str| {
        filter.and_then(|f| f.get_ignore_case(name)).map(|v| scalar_text(v).unwrap_or_default())
    };
    let call_id = text("CALL_ID");
    let phone = text("PHONE_NUMBER");
    let phone_key = phone.as_deref().and_then(|n| engine.phones().key(n)).map(|k| k.to_storage());
    let user = match filter.and_then(|f| f.get_ignore_case("PORTAL_USER_ID")) {
        None => None,
        Some(v) => Some(
            php_int(v)
                .ok_or_else(|| WireError::argument("FILTER PORTAL_USER_ID should be an integer"))?,
        ),
    };
    let zone = engine.config().time_zone;
    let rows = engine
        .call_records()?
        .into_iter()
        .filter(|r| call_id.as_ref().is_none_or(|id| r.call_id.as_str() == id))
        .filter(|r| {
            phone.as_ref().is_none_or(|number| {
                &r.phone_number == number
                    || phone_key.as_ref().is_some_and(|key| &r.caller_key == key)
            })
        })
        .filter(|r| user.is_none_or(|u| i64::try_from(r.portal_user_id.0) == Ok(u)))
        .map(|r| Value::Object(statistic_row(&r, zone)))
        .collect();
    Ok(Value::Array(rows))
}
