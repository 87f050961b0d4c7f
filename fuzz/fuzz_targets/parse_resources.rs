//! Arbitrary text into the Mesos resources parser (with the default role and with a role
//! taken from the first line): never a panic; errors are well formed (code, one line, span
//! with a caret); parsed resources print, and the printed form of a value is what Mesos would
//! show (no panic in Display).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(whole) = std::str::from_utf8(data) else { return };
    let mut cases = vec![("*", whole)];
    if let Some((role, rest)) = whole.split_once('\n') {
        cases.push((role, rest));
    }
    for (role, text) in cases {
        match offerfit::parse_resources(text, role) {
            Ok(rs) => {
                let _ = rs.to_string();
                for r in rs.iter() {
                    let _ = (r.role(), r.is_unreserved(), r.scalar(), r.ranges());
                }
            }
            // The whole input: the message may quote the role as well as the text.
            Err(e) => offerfit_fuzz::check_error(&e, whole),
        }
    }
    match offerfit::parse_value(whole) {
        Ok(v) => {
            let _ = v.to_string();
        }
        Err(e) => offerfit_fuzz::check_error(&e, whole),
    }
});
