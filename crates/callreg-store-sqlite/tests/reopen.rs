//! Everything written is read back identically after the store is closed and reopened.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use callreg_core::auth::AppId;
use callreg_core::model::{
    ActiveCall, Activity, CallAudio, CallEntity, CallRecord, Company, Contact, Deal, Direction,
    EventData, Lead, Line, MissedCall, OutboxEvent, PendingUpload, Phone, ResultMark, Source,
    TelephonyPermission, Transcript, TranscriptMessage, User,
};
use callreg_core::phone::PhoneKey;
use callreg_core::{CallId, CallType, CrmStore, EntityRef, EntityType, StoreError, UserId};
use callreg_store_sqlite::SqliteStore;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde_json::json;

fn key(text: &str) -> PhoneKey {
    PhoneKey::from_storage(text).unwrap()
}

fn phone(value: &str, value_type: &str, key_text: Option<&str>) -> Phone {
    Phone { value: value.into(), value_type: value_type.into(), key: key_text.map(key) }
}

/// An instant with nanoseconds, `n` seconds after the base.
fn at(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 8, 0, 0).unwrap()
        + Duration::seconds(n)
        + Duration::nanoseconds(123_456_789)
}

/// Everything one store holds, as written (ids as the store assigned them).
#[derive(Debug, PartialEq)]
struct Written {
    users: Vec<User>,
    contact: Contact,
    company: Company,
    leads: Vec<Lead>,
    deal: Deal,
    sources: Vec<Source>,
    lines: Vec<Line>,
    calls: Vec<ActiveCall>,
    record: CallRecord,
    activity: Activity,
    missed: Vec<MissedCall>,
    audio: CallAudio,
    transcript: Transcript,
    events: Vec<OutboxEvent>,
    claimed: Vec<OutboxEvent>,
}

fn write_everything(store: &SqliteStore) -> Written {
    let mut tx = store.begin().unwrap();
    tx.set_meta("portal.seeded", "2026-03-10T08:00:00+00:00").unwrap();

    let mut users = vec![
        User {
            id: UserId(1),
            active: true,
            email: "admin@example.com".into(),
            name: "Admin".into(),
            last_name: "Ádmïn".into(),
            inner_phone: None,
            phones: vec![],
            admin: true,
            permissions: Default::default(),
        },
        User {
            id: UserId(0),
            active: false,
            email: String::new(),
            name: "Operator".into(),
            last_name: String::new(),
            inner_phone: Some("101".into()),
            phones: vec![
                phone("+7 495 111-22-33", "WORK_PHONE", Some("+74951112233")),
                phone("ext", "PERSONAL_PHONE", None),
                phone("8 906 219 50 47", "PERSONAL_MOBILE", Some("+79062195047")),
            ],
            admin: false,
            permissions: [
                TelephonyPermission::CallDetailModify,
                TelephonyPermission::CallDetailView,
            ]
            .into(),
        },
    ];
    for user in &mut users {
        user.id = tx.insert_user(user).unwrap();
    }
    assert_eq!(users[1].id, UserId(2));

    let mut company = Company {
        id: 0,
        title: "Company \"quoted\"; DROP TABLE user; --".into(),
        assigned_by: UserId(2),
        phones: vec![phone("112", "WORK", Some("=112"))],
        created: at(1),
        modified: at(2),
    };
    company.id = tx.insert_company(&company).unwrap();
    let mut contact = Contact {
        id: 0,
        name: "Иван".into(),
        last_name: "Петров".into(),
        company_id: Some(company.id),
        assigned_by: UserId(1),
        phones: vec![
            phone("+7 495 123-45-67", "WORK", Some("+74951234567")),
            phone("8 (495) 123-45-67", "MOBILE", Some("+74951234567")),
            phone("none", "HOME", None),
        ],
        created: at(3),
        modified: at(4),
    };
    contact.id = tx.insert_contact(&contact).unwrap();
    let mut leads = Vec::new();
    for (n, status) in ["NEW", "JUNK"].into_iter().enumerate() {
        let mut lead = Lead {
            id: 0,
            title: format!("+7 495 123-45-67 - Incoming call {n}"),
            name: String::new(),
            status_id: status.into(),
            source_id: "CALL".into(),
            source_description: "line 1".into(),
            assigned_by: UserId(2),
            phones: vec![phone("+74951234567", "WORK", Some("+74951234567"))],
            created: at(5),
            modified: at(6),
        };
        lead.id = tx.insert_lead(&lead).unwrap();
        leads.push(lead);
    }
    let mut deal = Deal {
        id: 0,
        title: "Deal".into(),
        contact_id: Some(contact.id),
        company_id: None,
        stage_id: "C1:PREPARATION".into(),
        assigned_by: UserId(1),
        created: at(7),
        modified: at(8),
    };
    deal.id = tx.insert_deal(&deal).unwrap();
    assert!(tx.set_responsible(EntityRef::lead(leads[1].id), UserId(1), at(9)).unwrap());
    leads[1].assigned_by = UserId(1);
    leads[1].modified = at(9);

    tx.upsert_source(&Source { id: "CALL".into(), name: "Call".into(), sort: 10 }).unwrap();
    tx.upsert_source(&Source { id: "WEB".into(), name: "Web".into(), sort: 20 }).unwrap();
    tx.upsert_source(&Source { id: "CALL".into(), name: "Phone call".into(), sort: 30 }).unwrap();
    tx.insert_exclusion(&key("+78001234567")).unwrap();
    tx.insert_exclusion(&key("+78001234567")).unwrap();

    let mut lines = vec![
        Line {
            id: 0,
            app_id: None,
            number: "+7 495 000-00-01".into(),
            name: Some("Main".into()),
            crm_auto_create: true,
            key: Some(key("+74950000001")),
        },
        Line {
            id: 0,
            app_id: Some(AppId::new("app.a")),
            number: "100".into(),
            name: None,
            crm_auto_create: false,
            key: Some(key("=100")),
        },
        Line {
            id: 0,
            app_id: Some(AppId::new("")),
            number: "100".into(),
            name: None,
            crm_auto_create: false,
            key: None,
        },
    ];
    for line in &mut lines {
        line.id = tx.insert_line(line).unwrap();
    }
    lines[0].name = Some("Main office".into());
    lines[0].crm_auto_create = false;
    assert!(tx.update_line(&lines[0]).unwrap());

    let call = |n: u32, app: Option<&str>, external: Option<&str>| ActiveCall {
        call_id: CallId::new(format!("externalCall.{n:032x}.1773129600")),
        app_id: app.map(AppId::new),
        user_id: UserId(2),
        caller_id: "+74951234567".into(),
        caller_key: "+74951234567".into(),
        call_type: CallType::IncomingRedirect,
        start_date: at(10),
        registered_at: at(11 + i64::from(n)),
        portal_user_id: (n == 2).then_some(UserId(1)),
        line_id: Some(lines[0].id),
        portal_number: "+7 495 000-00-01".into(),
        external_call_id: external.map(String::from),
        entities: vec![
            CallEntity { entity: EntityRef::contact(contact.id), primary: true, created: false },
            CallEntity { entity: EntityRef::deal(deal.id), primary: false, created: false },
            CallEntity { entity: EntityRef::lead(leads[0].id), primary: false, created: true },
        ],
        created_lead: Some(leads[0].id),
    };
    let calls = vec![
        call(1, None, Some("ext-1")),
        call(2, Some("app.a"), Some("ext-1")),
        call(3, Some(""), None),
        ActiveCall { entities: vec![], created_lead: None, ..call(4, None, None) },
    ];
    for call in &calls {
        tx.insert_active_call(call).unwrap();
    }

    let mut record = CallRecord {
        id: 0,
        call_id: CallId::new("externalCall.finished.1773129600"),
        external_call_id: Some("ext-9".into()),
        portal_user_id: UserId(2),
        phone_number: "+74951234567".into(),
        caller_key: "+74951234567".into(),
        portal_number: "REST_APP:app.a".into(),
        call_type: CallType::Outgoing,
        duration: -5,
        start_date: at(20),
        call_status: 0,
        vote: 5,
        cost: 0.1 + 0.2,
        cost_currency: "RUB".into(),
        failed_code: "304".into(),
        failed_reason: "Missed".into(),
        app_id: Some(AppId::new("app.a")),
        activity_id: None,
        record_url: Some("https://example.invalid/r.mp3".into()),
        primary: Some(EntityRef::company(company.id)),
        record_id: None,
        transcript_id: None,
        finished_at: at(21),
    };
    record.id = tx.insert_call_record(&record).unwrap();
    let mut activity = Activity {
        id: 0,
        subject: "Outgoing to +7 495 123-45-67".into(),
        direction: Direction::Outgoing,
        start_time: at(20),
        end_time: at(15),
        responsible_id: UserId(2),
        author_id: UserId(1),
        origin_id: "VI_externalCall.finished.1773129600".into(),
        phone: "+74951234567".into(),
        communication_entity: Some(EntityRef::contact(contact.id)),
        completed: true,
        missed: true,
        result_mark: ResultMark::Positive,
        description: "line one\nline two".into(),
        bindings: vec![EntityRef::deal(deal.id), EntityRef::contact(contact.id)],
        record_id: None,
        created: at(22),
    };
    activity.id = tx.insert_activity(&activity).unwrap();
    activity.bindings.reverse();
    activity.result_mark = ResultMark::Negative;
    assert!(tx.update_activity(&activity).unwrap());
    record.activity_id = Some(activity.id);
    assert!(tx.update_call_record(&record).unwrap());

    let mut missed = vec![
        MissedCall {
            id: 0,
            record_id: record.id,
            caller_key: "+74951234567".into(),
            user_id: UserId(2),
            at: at(20),
            called_back_by: None,
        },
        MissedCall {
            id: 0,
            record_id: record.id,
            caller_key: "+74951234567".into(),
            user_id: UserId(2),
            at: at(23),
            called_back_by: None,
        },
    ];
    for m in &mut missed {
        m.id = tx.insert_missed_call(m).unwrap();
    }
    assert!(tx.mark_called_back(missed[0].id, record.id).unwrap());
    missed[0].called_back_by = Some(record.id);

    let mut audio = CallAudio {
        id: 0,
        call_id: record.call_id.clone(),
        file_name: "record.mp3".into(),
        content: Some(vec![0x49, 0x44, 0x33, 0, 0xff, 0xfb]),
        url: None,
        attached_at: at(24),
    };
    audio.id = tx.insert_audio(&audio).unwrap();
    let removed = CallAudio { content: None, url: Some("u".into()), ..audio.clone() };
    let removed_id = tx.insert_audio(&removed).unwrap();
    assert!(tx.delete_audio(removed_id).unwrap());
    let upload = PendingUpload {
        token: "token-1".into(),
        call_id: record.call_id.clone(),
        file_name: "later.wav".into(),
        created_at: at(25),
    };
    tx.insert_upload(&upload).unwrap();
    tx.insert_upload(&PendingUpload { token: "token-2".into(), ..upload.clone() }).unwrap();
    assert_eq!(tx.take_upload("token-2").unwrap().unwrap().token, "token-2");
    let mut transcript = Transcript {
        id: 0,
        call_id: record.call_id.clone(),
        messages: vec![
            TranscriptMessage {
                side: "Client".into(),
                start_time: 0,
                stop_time: 3,
                message: "Hello".into(),
            },
            TranscriptMessage {
                side: "User".into(),
                start_time: 3,
                stop_time: 7,
                message: "Hi, how can I help?".into(),
            },
        ],
        cost: 1.5,
        cost_currency: "USD".into(),
        created_at: at(26),
    };
    transcript.id = tx.insert_transcript(&transcript).unwrap();

    let data = |n: i64| -> EventData {
        let value = json!({
            "CALL_ID": format!("externalCall.{n}"),
            "ZETA": 1, "ALPHA": [1.5, -2, "x", null, true], "NESTED": {"b": 2, "a": {"z": 0}},
            "BIG": u64::MAX, "NEG": i64::MIN,
        });
        value.as_object().unwrap().clone()
    };
    let mut events = Vec::new();
    for n in 0..4 {
        let id = tx.push_event("ONVOXIMPLANTCALLINIT", &data(n), at(30 + n)).unwrap();
        events.push(OutboxEvent {
            id,
            name: "ONVOXIMPLANTCALLINIT".into(),
            data: data(n),
            created_at: at(30 + n),
            process_id: None,
        });
    }
    assert_eq!(tx.delete_events(&[events[0].id, 999]).unwrap(), 1);
    events.remove(0);
    tx.claim_events(&[events[0].id], "reader-1").unwrap();
    let mut claimed = vec![events.remove(0)];
    claimed[0].process_id = Some("reader-1".into());
    tx.commit().unwrap();

    Written {
        users,
        contact,
        company,
        leads,
        deal,
        sources: vec![
            Source { id: "WEB".into(), name: "Web".into(), sort: 20 },
            Source { id: "CALL".into(), name: "Phone call".into(), sort: 30 },
        ],
        lines,
        calls,
        record,
        activity,
        missed,
        audio,
        transcript,
        events,
        claimed,
    }
}

fn read_everything(store: &SqliteStore, like: &Written) -> Written {
    let mut tx = store.begin().unwrap();
    assert_eq!(tx.meta("portal.seeded").unwrap().as_deref(), Some("2026-03-10T08:00:00+00:00"));
    assert_eq!(tx.meta("missing").unwrap(), None);
    assert!(tx.is_excluded(&key("+78001234567")).unwrap());
    assert!(!tx.is_excluded(&key("+78001234568")).unwrap());
    assert!(tx.source_exists("WEB").unwrap());
    assert_eq!(tx.take_upload("token-2").unwrap(), None);
    assert_eq!(tx.audio(like.audio.id + 1).unwrap(), None);
    let contact_key = key("+74951234567");
    let mut found = tx.find_entities_by_phone_key(&contact_key).unwrap();
    found.sort();
    let mut expected = vec![EntityRef::contact(like.contact.id)];
    expected.extend(like.leads.iter().map(|l| EntityRef::lead(l.id)));
    expected.sort();
    assert_eq!(found, expected);
    assert_eq!(tx.find_users_by_inner_phone("101").unwrap(), vec![UserId(2)]);
    assert_eq!(tx.find_users_by_phone_key(&key("+79062195047")).unwrap(), vec![UserId(2)]);
    assert_eq!(tx.deals_of(EntityRef::contact(like.contact.id)).unwrap(), vec![like.deal.clone()]);
    assert_eq!(tx.find_lines_by_key(&key("=100")).unwrap(), vec![like.lines[1].clone()]);
    assert_eq!(tx.find_line(Some(&AppId::new("")), "100").unwrap(), Some(like.lines[2].clone()));
    assert_eq!(tx.find_line(None, "100").unwrap(), None);
    let by_external = tx.find_active_call_by_external_id(Some(&AppId::new("app.a")), "ext-1");
    assert_eq!(by_external.unwrap().as_ref(), Some(&like.calls[1]));
    assert_eq!(
        tx.find_active_calls_by_caller(None, "+74951234567").unwrap(),
        vec![like.calls[0].clone(), like.calls[3].clone()]
    );
    assert_eq!(tx.open_missed_calls("+74951234567").unwrap(), vec![like.missed[1].clone()]);
    assert_eq!(tx.list_entities(EntityType::Lead).unwrap().len(), 2);
    let lines = [None, Some(AppId::new("app.a")), Some(AppId::new(""))]
        .iter()
        .flat_map(|app| tx.list_lines(app.as_ref()).unwrap())
        .collect();
    Written {
        users: tx.list_users().unwrap(),
        contact: tx.contact(like.contact.id).unwrap().unwrap(),
        company: tx.company(like.company.id).unwrap().unwrap(),
        leads: like.leads.iter().map(|l| tx.lead(l.id).unwrap().unwrap()).collect(),
        deal: tx.deal(like.deal.id).unwrap().unwrap(),
        sources: tx.list_sources().unwrap(),
        lines,
        calls: tx.list_active_calls().unwrap(),
        record: tx.call_record(&like.record.call_id).unwrap().unwrap(),
        activity: tx.activity(like.activity.id).unwrap().unwrap(),
        missed: tx.list_missed_calls().unwrap(),
        audio: tx.audio(like.audio.id).unwrap().unwrap(),
        transcript: tx.transcript(like.transcript.id).unwrap().unwrap(),
        events: tx.pending_events(usize::MAX).unwrap(),
        claimed: tx.claimed_events("reader-1").unwrap(),
    }
}

#[test]
fn everything_written_reads_back_identically_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portal.db");
    let written = {
        let store = SqliteStore::open(&path).unwrap();
        let written = write_everything(&store);
        assert_eq!(read_everything(&store, &written), written, "before closing");
        written
    };
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(read_everything(&store, &written), written, "after reopening");
}

#[test]
fn timestamps_survive_to_the_nanosecond() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portal.db");
    let instants = [
        at(0),
        Utc.timestamp_opt(0, 1).unwrap(),
        Utc.timestamp_opt(1_773_129_600, 999_999_999).unwrap(),
        NaiveDate::from_ymd_opt(1, 1, 1).unwrap().and_hms_nano_opt(0, 0, 0, 1).unwrap().and_utc(),
        NaiveDate::from_ymd_opt(9999, 12, 31)
            .unwrap()
            .and_hms_nano_opt(23, 59, 59, 999_999_999)
            .unwrap()
            .and_utc(),
    ];
    {
        let store = SqliteStore::open(&path).unwrap();
        let mut tx = store.begin().unwrap();
        for instant in instants {
            tx.push_event("E", &EventData::new(), instant).unwrap();
        }
        tx.commit().unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let mut tx = store.begin().unwrap();
    let read: Vec<DateTime<Utc>> =
        tx.pending_events(100).unwrap().into_iter().map(|e| e.created_at).collect();
    assert_eq!(read, instants);
}

#[test]
fn ids_are_never_reused_and_rolled_back_writes_vanish() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portal.db");
    let lead = Lead {
        id: 0,
        title: "Lead".into(),
        name: String::new(),
        status_id: "NEW".into(),
        source_id: "CALL".into(),
        source_description: String::new(),
        assigned_by: UserId(1),
        phones: vec![phone("112", "WORK", Some("=112"))],
        created: at(0),
        modified: at(0),
    };
    {
        let store = SqliteStore::open(&path).unwrap();
        let mut tx = store.begin().unwrap();
        assert_eq!(tx.push_event("E", &EventData::new(), at(0)).unwrap(), 1);
        assert_eq!(tx.push_event("E", &EventData::new(), at(0)).unwrap(), 2);
        assert_eq!(tx.delete_events(&[2]).unwrap(), 1);
        tx.commit().unwrap();
        // Dropped without commit: nothing of it stays.
        let mut tx = store.begin().unwrap();
        assert_eq!(tx.insert_lead(&lead).unwrap(), 1);
        assert_eq!(tx.insert_user(&User { id: UserId(7), ..sample_user() }).unwrap(), UserId(7));
        drop(tx);
        let mut tx = store.begin().unwrap();
        assert_eq!(tx.lead(1).unwrap(), None);
        assert_eq!(tx.user(UserId(7)).unwrap(), None);
        assert!(tx.find_entities_by_phone_key(&key("=112")).unwrap().is_empty());
    }
    let store = SqliteStore::open(&path).unwrap();
    let mut tx = store.begin().unwrap();
    assert_eq!(tx.push_event("E", &EventData::new(), at(0)).unwrap(), 3, "event 2 is not reused");
    assert_eq!(tx.insert_lead(&lead).unwrap(), 1, "the rolled-back lead left no trace");
    assert_eq!(tx.insert_user(&User { id: UserId(5), ..sample_user() }).unwrap(), UserId(5));
    assert_eq!(tx.insert_user(&sample_user()).unwrap(), UserId(6), "after the highest id");
    assert!(matches!(
        tx.insert_user(&User { id: UserId(5), ..sample_user() }),
        Err(StoreError::Constraint(_))
    ));
}

fn sample_user() -> User {
    User {
        id: UserId(0),
        active: true,
        email: String::new(),
        name: "User".into(),
        last_name: String::new(),
        inner_phone: None,
        phones: vec![],
        admin: false,
        permissions: Default::default(),
    }
}
