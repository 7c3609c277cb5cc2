//! `callreg exec`'s JSON Lines reader: any bytes (invalid UTF-8, huge lines, no final
//! newline) get one well-formed answer line per non-blank input line, in order.
#![no_main]

use callreg_cli::exec::{ExecLimits, run_exec};
use callreg_core::{Engine, EngineConfig};
use callreg_store_memory::MemoryStore;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::cell::RefCell;

thread_local! {
    static ENGINE: RefCell<(Engine<MemoryStore>, u32)> = RefCell::new((fresh(), 0));
}

fn fresh() -> Engine<MemoryStore> {
    Engine::new(MemoryStore::new(), EngineConfig::default()).expect("engine")
}

fuzz_target!(|data: &[u8]| {
    ENGINE.with(|cell| {
        let mut guard = cell.borrow_mut();
        if guard.1 >= 300 {
            *guard = (fresh(), 0);
        }
        guard.1 += 1;
        let engine = &guard.0;
        let mut output = Vec::new();
        let limits = ExecLimits { max_line_bytes: 512 };
        let summary = run_exec(engine, data, &mut output, limits).expect("reading a slice cannot fail");
        let text = std::str::from_utf8(&output).expect("answers are UTF-8");
        let answers: Vec<&str> = text.lines().collect();
        assert_eq!(answers.len() as u64, summary.answered);
        for answer in answers {
            let value: Value = serde_json::from_str(answer).expect("each answer is JSON");
            let status = value["status"].as_u64().expect("a status");
            assert!(matches!(status, 200 | 400 | 403 | 404), "{answer}");
            assert!(value["body"].is_object(), "{answer}");
        }
    });
});
