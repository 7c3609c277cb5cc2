//! Any method name, any JSON parameters, any identity, on a seeded in-memory engine. After
//! every input the store must still satisfy its integrity rules.
#![no_main]

use callreg_core::conformance::integrity::check_integrity;
use callreg_core::{Auth, Engine, EngineConfig};
use callreg_rest::{METHODS, dispatch, parse_auth};
use callreg_store_memory::MemoryStore;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use std::cell::RefCell;

thread_local! {
    static ENGINE: RefCell<(Engine<MemoryStore>, u32)> = RefCell::new((seeded_engine(), 0));
}

/// A portal with an employee, a contact, a company, a lead, a live call and a finished one.
fn seeded_engine() -> Engine<MemoryStore> {
    let engine = Engine::new(MemoryStore::new(), EngineConfig::default()).expect("engine");
    let admin = Auth::webhook(1);
    let setup = [
        ("user.add", json!({"NAME": "Op", "UF_PHONE_INNER": "101", "PERSONAL_MOBILE": "+79160000001"})),
        ("crm.contact.add", json!({"fields": {"NAME": "Ivan", "PHONE": [{"VALUE": "+7 495 123-45-67"}]}})),
        ("crm.company.add", json!({"fields": {"TITLE": "Acme", "PHONE": [{"VALUE": "8 812 000 00 00"}]}})),
        ("crm.lead.add", json!({"fields": {"TITLE": "Lead", "PHONE": [{"VALUE": "+7 843 111 22 33"}]}})),
        ("telephony.externalcall.register", json!({"USER_ID": 1, "PHONE_NUMBER": "+74951234567", "TYPE": 2, "EXTERNAL_CALL_ID": "live"})),
    ];
    for (method, params) in setup {
        dispatch(&engine, &admin, method, &params);
    }
    let finished = dispatch(&engine, &admin, "telephony.externalcall.register", &json!({"USER_ID": 1, "PHONE_NUMBER": "101", "TYPE": 1}));
    let id = finished.body["result"]["CALL_ID"].clone();
    dispatch(&engine, &admin, "telephony.externalcall.finish", &json!({"CALL_ID": id, "USER_ID": 1, "DURATION": 3}));
    engine
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\n');
    let method_part = parts.next().unwrap_or("");
    let method = match method_part.as_bytes().first() {
        // A leading digit picks a real method, so most inputs exercise a handler.
        Some(b) if b.is_ascii_digit() => METHODS[usize::from(*b - b'0') * 3 % METHODS.len()].to_string(),
        _ => method_part.to_string(),
    };
    let params: Value = serde_json::from_str(parts.next().unwrap_or("")).unwrap_or(Value::Null);
    let auth_json: Option<Value> = serde_json::from_str(parts.next().unwrap_or("")).ok();
    let auth = parse_auth(auth_json.as_ref()).unwrap_or_else(|_| Auth::webhook(1));
    ENGINE.with(|cell| {
        let mut guard = cell.borrow_mut();
        // Start afresh now and then, so the store stays small.
        if guard.1 >= 500 {
            *guard = (seeded_engine(), 0);
        }
        guard.1 += 1;
        let engine = &guard.0;
        let reply = dispatch(engine, &auth, &method, &params);
        assert!(matches!(reply.status, 200 | 400 | 403 | 404), "status {} for {method}", reply.status);
        if reply.status == 200 {
            assert!(reply.body.get("result").is_some() && reply.body.get("time").is_some());
        } else {
            assert!(reply.body["error"].is_string() && reply.body["error_description"].is_string());
        }
        let integrity = engine.read(check_integrity).expect("store readable");
        assert_eq!(integrity, Ok(()), "after {method} {params}");
    });
});
