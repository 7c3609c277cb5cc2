//! Hostile parameters: every parameter of every method given values of every wrong shape.
//! Nothing may panic; every answer is a well-formed Bitrix body; a refused request leaves the
//! store exactly as it was; a shape error names its parameter; the store's integrity holds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use callreg_core::conformance::integrity::{check_integrity, snapshot};
use callreg_core::{Auth, Engine, EngineConfig};
use callreg_rest::{METHODS, dispatch};
use callreg_store_memory::MemoryStore;
use serde_json::{Map, Value, json};

fn hostile_values() -> Vec<Value> {
    vec![
        json!("x".repeat(1 << 20)),
        json!(""),
        Value::Null,
        json!(0),
        json!(-1),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(1e308),
        json!(-0.5),
        json!(true),
        json!(false),
        json!([]),
        json!([1, "a", null]),
        json!({}),
        json!({"a": {"b": [1]}}),
        json!("\u{0}\u{1}\u{1f}\u{7f}"),
        json!("'; DROP TABLE active_call; --"),
        json!("%_\\"),
        json!("+7 (495) 123-45-67"),
        json!("２"),
    ]
}

/// A valid request of each method, so that each hostile value is the only thing wrong.
fn baseline(method: &str, call_id: &str, finished_id: &str) -> Value {
    match method {
        "telephony.externalcall.register" => json!({
            "USER_ID": 1, "PHONE_NUMBER": "+7 495 123-45-67", "TYPE": 2, "CRM_CREATE": 1, "SHOW": 1,
            "LINE_NUMBER": "74951112233", "EXTERNAL_CALL_ID": "ext-1", "CALL_START_DATE": "2026-03-10T11:19:38+03:00",
            "CRM_SOURCE": "WEB", "USER_PHONE_INNER": "101", "CRM_ENTITY_TYPE": "CONTACT", "CRM_ENTITY_ID": 1
        }),
        "telephony.externalcall.finish" => json!({
            "CALL_ID": call_id, "USER_ID": 1, "DURATION": 10, "COST": 1.5, "COST_CURRENCY": "RUB", "STATUS_CODE": "200",
            "FAILED_REASON": "", "VOTE": 5, "RECORD_URL": "https://x/r.mp3", "ADD_TO_CHAT": 1, "USER_PHONE_INNER": "101"
        }),
        "telephony.externalcall.show" | "telephony.externalcall.hide" => {
            json!({"CALL_ID": call_id, "USER_ID": [1, 2]})
        }
        "telephony.externalcall.searchcrmentities" => json!({"PHONE_NUMBER": "+7 495 123-45-67"}),
        "telephony.externalcall.attachrecord" => json!({
            "CALL_ID": finished_id, "FILENAME": "r.wav", "FILE_CONTENT": "UklGRiQAAABXQVZFZm10IA==", "RECORD_URL": ""
        }),
        "telephony.call.attachtranscription" => json!({
            "CALL_ID": finished_id, "MESSAGES": [{"SIDE": "User", "START_TIME": 1, "STOP_TIME": 2, "MESSAGE": "hi"}],
            "COST": 1, "COST_CURRENCY": "RUB"
        }),
        "telephony.externalline.add" | "telephony.externalline.update" => {
            json!({"NUMBER": "74950000000", "NAME": "Line", "CRM_AUTO_CREATE": "Y"})
        }
        "telephony.externalline.delete" => json!({"NUMBER": "74950000000"}),
        "user.add" => {
            json!({"NAME": "N", "EMAIL": "e@x", "UF_PHONE_INNER": "105", "ACTIVE": "Y", "ADMIN": "N",
            "WORK_PHONE": "1", "PERSONAL_PHONE": "2", "PERSONAL_MOBILE": "3", "TELEPHONY_PERMISSIONS": ["CALL_DETAIL_MODIFY"]})
        }
        m if m.ends_with(".add") => {
            json!({"fields": {"NAME": "N", "TITLE": "T", "PHONE": [{"VALUE": "+7 495 000 00 00", "VALUE_TYPE": "WORK"}]}})
        }
        m if m.ends_with(".get") && m.starts_with("crm.") => json!({"id": 1}),
        "user.get" => json!({"ID": 1}),
        "voximplant.statistic.get" => json!({"FILTER": {"CALL_ID": finished_id}}),
        "event.offline.get" => json!({"limit": 10, "clear": 0}),
        "event.offline.clear" => json!({"process_id": "p", "id": [1]}),
        _ => {
            json!({"filter": {"ID": 1, "PHONE": "+7 495 123-45-67", "ENTITY_ID": "SOURCE", "OWNER_TYPE_ID": 3, "OWNER_ID": 1}})
        }
    }
}

/// Checks one reply's shape and the store's state against what it was before.
fn check(
    engine: &Engine<MemoryStore>,
    before: &str,
    method: &str,
    param: &str,
    value: &Value,
    status: u16,
    body: &Value,
) {
    let what = format!("{method} {param}={}", short(value));
    assert!(matches!(status, 200 | 400 | 403 | 404), "{what}: status {status} {body}");
    if status == 200 {
        assert!(body.get("result").is_some() && body.get("time").is_some(), "{what}: {body}");
    } else {
        let description =
            body["error_description"].as_str().unwrap_or_else(|| panic!("{what}: {body}"));
        assert!(body["error"].is_string() && body.get("time").is_none(), "{what}: {body}");
        if body["error"] == "ERROR_ARGUMENT" && param != "-" {
            let named = description.to_ascii_lowercase().contains(&param.to_ascii_lowercase())
                || description.starts_with("CRM entity")
                || ["fields", "filter", "FILTER"].iter().any(|p| description.contains(p));
            assert!(named, "{what}: {description:?} does not name the parameter");
        }
        let after = engine.read(snapshot).unwrap();
        assert!(after == before, "{what}: a refused request changed the store ({description})");
    }
    assert_eq!(engine.read(check_integrity).unwrap(), Ok(()), "{what}");
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 40 { format!("{}...", &text[..40]) } else { text }
}

#[test]
fn every_parameter_of_every_method_survives_hostile_values() {
    let engine = Engine::new(MemoryStore::new(), EngineConfig::default()).unwrap();
    let auth = Auth::webhook(1);
    let contact = json!({"fields": {"NAME": "Ivan", "PHONE": [{"VALUE": "+7 495 123-45-67"}]}});
    assert_eq!(dispatch(&engine, &auth, "crm.contact.add", &contact).status, 200);
    let register = |number: &str| {
        let params = json!({"USER_ID": 1, "PHONE_NUMBER": number, "TYPE": 2});
        dispatch(&engine, &auth, "telephony.externalcall.register", &params).body["result"]["CALL_ID"].clone()
    };
    let live = register("+7 495 123-45-67");
    let finished = register("+7 812 000-00-00");
    let params = json!({"CALL_ID": finished, "USER_ID": 1, "DURATION": 5});
    assert_eq!(dispatch(&engine, &auth, "telephony.externalcall.finish", &params).status, 200);
    let (live, finished) =
        (live.as_str().unwrap().to_string(), finished.as_str().unwrap().to_string());

    let mut checked = 0;
    // Register once more without an explicit binding, so that hostile numbers, lines and
    // sources reach the owner search and auto-creation.
    let unbound = "telephony.externalcall.register#unbound";
    for method in METHODS.iter().copied().chain([unbound]) {
        let mut base = baseline(method.split('#').next().unwrap_or(method), &live, &finished);
        if method == unbound {
            let object = base.as_object_mut().unwrap();
            object.remove("CRM_ENTITY_TYPE");
            object.remove("CRM_ENTITY_ID");
            object.insert("EXTERNAL_CALL_ID".into(), json!("ext-unbound"));
        }
        let method = method.split('#').next().unwrap_or(method);
        let names: Vec<String> = base.as_object().unwrap().keys().cloned().collect();
        for name in &names {
            for value in hostile_values() {
                let mut params: Map<String, Value> = base.as_object().unwrap().clone();
                params.insert(name.clone(), value.clone());
                let before = engine.read(snapshot).unwrap();
                let reply = dispatch(&engine, &auth, method, &Value::Object(params));
                check(&engine, &before, method, name, &value, reply.status, &reply.body);
                checked += 1;
            }
        }
        // Parameters that are not an object at all.
        for params in [Value::Null, json!([1, 2]), json!("text"), json!(7)] {
            let before = engine.read(snapshot).unwrap();
            let reply = dispatch(&engine, &auth, method, &params);
            check(&engine, &before, method, "-", &params, reply.status, &reply.body);
        }
    }
    assert!(checked > 1000, "{checked}");
}

#[test]
fn hostile_method_names_and_identities_are_answered() {
    let engine = Engine::new(MemoryStore::new(), EngineConfig::default()).unwrap();
    let names = [
        "",
        ".",
        ".json",
        "telephony",
        "TELEPHONY.EXTERNALCALL.REGISTER.JSON.JSON",
        "\u{0}",
        &"m".repeat(1 << 16),
        "user.add\n",
    ];
    for name in names {
        let reply = dispatch(&engine, &Auth::webhook(1), name, &json!({}));
        assert!(matches!(reply.status, 200 | 400 | 403 | 404), "{name:?}");
    }
    for auth in
        [Auth::webhook(0), Auth::webhook(u64::MAX), Auth::app(999, "\u{0}"), Auth::session(1)]
    {
        for method in METHODS {
            let reply = dispatch(
                &engine,
                &auth,
                method,
                &json!({"USER_ID": 1, "PHONE_NUMBER": "1", "TYPE": 2}),
            );
            assert!(
                matches!(reply.status, 200 | 400 | 403 | 404),
                "{method} as {auth:?}: {}",
                reply.body
            );
        }
    }
    assert_eq!(engine.read(check_integrity).unwrap(), Ok(()));
}
