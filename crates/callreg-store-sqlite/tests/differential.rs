//! The SQLite store behaves exactly like the in-memory store: random sequences of commands,
//! run through the engine on both, give the same results and leave the same data.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use callreg_core::clock::ManualClock;
use callreg_core::model::TelephonyPermission;
use callreg_core::records::{AttachRecordOutcome, AttachRecordRequest};
use callreg_core::transcripts::{RawTranscriptMessage, TranscriptRequest};
use callreg_core::{
    Auth, CallType, CallregError, CrmStore, Engine, EngineConfig, EntityType, FinishRequest,
    NewCompany, NewContact, NewDeal, NewLead, NewUser, PhoneInput, RegisterRequest, UserRef,
};
use callreg_store_memory::MemoryStore;
use callreg_store_sqlite::SqliteStore;
use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;
use std::fmt::Debug;
use std::sync::Arc;

/// The numbers commands use, each in several formats.
fn number_formats(number: usize) -> Vec<String> {
    let russian = |area: &str, sub: &str| {
        let (a, b, c) = (&sub[..3], &sub[3..5], &sub[5..7]);
        vec![
            format!("+7{area}{sub}"),
            format!("8{area}{sub}"),
            format!("8 ({area}) {a}-{b}-{c}"),
            format!("+7 ({area}) {a} {b} {c}"),
            format!("007 {area} {sub}"),
            format!("tel:+7-{area}-{a}-{b}-{c}"),
            format!("{area}{sub}"),
        ]
    };
    match number % 6 {
        0 => russian("495", "1234567"),
        1 => russian("812", "7654321"),
        2 => russian("906", "2195047"),
        3 => vec!["112".into(), "1 1 2".into(), "(112)".into()],
        4 => vec!["+49 30 1234567".into(), "0049 30 1234567".into(), "+49 (30) 123-45-67".into()],
        // An employee's extension (see INNER_PHONES).
        _ => vec!["101".into(), "1-0-1".into()],
    }
}

fn number(pick: (usize, usize)) -> String {
    let formats = number_formats(pick.0);
    formats[pick.1 % formats.len()].clone()
}

const INNER_PHONES: [&str; 3] = ["101", "102", "103"];
const LINES: [&str; 3] = ["+7 495 000-00-01", "+7 (495) 000 00 01", "100"];
const APPS: [Option<&str>; 3] = [None, Some("app.a"), Some("app.b")];
const LEAD_STATUSES: [&str; 4] = ["NEW", "IN_PROCESS", "CONVERTED", "JUNK"];
const DEAL_STAGES: [&str; 4] = ["NEW", "WON", "LOSE", "C1:PREPARATION"];
const START_DATES: [&str; 3] =
    ["2026-03-10T11:19:38.123456789+03:00", "2026-03-10 08:00:00", "2026-03-09T23:59:59.5Z"];

type NumberPick = (usize, usize);

#[derive(Debug, Clone)]
enum Op {
    AddUser { inner: Option<usize>, mobile: Option<NumberPick>, active: bool, modify: bool },
    AddContact { phones: Vec<NumberPick>, company: Option<u64> },
    AddCompany { phones: Vec<NumberPick> },
    AddLead { phones: Vec<NumberPick>, status: usize },
    AddDeal { contact: Option<u64>, company: Option<u64>, stage: usize },
    AddExclusion { number: NumberPick },
    Register(Registration),
    Finish { call: usize, user: i64, app: usize, duration: i64, vote: i64, status: Option<String> },
    Advance { minutes: i64 },
    ShowOrHide { call: usize, users: Option<Vec<i64>>, show: bool },
    Search { number: NumberPick },
    Line { app: usize, line: usize, action: u8, flag: Option<bool> },
    AttachRecord { call: usize, wav: bool, announce: bool },
    AttachTranscription { call: usize, side: bool, messages: usize },
    TakeEvents { limit: usize, clear: bool },
}

#[derive(Debug, Clone)]
struct Registration {
    user: UserRef,
    app: usize,
    number: NumberPick,
    call_type: u8,
    crm_create: bool,
    external_call_id: Option<u8>,
    line: Option<usize>,
    start_date: Option<usize>,
}

fn number_pick() -> impl Strategy<Value = NumberPick> {
    (0usize..6, 0usize..8)
}

fn phones() -> impl Strategy<Value = Vec<NumberPick>> {
    proptest::collection::vec(number_pick(), 0..3)
}

fn registration() -> impl Strategy<Value = Registration> {
    let user = prop_oneof![
        4 => Just(UserRef::Id(1)),
        2 => (2i64..6).prop_map(UserRef::Id),
        1 => (0usize..3).prop_map(|i| UserRef::Inner(INNER_PHONES[i].into())),
    ];
    (
        user,
        0usize..3,
        number_pick(),
        1u8..=5,
        any::<bool>(),
        proptest::option::of(0u8..3),
        proptest::option::weighted(0.3, 0usize..3),
        proptest::option::weighted(0.3, 0usize..3),
    )
        .prop_map(
            |(user, app, number, call_type, crm_create, external_call_id, line, start_date)| {
                Registration {
                    user,
                    app,
                    number,
                    call_type,
                    crm_create,
                    external_call_id,
                    line,
                    start_date,
                }
            },
        )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (proptest::option::of(0usize..3), proptest::option::of(number_pick()), any::<bool>(), any::<bool>())
            .prop_map(|(inner, mobile, active, modify)| Op::AddUser { inner, mobile, active, modify }),
        2 => (phones(), proptest::option::of(1u64..4))
            .prop_map(|(phones, company)| Op::AddContact { phones, company }),
        1 => phones().prop_map(|phones| Op::AddCompany { phones }),
        2 => (phones(), 0usize..4).prop_map(|(phones, status)| Op::AddLead { phones, status }),
        1 => (proptest::option::of(1u64..4), proptest::option::of(1u64..4), 0usize..4)
            .prop_map(|(contact, company, stage)| Op::AddDeal { contact, company, stage }),
        1 => number_pick().prop_map(|number| Op::AddExclusion { number }),
        8 => registration().prop_map(Op::Register),
        3 => (0usize..8, 1i64..4, 0usize..3, -5i64..300, 0i64..6, proptest::option::of(prop_oneof![Just("200".to_string()), Just("304".to_string()), Just("603-S".to_string())]))
            .prop_map(|(call, user, app, duration, vote, status)| Op::Finish { call, user, app, duration, vote, status }),
        2 => (0i64..45).prop_map(|minutes| Op::Advance { minutes }),
        2 => (0usize..8, proptest::option::of(proptest::collection::vec(0i64..6, 0..3)), any::<bool>())
            .prop_map(|(call, users, show)| Op::ShowOrHide { call, users, show }),
        1 => number_pick().prop_map(|number| Op::Search { number }),
        1 => (0usize..3, 0usize..3, 0u8..4, proptest::option::of(any::<bool>()))
            .prop_map(|(app, line, action, flag)| Op::Line { app, line, action, flag }),
        1 => (0usize..8, any::<bool>(), any::<bool>())
            .prop_map(|(call, wav, announce)| Op::AttachRecord { call, wav, announce }),
        1 => (0usize..8, any::<bool>(), 0usize..3)
            .prop_map(|(call, side, messages)| Op::AttachTranscription { call, side, messages }),
        1 => (1usize..5, any::<bool>()).prop_map(|(limit, clear)| Op::TakeEvents { limit, clear }),
    ]
}

/// The `CALL_ID`s a store handed out, in order of first appearance: two stores that behave
/// alike hand out their (random) ids in the same order, so an id's position names it.
#[derive(Debug, Default)]
struct CallIds {
    seen: Vec<String>,
}

impl CallIds {
    fn note(&mut self, id: &str) {
        if !self.seen.iter().any(|s| s == id) {
            self.seen.push(id.to_string());
        }
    }

    fn pick(&self, index: usize) -> String {
        if self.seen.is_empty() {
            return "externalCall.00000000000000000000000000000000.1773129600".into();
        }
        self.seen[index % self.seen.len()].clone()
    }

    /// `text` with every known id replaced by its position.
    fn redact(&self, text: &str) -> String {
        let mut text = text.to_string();
        for (index, id) in self.seen.iter().enumerate() {
            text = text.replace(id, &format!("call#{index}"));
        }
        text
    }
}

/// One side of the comparison: an engine with its own clock and the ids it handed out.
struct Side<S: CrmStore> {
    engine: Engine<S>,
    clock: Arc<ManualClock>,
    calls: CallIds,
}

fn start_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 8, 0, 0).unwrap() + Duration::nanoseconds(123_456_789)
}

impl<S: CrmStore> Side<S> {
    fn new(store: S) -> Self {
        let clock = Arc::new(ManualClock::new(start_time()));
        // Tier 3 on (7 digits), so that registrations go through the suffix index too.
        let config = EngineConfig { suffix_digits: Some(7), ..EngineConfig::default() };
        let engine = Engine::with_clock(store, config, clock.clone()).unwrap();
        Side { engine, clock, calls: CallIds::default() }
    }

    /// Runs one command; returns what it returned, as comparable text.
    fn apply(&mut self, op: &Op) -> String {
        let engine = &self.engine;
        let phones = |picks: &[NumberPick]| -> Vec<PhoneInput> {
            picks.iter().map(|p| PhoneInput::work(number(*p))).collect()
        };
        match op {
            Op::AddUser { inner, mobile, active, modify } => view(engine.add_user(&NewUser {
                active: *active,
                inner_phone: inner.map(|i| INNER_PHONES[i].to_string()),
                personal_mobile: mobile.map(number),
                permissions: if *modify {
                    [TelephonyPermission::CallDetailModify].into()
                } else {
                    Default::default()
                },
                ..NewUser::default()
            })),
            Op::AddContact { phones: picks, company } => view(engine.add_contact(&NewContact {
                name: "Contact".into(),
                company_id: *company,
                phones: phones(picks),
                ..NewContact::default()
            })),
            Op::AddCompany { phones: picks } => view(engine.add_company(&NewCompany {
                title: "Company".into(),
                phones: phones(picks),
                ..NewCompany::default()
            })),
            Op::AddLead { phones: picks, status } => view(engine.add_lead(&NewLead {
                title: "Lead".into(),
                status_id: Some(LEAD_STATUSES[*status].into()),
                phones: phones(picks),
                ..NewLead::default()
            })),
            Op::AddDeal { contact, company, stage } => view(engine.add_deal(&NewDeal {
                title: "Deal".into(),
                contact_id: *contact,
                company_id: *company,
                stage_id: Some(DEAL_STAGES[*stage].into()),
                ..NewDeal::default()
            })),
            Op::AddExclusion { number: pick } => view(engine.add_exclusion(&number(*pick))),
            Op::Register(r) => {
                let call_type = CallType::from_code(i64::from(r.call_type)).unwrap();
                let mut request = RegisterRequest::new(r.user.clone(), number(r.number), call_type)
                    .crm_create(r.crm_create);
                request.external_call_id = r.external_call_id.map(|e| format!("ext-{e}"));
                request.line_number = r.line.map(|l| LINES[l].to_string());
                request.call_start_date = r.start_date.map(|d| START_DATES[d].to_string());
                let result = engine.register(&auth(r.app), &request);
                if let Ok(outcome) = &result {
                    self.calls.note(outcome.call_id.as_str());
                }
                self.calls.redact(&view(result))
            }
            Op::Finish { call, user, app, duration, vote, status } => {
                let mut request = FinishRequest::new(self.calls.pick(*call), *user, *duration);
                request.vote = *vote;
                request.status_code = status.clone();
                let result = engine.finish(&auth(*app), &request);
                self.calls.redact(&view(result))
            }
            Op::Advance { minutes } => {
                self.clock.advance(Duration::minutes(*minutes));
                String::new()
            }
            Op::ShowOrHide { call, users, show } => {
                let id = self.calls.pick(*call);
                let result = if *show {
                    engine.show_call(&id, users.as_deref())
                } else {
                    engine.hide_call(&id, users.as_deref())
                };
                view(result)
            }
            Op::Search { number: pick } => view(engine.search_crm_entities(&number(*pick))),
            Op::Line { app, line, action, flag } => {
                let number = LINES[*line];
                let result = match action {
                    0 => {
                        engine.add_line(&auth(*app), number, Some("Line"), *flag).map(|id| vec![id])
                    }
                    1 => engine
                        .update_line(&auth(*app), Some(number), Some("Renamed"), *flag)
                        .map(|id| vec![id]),
                    2 => engine.delete_line(&auth(*app), Some(number)).map(|()| Vec::new()),
                    _ => {
                        engine.lines(&auth(*app)).map(|lines| lines.iter().map(|l| l.id).collect())
                    }
                };
                view(result)
            }
            Op::AttachRecord { call, wav, announce } => {
                let id = self.calls.pick(*call);
                // "RIFF....WAVE" and an MPEG frame sync, in base64.
                let (name, content) = if *wav {
                    ("r.wav", "UklGRiQAAABXQVZFZm10IA==")
                } else {
                    ("r.mp3", "//uQRAAAAAAA")
                };
                let request = if *announce {
                    AttachRecordRequest::announce(id, name)
                } else {
                    AttachRecordRequest::file(id, name, content)
                };
                // Upload tokens are random: compare only whether an upload was announced.
                let result = engine.attach_record(&request).map(|outcome| match outcome {
                    AttachRecordOutcome::Attached { file_id } => format!("attached {file_id}"),
                    AttachRecordOutcome::UploadRequired { .. } => "upload".to_string(),
                });
                self.calls.redact(&view(result))
            }
            Op::AttachTranscription { call, side, messages } => {
                let side = if *side { "User" } else { "user" };
                let lines = (0..*messages)
                    .map(|i| RawTranscriptMessage::new(side, 0, 2, format!("m{i}")))
                    .collect();
                let request = TranscriptRequest::new(self.calls.pick(*call), lines);
                self.calls.redact(&view(engine.attach_transcription(&request)))
            }
            Op::TakeEvents { limit, clear } => {
                // Process ids are random: compare the events taken.
                let result = engine.take_offline_events(*limit, *clear).map(|taken| {
                    taken
                        .events
                        .iter()
                        .map(|e| (e.id, e.name.clone(), e.data.clone()))
                        .collect::<Vec<_>>()
                });
                self.calls.redact(&view(result))
            }
        }
    }

    /// Everything the engine can read back, as comparable text.
    fn state(&self) -> String {
        let e = &self.engine;
        let mut out = format!("users: {:?}\n", e.users().unwrap());
        for kind in [EntityType::Contact, EntityType::Company, EntityType::Lead, EntityType::Deal] {
            for id in e.entity_ids(kind).unwrap() {
                let record = match kind {
                    EntityType::Contact => format!("{:?}", e.contact(id).unwrap()),
                    EntityType::Company => format!("{:?}", e.company(id).unwrap()),
                    EntityType::Lead => format!("{:?}", e.lead(id).unwrap()),
                    EntityType::Deal => format!("{:?}", e.deal(id).unwrap()),
                };
                out += &format!("{kind} {id}: {record}\n");
            }
        }
        // Calls registered at the same instant are listed by their (random) id: order them
        // by their position instead.
        let mut calls: Vec<(String, String)> = e
            .active_calls()
            .unwrap()
            .iter()
            .map(|c| (self.calls.redact(c.call_id.as_str()), self.calls.redact(&format!("{c:?}"))))
            .collect();
        calls.sort();
        for (_, call) in calls {
            out += &format!("active: {call}\n");
        }
        out += &format!("records: {:?}\n", e.call_records().unwrap());
        for record in e.call_records().unwrap() {
            if let Some(audio) = record.record_id {
                out += &format!("audio {audio}: {:?}\n", e.call_audio(audio).unwrap());
            }
            if let Some(transcript) = record.transcript_id {
                out +=
                    &format!("transcript {transcript}: {:?}\n", e.transcript(transcript).unwrap());
            }
        }
        for app in 0..3 {
            out += &format!("lines {app}: {:?}\n", e.lines(&auth(app)).unwrap());
        }
        out += &format!("activities: {:?}\n", e.activities().unwrap());
        out += &format!("missed: {:?}\n", e.missed_calls().unwrap());
        out += &format!("events: {:?}\n", e.pending_events(usize::MAX).unwrap());
        // Claimed events too (their readers' process ids are random: whether claimed).
        let outbox = e.read(|tx| tx.outbox_events(usize::MAX)).unwrap();
        let outbox: Vec<_> =
            outbox.iter().map(|e| (e.id, &e.name, &e.data, e.process_id.is_some())).collect();
        out += &format!("outbox: {outbox:?}\n");
        out += &format!(
            "numbers: {:?}\n",
            (0..6).map(|n| e.entities_with_number(&number((n, 0))).unwrap()).collect::<Vec<_>>()
        );
        for suffix in ["7654321", "1234567", "7405912", "76543215", "7", ""] {
            let found = e.read(|tx| tx.find_entities_by_national_suffix(suffix, 1000)).unwrap();
            out += &format!("suffix {suffix:?}: {found:?}\n");
        }
        let sources = e.read(|tx| tx.list_sources()).unwrap();
        out += &format!("sources: {sources:?}\n");
        for app in APPS {
            let app = app.map(callreg_core::AppId::new);
            out += &format!("lines: {:?}\n", e.read(|tx| tx.list_lines(app.as_ref())).unwrap());
        }
        self.calls.redact(&out)
    }
}

fn auth(app: usize) -> Auth {
    match APPS[app] {
        None => Auth::webhook(1),
        Some(app) => Auth::app(1, app),
    }
}

/// A command's result as text: the value, or the error's code and description.
fn view<T: Debug>(result: Result<T, CallregError>) -> String {
    match result {
        Ok(value) => format!("Ok({value:?})"),
        Err(e) => format!("Err({} {e})", e.code()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn sqlite_store_behaves_like_the_memory_store(ops in proptest::collection::vec(op(), 1..50)) {
        let mut memory = Side::new(MemoryStore::new());
        let mut sqlite = Side::new(SqliteStore::open_temporary().unwrap());
        for (step, op) in ops.iter().enumerate() {
            let expected = memory.apply(op);
            let got = sqlite.apply(op);
            prop_assert_eq!(got, expected, "step {} {:?}", step, op);
        }
        prop_assert_eq!(sqlite.state(), memory.state());
    }
}
