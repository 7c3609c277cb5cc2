//! attachRecord's file checks: base64 decoding with its size limit, the audio sniffer and the
//! name/extension checks never panic, and accepted content really is audio of its type.
#![no_main]

use callreg_core::records::{AudioKind, check_record_file, decode_file_content, sniff_audio};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let limit = usize::from(selector) * 16;
    let _ = sniff_audio(rest);
    let name = if selector % 2 == 0 { "record.wav" } else { "record.MP3" };
    if check_record_file(name, rest, limit).is_ok() {
        let kind = sniff_audio(rest).expect("accepted content is audio");
        assert_eq!(Some(kind), AudioKind::of_file_name(name));
        assert!(rest.len() <= limit);
    }
    let text = String::from_utf8_lossy(rest);
    if let Ok(bytes) = decode_file_content(&text, limit) {
        assert!(bytes.len() <= limit, "{} bytes over a limit of {limit}", bytes.len());
        assert!(!bytes.is_empty());
    }
});
