//! The wire format: method names, parameter coercion, result shapes and error envelopes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use callreg_core::{Auth, Engine, EngineConfig};
use callreg_rest::{WireResponse, dispatch};
use callreg_store_memory::MemoryStore;
use serde_json::{Value, json};

fn engine() -> Engine<MemoryStore> {
    Engine::new(MemoryStore::new(), EngineConfig::default()).unwrap()
}

fn call(engine: &Engine<MemoryStore>, method: &str, params: Value) -> WireResponse {
    dispatch(engine, &Auth::webhook(1), method, &params)
}

fn ok(engine: &Engine<MemoryStore>, method: &str, params: Value) -> Value {
    let reply = call(engine, method, params);
    assert_eq!(reply.status, 200, "{method}: {}", reply.body);
    reply.body["result"].clone()
}

fn keys(value: &Value) -> Vec<&str> {
    value.as_object().unwrap().keys().map(String::as_str).collect()
}

fn assert_error(reply: &WireResponse, status: u16, code: &str, description: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.body, json!({"error": code, "error_description": description}));
}

#[test]
fn method_names_are_case_insensitive_and_take_json_suffix() {
    let e = engine();
    let params = json!({"USER_ID": 1, "PHONE_NUMBER": "+74951234567", "TYPE": 2});
    for method in [
        "telephony.externalCall.register",
        "telephony.externalcall.register",
        "TELEPHONY.EXTERNALCALL.REGISTER.json",
    ] {
        assert_eq!(call(&e, method, params.clone()).status, 200, "{method}");
    }
    assert_error(
        &call(&e, "telephony.externalcall.nope", json!({})),
        404,
        "ERROR_METHOD_NOT_FOUND",
        "Method not found!",
    );
}

#[test]
fn success_bodies_have_the_full_time_block() {
    let e = engine();
    let reply = call(
        &e,
        "telephony.externalcall.register",
        json!({"USER_ID": 1, "PHONE_NUMBER": "1234567", "TYPE": 1}),
    );
    assert_eq!(keys(&reply.body), vec!["result", "time"]);
    let time = &reply.body["time"];
    assert_eq!(
        keys(time),
        vec!["start", "finish", "duration", "processing", "date_start", "date_finish"]
    );
    assert!(time["start"].is_i64());
    assert!(time["finish"].is_f64());
    assert!(time["duration"].is_f64());
    assert!(time["processing"].is_i64());
    let date = time["date_start"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(date).is_ok(), "{date}");
}

#[test]
fn parameter_names_are_case_sensitive_and_unknown_ones_ignored() {
    let e = engine();
    let reply = call(
        &e,
        "telephony.externalcall.register",
        json!({"user_id": 1, "PHONE_NUMBER": "+74951234567", "TYPE": 2}),
    );
    assert_error(&reply, 400, "ERROR_CORE", "USER_ID or USER_PHONE_INNER should be set");
    let reply = call(
        &e,
        "telephony.externalcall.register",
        json!({"USER_ID": "1", "PHONE_NUMBER": 74951234567_i64, "TYPE": "2", "WHATEVER": [1, 2]}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    // PHP's `(int)`: `true` is user 1, `false` is 0 (then USER_PHONE_INNER), `"1e3"` is 1000.
    let reply = call(
        &e,
        "telephony.externalcall.register",
        json!({"USER_ID": true, "PHONE_NUMBER": "+74951234568", "TYPE": 2}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = call(
        &e,
        "telephony.externalcall.register",
        json!({"USER_ID": false, "PHONE_NUMBER": "+74951234569", "TYPE": 2}),
    );
    assert_error(&reply, 400, "ERROR_CORE", "USER_ID or USER_PHONE_INNER should be set");
    let reply = call(
        &e,
        "telephony.externalcall.register",
        json!({"USER_ID": "1e3", "PHONE_NUMBER": "+74951234569", "TYPE": 2}),
    );
    assert_error(&reply, 400, "ERROR_CORE", "User is not found or is not active");
}

#[test]
fn register_result_has_bitrix_types() {
    let e = engine();
    let result = ok(
        &e,
        "telephony.externalcall.register",
        json!({"USER_ID": 1, "PHONE_NUMBER": "+7 495 123-45-67", "TYPE": 2}),
    );
    assert_eq!(
        keys(&result),
        vec![
            "CALL_ID",
            "CRM_CREATED_LEAD",
            "CRM_CREATED_ENTITIES",
            "CRM_ENTITY_TYPE",
            "CRM_ENTITY_ID"
        ]
    );
    assert_eq!(result["CRM_CREATED_LEAD"], Value::Null);
    assert_eq!(result["CRM_CREATED_ENTITIES"], json!([]));
    assert_eq!(result["CRM_ENTITY_TYPE"], "");
    assert_eq!(result["CRM_ENTITY_ID"], Value::Null);

    let created = ok(
        &e,
        "telephony.externalcall.register",
        json!({"USER_ID": 1, "PHONE_NUMBER": "+7 812 123-45-67", "TYPE": 2, "CRM_CREATE": "Y"}),
    );
    let lead = created["CRM_CREATED_LEAD"].as_u64().expect("lead id is a number");
    assert_eq!(
        created["CRM_CREATED_ENTITIES"],
        json!([{"ENTITY_TYPE": "LEAD", "ENTITY_ID": lead}])
    );
    assert_eq!(created["CRM_ENTITY_TYPE"], "LEAD");
    assert_eq!(created["CRM_ENTITY_ID"], json!(lead));
    let lead_json = ok(&e, "crm.lead.get", json!({"id": lead}));
    assert_eq!(lead_json["TITLE"], "+7 812 123-45-67 - Incoming call");

    ok(&e, "user.add", json!({"NAME": "Op", "UF_PHONE_INNER": "101"}));
    let local = ok(
        &e,
        "telephony.externalcall.register",
        json!({"USER_ID": 1, "PHONE_NUMBER": "101", "TYPE": 2, "CRM_CREATE": 1}),
    );
    assert_eq!(local["LEAD_CREATION_ERROR"], "Lead creation is disabled for local users");
}

#[test]
fn flags_follow_d2() {
    let e = engine();
    let base = |show: Value| json!({"USER_ID": 1, "PHONE_NUMBER": "+74951234567", "TYPE": 2, "SHOW": show, "EXTERNAL_CALL_ID": show.to_string()});
    ok(&e, "event.offline.get", json!({"limit": 1000}));
    for off in [json!("N"), json!("false"), json!(0), json!("0"), json!(""), json!("off")] {
        ok(&e, "telephony.externalcall.register", base(off));
        let events = ok(&e, "event.offline.get", json!({}))["events"].clone();
        let names: Vec<&str> =
            events.as_array().unwrap().iter().map(|e| e["EVENT_NAME"].as_str().unwrap()).collect();
        assert_eq!(names, vec!["ONVOXIMPLANTCALLINIT", "ONVOXIMPLANTCALLSTART"]);
    }
    for on in [json!("Y"), json!(1), json!(true), json!("yes"), Value::Null] {
        ok(&e, "telephony.externalcall.register", base(on));
        let events = ok(&e, "event.offline.get", json!({}))["events"].clone();
        assert_eq!(events.as_array().unwrap().len(), 3);
    }
    // Only the two lists: no other case, no padding, no other number.
    for other in [
        json!("maybe"),
        json!("TRUE"),
        json!("Yes"),
        json!("OFF"),
        json!(" 1 "),
        json!("  "),
        json!(1.0),
        json!(2),
    ] {
        let reply = call(&e, "telephony.externalcall.register", base(other.clone()));
        assert_error(&reply, 400, "ERROR_ARGUMENT", "SHOW should be 0 or 1");
    }
    let reply = call(
        &e,
        "telephony.externalcall.register",
        json!({"USER_ID": 1, "PHONE_NUMBER": "1", "TYPE": 2, "CRM_CREATE": 2}),
    );
    assert_error(&reply, 400, "ERROR_ARGUMENT", "CRM_CREATE should be 0 or 1");
    let reply = call(
        &e,
        "telephony.externalcall.register",
        json!({"USER_ID": 1, "PHONE_NUMBER": "+7 495 000 11 22", "TYPE": 2, "CRM": "Y"}),
    );
    assert_eq!(reply.status, 200);
    assert!(reply.body["result"]["CRM_CREATED_LEAD"].is_u64(), "legacy CRM flag");
}

/// `ADD_TO_CHAT` on finish: absent means no chat message (Bitrix's code; its newer docs
/// say 1), `"N"` means none either, `"Y"` posts one, anything else is refused.
#[test]
fn add_to_chat_follows_d2_on_finish() {
    let e = engine();
    let finish_with = |flag: Option<Value>| {
        let registered = ok(
            &e,
            "telephony.externalcall.register",
            json!({"USER_ID": 1, "PHONE_NUMBER": "+74951234567", "TYPE": 2, "SHOW": 0}),
        );
        ok(&e, "event.offline.get", json!({"limit": 1000}));
        let mut params = json!({"CALL_ID": registered["CALL_ID"], "USER_ID": 1, "DURATION": 5});
        if let Some(flag) = flag {
            params["ADD_TO_CHAT"] = flag;
        }
        call(&e, "telephony.externalcall.finish", params)
    };
    let chat_messages = || {
        let events = ok(&e, "event.offline.get", json!({"limit": 1000}))["events"].clone();
        let chats = events.as_array().unwrap().iter();
        chats.filter(|e| e["EVENT_NAME"] == "ONCALLREGCHATMESSAGE").count()
    };
    for (flag, messages) in [
        (None, 0),
        (Some(json!("N")), 0),
        (Some(json!(0)), 0),
        (Some(json!("Y")), 1),
        (Some(json!(1)), 1),
    ] {
        let reply = finish_with(flag.clone());
        assert_eq!(reply.status, 200, "{flag:?}");
        assert_eq!(chat_messages(), messages, "{flag:?}");
    }
    let reply = finish_with(Some(json!("maybe")));
    assert_error(&reply, 400, "ERROR_ARGUMENT", "ADD_TO_CHAT should be 0 or 1");
    // On register the flag has no effect, but is a flag all the same.
    let register = |flag: Value| {
        let params =
            json!({"USER_ID": 1, "PHONE_NUMBER": "+74951234567", "TYPE": 2, "ADD_TO_CHAT": flag});
        call(&e, "telephony.externalcall.register", params)
    };
    assert_eq!(register(json!("Y")).status, 200);
    assert_error(&register(json!("maybe")), 400, "ERROR_ARGUMENT", "ADD_TO_CHAT should be 0 or 1");
}

#[test]
fn type_follows_d13() {
    let e = engine();
    for ok_type in [json!(2), json!("2"), json!(" 2"), json!("02"), json!("2.0"), json!(2.0)] {
        let reply = call(
            &e,
            "telephony.externalcall.register",
            json!({"USER_ID": 1, "PHONE_NUMBER": "1", "TYPE": ok_type}),
        );
        assert_eq!(reply.status, 200, "{ok_type}");
    }
    for bad in [json!(true), json!(6), json!([2]), json!({"a": 2}), Value::Null, json!("2.5")] {
        let reply = call(
            &e,
            "telephony.externalcall.register",
            json!({"USER_ID": 1, "PHONE_NUMBER": "1", "TYPE": bad}),
        );
        assert_error(&reply, 400, "ERROR_CORE", "Unknown TYPE");
    }
}

#[test]
fn errors_have_no_time_block_and_bitrix_codes() {
    let e = engine();
    let reply = call(
        &e,
        "telephony.externalcall.register",
        json!({"USER_ID": 1, "PHONE_NUMBER": "abc", "TYPE": 2}),
    );
    assert_error(&reply, 400, "ERROR_CORE", "Unsupported phone number format");
    let reply = dispatch(&e, &Auth::session(1), "telephony.externalcall.register", &json!({}));
    assert_error(
        &reply,
        403,
        "WRONG_AUTH_TYPE",
        "Current authorization type is denied for this method",
    );
    let clerk = ok(&e, "user.add", json!({"NAME": "Clerk"})).as_u64().unwrap();
    let reply = dispatch(
        &e,
        &Auth::webhook(clerk),
        "telephony.externalcall.register",
        &json!({"USER_ID": 1}),
    );
    assert_error(&reply, 403, "ACCESS_DENIED", "Access denied!");
    let reply = call(&e, "telephony.externalcall.finish", json!({"USER_ID": 1, "CALL_ID": 12345}));
    assert_error(&reply, 400, "INVALID_ARGUMENT", "CALL_ID must be a string");
    let reply = call(
        &e,
        "telephony.externalcall.finish",
        json!({"USER_ID": 1, "CALL_ID": "externalCall.x.1"}),
    );
    assert_error(
        &reply,
        400,
        "ERROR_CORE",
        "Call is not found (call should be registered prior to finishing",
    );
    let reply = call(
        &e,
        "telephony.externalcall.register",
        json!({"USER_ID": 1, "PHONE_NUMBER": "1", "TYPE": 2, "LINE_NUMBER": "7".repeat(51)}),
    );
    assert_error(&reply, 400, "ERROR_ARGUMENT", "LINE_NUMBER is too long: at most 50 characters");
    let reply = call(
        &e,
        "telephony.externalcall.register",
        json!({"USER_ID": 1, "PHONE_NUMBER": "1", "TYPE": 2, "CRM_ENTITY_TYPE": "CONTACT", "CRM_ENTITY_ID": 77}),
    );
    assert_error(&reply, 400, "ERROR_ARGUMENT", "CRM entity CONTACT 77 is not found");
    let reply = call(
        &e,
        "telephony.externalcall.register",
        json!({"USER_ID": [1], "PHONE_NUMBER": "1", "TYPE": 2}),
    );
    assert_error(&reply, 400, "ERROR_ARGUMENT", "USER_ID should be an integer");
}

#[test]
fn finish_result_has_bitrix_order_and_types() {
    let e = engine();
    let contact = ok(
        &e,
        "crm.contact.add",
        json!({"fields": {"NAME": "Ivan", "PHONE": [{"VALUE": "+7 906 219-50-47", "VALUE_TYPE": "WORK"}]}}),
    );
    assert!(contact.is_u64());
    let registered = ok(
        &e,
        "telephony.externalcall.register",
        json!({"USER_ID": 1, "PHONE_NUMBER": "79062195047", "TYPE": 2, "LINE_NUMBER": "3", "CALL_START_DATE": "2026-03-10 11:19:38"}),
    );
    let call_id = registered["CALL_ID"].as_str().unwrap();
    let result = ok(
        &e,
        "telephony.externalcall.finish",
        json!({"CALL_ID": call_id, "USER_ID": "1", "DURATION": "95", "VOTE": 5, "RECORD_URL": "https://x/r.mp3"}),
    );
    assert_eq!(
        keys(&result),
        vec![
            "CALL_ID",
            "EXTERNAL_CALL_ID",
            "PORTAL_USER_ID",
            "PHONE_NUMBER",
            "PORTAL_NUMBER",
            "INCOMING",
            "CALL_DURATION",
            "CALL_START_DATE",
            "CALL_STATUS",
            "CALL_VOTE",
            "COST",
            "COST_CURRENCY",
            "CALL_FAILED_CODE",
            "CALL_FAILED_REASON",
            "REST_APP_ID",
            "REST_APP_NAME",
            "CRM_ACTIVITY_ID",
            "COMMENT",
            "CALL_RECORD_URL",
            "CRM_ENTITY_TYPE",
            "CRM_ENTITY_ID",
            "ID",
        ]
    );
    assert_eq!(result["EXTERNAL_CALL_ID"], Value::Null);
    assert_eq!(result["PORTAL_USER_ID"], json!(1));
    assert_eq!(result["PHONE_NUMBER"], "79062195047");
    assert_eq!(result["PORTAL_NUMBER"], "3");
    assert_eq!(result["INCOMING"], "2");
    assert_eq!(result["CALL_DURATION"], json!(95));
    assert_eq!(result["CALL_START_DATE"], "2026-03-10T11:19:38+00:00");
    assert_eq!(result["CALL_STATUS"], json!(1));
    assert_eq!(result["CALL_VOTE"], json!(5));
    assert!(result["COST"].is_f64());
    assert_eq!(result["CALL_FAILED_CODE"], "200");
    assert_eq!(result["REST_APP_ID"], Value::Null);
    assert_eq!(result["REST_APP_NAME"], json!(false));
    assert!(result["CRM_ACTIVITY_ID"].is_u64());
    assert_eq!(result["CRM_ENTITY_TYPE"], "CONTACT");
    assert_eq!(result["CRM_ENTITY_ID"], contact);
    assert!(result["ID"].is_u64());

    let lonely = ok(
        &e,
        "telephony.externalcall.register",
        json!({"USER_ID": 1, "PHONE_NUMBER": "+7 812 000 00 00", "TYPE": 2}),
    );
    let result = ok(
        &e,
        "telephony.externalcall.finish",
        json!({"CALL_ID": lonely["CALL_ID"], "USER_ID": 1}),
    );
    assert_eq!(result["CALL_FAILED_CODE"], "304");
    assert_eq!(result["CALL_STATUS"], json!(0));
    assert_eq!(result["CRM_ACTIVITY_ID"], json!(false));
    assert_eq!(
        result["ERRORS"],
        json!({"ACTIVITY_CREATION": "Could not find associated crm entity for the current call"})
    );
    assert!(result.get("CRM_ENTITY_TYPE").is_none() && result.get("CALL_RECORD_URL").is_none());
}

#[test]
fn show_and_hide_answer_booleans_and_take_user_arrays() {
    let e = engine();
    let registered = ok(
        &e,
        "telephony.externalcall.register",
        json!({"USER_ID": 1, "PHONE_NUMBER": "1", "TYPE": 2, "SHOW": 0}),
    );
    let id = registered["CALL_ID"].clone();
    ok(&e, "event.offline.get", json!({}));
    assert_eq!(
        ok(&e, "telephony.externalcall.show", json!({"CALL_ID": id, "USER_ID": [3, "4"]})),
        json!(true)
    );
    let events = ok(&e, "event.offline.get", json!({}))["events"].clone();
    let users: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["EVENT_DATA"]["USER_ID"].as_str().unwrap())
        .collect();
    assert_eq!(users, vec!["3", "4"]);
    assert_eq!(
        ok(&e, "telephony.externalcall.hide", json!({"CALL_ID": id, "USER_ID": 3})),
        json!(true)
    );
    assert_eq!(ok(&e, "telephony.externalcall.show", json!({"CALL_ID": "nope"})), json!(false));
    assert_eq!(ok(&e, "telephony.externalcall.hide", json!({})), json!(false));
    // PHP's (int) of every user: `true` is user 1; `false`, `null` and 0 are no user, and a
    // list of no user means the call's own.
    let agent = ok(&e, "user.add", json!({"NAME": "Agent"}));
    let params = json!({"USER_ID": agent, "PHONE_NUMBER": "2", "TYPE": 2, "SHOW": 0});
    let theirs = ok(&e, "telephony.externalcall.register", params)["CALL_ID"].clone();
    ok(&e, "event.offline.get", json!({}));
    for user in [json!(true), json!(false), json!([null, true]), json!([null])] {
        let shown =
            ok(&e, "telephony.externalcall.show", json!({"CALL_ID": theirs, "USER_ID": user}));
        assert_eq!(shown, json!(true), "{user}");
    }
    let events = ok(&e, "event.offline.get", json!({}))["events"].clone();
    let users: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["EVENT_DATA"]["USER_ID"].as_str().unwrap())
        .collect();
    let agent = agent.to_string();
    assert_eq!(users, ["1", agent.as_str(), "1", agent.as_str()]);
}

#[test]
fn search_crm_entities_shape() {
    let e = engine();
    let manager = ok(
        &e,
        "user.add",
        json!({"NAME": "Olga", "UF_PHONE_INNER": "105", "PERSONAL_MOBILE": "19062195047"}),
    );
    let contact = ok(
        &e,
        "crm.contact.add",
        json!({"fields": {"NAME": "John", "LAST_NAME": "Doe", "ASSIGNED_BY_ID": manager, "PHONE": [{"VALUE": "+1 906 219 5047"}]}}),
    );
    let found =
        ok(&e, "telephony.externalcall.searchCrmEntities", json!({"PHONE_NUMBER": "+19062195047"}));
    assert_eq!(
        found,
        json!([{
            "CRM_ENTITY_TYPE": "CONTACT",
            "CRM_ENTITY_ID": contact,
            "ASSIGNED_BY_ID": manager,
            "NAME": "John Doe",
            "ASSIGNED_BY": {
                "ID": manager.to_string(),
                "TIMEMAN_STATUS": "NOT_INSTALLED",
                "USER_PHONE_INNER": "105",
                "WORK_PHONE": null,
                "PERSONAL_PHONE": null,
                "PERSONAL_MOBILE": "19062195047",
            }
        }])
    );
    assert_error(
        &call(&e, "telephony.externalcall.searchcrmentities", json!({})),
        400,
        "ERROR_CORE",
        "PHONE_NUMBER is empty",
    );
    assert_eq!(
        ok(
            &e,
            "telephony.externalcall.searchcrmentities",
            json!({"PHONE_NUMBER": "+44 20 7946 0000"})
        ),
        json!([])
    );
}

#[test]
fn external_line_shapes() {
    let e = engine();
    let app = Auth::app(1, "pbx");
    let reply = dispatch(
        &e,
        &app,
        "telephony.externalLine.add",
        &json!({"NUMBER": "74951112233", "NAME": "Support", "CRM_AUTO_CREATE": "y"}),
    );
    let id = reply.body["result"]["ID"].as_u64().expect("ID is a number");
    let reply = dispatch(&e, &app, "telephony.externalLine.get", &json!({}));
    assert_eq!(
        reply.body["result"],
        json!([{"NUMBER": "74951112233", "NAME": "Support", "CRM_AUTO_CREATE": "N"}])
    );
    let reply = dispatch(
        &e,
        &app,
        "telephony.externalLine.update",
        &json!({"NUMBER": "74951112233", "CRM_AUTO_CREATE": "Y"}),
    );
    assert_eq!(reply.body["result"], json!({"ID": id.to_string()}));
    let reply =
        dispatch(&e, &app, "telephony.externalLine.update", &json!({"NUMBER": "74951112233"}));
    assert_error(&reply, 400, "ERROR_CORE", "There are no fields to update");
    let reply = dispatch(&e, &app, "telephony.externalLine.add", &json!({"NUMBER": "74951112233"}));
    assert_error(&reply, 400, "ERROR_CORE", "Line already exists");
    let reply =
        dispatch(&e, &app, "telephony.externalLine.delete", &json!({"NUMBER": "74951112233"}));
    assert_eq!(reply.body["result"], json!([]));
    let reply =
        dispatch(&e, &app, "telephony.externalLine.delete", &json!({"NUMBER": "74951112233"}));
    assert_error(&reply, 400, "ERROR_CORE", "Could not find line with number 74951112233");
    let reply = dispatch(&e, &Auth::session(1), "telephony.externalLine.get", &json!({}));
    assert_eq!(reply.status, 403);
}

#[test]
fn records_and_transcripts_on_the_wire() {
    let e = engine();
    let registered = ok(
        &e,
        "telephony.externalcall.register",
        json!({"USER_ID": 1, "PHONE_NUMBER": "1", "TYPE": 2}),
    );
    let id = registered["CALL_ID"].clone();
    let reply = call(
        &e,
        "telephony.externalcall.attachRecord",
        json!({"CALL_ID": id, "FILENAME": "a.wav"}),
    );
    assert_error(
        &reply,
        400,
        "ERROR_CORE",
        "Call is not found in the statistic table. Looks like it is not finished yet.",
    );
    ok(&e, "telephony.externalcall.finish", json!({"CALL_ID": id, "USER_ID": 1, "DURATION": 3}));
    let upload =
        ok(&e, "telephony.externalcall.attachRecord", json!({"CALL_ID": id, "FILENAME": "a.wav"}));
    assert_eq!(keys(&upload), vec!["uploadUrl", "fieldName"]);
    assert_eq!(upload["fieldName"], "file");
    // "RIFF....WAVE" in base64.
    let wav = "UklGRiQAAABXQVZFZm10IA==";
    let attached = ok(
        &e,
        "telephony.externalcall.attachRecord",
        json!({"CALL_ID": id, "FILENAME": "a.WAV", "FILE_CONTENT": wav}),
    );
    assert!(attached["FILE_ID"].is_u64());
    let reply = call(&e, "telephony.externalcall.attachRecord", json!({"CALL_ID": id}));
    assert_error(
        &reply,
        400,
        "ERROR_CORE",
        "Required parameters are not set. Request should contain or URL or FILENAME parameter",
    );
    let messages = json!([{"SIDE": "User", "START_TIME": 1, "STOP_TIME": "3", "MESSAGE": "Good afternoon"}, {"SIDE": "Client", "START_TIME": 4, "STOP_TIME": 7, "MESSAGE": "Hello"}]);
    let transcript =
        ok(&e, "telephony.call.attachTranscription", json!({"CALL_ID": id, "MESSAGES": messages}));
    assert!(transcript["TRANSCRIPT_ID"].is_u64());
    let reply = call(
        &e,
        "telephony.call.attachTranscription",
        json!({"CALL_ID": id, "MESSAGES": [{"SIDE": "user", "START_TIME": 1, "STOP_TIME": 2, "MESSAGE": "x"}]}),
    );
    assert_error(&reply, 400, "ERROR_CORE", "MESSAGES[0][SIDE] should be either Client or User");
    // Times take PHP's (int): `true` is 1, a non-empty array 1.
    let cast = json!([{"SIDE": "User", "START_TIME": [5], "STOP_TIME": true, "MESSAGE": "x"}]);
    let reply =
        call(&e, "telephony.call.attachTranscription", json!({"CALL_ID": id, "MESSAGES": cast}));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let stored = reply.body["result"]["TRANSCRIPT_ID"].as_u64().unwrap();
    let stored = e.transcript(stored).unwrap().unwrap();
    let times: Vec<(i64, i64)> =
        stored.messages.iter().map(|m| (m.start_time, m.stop_time)).collect();
    assert_eq!(times, [(1, 1)]);
    let reply =
        call(&e, "telephony.call.attachTranscription", json!({"CALL_ID": id, "MESSAGES": "x"}));
    assert_error(&reply, 400, "ERROR_CORE", "MESSAGES should be an array");
}

#[test]
fn crm_setup_and_inspection_methods() {
    let e = engine();
    let company = ok(
        &e,
        "crm.company.add",
        json!({"fields": {"TITLE": "Acme", "PHONE": [{"VALUE": "8 (812) 555-00-00", "VALUE_TYPE": "WORK"}]}}),
    );
    let contact = ok(
        &e,
        "crm.contact.add",
        json!({"fields": {"NAME": "Ivan", "COMPANY_ID": company, "PHONE": [{"VALUE": "+7 916 000-00-01", "VALUE_TYPE": "MOBILE"}]}}),
    );
    let deal = ok(
        &e,
        "crm.deal.add",
        json!({"fields": {"TITLE": "Big", "CONTACT_ID": contact, "STAGE_ID": "NEW"}}),
    );
    let lead = ok(
        &e,
        "crm.lead.add",
        json!({"fields": {"TITLE": "Lead", "STATUS_ID": "IN_PROCESS", "PHONE": [{"VALUE": "+7 495 000-00-02"}]}}),
    );
    let got = ok(&e, "crm.contact.get", json!({"id": contact}));
    assert_eq!(got["ID"], contact.to_string());
    assert_eq!(got["COMPANY_ID"], company.to_string());
    assert_eq!(
        got["PHONE"],
        json!([{"ID": "1", "VALUE_TYPE": "MOBILE", "VALUE": "+7 916 000-00-01", "TYPE_ID": "PHONE"}])
    );
    assert_error(&call(&e, "crm.contact.get", json!({"id": 999})), 400, "ERROR_CORE", "Not found");
    assert_error(
        &call(&e, "crm.contact.get", json!({})),
        400,
        "ERROR_CORE",
        "ID is not defined or invalid.",
    );
    let by_phone = ok(&e, "crm.company.list", json!({"filter": {"PHONE": "+78125550000"}}));
    assert_eq!(by_phone.as_array().unwrap().len(), 1);
    assert_eq!(
        ok(&e, "crm.lead.list", json!({"filter": {"ID": lead}})).as_array().unwrap().len(),
        1
    );
    assert_eq!(
        ok(&e, "crm.deal.list", json!({"filter": {"CONTACT_ID": contact}}))[0]["ID"],
        deal.to_string()
    );
    assert_error(
        &call(&e, "crm.deal.add", json!({"fields": {"CONTACT_ID": 999}})),
        400,
        "ERROR_ARGUMENT",
        "CONTACT_ID 999 is not found",
    );
    assert_error(
        &call(&e, "crm.contact.add", json!({})),
        400,
        "ERROR_ARGUMENT",
        "fields should be an object",
    );
    let sources = ok(&e, "crm.status.list", json!({"filter": {"ENTITY_ID": "SOURCE"}}));
    assert!(sources.as_array().unwrap().iter().any(|s| s["STATUS_ID"] == "CALL"));

    let registered = ok(
        &e,
        "telephony.externalcall.register",
        json!({"USER_ID": 1, "PHONE_NUMBER": "89160000001", "TYPE": 2}),
    );
    assert_eq!(registered["CRM_ENTITY_TYPE"], "CONTACT");
    ok(
        &e,
        "telephony.externalcall.finish",
        json!({"CALL_ID": registered["CALL_ID"], "USER_ID": 1, "DURATION": 10}),
    );
    let activities =
        ok(&e, "crm.activity.list", json!({"filter": {"OWNER_TYPE_ID": 3, "OWNER_ID": contact}}));
    assert_eq!(activities.as_array().unwrap().len(), 1);
    let origin = format!("VI_{}", registered["CALL_ID"].as_str().unwrap());
    assert_eq!(activities[0]["ORIGIN_ID"], origin);
    assert_eq!(
        activities[0]["BINDINGS"][0],
        json!({"OWNER_TYPE_ID": "2", "OWNER_ID": deal.to_string()})
    );
    assert_eq!(
        ok(&e, "crm.activity.list", json!({"filter": {"ORIGIN_ID": "VI_other"}})),
        json!([])
    );
    let stats =
        ok(&e, "voximplant.statistic.get", json!({"filter": {"phone_number": "+7 916 000 00 01"}}));
    assert_eq!(stats.as_array().unwrap().len(), 1);
    assert_eq!(stats[0]["CALL_ID"], registered["CALL_ID"]);
    let users = ok(&e, "user.get", json!({"ID": 1}));
    assert_eq!(users[0]["ADMIN"], "Y");
}

#[test]
fn offline_events_clear_semantics() {
    let e = engine();
    ok(
        &e,
        "telephony.externalcall.register",
        json!({"USER_ID": 1, "PHONE_NUMBER": "1", "TYPE": 2}),
    );
    let held = ok(&e, "event.offline.get", json!({"clear": 0, "limit": 2}));
    let process = held["process_id"].as_str().unwrap().to_string();
    assert_eq!(held["events"].as_array().unwrap().len(), 2);
    assert_eq!(keys(&held["events"][0])[..4], ["ID", "TIMESTAMP_X", "EVENT_NAME", "EVENT_DATA"]);
    let rest = ok(&e, "event.offline.get", json!({}));
    assert_eq!(rest["events"].as_array().unwrap().len(), 1, "held events are not handed out again");
    assert_eq!(rest["process_id"], Value::Null, "taken and cleared at once: no process");
    // The reader gets its held events again by naming its process (any case, as Bitrix
    // lowercases this method's parameters), and nothing new.
    let again = ok(&e, "event.offline.get", json!({"PROCESS_ID": process, "Clear": 0}));
    assert_eq!(again["process_id"], json!(process));
    assert_eq!(again["events"], held["events"]);
    assert_eq!(ok(&e, "event.offline.clear", json!({"process_id": process})), json!(true));
    assert_eq!(ok(&e, "event.offline.get", json!({}))["events"], json!([]));
    let gone = ok(&e, "event.offline.get", json!({"process_id": process}));
    assert_eq!(
        (gone["process_id"].as_str(), gone["events"].clone()),
        (Some(process.as_str()), json!([]))
    );
    assert_error(
        &call(&e, "event.offline.clear", json!({})),
        400,
        "ERROR_ARGUMENT",
        "process_id should be set",
    );
}

#[test]
fn identities_are_exact() {
    use callreg_rest::parse_auth;
    let ok_auth = parse_auth(Some(&json!({"user_id": "7", "app_id": "pbx"}))).unwrap();
    assert_eq!(ok_auth, Auth::app(7, "pbx"));
    assert_eq!(parse_auth(None).unwrap(), Auth::webhook(1));
    assert_eq!(
        parse_auth(Some(&json!({"user_id": 3, "type": "session"}))).unwrap(),
        Auth::session(3)
    );
    for bad in [
        json!({"user_id": "x"}),
        json!({"user_id": "2abc"}),
        json!({"user_id": 1.9}),
        json!({"user_id": 0}),
        json!({"user_id": -1}),
        json!({"type": "cookie"}),
        json!({"app_id": [1]}),
        json!([1]),
    ] {
        let error = parse_auth(Some(&bad)).unwrap_err();
        assert_eq!((error.status, error.code.as_str()), (400, "INVALID_REQUEST"), "{bad}");
    }
}

#[test]
fn statistic_get_lists_records_and_transcripts() {
    let e = engine();
    let registered = ok(
        &e,
        "telephony.externalcall.register",
        json!({"USER_ID": 1, "PHONE_NUMBER": "+7 495 123-45-67", "TYPE": 2, "EXTERNAL_CALL_ID": "ast-1"}),
    );
    let id = registered["CALL_ID"].clone();
    ok(
        &e,
        "telephony.externalcall.finish",
        json!({"CALL_ID": id, "USER_ID": 1, "DURATION": 42, "COST": "1.5"}),
    );
    let file = ok(
        &e,
        "telephony.externalcall.attachRecord",
        json!({"CALL_ID": id, "FILENAME": "a.wav", "FILE_CONTENT": "UklGRiQAAABXQVZFZm10IA=="}),
    );
    let messages = json!([{"SIDE": "User", "START_TIME": 0, "STOP_TIME": 2, "MESSAGE": "Hello"}]);
    let transcript =
        ok(&e, "telephony.call.attachTranscription", json!({"CALL_ID": id, "MESSAGES": messages}));
    let rows = ok(&e, "voximplant.statistic.get", json!({"FILTER": {"CALL_ID": id}}));
    let row = &rows[0];
    assert_eq!(row["CALL_ID"], id);
    assert_eq!(row["EXTERNAL_CALL_ID"], "ast-1");
    assert_eq!(row["CALL_TYPE"], "2");
    assert_eq!(row["CALL_DURATION"], "42");
    assert_eq!(row["COST"], "1.5000");
    assert_eq!(row["CALL_RECORD_ID"], file["FILE_ID"].to_string());
    assert_eq!(row["TRANSCRIPT_ID"], transcript["TRANSCRIPT_ID"].to_string());
    assert_eq!(row["PORTAL_USER_ID"], "1");
    let clerk = ok(&e, "user.add", json!({"NAME": "Clerk"})).as_u64().unwrap();
    let reply = dispatch(&e, &Auth::webhook(clerk), "voximplant.statistic.get", &json!({}));
    assert_error(&reply, 403, "ACCESS_DENIED", "Access denied!");
    // A malformed `start` does not hide the 403; its name is read in any case, as Bitrix
    // lowercases this method's parameters.
    let reply =
        dispatch(&e, &Auth::webhook(clerk), "voximplant.statistic.get", &json!({"start": [1]}));
    assert_error(&reply, 403, "ACCESS_DENIED", "Access denied!");
    let reply = call(&e, "voximplant.statistic.get", json!({"start": [1]}));
    assert_error(&reply, 400, "ERROR_ARGUMENT", "start should be an integer");
    assert_eq!(ok(&e, "voximplant.statistic.get", json!({"START": 50})), json!([]));
    assert_eq!(
        ok(&e, "voximplant.statistic.get", json!({"Start": 0})).as_array().unwrap().len(),
        1
    );
}

#[test]
fn auth_and_permission_come_before_parameter_shapes() {
    let e = engine();
    let bad_flag = json!({"USER_ID": 1, "PHONE_NUMBER": "1", "TYPE": 2, "SHOW": "maybe"});
    let reply = dispatch(&e, &Auth::session(1), "telephony.externalcall.register", &bad_flag);
    assert_error(
        &reply,
        403,
        "WRONG_AUTH_TYPE",
        "Current authorization type is denied for this method",
    );
    let clerk = ok(&e, "user.add", json!({"NAME": "Clerk"})).as_u64().unwrap();
    let reply = dispatch(&e, &Auth::webhook(clerk), "telephony.externalcall.register", &bad_flag);
    assert_error(&reply, 403, "ACCESS_DENIED", "Access denied!");
    let reply = dispatch(
        &e,
        &Auth::webhook(clerk),
        "telephony.externalcall.finish",
        &json!({"DURATION": [1]}),
    );
    assert_error(&reply, 403, "ACCESS_DENIED", "Access denied!");
    let reply =
        dispatch(&e, &Auth::session(1), "telephony.externalLine.add", &json!({"NUMBER": [1]}));
    assert_eq!(reply.status, 403);
    let reply = call(&e, "telephony.externalcall.register", bad_flag);
    assert_error(&reply, 400, "ERROR_ARGUMENT", "SHOW should be 0 or 1");
}

#[test]
fn lists_are_paged_by_fifty() {
    let e = engine();
    for i in 0..120 {
        ok(&e, "crm.contact.add", json!({"fields": {"NAME": format!("c{i}")}}));
    }
    let first = call(&e, "crm.contact.list", json!({}));
    assert_eq!(keys(&first.body), vec!["result", "next", "total", "time"]);
    assert_eq!(first.body["result"].as_array().unwrap().len(), 50);
    assert_eq!(first.body["next"], json!(50));
    assert_eq!(first.body["total"], json!(120));
    assert_eq!(first.body["result"][0]["NAME"], "c0");
    let last = call(&e, "crm.contact.list", json!({"start": 100}));
    assert_eq!(last.body["result"].as_array().unwrap().len(), 20);
    assert!(last.body.get("next").is_none());
    assert_eq!(last.body["result"][0]["NAME"], "c100");
    let beyond = call(&e, "crm.contact.list", json!({"start": 500}));
    assert_eq!(beyond.body["result"], json!([]));
    assert_eq!(beyond.body["total"], json!(120));
    let users = call(&e, "user.get", json!({}));
    assert_eq!(users.body["total"], json!(1));
}

#[test]
fn finished_calls_activities_and_filtered_lists_are_paged_by_fifty() {
    paged_listings(&engine());
    let sqlite = callreg_store_sqlite::SqliteStore::open_temporary().unwrap();
    paged_listings(&Engine::new(sqlite, EngineConfig::default()).unwrap());
}

/// The paged listings of one engine: statistics, activities and CRM lists, filtered and cut.
fn paged_listings<S: callreg_core::CrmStore>(e: &Engine<S>) {
    let page = |method: &str, params: Value| {
        let reply = dispatch(e, &Auth::webhook(1), method, &params);
        assert_eq!(reply.status, 200, "{method}: {}", reply.body);
        reply.body
    };
    let result = |method: &str, params: Value| page(method, params)["result"].clone();
    let count = |body: &Value| body["result"].as_array().unwrap().len();
    let admin2 = result("user.add", json!({"NAME": "Second", "ADMIN": "Y"})).as_u64().unwrap();
    let phone = json!([{"VALUE": "+7 495 123-45-67"}]);
    let contact = result("crm.contact.add", json!({"fields": {"NAME": "Owner", "PHONE": phone}}));
    let mut call_ids = Vec::new();
    for i in 0..70 {
        // Calls 0..60 from the contact's number, the others from new numbers (a lead each).
        let number =
            if i < 60 { "+7 495 123-45-67".to_string() } else { format!("+7 916 000 00 {i:02}") };
        let registered = result(
            "telephony.externalcall.register",
            json!({"USER_ID": 1, "PHONE_NUMBER": number, "TYPE": 2, "CRM_CREATE": 1}),
        );
        let user = if i % 2 == 0 { 1 } else { admin2 };
        result(
            "telephony.externalcall.finish",
            json!({"CALL_ID": registered["CALL_ID"], "USER_ID": user, "DURATION": i + 1}),
        );
        call_ids.push(registered["CALL_ID"].clone());
    }
    let first = page("voximplant.statistic.get", json!({}));
    assert_eq!(count(&first), 50);
    assert_eq!(first["next"], json!(50));
    assert_eq!(first["total"], json!(70));
    assert_eq!(first["result"][0]["CALL_DURATION"], "1");
    let second = page("voximplant.statistic.get", json!({"start": 50}));
    assert_eq!(count(&second), 20);
    assert!(second.get("next").is_none());
    assert_eq!(second["result"][0]["CALL_DURATION"], "51");
    // Filtered, then paged: the second user finished the odd calls.
    let by_user = json!({"FILTER": {"PORTAL_USER_ID": admin2}, "start": 30});
    let second_user = page("voximplant.statistic.get", by_user);
    assert_eq!(second_user["total"], json!(35));
    assert_eq!(count(&second_user), 5);
    assert_eq!(second_user["result"][0]["CALL_DURATION"], "62");
    let by_phone = json!({"FILTER": {"PHONE_NUMBER": "8 (495) 123-45-67"}, "start": 50});
    let from_contact = page("voximplant.statistic.get", by_phone);
    assert_eq!(from_contact["total"], json!(60));
    assert_eq!(count(&from_contact), 10);
    // The number as stored, without the key: the calls of that exact text.
    let as_sent = json!({"FILTER": {"PHONE_NUMBER": "+79160000065"}});
    assert_eq!(page("voximplant.statistic.get", as_sent)["total"], json!(1));
    // CALL_ID with another filter: both must hold.
    let odd = &call_ids[3];
    let both = json!({"FILTER": {"CALL_ID": odd, "PORTAL_USER_ID": admin2}});
    assert_eq!(page("voximplant.statistic.get", both)["result"][0]["CALL_ID"], *odd);
    let neither = json!({"FILTER": {"CALL_ID": odd, "PORTAL_USER_ID": 1}});
    assert_eq!(page("voximplant.statistic.get", neither)["total"], json!(0));
    let nobody = page("voximplant.statistic.get", json!({"FILTER": {"PORTAL_USER_ID": -1}}));
    assert_eq!((nobody["result"].clone(), nobody["total"].clone()), (json!([]), json!(0)));

    let activities = page("crm.activity.list", json!({"start": 50}));
    assert_eq!(activities["total"], json!(70));
    assert_eq!(count(&activities), 20);
    let owner = json!({"filter": {"OWNER_TYPE_ID": 3, "OWNER_ID": contact}, "start": 50});
    let of_contact = page("crm.activity.list", owner);
    assert_eq!(of_contact["total"], json!(60));
    assert_eq!(count(&of_contact), 10);
    assert_eq!(of_contact["result"][0]["OWNER_ID"], contact.to_string());
    // A type and an id are one binding's: lead 5 has an activity, no contact 5 has one.
    let lead_5 = json!({"filter": {"OWNER_TYPE_ID": 1, "OWNER_ID": 5}});
    assert_eq!(page("crm.activity.list", lead_5)["total"], json!(1));
    let contact_5 = json!({"filter": {"OWNER_TYPE_ID": 3, "OWNER_ID": 5}});
    assert_eq!(page("crm.activity.list", contact_5)["total"], json!(0));
    assert_eq!(page("crm.activity.list", json!({"filter": {"OWNER_ID": 5}}))["total"], json!(1));
    let leads = page("crm.activity.list", json!({"filter": {"OWNER_TYPE_ID": 1}}));
    assert_eq!(leads["total"], json!(10));
    let origin = format!("VI_{}", call_ids[65].as_str().unwrap());
    let by_origin = page("crm.activity.list", json!({"filter": {"ORIGIN_ID": origin}}));
    assert_eq!(
        (by_origin["total"].clone(), by_origin["result"][0]["ORIGIN_ID"].clone()),
        (json!(1), json!(origin))
    );
    let nobody = page("crm.activity.list", json!({"filter": {"OWNER_ID": -3}}));
    assert_eq!((nobody["result"].clone(), nobody["total"].clone()), (json!([]), json!(0)));
    let malformed = json!({"filter": {"OWNER_ID": -3, "ORIGIN_ID": {"x": 1}}});
    assert_eq!(dispatch(e, &Auth::webhook(1), "crm.activity.list", &malformed).status, 400);

    // Lists whose filter reads the records' fields page what passes it.
    for i in 0..55 {
        result(
            "crm.lead.add",
            json!({"fields": {"TITLE": format!("junk {i}"), "STATUS_ID": "JUNK"}}),
        );
    }
    let junk = page("crm.lead.list", json!({"filter": {"STATUS_ID": "JUNK"}, "start": 50}));
    assert_eq!(junk["total"], json!(55));
    assert_eq!(junk["result"][0]["TITLE"], "junk 50");
    let all_leads = page("crm.lead.list", json!({"start": 60}));
    assert_eq!(all_leads["total"], json!(65));
    assert_eq!(count(&all_leads), 5);
    for i in 0..60 {
        let owner = if i % 3 == 0 { json!(contact) } else { json!(null) };
        result(
            "crm.deal.add",
            json!({"fields": {"TITLE": format!("deal {i}"), "CONTACT_ID": owner}}),
        );
    }
    let of_contact = page("crm.deal.list", json!({"filter": {"CONTACT_ID": contact}, "start": 10}));
    assert_eq!(of_contact["total"], json!(20));
    assert_eq!(of_contact["result"][0]["TITLE"], "deal 30");
    assert_eq!(page("crm.deal.list", json!({"start": 50}))["total"], json!(60));
}

#[test]
fn crm_array_parameters_take_bitrix_spellings() {
    let e = engine();
    let phone = json!([{"VALUE": "+7 495 111-00-01", "VALUE_TYPE": "WORK"}]);
    let first = ok(&e, "crm.contact.add", json!({"FIELDS": {"NAME": "Upper", "PHONE": phone}}));
    let second = ok(&e, "crm.contact.add", json!({"Fields": {"NAME": "Capitalized"}}));
    let third = ok(&e, "crm.contact.add", json!({"arFields": {"NAME": "Hungarian"}}));
    assert_eq!((first, second, third), (json!(1), json!(2), json!(3)));
    assert_eq!(ok(&e, "crm.contact.get", json!({"id": 3}))["NAME"], "Hungarian");
    for spelling in ["filter", "FILTER", "Filter", "arFilter"] {
        let found = ok(&e, "crm.contact.list", json!({spelling: {"ID": 2}}));
        assert_eq!(found.as_array().unwrap().len(), 1, "{spelling}");
        assert_eq!(found[0]["NAME"], "Capitalized", "{spelling}");
    }
    assert_error(
        &call(&e, "crm.contact.add", json!({"Fields": "x"})),
        400,
        "ERROR_ARGUMENT",
        "fields should be an object",
    );
}

#[test]
fn empty_crm_values_take_their_defaults() {
    let e = engine();
    let lead = ok(
        &e,
        "crm.lead.add",
        json!({"fields": {"TITLE": "T", "SOURCE_ID": "", "STATUS_ID": " "}}),
    );
    let stored = ok(&e, "crm.lead.get", json!({"id": lead}));
    assert_eq!(
        (stored["SOURCE_ID"].as_str(), stored["STATUS_ID"].as_str()),
        (Some("OTHER"), Some("NEW"))
    );
    let phones = json!([{"VALUE": ""}, {"VALUE": "  "}, {"VALUE": "+7 495 111-00-02"}]);
    let contact = ok(&e, "crm.contact.add", json!({"fields": {"NAME": "N", "PHONE": phones}}));
    let stored = ok(&e, "crm.contact.get", json!({"id": contact}));
    assert_eq!(stored["PHONE"].as_array().unwrap().len(), 1);
    assert_eq!(stored["PHONE"][0]["VALUE"], "+7 495 111-00-02");
    let empty =
        ok(&e, "crm.company.add", json!({"fields": {"TITLE": "C", "PHONE": [{"VALUE": ""}]}}));
    assert_eq!(ok(&e, "crm.company.get", json!({"id": empty}))["HAS_PHONE"], "N");
}

#[test]
fn filters_the_method_does_not_apply_are_refused() {
    let e = engine();
    ok(&e, "crm.contact.add", json!({"fields": {"NAME": "Ivan"}}));
    let reply = call(&e, "crm.contact.list", json!({"filter": {"NAME": "nobody"}}));
    assert_error(
        &reply,
        400,
        "ERROR_ARGUMENT",
        "filter NAME is not supported: the supported keys are ID, PHONE",
    );
    assert_eq!(ok(&e, "crm.deal.list", json!({"filter": {"PHONE": "1"}})), json!([]), "no phones");
    assert_eq!(call(&e, "crm.deal.list", json!({"filter": {"TITLE": "x"}})).status, 400);
    assert_eq!(call(&e, "crm.activity.list", json!({"filter": {"RESPONSIBLE_ID": 9}})).status, 400);
    let reply = call(&e, "voximplant.statistic.get", json!({"FILTER": {">CALL_DURATION": 100}}));
    assert_eq!(reply.status, 400, "{}", reply.body);
    let reply = call(&e, "voximplant.statistic.get", json!({"FILTER": {"phone_number": ["x"]}}));
    assert_error(&reply, 400, "ERROR_ARGUMENT", "FILTER PHONE_NUMBER should be a string");
    assert_eq!(call(&e, "user.get", json!({"FILTER": {"EMAIL": "a@b"}})).status, 400);
    assert_eq!(call(&e, "user.get", json!({"EMAIL": "a@b"})).status, 400, "a top-level filter");
    assert_eq!(call(&e, "user.get", json!({"FILTER": "x"})).status, 400);
    // The supported ones still filter.
    assert_eq!(
        ok(&e, "crm.contact.list", json!({"filter": {"ID": 1}})).as_array().unwrap().len(),
        1
    );
}

#[test]
fn user_get_filters_by_active_and_extension() {
    let e = engine();
    ok(&e, "user.add", json!({"NAME": "Ops", "UF_PHONE_INNER": "101"}));
    ok(&e, "user.add", json!({"NAME": "Gone", "UF_PHONE_INNER": "102", "ACTIVE": "N"}));
    let names = |found: Value| -> Vec<String> {
        found.as_array().unwrap().iter().map(|u| u["NAME"].as_str().unwrap().to_string()).collect()
    };
    let by_inner = ok(&e, "user.get", json!({"FILTER": {"UF_PHONE_INNER": "101"}}));
    assert_eq!(names(by_inner), ["Ops"]);
    let inactive = ok(&e, "user.get", json!({"filter": {"ACTIVE": false}}));
    assert_eq!(names(inactive), ["Gone"]);
    let active = ok(&e, "user.get", json!({"FILTER": {"ACTIVE": "Y"}}));
    assert_eq!(active.as_array().unwrap().len(), 2, "the administrator and Ops");
    // Without FILTER, as Bitrix, the parameters themselves filter.
    let top = ok(&e, "user.get", json!({"ACTIVE": false, "sort": "ID", "start": 0}));
    assert_eq!(names(top), ["Gone"]);
}
