//! A process killed (SIGKILL) at random moments while registering calls leaves a database
//! that is intact, holds every command the process saw committed, and no half command.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use callreg_core::{Auth, CallId, Engine, EngineConfig, EntityType, RegisterRequest};
use callreg_store_sqlite::SqliteStore;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::time::Duration;

const KILLS: u64 = 20;

/// A fresh number for registration `n` of child `seed`.
fn number(seed: u64, n: u64) -> String {
    format!("+7 9{:02}{:07}", seed % 100, n % 10_000_000)
}

#[test]
fn killed_writer_leaves_every_committed_command_and_no_half_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portal.db");
    let mut jitter = support::Jitter::from_clock();
    let mut reported: HashMap<String, u64> = HashMap::new();
    for seed in 0..KILLS {
        let mut child =
            support::child("child_process", "register-forever", &path, seed).spawn().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut lines = Vec::new();
        // Every other child is killed while it starts (opening, migrating, seeding the
        // portal); the others once they are registering.
        if seed % 2 == 1 {
            loop {
                let mut line = String::new();
                if stdout.read_line(&mut line).unwrap() == 0 {
                    break;
                }
                // libtest prints `test child_process ... ` before the child's first line.
                let ready = line.contains("READY");
                lines.push(line);
                if ready {
                    break;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(jitter.between(5, 60)));
        child.kill().unwrap();
        child.wait().unwrap();
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        lines.extend(rest.lines().map(String::from));
        for line in &lines {
            // A line cut by the kill has no lead id yet and is not a report.
            let Some(at) = line.find("COMMITTED") else { continue };
            let mut words = line[at..].split_whitespace();
            if let (Some("COMMITTED"), Some(call), Some(lead)) =
                (words.next(), words.next(), words.next())
            {
                reported.insert(call.to_string(), lead.parse().unwrap());
            }
        }
        check_after_kill(&path, &reported);
    }
    assert!(!reported.is_empty(), "the children committed registrations before being killed");
}

fn check_after_kill(path: &Path, reported: &HashMap<String, u64>) {
    if !path.exists() {
        return; // killed before it created the file
    }
    {
        let conn = rusqlite::Connection::open(path).unwrap();
        let check: String = conn.query_row("PRAGMA integrity_check", [], |row| row.get(0)).unwrap();
        assert_eq!(check, "ok");
        let fk: Vec<String> = conn
            .prepare("PRAGMA foreign_key_check")
            .unwrap()
            .query_map([], |row| row.get::<_, String>(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(fk.is_empty(), "foreign keys: {fk:?}");
    }
    let engine = Engine::new(SqliteStore::open(path).unwrap(), EngineConfig::default()).unwrap();
    let calls = engine.active_calls().unwrap();
    let lead_of_call: HashMap<&CallId, Option<u64>> =
        calls.iter().map(|c| (&c.call_id, c.created_lead)).collect();
    for (call, lead) in reported {
        let found = lead_of_call.get(&CallId::new(call.clone()));
        assert_eq!(found, Some(&Some(*lead)), "reported call {call} with lead {lead}");
    }
    // Every lead was created by a call that is stored, and every call has its lead.
    let leads: HashSet<u64> = engine.entity_ids(EntityType::Lead).unwrap().into_iter().collect();
    let created: HashSet<u64> = calls.iter().filter_map(|c| c.created_lead).collect();
    assert_eq!(leads, created, "leads and the calls that created them");
    assert_eq!(calls.len(), leads.len(), "one fresh number, one call, one lead");
    // Every call has all its events, and no event refers to a call that is not stored.
    let mut events_of_call: HashMap<String, usize> = HashMap::new();
    for event in engine.pending_events(usize::MAX).unwrap() {
        let call = event.data.get("CALL_ID").and_then(|v| v.as_str()).unwrap_or_default();
        *events_of_call.entry(call.to_string()).or_default() += 1;
    }
    let counts: HashSet<usize> = events_of_call.values().copied().collect();
    assert!(counts.len() <= 1, "every registration queued the same events: {events_of_call:?}");
    let event_calls: HashSet<&str> = events_of_call.keys().map(String::as_str).collect();
    let stored_calls: HashSet<&str> = calls.iter().map(|c| c.call_id.as_str()).collect();
    assert_eq!(event_calls, stored_calls);
}

/// The process that is killed; a no-op in a plain run.
#[test]
fn child_process() {
    let Some((role, path, seed)) = support::child_role() else { return };
    assert_eq!(role, "register-forever");
    let engine = Engine::new(SqliteStore::open(&path).unwrap(), EngineConfig::default()).unwrap();
    println!("READY");
    for n in 0..1_000_000 {
        let request = RegisterRequest::incoming(1, number(seed, n)).crm_create(true);
        let call = engine.register(&Auth::webhook(1), &request).unwrap();
        // Written only after the command committed: the parent may rely on every line.
        println!("COMMITTED {} {}", call.call_id, call.created_lead.unwrap());
    }
}
