//! The `callreg` binary end to end: malformed input, shared databases, CSV import, the
//! listings, fatal errors and the demo session.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{answers, run, stderr, stdout};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo.jsonl")
}

fn statuses(answers: &[Value]) -> Vec<u64> {
    answers.iter().map(|a| a["status"].as_u64().unwrap()).collect()
}

fn request(method: &str, params: Value) -> String {
    json!({"method": method, "params": params}).to_string() + "\n"
}

/// Runs `exec` on a database file with `requests`, asserting a clean exit.
fn exec_db(dir: &Path, requests: &str) -> Vec<Value> {
    let output = run(dir, &["--db", "portal.db", "exec"], requests.as_bytes());
    assert!(output.status.success(), "{}", stderr(&output));
    answers(&output)
}

fn register(number: &str, external_call_id: &str) -> String {
    let params = json!({"USER_ID": 1, "PHONE_NUMBER": number, "TYPE": 2, "CRM_CREATE": 1,
                        "EXTERNAL_CALL_ID": external_call_id});
    json!({"method": "telephony.externalcall.register", "params": params,
           "auth": {"user_id": 1, "app_id": "pbx-1"}})
    .to_string()
        + "\n"
}

#[test]
fn malformed_lines_are_answered_and_processing_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"method\": \"user.get\", \"params\": {\"ID\": 1}}\n");
    input.extend_from_slice(b"{\"method\": \"user.get\", \"params\": \n");
    input.extend_from_slice(b"{\"method\": \"user.get\", \"params\": {\"NAME\": \"\xd0\x28\"}}\n");
    input.extend_from_slice(b"\n   \r\n");
    input.extend_from_slice(b"{\"params\": {\"ID\": 1}}\n");
    input.extend_from_slice(b"{\"method\": \"telephony.externalcall.nosuchmethod\"}\n");
    input.extend_from_slice(b"{\"method\": \"user.get\", \"params\": {\"ID\": 1}}\r\n");
    let output = run(dir.path(), &["--memory", "exec"], &input);
    assert!(output.status.success(), "{}", stderr(&output));
    let answers = answers(&output);
    assert_eq!(statuses(&answers), [200, 400, 400, 400, 404, 200]);
    for (index, fragment) in [
        (1, "the line is not valid JSON"),
        (2, "not valid UTF-8"),
        (3, "the request has no method"),
    ] {
        assert_eq!(answers[index]["body"]["error"], "INVALID_REQUEST");
        let description = answers[index]["body"]["error_description"].as_str().unwrap();
        assert!(description.contains(fragment), "{description}");
    }
    assert_eq!(
        answers[4]["body"],
        json!({"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"})
    );
    assert_eq!(answers[5]["body"]["result"][0]["ID"], "1");
}

#[test]
fn an_overlong_line_is_refused_without_ending_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut input = b"{\"method\": \"user.get\", \"params\": {\"NAME\": \"".to_vec();
    input.resize(callreg_cli::exec::DEFAULT_MAX_LINE_BYTES + 10, b'x');
    input.extend_from_slice(b"\"}}\n{\"method\": \"user.get\"}\n");
    let output = run(dir.path(), &["--memory", "exec"], &input);
    assert!(output.status.success(), "{}", stderr(&output));
    let answers = answers(&output);
    assert_eq!(statuses(&answers), [400, 200]);
    assert_eq!(answers[0]["body"]["error_description"], "the line is longer than 16777216 bytes");
}

#[test]
fn a_byte_order_mark_and_crlf_line_ends_are_no_part_of_a_request() {
    let dir = tempfile::tempdir().unwrap();
    let mut input = b"\xEF\xBB\xBF".to_vec();
    input.extend_from_slice(b"{\"method\": \"user.get\", \"params\": {\"ID\": 1}}\r\n");
    // A line of exactly the limit, ended by `\r\n`, is within it.
    let mut at_limit = b"{\"method\": \"user.get\", \"params\": {\"sort\": \"".to_vec();
    at_limit.resize(callreg_cli::exec::DEFAULT_MAX_LINE_BYTES - 3, b'x');
    at_limit.extend_from_slice(b"\"}}\r\n");
    input.extend_from_slice(&at_limit);
    let output = run(dir.path(), &["--memory", "exec"], &input);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(statuses(&answers(&output)), [200, 200]);
}

#[test]
fn a_closed_output_ends_exec_with_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let requests = request("user.get", json!({"ID": 1})).repeat(20_000);
    let mut child = common::callreg(dir.path())
        .args(["--memory", "exec"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = input.write_all(requests.as_bytes());
    });
    // Read one answer, then close the pipe, as `callreg exec | head -1` does.
    let mut first = String::new();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    std::io::BufRead::read_line(&mut out, &mut first).unwrap();
    drop(out);
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(first.contains("\"status\":200"), "{first}");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).starts_with("callreg: cannot write the responses:"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_directory_is_no_input_and_creates_no_database() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("requests")).unwrap();
    for args in [
        &["--db", "portal.db", "exec", "requests"][..],
        &["--db", "portal.db", "import", "contacts", "requests"],
    ] {
        let output = run(dir.path(), args, b"");
        assert_fatal(&output, 1, "cannot read requests: is a directory");
        assert!(!dir.path().join("portal.db").exists(), "{args:?}");
    }
}

#[test]
fn a_database_named_like_sqlite_specials_is_a_file() {
    let dir = tempfile::tempdir().unwrap();
    for name in [":memory:", "file:portal.db?mode=memory"] {
        let answers = {
            let output = run(
                dir.path(),
                &["--db", name, "exec"],
                request("crm.contact.add", json!({"fields": {"NAME": "Kept"}})).as_bytes(),
            );
            assert!(output.status.success(), "{}", stderr(&output));
            answers(&output)
        };
        assert_eq!(statuses(&answers), [200]);
        assert!(dir.path().join(name).is_file(), "{name} is a file");
        let listed = run(
            dir.path(),
            &["--db", name, "exec"],
            request("crm.contact.list", json!({})).as_bytes(),
        );
        assert_eq!(answers_of(&listed)[0]["body"]["total"], 1, "{name} kept the contact");
    }
}

fn answers_of(output: &std::process::Output) -> Vec<Value> {
    assert!(output.status.success(), "{}", stderr(output));
    answers(output)
}

#[test]
fn exec_reads_a_file_given_as_argument() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("requests.jsonl"), request("user.get", json!({"ID": 1})))
        .unwrap();
    let output = run(dir.path(), &["exec", "--memory", "requests.jsonl"], b"");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(statuses(&answers(&output)), [200]);

    let missing = run(dir.path(), &["exec", "missing.jsonl"], b"");
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).starts_with("callreg: cannot read missing.jsonl:"),
        "{}",
        stderr(&missing)
    );
    assert!(!dir.path().join("callreg.db").exists(), "a database for a missing input");
}

#[test]
fn two_exec_processes_share_one_database() {
    let dir = tempfile::tempdir().unwrap();
    let requests: String =
        (0..25).map(|i| register(&format!("+7 495 100-00-{i:02}"), &format!("pbx-{i}"))).collect();
    // Both start on a database that does not exist yet: creating it is raced as well.
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let dir = dir.path().to_path_buf();
            let requests = requests.clone();
            std::thread::spawn(move || {
                run(&dir, &["--db", "portal.db", "exec"], requests.as_bytes())
            })
        })
        .collect();
    let outputs: Vec<_> = runs.into_iter().map(|r| r.join().unwrap()).collect();
    let mut call_ids = Vec::new();
    for output in &outputs {
        assert!(output.status.success(), "{}", stderr(output));
        let answers = answers(output);
        assert_eq!(statuses(&answers), vec![200; 25], "{answers:?}");
        call_ids.push(
            answers.iter().map(|a| a["body"]["result"]["CALL_ID"].clone()).collect::<Vec<_>>(),
        );
    }
    assert_eq!(call_ids[0], call_ids[1], "one call per EXTERNAL_CALL_ID across processes");

    let leads = exec_db(dir.path(), &request("crm.lead.list", json!({})));
    assert_eq!(leads[0]["body"]["result"].as_array().unwrap().len(), 25, "one lead per number");
    let calls = run(dir.path(), &["--db", "portal.db", "calls", "--json", "--limit", "100"], b"");
    let calls: Value = serde_json::from_str(&stdout(&calls)).unwrap();
    assert_eq!(calls.as_array().unwrap().len(), 25);
}

#[test]
fn import_contacts_reports_each_rejected_row_and_stores_the_others_whole() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("contacts.csv"),
        "NAME,LAST_NAME,PHONE,ASSIGNED_BY_ID,COMPANY_ID\n\
         Ivan,Petrov,+7 495 123-45-67;8 916 000-11-22,1,\n\
         Anna,Smirnova,8 (812) 300-20-10,,\n\
         Boris,Orlov,+7 495 000-00-01,77,\n\
         Vera,Lebedeva,+7 495 000-00-02,abc,\n\
         Gleb,Popov,+7 495 000-00-03,1,5\n\
         Dina,Short\n\
         Egor,Volkov,not a number,,\n\
         \"Zoya, Jr\",\"Kim\",\"+7 (495) 000-00-04; +7 (495) 000-00-05\",1,\n",
    )
    .unwrap();
    let output = run(dir.path(), &["--db", "portal.db", "import", "contacts", "contacts.csv"], b"");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "rows imported: 3\n\
         rows rejected: 5\n\
         line 4: ASSIGNED_BY_ID 77: no active user has this id\n\
         line 5: ASSIGNED_BY_ID \"abc\" is not a valid id (a positive integer is expected)\n\
         line 6: COMPANY_ID 5: no company has this id\n\
         line 7: expected 5 fields, found 2\n\
         line 8: PHONE \"not a number\" is not a phone number (it has no digits)\n"
    );
    assert_eq!(stderr(&output), "", "no progress bar when standard error is not a terminal");

    let contacts = exec_db(dir.path(), &request("crm.contact.list", json!({})));
    let contacts = contacts[0]["body"]["result"].as_array().unwrap();
    let names: Vec<(&str, usize)> = contacts
        .iter()
        .map(|c| (c["NAME"].as_str().unwrap(), c["PHONE"].as_array().unwrap().len()))
        .collect();
    assert_eq!(names, [("Ivan", 2), ("Anna", 1), ("Zoya, Jr", 2)]);
    let found = exec_db(
        dir.path(),
        &request(
            "telephony.externalcall.searchCrmEntities",
            json!({"PHONE_NUMBER": "89160001122"}),
        ),
    );
    assert_eq!(found[0]["body"]["result"][0]["NAME"], "Ivan Petrov");
}

#[test]
fn import_refuses_an_unknown_column_before_importing_anything() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("companies.csv"), "TITLE,EMAIL\nAcme,info@acme.test\n").unwrap();
    let output = run(dir.path(), &["import", "companies", "companies.csv"], b"");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        "callreg: cannot import companies.csv: unknown column \"EMAIL\" for companies: \
         the known columns are TITLE, PHONE, ASSIGNED_BY_ID\n"
    );
    assert!(!dir.path().join("callreg.db").exists(), "nothing is written for a refused header");

    let missing = run(dir.path(), &["import", "leads", "nowhere.csv"], b"");
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).starts_with("callreg: cannot read nowhere.csv:"));
}

#[test]
fn import_leads_and_companies() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("companies.csv"), "TITLE,PHONE\nAcme,+7 495 700-00-00\n")
        .unwrap();
    std::fs::write(
        dir.path().join("leads.csv"),
        "TITLE,NAME,PHONE,STATUS_ID,SOURCE_ID\n\
         Web form,Maria,+7 812 300-20-10,IN_PROCESS,WEB\n\
         Fair,Oleg,+7 812 300-20-11,,TRADE_FAIR\n",
    )
    .unwrap();
    let companies =
        run(dir.path(), &["--db", "portal.db", "import", "companies", "companies.csv"], b"");
    assert_eq!(stdout(&companies), "rows imported: 1\nrows rejected: 0\n");
    let leads = run(dir.path(), &["--db", "portal.db", "import", "leads", "leads.csv"], b"");
    assert_eq!(
        stdout(&leads),
        "rows imported: 1\nrows rejected: 1\nline 3: SOURCE_ID \"TRADE_FAIR\" is not a known source\n"
    );
    let lead = exec_db(dir.path(), &request("crm.lead.get", json!({"id": 1})));
    assert_eq!(lead[0]["body"]["result"]["STATUS_ID"], "IN_PROCESS");
    assert_eq!(lead[0]["body"]["result"]["SOURCE_ID"], "WEB");
}

#[test]
fn import_reads_standard_input_for_a_dash() {
    let dir = tempfile::tempdir().unwrap();
    let csv = b"TITLE,PHONE\nAcme,+7 495 700-00-00\nInitech,8 812 300-20-10\n";
    let output = run(dir.path(), &["--db", "portal.db", "import", "companies", "-"], csv);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "rows imported: 2\nrows rejected: 0\n");
    let found = exec_db(
        dir.path(),
        &request(
            "telephony.externalcall.searchCrmEntities",
            json!({"PHONE_NUMBER": "88123002010"}),
        ),
    );
    assert_eq!(found[0]["body"]["result"][0]["NAME"], "Initech");

    let refused = run(dir.path(), &["--db", "portal.db", "import", "leads", "-"], b"NAME,EMAIL\n");
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused)
            .starts_with("callreg: cannot import standard input: unknown column \"EMAIL\""),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn calls_and_events_list_what_is_in_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let empty = exec_db(dir.path(), "");
    assert!(empty.is_empty());
    let calls = run(dir.path(), &["--db", "portal.db", "calls"], b"");
    assert_eq!(stdout(&calls), "No calls.\n");
    let events = run(dir.path(), &["--db", "portal.db", "events"], b"");
    assert_eq!(stdout(&events), "No pending events.\n");

    let setup = request(
        "crm.contact.add",
        json!({"fields": {"NAME": "Ivan", "PHONE": [{"VALUE": "+7 495 123-45-67"}]}}),
    ) + &register("+7 495 123-45-67", "first")
        + &register("+7 812 999-88-77", "second")
        + &request(
            "telephony.externalcall.finish",
            json!({"CALL_ID": "$CALL_1", "USER_ID": 1, "DURATION": 42, "STATUS_CODE": "200"}),
        );
    let answers = exec_db(dir.path(), &setup);
    assert_eq!(statuses(&answers), [200, 200, 200, 200]);
    let first = answers[1]["body"]["result"]["CALL_ID"].as_str().unwrap();
    let second = answers[2]["body"]["result"]["CALL_ID"].as_str().unwrap();

    let table =
        stdout(&run(dir.path(), &["--db", "portal.db", "--tz", "Europe/Moscow", "calls"], b""));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    let columns: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        columns,
        [
            "CALL_ID", "STATE", "TYPE", "NUMBER", "USER", "START", "DURATION", "STATUS", "CRM",
            "ENTITY"
        ]
    );
    // Both calls may have started within one second, so their order is not checked here.
    let row = |call_id: &str| -> Vec<String> {
        let line = lines.iter().find(|l| l.starts_with(call_id)).unwrap();
        line.split_whitespace().map(str::to_string).collect()
    };
    let first_row = row(first);
    assert_eq!(first_row[1..5], ["finished", "incoming", "+74951234567", "1"]);
    assert_eq!(first_row[7..], ["42s", "200", "CONTACT", "1"]);
    let second_row = row(second);
    assert_eq!(second_row[1..5], ["active", "incoming", "+78129998877", "1"]);
    assert_eq!(second_row[7..], ["-", "-", "LEAD", "1"]);
    let header_start = lines[0].find("START").unwrap();
    assert!(lines[1..].iter().all(|l| l[header_start..].starts_with("20")), "aligned:\n{table}");

    let json_calls =
        run(dir.path(), &["--db", "portal.db", "calls", "--json", "--limit", "1"], b"");
    let json_calls: Value = serde_json::from_str(&stdout(&json_calls)).unwrap();
    assert_eq!(json_calls.as_array().unwrap().len(), 1);
    let keys: Vec<&str> = json_calls[0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "CALL_ID",
            "STATE",
            "TYPE",
            "PHONE_NUMBER",
            "USER_ID",
            "CALL_START_DATE",
            "CALL_DURATION",
            "STATUS_CODE",
            "CRM_ENTITY_TYPE",
            "CRM_ENTITY_ID",
            "EXTERNAL_CALL_ID"
        ]
    );

    let events = stdout(&run(dir.path(), &["--db", "portal.db", "events"], b""));
    let names: Vec<&str> =
        events.lines().skip(1).map(|l| l.split_whitespace().nth(1).unwrap()).collect();
    assert_eq!(
        names,
        [
            "ONVOXIMPLANTCALLINIT",
            "ONVOXIMPLANTCALLSTART",
            "ONCALLREGCARDSHOW",
            "ONVOXIMPLANTCALLINIT",
            "ONVOXIMPLANTCALLSTART",
            "ONCALLREGCARDSHOW",
            "ONCALLREGCARDHIDE",
            "ONVOXIMPLANTCALLEND"
        ]
    );
    let json_events =
        run(dir.path(), &["--db", "portal.db", "events", "--json", "--limit", "2"], b"");
    let json_events: Value = serde_json::from_str(&stdout(&json_events)).unwrap();
    assert_eq!(json_events[0]["EVENT_NAME"], "ONVOXIMPLANTCALLINIT");
    assert_eq!(json_events[0]["EVENT_DATA"]["CALL_ID"], first);
    assert_eq!(json_events.as_array().unwrap().len(), 2);
    // Listing does not consume: the events are still there for event.offline.get.
    let taken = exec_db(dir.path(), &request("event.offline.get", json!({"limit": 50})));
    assert_eq!(taken[0]["body"]["result"]["events"].as_array().unwrap().len(), 8);

    // Events a reader took without clearing them are listed with that reader.
    exec_db(dir.path(), &register("+7 812 999-88-76", "third"));
    let claim = request("event.offline.get", json!({"limit": 2, "clear": 0}));
    let taken = exec_db(dir.path(), &claim);
    let reader = taken[0]["body"]["result"]["process_id"].as_str().unwrap().to_string();
    let listed = run(dir.path(), &["--db", "portal.db", "events", "--json"], b"");
    let listed: Value = serde_json::from_str(&stdout(&listed)).unwrap();
    let readers: Vec<&Value> =
        listed.as_array().unwrap().iter().map(|e| &e["PROCESS_ID"]).collect();
    assert_eq!(readers, [&json!(reader), &json!(reader), &Value::Null], "{listed}");
    let table = stdout(&run(dir.path(), &["--db", "portal.db", "events"], b""));
    assert!(table.lines().nth(1).unwrap().ends_with(&reader), "{table}");
}

#[test]
fn listings_read_the_file_without_writing_or_waiting_for_the_write_lock() {
    let dir = tempfile::tempdir().unwrap();
    exec_db(dir.path(), &register("+7 495 123-45-67", "first"));
    let database = dir.path().join("portal.db");
    let wal = dir.path().join("portal.db-wal");
    let before = std::fs::read(&database).unwrap();
    assert!(!wal.exists(), "the last connection checkpointed and removed its log");
    let listed = [("calls", "+74951234567"), ("events", "ONVOXIMPLANTCALLINIT")];
    for (command, shown) in listed {
        let output = run(dir.path(), &["--db", "portal.db", command], b"");
        assert!(output.status.success(), "{command}: {}", stderr(&output));
        assert!(stdout(&output).contains(shown), "{command}: {}", stdout(&output));
    }
    // A write (a migration, a start time) would have left a log or changed the file.
    assert!(!wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0, "no log written");
    assert_eq!(std::fs::read(&database).unwrap(), before, "the listings wrote nothing");
    // Another program holds the write lock for the whole listing: it does not wait.
    let holder = rusqlite::Connection::open(&database).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    for (command, shown) in listed {
        let output = run(dir.path(), &["--db", "portal.db", command], b"");
        assert!(output.status.success(), "{command}: {}", stderr(&output));
        assert!(stdout(&output).contains(shown), "{command}: {}", stdout(&output));
    }
    holder.execute_batch("ROLLBACK").unwrap();

    // An empty file is no database, and stays empty.
    std::fs::write(dir.path().join("empty.db"), b"").unwrap();
    let output = run(dir.path(), &["--db", "empty.db", "calls"], b"");
    assert_fatal(&output, 1, "the file holds no callreg database yet");
    assert_eq!(std::fs::metadata(dir.path().join("empty.db")).unwrap().len(), 0);
}

#[test]
fn listings_of_a_missing_database_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), &["calls"], b"");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "callreg: callreg.db does not exist (it is created by `callreg exec` or `callreg import`)\n"
    );
    assert!(!dir.path().join("callreg.db").exists());
}

/// A fatal problem: a non-zero exit, one clear line on standard error, no panic.
fn assert_fatal(output: &std::process::Output, code: i32, message: &str) {
    assert_eq!(output.status.code(), Some(code), "{}", stderr(output));
    let text = stderr(output);
    assert!(text.contains(message), "{text:?} should contain {message:?}");
    assert!(!text.contains("panicked"), "{text}");
    assert_eq!(stdout(output), "");
}

#[test]
fn bad_flag_values_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let input = request("user.get", json!({}));
    for (args, message) in [
        (vec!["--region", "XX", "exec"], "unknown region code \"XX\""),
        (vec!["--tz", "Mars/Phobos", "exec"], "unknown time zone \"Mars/Phobos\""),
        (vec!["--crm-mode", "fancy", "exec"], "invalid value 'fancy' for '--crm-mode <MODE>'"),
        (vec!["--permission-check", "sometimes", "exec"], "invalid value 'sometimes'"),
        (vec!["--dedup-window", "soon", "exec"], "invalid value 'soon'"),
        (vec!["--db", "x.db", "--memory", "exec"], "cannot be used with"),
        (vec!["--suffix-digits", "15", "exec"], "callreg: --suffix-digits 15: at most 14"),
        (vec!["--suffix-digits", "ten", "exec"], "invalid value 'ten'"),
    ] {
        let output = run(dir.path(), &args, input.as_bytes());
        assert_fatal(&output, 2, message);
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "{args:?} wrote a file");
    }
    for digits in ["0", "10"] {
        let ok =
            run(dir.path(), &["--memory", "--suffix-digits", digits, "exec"], input.as_bytes());
        assert!(ok.status.success(), "--suffix-digits {digits}");
    }
}

#[test]
fn suffix_digits_match_numbers_by_their_last_digits() {
    let dir = tempfile::tempdir().unwrap();
    let requests = request(
        "crm.contact.add",
        json!({"fields": {"NAME": "Ivan", "PHONE": [{"VALUE": "+7 495 123-45-67"}]}}),
    ) + &register("9 8 495 123-45-67", "via-outside-line");
    let entity = |args: &[&str]| {
        let output = run(dir.path(), args, requests.as_bytes());
        assert!(output.status.success(), "{}", stderr(&output));
        answers(&output)[1]["body"]["result"]["CRM_ENTITY_TYPE"].clone()
    };
    // Off: the PBX's outside-line prefix hides the number; a lead is created.
    assert_eq!(entity(&["--memory", "exec"]), json!("LEAD"));
    // Ten digits: the contact owns it.
    assert_eq!(entity(&["--memory", "--suffix-digits", "10", "exec"]), json!("CONTACT"));
}

#[test]
fn a_file_that_is_not_a_database_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    let content = b"These are my notes, not a SQLite database.\n".repeat(100);
    std::fs::write(&path, &content).unwrap();
    for args in [
        vec!["--db", "notes.db", "exec"],
        vec!["--db", "notes.db", "calls"],
        vec!["--db", "notes.db", "events", "--json"],
    ] {
        let output = run(dir.path(), &args, request("user.get", json!({})).as_bytes());
        assert_fatal(
            &output,
            1,
            "callreg: cannot open the database notes.db: the store is corrupt",
        );
        assert_eq!(std::fs::read(&path).unwrap(), content, "{args:?} modified the file");
    }
}

#[test]
fn a_database_of_a_newer_schema_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    exec_db(dir.path(), "");
    let path = dir.path().join("portal.db");
    {
        let connection = rusqlite::Connection::open(&path).unwrap();
        connection.pragma_update(None, "journal_mode", "DELETE").unwrap();
        connection.pragma_update(None, "user_version", 9999).unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let output =
        run(dir.path(), &["--db", "portal.db", "exec"], request("user.get", json!({})).as_bytes());
    assert_fatal(&output, 1, "was written by a newer version (schema 9999");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn the_demo_session_runs_twice_on_one_database() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo();
    let demo = demo.to_str().unwrap();
    let mut runs = Vec::new();
    for _ in 0..2 {
        let output = run(dir.path(), &["exec", demo], b"");
        assert!(output.status.success(), "{}", stderr(&output));
        runs.push(answers(&output));
    }
    assert!(dir.path().join("callreg.db").exists());
    let expected_statuses = [200, 200, 200, 200, 200, 200, 200, 200, 400, 200, 200, 200];
    for answers in &runs {
        assert_eq!(statuses(answers), expected_statuses, "{answers:#?}");
        let register = |i: usize| &answers[i]["body"]["result"];
        assert_eq!(register(3)["CRM_ENTITY_TYPE"], "CONTACT");
        assert_eq!(register(4)["CRM_ENTITY_TYPE"], "LEAD");
        assert_eq!(register(5)["CRM_ENTITY_TYPE"], "COMPANY");
        assert_eq!(answers[7]["body"]["result"]["CALL_ID"], register(3)["CALL_ID"]);
        assert_eq!(
            answers[8]["body"]["error_description"],
            "Call is not found (call should be registered prior to finishing"
        );
        assert_eq!(answers[9]["body"]["result"].as_array().unwrap().len(), 1);
        assert_eq!(answers[11]["body"]["result"]["events"].as_array().unwrap().len(), 5);
    }
    // The first run creates the lead; the second finds it (and its still active call).
    assert_eq!(runs[0][4]["body"]["result"]["CRM_CREATED_LEAD"], 1);
    assert_eq!(runs[1][4]["body"]["result"]["CALL_ID"], runs[0][4]["body"]["result"]["CALL_ID"]);
    assert_ne!(runs[1][3]["body"]["result"]["CALL_ID"], runs[0][3]["body"]["result"]["CALL_ID"]);
}
