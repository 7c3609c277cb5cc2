//! CSV import: any bytes as a file of contacts, companies or leads. The header check and the
//! row parser never panic; an import never leaves a half row (the store's integrity holds).
#![no_main]

use callreg_cli::csv_import::{CsvImport, Header, ImportKind, parse_row};
use callreg_core::conformance::integrity::check_integrity;
use callreg_core::{Engine, EngineConfig};
use callreg_store_memory::MemoryStore;
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;

const KINDS: [ImportKind; 3] = [ImportKind::Contacts, ImportKind::Companies, ImportKind::Leads];

thread_local! {
    static ENGINE: RefCell<(Engine<MemoryStore>, u32)> = RefCell::new((fresh(), 0));
}

fn fresh() -> Engine<MemoryStore> {
    Engine::new(MemoryStore::new(), EngineConfig::default()).expect("engine")
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, file)) = data.split_first() else { return };
    let kind = KINDS[usize::from(selector) % KINDS.len()];

    // The pure parsers on naively split lines.
    let mut lines = file.split(|b| *b == b'\n');
    let names: Vec<&[u8]> = lines.next().unwrap_or_default().split(|b| *b == b',').collect();
    if let Ok(header) = Header::parse(kind, &names) {
        for line in lines {
            let fields: Vec<&[u8]> = line.split(|b| *b == b',').collect();
            let _ = parse_row(&header, &fields);
        }
    }

    // The whole import on an engine.
    ENGINE.with(|cell| {
        let mut guard = cell.borrow_mut();
        if guard.1 >= 200 {
            *guard = (fresh(), 0);
        }
        guard.1 += 1;
        let engine = &guard.0;
        if let Ok(import) = CsvImport::open(kind, file) {
            let _ = import.run(engine, |_| {});
        }
        assert_eq!(engine.read(check_integrity).expect("readable"), Ok(()));
    });
});
