//! Arbitrary text into the Mesos attributes parser: never a panic; errors are well formed;
//! parsed attributes print, and the printed form is a fixed point (parse ∘ print ∘ parse gives
//! the same attributes).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match offerfit::parse_attributes(text) {
        Ok(attrs) => {
            let printed = attrs.to_string();
            match offerfit::parse_attributes(&printed) {
                Ok(back) => {
                    assert_eq!(back, attrs, "`{printed}` (printed from {text:?}) parses to different attributes");
                    assert_eq!(back.to_string(), printed, "printing attributes is not stable");
                }
                Err(e) => panic!("printed attributes `{printed}` (from {text:?}) do not parse: {e}"),
            }
        }
        Err(e) => offerfit_fuzz::check_error(&e, text),
    }
});
